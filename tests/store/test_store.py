"""The store keeps samples, actions and incidents across restarts and writes through one writer."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from kaido.core import ManualClock
from kaido.store import Sample, Store, StoreError
from kaido.store.schema import MIGRATIONS
from tests.store.conftest import T0, action, cpu, cpu_labels, incident

DAY = timedelta(days=1)


async def test_samples_actions_and_incidents_survive_a_restart(db: Path, clock: ManualClock) -> None:
    store = await Store.open(db, clock=clock)
    samples = [cpu("web-1", 15 * i, 0.25 * i) for i in range(40)]
    await store.add_samples(samples)
    started = action("restart-web-1", minutes=3)
    assert await store.begin_action(started)
    finished_at = T0 + timedelta(minutes=4, microseconds=17)
    await store.finish_action("restart-web-1", state="succeeded", detail="pod replaced", finished_at=finished_at)
    saved = incident("inc-1", evidence=["6 restarts", "exit code 1"], actions=["restart-web-1"], first_action_at=T0)
    await store.save_incident(saved)
    await store.close()
    assert not store.is_open

    async with await Store.open(db, clock=clock) as reopened:
        assert reopened.is_open
        assert reopened.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=T0 + DAY) == [
            (s.at, s.value) for s in samples
        ]
        assert reopened.get_action("restart-web-1") == replace(
            started, state="succeeded", detail="pod replaced", finished_at=finished_at
        )
        assert reopened.get_incident("inc-1") == saved
        # A restarted agent asking to begin the same action is told it was already recorded.
        assert not await reopened.begin_action(replace(started, reason="decided again after restart"))
        assert reopened.get_action("restart-web-1").reason == started.reason  # type: ignore[union-attr]


async def test_the_file_is_in_wal_mode_with_a_recorded_schema_version(db: Path, clock: ManualClock) -> None:
    await (await Store.open(db, clock=clock)).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [
            (n,) for n in range(1, len(MIGRATIONS) + 1)
        ]
    conn.close()


async def test_close_commits_samples_still_queued(db: Path, clock: ManualClock) -> None:
    store = await Store.open(db, clock=clock)
    await store.add_samples(cpu(f"web-{i % 7}", i, float(i)) for i in range(5000))
    await store.close()  # no flush first
    async with await Store.open(db, clock=clock) as reopened:
        total = sum(
            len(reopened.series("pod_cpu_cores", cpu_labels(f"web-{p}"), start=T0, end=T0 + DAY)) for p in range(7)
        )
        assert total == 5000


async def test_concurrent_writers_all_go_through_one_batching_writer(store: Store) -> None:
    async def produce(pod: int) -> None:
        for chunk in range(5):
            await store.add_samples(cpu(f"web-{pod}", 60 * chunk + s, float(s)) for s in range(20))

    async def begin(key: str, minutes: int) -> bool:
        return await store.begin_action(action(key, minutes=minutes))

    seen: list[int] = []

    async def read_meanwhile() -> None:
        # WAL: reads run on their own connection while the writer commits, and only see whole commits.
        for _ in range(50):
            seen.append(len(store.list_actions(limit=1000)))
            await asyncio.sleep(0)

    results = await asyncio.gather(
        *(produce(pod) for pod in range(20)),
        *(begin("same-decision", minutes) for minutes in range(30)),
        *(begin(f"own-{n}", n) for n in range(30)),
        read_meanwhile(),
    )
    await store.flush()
    assert seen == sorted(seen)
    began = results[20:-1]
    assert began[:30].count(True) == 1  # one idempotency key: exactly one task gets to act
    assert all(began[30:])
    for pod in range(20):
        assert len(store.series("pod_cpu_cores", cpu_labels(f"web-{pod}"), start=T0, end=T0 + DAY)) == 100
    assert len(store.list_actions(limit=1000)) == 31
    stats = store.stats
    assert stats.failed_jobs == 0
    assert stats.transactions < stats.jobs  # jobs queued together share a transaction


async def test_a_failing_write_does_not_undo_the_others_in_its_batch(store: Store) -> None:
    outcomes = await asyncio.gather(
        store.begin_action(action("a")),
        store.finish_action("never-begun", state="failed", detail="x", finished_at=T0),
        store.begin_action(action("b")),
        return_exceptions=True,
    )
    assert outcomes[0] is True
    assert outcomes[2] is True
    assert isinstance(outcomes[1], StoreError)
    assert "'never-begun'" in str(outcomes[1])
    assert "begin_action" in str(outcomes[1])
    assert {a.key for a in store.list_actions()} == {"a", "b"}


async def test_add_samples_waits_when_the_queue_is_full(clock: ManualClock) -> None:
    async with await Store.open(":memory:", clock=clock, queue_size=1) as store:
        producer = asyncio.create_task(store.add_samples(cpu("web-1", i, 1.0) for i in range(5000)))
        await asyncio.sleep(0)
        assert not producer.done()  # five jobs of 1000 cannot all fit in a queue of one
        assert store.stats.queued <= 1
        await producer
        await store.flush()
        assert len(store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=T0 + DAY)) == 5000


async def test_series_match_labels_exactly(store: Store) -> None:
    await store.add_samples([cpu("web-1", 0, 1.0), cpu("web-2", 0, 2.0), cpu("web-1", 0, 9.0, namespace="dev")])
    node = Sample("node_cpu_cores", (("node", "n1"),), T0, 3.0)
    await store.add_samples([node])
    await store.flush()
    window = {"start": T0, "end": T0 + DAY}
    assert store.series("pod_cpu_cores", cpu_labels("web-1"), **window) == [(T0, 1.0)]
    assert store.series("pod_cpu_cores", {"namespace": "shop"}, **window) == []  # a subset is not a match
    assert store.series("pod_cpu_cores", {**cpu_labels("web-1"), "extra": "x"}, **window) == []
    assert store.find_series("pod_cpu_cores", namespace="shop") == [cpu_labels("web-1"), cpu_labels("web-2")]
    assert store.find_series("pod_cpu_cores", pod="web-1") == [
        cpu_labels("web-1", namespace="dev"),
        cpu_labels("web-1"),
    ]
    assert store.find_series("node_cpu_cores") == [{"node": "n1"}]
    assert store.find_series("pod_cpu_cores", pod="nope") == []


async def test_raw_series_window_is_inclusive_and_duplicates_and_nan_are_dropped(store: Store) -> None:
    await store.add_samples([cpu("web-1", s, float(s)) for s in (0, 10, 20, 30)])
    await store.add_samples([cpu("web-1", 10, 99.0), cpu("web-1", 40, float("nan")), cpu("web-1", 50, float("inf"))])
    await store.flush()
    points = store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0 + timedelta(seconds=10), end=T0 + DAY)
    assert points == [(T0 + timedelta(seconds=s), float(s)) for s in (10, 20, 30)]  # first write of t=10 wins
    upto = store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=T0 + timedelta(seconds=20))
    assert [value for _, value in upto] == [0.0, 10.0, 20.0]


async def test_audit_log_lists_newest_first_and_filters_by_target(store: Store) -> None:
    for n in range(5):
        target = "Deployment shop/web" if n % 2 == 0 else "Deployment shop/api"
        assert await store.begin_action(action(f"k{n}", minutes=n, target=target))
    assert [a.key for a in store.list_actions()] == ["k4", "k3", "k2", "k1", "k0"]
    assert [a.key for a in store.list_actions(limit=2)] == ["k4", "k3"]
    assert [a.key for a in store.list_actions(target="Deployment shop/api")] == ["k3", "k1"]
    assert store.get_action("missing") is None
    recorded = store.get_action("k0")
    assert recorded is not None
    assert recorded.params == {"pod": "web-1", "grace": 30, "nested": {"list": [1, "two"]}}
    assert recorded.state == "started"
    assert recorded.finished_at is None


async def test_incidents_are_replaced_by_id_and_listed_newest_first(store: Store) -> None:
    await store.save_incident(incident("i1", minutes=1))
    await store.save_incident(incident("i2", minutes=2))
    await store.save_incident(incident("i3", minutes=3, outcome="escalated"))
    resolved = incident("i1", minutes=1, outcome="resolved", resolved_at=T0 + timedelta(minutes=9), evidence=["ok"])
    await store.save_incident(resolved)
    assert store.get_incident("i1") == resolved
    assert store.get_incident("nope") is None
    assert [i.id for i in store.list_incidents()] == ["i3", "i2", "i1"]
    assert [i.id for i in store.list_incidents(open_only=True)] == ["i2"]
    assert [i.id for i in store.list_incidents(limit=1)] == ["i3"]


async def test_a_closed_store_says_so(db: Path, clock: ManualClock) -> None:
    store = await Store.open(db, clock=clock)
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match=r"is closed"):
        await store.add_samples([cpu("web-1", 0, 1.0)])
    with pytest.raises(StoreError, match=r"is closed"):
        store.list_actions()
    with pytest.raises(StoreError, match=r"is closed"):
        await store.begin_action(action("k"))


async def test_naive_datetimes_are_refused_before_anything_is_queued(store: Store) -> None:
    naive = T0.replace(tzinfo=None)
    with pytest.raises(ValueError, match=r"no timezone"):
        await store.add_samples([Sample("m", (), naive, 1.0)])
    with pytest.raises(ValueError, match=r"action k requested_at .* no timezone"):
        await store.begin_action(replace(action("k"), requested_at=naive))
    with pytest.raises(ValueError, match=r"params cannot be stored as JSON"):
        await store.begin_action(replace(action("k"), params={"when": T0}))
    assert store.list_actions() == []


async def test_a_full_disk_fails_the_writes_and_the_store_recovers(clock: ManualClock) -> None:
    async with await Store.open(":memory:", clock=clock) as store:
        await store.add_samples([cpu("web-1", 0, 1.0)])
        await store.flush()
        # sqlite's page cap stands in for a full volume: the same SQLITE_FULL error, no disk needed.
        write = store._conns.write
        pages = write.execute("PRAGMA page_count").fetchone()[0]
        write.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match=r"writing action big to :memory: failed: .*full; free space"):
            await store.begin_action(replace(action("big"), reason="x" * 100_000))
        await store.add_samples(cpu(f"new-{i}", 0, 1.0) for i in range(2000))
        with pytest.raises(StoreError, match=r"1000 samples.* to :memory: failed: database or disk is full"):
            await store.flush()
        write.execute("PRAGMA max_page_count = 1000000")
        await store.flush()  # failures are reported once
        # The rolled-back series must not be remembered by the writer: writing them again works.
        await store.add_samples(cpu(f"new-{i}", 0, 1.0) for i in range(2000))
        await store.flush()
        assert len(store.find_series("pod_cpu_cores")) == 2001
        assert store.get_action("big") is None
