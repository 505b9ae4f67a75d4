"""A store file that cannot be used fails to open with a StoreError naming the file and the fix."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from kaido.core import ManualClock
from kaido.store import Store, StoreError
from kaido.store.schema import MIGRATIONS
from tests.store.conftest import T0, cpu


async def _fill(db: Path, clock: ManualClock, samples: int) -> None:
    async with await Store.open(db, clock=clock) as store:
        await store.add_samples(cpu(f"web-{i % 40}", i, float(i)) for i in range(samples))


def _truncate(path: Path, keep: float) -> None:
    os.truncate(path, int(path.stat().st_size * keep))


@pytest.fixture
def garbage(db: Path) -> Path:
    db.write_bytes(random.Random(7).randbytes(16384))
    return db


async def test_a_file_of_random_bytes_is_not_a_store(garbage: Path, clock: ManualClock) -> None:
    db = garbage
    with pytest.raises(StoreError) as caught:
        await Store.open(db, clock=clock)
    assert str(caught.value) == (
        f"{db} is not a kaido store (file is not a database); move it away or set agent.storePath to a new file"
    )
    # The failed open released its lock: once the file is moved away, kaido starts afresh.
    os.rename(db, db.with_name("garbage"))
    await (await Store.open(db, clock=clock)).close()


@pytest.mark.parametrize("keep", [0.5, 0.05])
async def test_a_truncated_store_is_reported_corrupt(db: Path, clock: ManualClock, keep: float) -> None:
    await _fill(db, clock, 20000)
    _truncate(db, keep)
    with pytest.raises(
        StoreError, match=r"is corrupt \(integrity check: .*malformed.*\); restore it from a backup"
    ) as e:
        await Store.open(db, clock=clock)
    assert str(db) in str(e.value)


async def test_a_second_open_of_the_same_file_names_the_holder(db: Path, clock: ManualClock) -> None:
    first = await Store.open(db, clock=clock)
    with pytest.raises(StoreError) as caught:
        await Store.open(db, clock=clock)
    assert str(caught.value).startswith(f"{db} is in use by another kaido process (pid {os.getpid()}); ")
    await first.close()
    await (await Store.open(db, clock=clock)).close()  # closing released the lock


async def test_another_programs_sqlite_lock_is_reported_as_locked(db: Path, clock: ManualClock) -> None:
    await _fill(db, clock, 10)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("BEGIN EXCLUSIVE")  # another program, not kaido, holds the database lock
    try:
        with pytest.raises(StoreError, match=r"locked.*another program holds a lock on the file") as caught:
            await Store.open(db, clock=clock)
        assert str(db) in str(caught.value)
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_missing_directory_is_named(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "no" / "such" / "kaido.db"
    with pytest.raises(StoreError) as caught:
        await Store.open(path, clock=clock)
    assert str(caught.value) == (
        f"cannot open store {path}: directory {path.parent} does not exist; "
        "create it (or mount a volume there) or set agent.storePath to a writable location"
    )


async def test_a_path_under_a_file_or_naming_a_directory_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match=r"is not a directory"):
        await Store.open(tmp_path / "file" / "kaido.db", clock=clock)
    with pytest.raises(StoreError, match=r"is a directory; name a file in it"):
        await Store.open(tmp_path, clock=clock)


async def test_an_uncreatable_lock_file_is_reported(db: Path, clock: ManualClock) -> None:
    db.with_name("kaido.db.lock").mkdir()
    with pytest.raises(StoreError, match=r"cannot create the lock file .*kaido\.db\.lock for store .*kaido\.db"):
        await Store.open(db, clock=clock)
    assert os.listdir(db.parent) == ["kaido.db.lock"]  # no database was created


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any directory")
async def test_an_unwritable_directory_is_reported(tmp_path: Path, clock: ManualClock) -> None:
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(StoreError, match=r"directory .*ro is not writable by uid"):
            await Store.open(locked / "kaido.db", clock=clock)
    finally:
        locked.chmod(0o700)


async def test_a_newer_schema_is_refused(db: Path, clock: ManualClock) -> None:
    await _fill(db, clock, 10)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(StoreError) as caught:
        await Store.open(db, clock=clock)
    assert str(caught.value) == (
        f"{db} was written by a newer kaido (schema version 7; this kaido knows up to {len(MIGRATIONS)}); "
        "upgrade kaido or set agent.storePath to a new file"
    )


async def test_another_programs_database_is_not_taken_over(db: Path, clock: ManualClock) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(StoreError, match=r"is not a kaido store \(a sqlite database of another program, with tables"):
        await Store.open(db, clock=clock)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM sqlite_schema").fetchall() == [("invoices",)]
    conn.close()


async def test_a_naive_clock_is_refused(tmp_path: Path) -> None:
    class NaiveClock(ManualClock):
        def now(self):  # type: ignore[no-untyped-def]
            return T0.replace(tzinfo=None)

    with pytest.raises(ValueError, match=r"clock.now\(\) .* has no timezone"):
        await Store.open(tmp_path / "kaido.db", clock=NaiveClock(T0))
