"""Silences are kept in the store across restarts, expired ones included, and old files gain the table."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from kaido.core import ManualClock
from kaido.store import Store, audit
from kaido.store.schema import MIGRATIONS
from kaido.store.silences import MatcherRecord, SilenceRecord
from tests.store.conftest import T0, incident

HOUR = timedelta(hours=1)


def silence(silence_id: str, *, start: timedelta = timedelta(0), length: timedelta = HOUR) -> SilenceRecord:
    return SilenceRecord(
        id=silence_id,
        matchers=(
            MatcherRecord(name="alertname", value="high-error-rate", isRegex=False, isEqual=True),
            MatcherRecord(name="namespace", value="chatbot-.*", isRegex=True, isEqual=True),
            MatcherRecord(name="workload", value="deployment/mcp", isRegex=False, isEqual=False),
        ),
        starts_at=T0 + start,
        ends_at=T0 + start + length,
        created_by="alice",
        comment="known issue, fix rolling out",
        updated_at=T0 + start,
    )


async def test_a_silence_survives_a_restart_exactly(db: Path, clock: ManualClock) -> None:
    saved = silence("s-1")
    async with await Store.open(db, clock=clock) as store:
        await store.save_silence(saved)
        assert store.get_silence("s-1") == saved
    async with await Store.open(db, clock=clock) as reopened:
        assert reopened.get_silence("s-1") == saved
        assert reopened.list_silences() == [saved]
        assert reopened.get_silence("nope") is None


async def test_expiring_replaces_the_silence_and_hides_it_from_the_default_list(
    store: Store, clock: ManualClock
) -> None:
    first, second = silence("s-1"), silence("s-2", start=timedelta(minutes=5))
    await store.save_silence(first)
    await store.save_silence(second)
    assert [s.id for s in store.list_silences()] == ["s-2", "s-1"]  # newest first

    clock.advance(600)
    expired = replace(first, ends_at=clock.now(), updated_at=clock.now())
    await store.save_silence(expired)
    assert store.get_silence("s-1") == expired
    assert [s.id for s in store.list_silences()] == ["s-2"]
    assert [s.id for s in store.list_silences(include_expired=True)] == ["s-2", "s-1"]

    clock.advance(3600)  # s-2 has now run out on its own
    assert store.list_silences() == []
    assert len(store.list_silences(include_expired=True)) == 2


async def test_a_silence_that_ends_before_it_starts_is_refused_in_the_callers_task(store: Store) -> None:
    backwards = replace(silence("s-9"), ends_at=T0 - HOUR)
    with pytest.raises(ValueError, match=r"silence s-9: ends_at .* is before starts_at"):
        await store.save_silence(backwards)
    # A silence expired before it started (zero length) is a legitimate record.
    await store.save_silence(replace(silence("s-0"), ends_at=T0))
    assert store.get_silence("s-0") is not None


async def test_a_store_written_before_silences_existed_is_migrated_and_keeps_its_data(
    db: Path, clock: ManualClock
) -> None:
    # Build the file as the first schema version left it, with an incident in it.
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    for statement in MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, ?, 0)", (MIGRATIONS[0].description,))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audit.incident_row(incident("inc-1")))
    assert "silences" not in {row[0] for row in conn.execute("SELECT name FROM sqlite_schema")}
    conn.close()

    async with await Store.open(db, clock=clock) as store:
        assert store.get_incident("inc-1") == incident("inc-1")
        await store.save_silence(silence("s-1"))
        assert [s.id for s in store.list_silences()] == ["s-1"]
    with sqlite3.connect(db) as check:
        versions = check.execute("SELECT version, description FROM schema_version ORDER BY version").fetchall()
    check.close()
    assert [v for v, _ in versions] == list(range(1, len(MIGRATIONS) + 1))
    assert "silences" in versions[1][1]
