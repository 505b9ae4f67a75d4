"""How values are spelled in the store's columns: instants as integers, labels as canonical JSON.

Instants are integers since the Unix epoch (UTC): microseconds for the audit log and incidents,
so records round-trip exactly, and milliseconds for metric samples, which is finer than any
metrics source kaido reads. Integers sort and compare in SQL without parsing, unlike ISO strings
whose order depends on how the offset is spelled. Labels are one JSON object with sorted keys and
no spaces, so equal label sets are equal strings and one unique index finds a series.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "canonical_labels",
    "dump_json",
    "from_micros",
    "from_millis",
    "load_json",
    "parse_labels",
    "to_micros",
    "to_millis",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_MILLI = timedelta(milliseconds=1)


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} {at.isoformat()} has no timezone; pass an aware datetime (tzinfo=UTC)")
    return at


def to_micros(at: datetime, what: str) -> int:
    """Microseconds since the epoch, exactly; `what` names the value in the error for a naive datetime."""
    return (_aware(at, what) - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def to_millis(at: datetime, what: str) -> int:
    """Milliseconds since the epoch, rounded down (sub-millisecond detail is dropped)."""
    return (_aware(at, what) - _EPOCH) // _MILLI


def from_millis(value: int) -> datetime:
    # Exact for whole milliseconds (float seconds keep microsecond precision until year 2255), and
    # about twice as fast as adding a timedelta: series reads convert thousands per call.
    return datetime.fromtimestamp(value / 1000, UTC)


def canonical_labels(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The one spelling of a label set: a JSON object with sorted keys and no whitespace."""
    pairs = dict(labels.items() if isinstance(labels, Mapping) else labels)
    return json.dumps(pairs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_labels(text: str) -> dict[str, str]:
    value: dict[str, str] = json.loads(text)
    return value


def dump_json(value: Any) -> str:
    """JSON for a record's list or dict column; raises TypeError for values JSON cannot hold."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_json(text: str) -> Any:
    return json.loads(text)
