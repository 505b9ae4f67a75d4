"""Silences: a person mutes the alerts whose labels match, for a while, and says who and why.

Matchers follow Alertmanager: `name="value"` (equal), `name!="value"`, `name=~"regex"` and
`name!~"regex"`; a regex must match the whole value (it is anchored), and a label the alert lacks
reads as the empty string. A silence matches an alert when all of its matchers do. It is *active*
from `starts_at` until `ends_at`; expiring it sets `ends_at` to now, so the record of what was
muted remains. A silence must have at least one matcher that an empty label does not satisfy, so
that no silence can mute every alert by accident (Alertmanager refuses those too).

Silenced alerts are still evaluated and shown, flagged; they are only left out of notifications.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

from kaido.core.errors import KaidoError
from kaido.store.silences import MatcherRecord, SilenceRecord

__all__ = [
    "Matcher",
    "MatcherError",
    "Silence",
    "SilenceError",
    "SilenceState",
    "UnknownSilenceError",
    "parse_matchers",
]

SilenceState = Literal["pending", "active", "expired"]

_MATCHER: Final = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*")
_ESCAPES: Final = {"\\": "\\", '"': '"', "n": "\n"}
_HOW: Final = 'write it like alertname="high-error-rate" or namespace=~"chatbot-.*" (operators =, !=, =~, !~)'


class SilenceError(KaidoError, ValueError):
    """A silence cannot be created as asked: no matchers, no author or comment, or an end in the past."""


class MatcherError(SilenceError):
    """A matcher is not `name op "value"`, or its regex does not compile."""


class UnknownSilenceError(KaidoError, KeyError):
    """No silence has this id."""

    def __str__(self) -> str:  # KeyError would print the message quoted, like a bare key
        return str(self.args[0]) if self.args else "unknown silence"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition of a silence."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def __post_init__(self) -> None:
        if self.is_regex:
            try:
                re.compile(self.value)
            except re.error as e:
                raise MatcherError(f"matcher {self}: {self.value!r} is not a valid regular expression ({e})") from e

    @property
    def op(self) -> str:
        return ("=" if self.is_equal else "!") + ("~" if self.is_regex else ("" if self.is_equal else "="))

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        found = re.fullmatch(self.value, value) is not None if self.is_regex else value == self.value
        return found == self.is_equal

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """Read `name="value"`, `name!="value"`, `name=~"regex"` or `name!~"regex"` (quotes optional)."""
        found = _MATCHER.fullmatch(text)
        if found is None:
            raise MatcherError(f"matcher {text!r} is not a label name, an operator and a value; {_HOW}")
        name, op, raw = found.groups()
        value = _unquote(raw, text)
        if "~" in op:
            try:
                re.compile(value)
            except re.error as e:  # named as the person wrote it, not as it would print
                raise MatcherError(f"matcher {text!r}: {value!r} is not a valid regular expression ({e})") from e
        return cls(name=name, value=value, is_regex="~" in op, is_equal=op[0] == "=")

    def to_record(self) -> MatcherRecord:
        return MatcherRecord(name=self.name, value=self.value, isRegex=self.is_regex, isEqual=self.is_equal)

    @classmethod
    def from_record(cls, record: MatcherRecord) -> Matcher:
        return cls(name=record["name"], value=record["value"], is_regex=record["isRegex"], is_equal=record["isEqual"])


def _unquote(raw: str, text: str) -> str:
    if not raw.startswith('"'):
        if raw[:1] in ("=", "~") or '"' in raw:
            raise MatcherError(f"matcher {text!r}: the value {raw!r} is malformed; {_HOW}")
        return raw
    if len(raw) < 2 or not raw.endswith('"'):
        raise MatcherError(f"matcher {text!r}: the value has no closing quote; {_HOW}")
    out: list[str] = []
    chars = iter(raw[1:-1])
    for char in chars:
        if char == '"':
            raise MatcherError(f'matcher {text!r}: a quote inside the value must be escaped as \\"')
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        if escaped not in _ESCAPES:
            raise MatcherError(f'matcher {text!r}: unknown escape \\{escaped} (use \\\\, \\" or \\n)')
        out.append(_ESCAPES[escaped])
    return "".join(out)


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    """Parse the matchers of one silence and check that together they cannot match every alert."""
    matchers = tuple(Matcher.parse(text) for text in texts)
    if not matchers:
        raise SilenceError(f"a silence needs at least one matcher; {_HOW}")
    if all(m.matches({}) for m in matchers):
        shown = ", ".join(str(m) for m in matchers)
        raise SilenceError(
            f"matchers {shown} also match alerts without those labels, so the silence would mute every alert; "
            'add a matcher that needs a value, such as alertname="high-error-rate"'
        )
    return matchers


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """Mutes matching alerts from `starts_at` until `ends_at`."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    updated_at: datetime

    @classmethod
    def create(
        cls, matchers: Sequence[str], *, now: datetime, ends_at: datetime, created_by: str, comment: str
    ) -> Silence:
        """A new silence starting now; raises SilenceError (or MatcherError) saying what to fix."""
        parsed = parse_matchers(matchers)
        if not created_by.strip():
            raise SilenceError("a silence needs an author (created_by): who is muting these alerts?")
        if not comment.strip():
            raise SilenceError("a silence needs a comment: say why these alerts are muted, for whoever looks next")
        if ends_at <= now:
            raise SilenceError(
                f"a silence must end in the future; {ends_at.isoformat()} is not after {now.isoformat()}"
            )
        return cls(
            id=str(uuid.uuid4()),
            matchers=parsed,
            starts_at=now,
            ends_at=ends_at,
            created_by=created_by.strip(),
            comment=comment.strip(),
            updated_at=now,
        )

    def state(self, now: datetime) -> SilenceState:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def is_active(self, now: datetime) -> bool:
        return self.state(now) == "active"

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def expire(self, now: datetime) -> Silence:
        """This silence ended at `now` (unchanged if it already has); a pending one never starts."""
        if self.ends_at <= now:
            return self
        return replace(self, starts_at=min(self.starts_at, now), ends_at=now, updated_at=now)

    def to_json(self, *, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [str(m) for m in self.matchers],
            "state": self.state(now),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "created_by": self.created_by,
            "comment": self.comment,
            "updated_at": self.updated_at.isoformat(),
        }

    def to_record(self) -> SilenceRecord:
        return SilenceRecord(
            id=self.id,
            matchers=tuple(m.to_record() for m in self.matchers),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            created_by=self.created_by,
            comment=self.comment,
            updated_at=self.updated_at,
        )

    @classmethod
    def from_record(cls, record: SilenceRecord) -> Silence:
        return cls(
            id=record.id,
            matchers=tuple(Matcher.from_record(m) for m in record.matchers),
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            created_by=record.created_by,
            comment=record.comment,
            updated_at=record.updated_at,
        )
