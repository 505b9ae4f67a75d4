"""Silences of alerts as rows: who muted which alerts, from when until when, and why.

A silence is kept after it expires (its `ends_at` is in the past) so that `kaido alerts` can show
what was muted during an incident; "expiring" a silence is saving it again with `ends_at` set to
now. Matchers are stored as a JSON list in Alertmanager's API form (`name`, `value`, `isRegex`,
`isEqual`), structured rather than as matcher text so that a stored silence never depends on how
a later kaido parses `name=~"value"`. The alert engine (`kaido.notify.silences`) owns what the
matchers mean; the store only keeps them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypedDict

from kaido.store.codec import dump_json, from_micros, load_json, to_micros

__all__ = [
    "MatcherRecord",
    "SilenceRecord",
    "get_silence",
    "list_silences",
    "save_silence",
    "silence_row",
]

_COLUMNS: Final = "id, matchers, starts_at, ends_at, created_by, comment, updated_at"
SilenceRow = tuple[str, str, int, int, str, str, int]


class MatcherRecord(TypedDict):
    """One label matcher, as Alertmanager's API spells it: `=` is equal, `=~` regex, `!=`/`!~` negated."""

    name: str
    value: str
    isRegex: bool  # Alertmanager's JSON field names
    isEqual: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SilenceRecord:
    """One silence as stored; the alert engine turns it into a `kaido.notify.silences.Silence`."""

    id: str
    matchers: tuple[MatcherRecord, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    updated_at: datetime  # when it was created, or last changed (expired)

    def is_expired(self, now: datetime) -> bool:
        return self.ends_at <= now


def silence_row(record: SilenceRecord) -> SilenceRow:
    what = f"silence {record.id}"
    if record.ends_at < record.starts_at:  # equal is a silence expired before it started
        raise ValueError(
            f"{what}: ends_at {record.ends_at.isoformat()} is before starts_at {record.starts_at.isoformat()}"
        )
    matchers = [dict(m) for m in record.matchers]
    return (
        record.id, dump_json(matchers), to_micros(record.starts_at, f"{what} starts_at"),
        to_micros(record.ends_at, f"{what} ends_at"), record.created_by, record.comment,
        to_micros(record.updated_at, f"{what} updated_at"),
    )  # fmt: skip


def _matcher(value: Any) -> MatcherRecord:
    return MatcherRecord(
        name=str(value["name"]),
        value=str(value["value"]),
        isRegex=bool(value["isRegex"]),
        isEqual=bool(value.get("isEqual", True)),  # absent in Alertmanager's older API: an equality matcher
    )


def _silence(row: tuple[Any, ...]) -> SilenceRecord:
    id_, matchers, starts, ends, created_by, comment, updated = row
    return SilenceRecord(
        id=id_, matchers=tuple(_matcher(m) for m in load_json(matchers)), starts_at=from_micros(starts),
        ends_at=from_micros(ends), created_by=created_by, comment=comment, updated_at=from_micros(updated),
    )  # fmt: skip


def save_silence(conn: sqlite3.Connection, row: SilenceRow) -> None:
    """Insert the silence, or replace every field of the one with the same id."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])
    conn.execute(
        f"INSERT INTO silences ({_COLUMNS}) VALUES ({', '.join('?' * len(row))}) "  # noqa: S608 - constant columns
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        row,
    )


def get_silence(conn: sqlite3.Connection, silence_id: str) -> SilenceRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM silences WHERE id = ?", (silence_id,)).fetchone()  # noqa: S608 - constant columns
    return None if row is None else _silence(row)


def list_silences(conn: sqlite3.Connection, *, now_micros: int, include_expired: bool) -> list[SilenceRecord]:
    """Newest first by start; without `include_expired`, only those ending after `now_micros`."""
    where, args = ("", ()) if include_expired else ("WHERE ends_at > ?", (now_micros,))
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM silences {where} ORDER BY starts_at DESC, rowid DESC",  # noqa: S608 - constant SQL pieces
        args,
    ).fetchall()
    return [_silence(row) for row in rows]
