"""The audit log of actions and the incident records: rows in, records out.

An action's idempotency key is its primary key. `insert_action` uses `ON CONFLICT DO NOTHING` and
reports whether the row is new, so an agent that restarts halfway through a decision finds the
key already recorded (in whatever state) and does not act twice. Incidents are replaced whole by
id; their evidence and action-key lists are JSON columns since they are only read with the record.

The write helpers run on the writer's connection; rows are encoded by the caller beforehand, so a
record that cannot be stored (a naive datetime, params JSON cannot hold) fails in the caller's
task with its own traceback instead of inside the writer.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final, cast

from kaido.store import errors
from kaido.store.codec import dump_json, from_micros, load_json, to_micros
from kaido.store.records import ActionRecord, ActionState, IncidentRecord

__all__ = [
    "action_row",
    "finish_action",
    "get_action",
    "get_incident",
    "incident_row",
    "insert_action",
    "list_actions",
    "list_incidents",
    "save_incident",
]

_ACTION_COLUMNS: Final = (
    "key, action, target, params, mode, reason, requested_at, state, detail, finished_at, incident_id"
)
_INCIDENT_COLUMNS: Final = (
    "id, target, cause, summary, detected_at, evidence, actions, outcome, first_action_at, resolved_at"
)
ActionRow = tuple[str, str, str, str, str, str, int, str, str, int | None, str | None]
IncidentRow = tuple[str, str, str, str, int, str, str, str, int | None, int | None]


def action_row(record: ActionRecord) -> ActionRow:
    what = f"action {record.key}"
    finished = None if record.finished_at is None else to_micros(record.finished_at, f"{what} finished_at")
    try:
        params = dump_json(record.params)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: params cannot be stored as JSON ({e}); use strings, numbers, lists, dicts") from e
    return (
        record.key, record.action, record.target, params, record.mode, record.reason,
        to_micros(record.requested_at, f"{what} requested_at"), record.state, record.detail, finished,
        record.incident_id,
    )  # fmt: skip


def _action(row: tuple[Any, ...]) -> ActionRecord:
    key, action, target, params, mode, reason, requested, state, detail, finished, incident = row
    return ActionRecord(
        key=key, action=action, target=target, params=load_json(params), mode=mode, reason=reason,
        requested_at=from_micros(requested), state=cast("ActionState", state), detail=detail,
        finished_at=None if finished is None else from_micros(finished), incident_id=incident,
    )  # fmt: skip


def insert_action(conn: sqlite3.Connection, row: ActionRow) -> bool:
    """Record a started action; False, writing nothing, if its key is already in the log."""
    cursor = conn.execute(
        f"INSERT INTO actions ({_ACTION_COLUMNS}) VALUES ({', '.join('?' * len(row))}) "  # noqa: S608 - constant columns
        "ON CONFLICT (key) DO NOTHING",
        row,
    )
    return cursor.rowcount == 1


def finish_action(
    conn: sqlite3.Connection, *, path: str, key: str, state: ActionState, detail: str, finished_micros: int
) -> None:
    cursor = conn.execute(
        "UPDATE actions SET state = ?, detail = ?, finished_at = ? WHERE key = ?", (state, detail, finished_micros, key)
    )
    if cursor.rowcount == 0:
        raise errors.StoreError(
            f"cannot finish action {key!r}: it is not in the audit log of {path}; record it with begin_action first"
        )


def get_action(conn: sqlite3.Connection, key: str) -> ActionRecord | None:
    row = conn.execute(f"SELECT {_ACTION_COLUMNS} FROM actions WHERE key = ?", (key,)).fetchone()  # noqa: S608 - constant columns
    return None if row is None else _action(row)


def list_actions(conn: sqlite3.Connection, *, limit: int, target: str | None) -> list[ActionRecord]:
    """Newest first (by requested_at, then by order of recording)."""
    where, args = ("WHERE target = ?", (target, limit)) if target is not None else ("", (limit,))
    rows = conn.execute(
        f"SELECT {_ACTION_COLUMNS} FROM actions {where} ORDER BY requested_at DESC, rowid DESC LIMIT ?",  # noqa: S608 - constant SQL pieces
        args,
    ).fetchall()
    return [_action(row) for row in rows]


def incident_row(record: IncidentRecord) -> IncidentRow:
    what = f"incident {record.id}"
    first = record.first_action_at
    resolved = record.resolved_at
    return (
        record.id, record.target, record.cause, record.summary, to_micros(record.detected_at, f"{what} detected_at"),
        dump_json(list(record.evidence)), dump_json(list(record.actions)), record.outcome,
        None if first is None else to_micros(first, f"{what} first_action_at"),
        None if resolved is None else to_micros(resolved, f"{what} resolved_at"),
    )  # fmt: skip


def _incident(row: tuple[Any, ...]) -> IncidentRecord:
    id_, target, cause, summary, detected, evidence, actions, outcome, first, resolved = row
    return IncidentRecord(
        id=id_, target=target, cause=cause, summary=summary, detected_at=from_micros(detected),
        evidence=load_json(evidence), actions=load_json(actions), outcome=outcome,
        first_action_at=None if first is None else from_micros(first),
        resolved_at=None if resolved is None else from_micros(resolved),
    )  # fmt: skip


def save_incident(conn: sqlite3.Connection, row: IncidentRow) -> None:
    """Insert the incident, or replace every field of the one with the same id."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in _INCIDENT_COLUMNS.split(", ")[1:])
    conn.execute(
        f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES ({', '.join('?' * len(row))}) "  # noqa: S608 - constant columns
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        row,
    )


def get_incident(conn: sqlite3.Connection, incident_id: str) -> IncidentRecord | None:
    row = conn.execute(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)).fetchone()  # noqa: S608 - constant columns
    return None if row is None else _incident(row)


def list_incidents(conn: sqlite3.Connection, *, limit: int, open_only: bool) -> list[IncidentRecord]:
    """Newest first by detection time; `open_only` keeps those whose outcome is still "open"."""
    where = "WHERE outcome = 'open'" if open_only else ""
    rows = conn.execute(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents {where} ORDER BY detected_at DESC, rowid DESC LIMIT ?",  # noqa: S608 - constant SQL pieces
        (limit,),
    ).fetchall()
    return [_incident(row) for row in rows]
