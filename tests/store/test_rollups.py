"""Rollups agree with a brute-force computation; compaction keeps each resolution for its horizon."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaido.core import ManualClock
from kaido.store import Retention, Rollup, Sample, Store
from tests.store.conftest import T0, cpu, cpu_labels

PODS = ("web-1", "web-2")
WIDTHS = {"5m": timedelta(minutes=5), "1h": timedelta(hours=1)}

points = st.lists(
    st.tuples(
        st.sampled_from(PODS),
        st.integers(min_value=0, max_value=3 * 3_600_000),  # ms after T0, three hours
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    ),
    max_size=60,
)


def brute_force(written: list[tuple[str, int, float]], pod: str, width: timedelta) -> list[Rollup]:
    """Buckets computed from scratch: the first sample at a given ms wins, as in the store."""
    kept: dict[int, float] = {}
    for p, ms, value in written:
        if p == pod and ms not in kept:
            kept[ms] = value
    buckets: dict[datetime, list[tuple[int, float]]] = defaultdict(list)
    for ms, value in kept.items():
        at = T0 + timedelta(milliseconds=ms)
        buckets[T0 + (at - T0) // width * width].append((ms, value))
    return [
        Rollup(
            start=start,
            count=len(rows),
            sum=sum(v for _, v in rows),
            min=min(v for _, v in rows),
            max=max(v for _, v in rows),
            last=max(rows)[1],
        )
        for start, rows in sorted(buckets.items())
    ]


@settings(max_examples=60, deadline=None)
@given(written=points, split=st.integers(min_value=0, max_value=60))
async def test_rollups_match_a_brute_force_computation(written: list[tuple[str, int, float]], split: int) -> None:
    clock = ManualClock(T0)
    samples = [cpu(pod, ms / 1000, value) for pod, ms, value in written]
    async with await Store.open(":memory:", clock=clock) as store:
        # Two writes, so buckets are updated across transactions as well as within one.
        await store.add_samples(samples[:split])
        await store.add_samples(samples[split:])
        await store.flush()
        end = T0 + timedelta(hours=4)
        for pod in PODS:
            for resolution, width in WIDTHS.items():
                expected = brute_force(written, pod, width)
                got = store.rollups("pod_cpu_cores", cpu_labels(pod), start=T0, end=end, resolution=resolution)  # type: ignore[arg-type]
                assert [(r.start, r.count, r.min, r.max, r.last) for r in got] == [
                    (r.start, r.count, r.min, r.max, r.last) for r in expected
                ]
                assert [r.sum for r in got] == pytest.approx([r.sum for r in expected], rel=1e-9, abs=1e-6)
                averages = store.series("pod_cpu_cores", cpu_labels(pod), start=T0, end=end, resolution=resolution)  # type: ignore[arg-type]
                assert [t for t, _ in averages] == [r.start for r in expected]
                assert [v for _, v in averages] == pytest.approx([r.average for r in expected], rel=1e-9, abs=1e-6)


async def test_rollup_reads_return_the_buckets_overlapping_the_window(clock: ManualClock) -> None:
    async with await Store.open(":memory:", clock=clock) as store:
        await store.add_samples(cpu("web-1", 60 * m, float(m)) for m in range(30))  # one a minute for 30 min
        await store.flush()
        labels = cpu_labels("web-1")
        window = store.series(
            "pod_cpu_cores", labels, start=T0 + timedelta(minutes=7), end=T0 + timedelta(minutes=10), resolution="5m"
        )
        # [5, 10) averages minutes 5..9, and the bucket starting at 10 overlaps the window's end.
        assert window == [(T0 + timedelta(minutes=5), 7.0), (T0 + timedelta(minutes=10), 12.0)]
        (hour,) = store.rollups("pod_cpu_cores", labels, start=T0, end=T0 + timedelta(hours=1), resolution="1h")
        assert (hour.count, hour.min, hour.max, hour.last, hour.average) == (30, 0.0, 29.0, 29.0, 14.5)


async def test_compaction_keeps_each_resolution_for_its_horizon(clock: ManualClock) -> None:
    retention = Retention(raw=3600, five_minute=6 * 3600, hourly=24 * 3600)
    async with await Store.open(":memory:", clock=clock, retention=retention) as store:
        # Two days of one sample every 10 s: 17 280 raw rows, more than one compaction step deletes.
        await store.add_samples(cpu("web-1", 10 * i, 1.0) for i in range(2 * 8640))
        await store.add_samples([cpu("gone", 0, 1.0)])  # a pod seen only at the start
        await store.flush()
        clock.advance(2 * 86400)
        now = clock.now()
        deleted = await store.compact()
        assert deleted.samples > 5000  # needed several bounded steps
        assert not deleted.more
        labels, everything = cpu_labels("web-1"), {"start": T0, "end": now}
        raw = store.series("pod_cpu_cores", labels, **everything)
        assert len(raw) == 360
        assert raw[0][0] == now - timedelta(hours=1)  # a sample exactly at the horizon stays
        five = store.rollups("pod_cpu_cores", labels, **everything, resolution="5m")
        assert len(five) == 72
        assert five[0].start == now - timedelta(hours=6)
        hourly = store.rollups("pod_cpu_cores", labels, **everything, resolution="1h")
        assert len(hourly) == 24
        assert hourly[0].start == now - timedelta(hours=24)
        assert store.find_series("pod_cpu_cores") == [labels]  # the empty series was deleted too


async def test_the_writer_compacts_periodically_on_the_store_clock(clock: ManualClock) -> None:
    retention = Retention(raw=600, five_minute=1200, hourly=7200)
    async with await Store.open(":memory:", clock=clock, retention=retention) as store:
        await store.add_samples(cpu("web-1", 30 * i, 1.0) for i in range(40))  # 20 minutes
        await store.flush()
        clock.advance(3600)
        assert len(store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=clock.now())) == 40
        await store.add_samples([Sample("node_cpu_cores", (("node", "n1"),), clock.now(), 1.0)])
        await store.flush()  # compaction is due now: the writer runs it right after this batch
        await store.flush()  # ... so it is done once the next barrier returns
        assert store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=clock.now()) == []
        assert store.series("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=clock.now(), resolution="5m") == []
        assert len(store.rollups("pod_cpu_cores", cpu_labels("web-1"), start=T0, end=clock.now(), resolution="1h")) == 1


def test_retention_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"Retention.raw must be a positive number of seconds"):
        Retention(raw=0)
