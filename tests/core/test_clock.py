from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from kaido.core import Clock, ManualClock, RealClock, ScaledClock


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(RealClock(), Clock)
    assert isinstance(ManualClock(), Clock)


def test_real_clock_is_timezone_aware() -> None:
    assert RealClock().now().tzinfo is UTC


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    tasks = [asyncio.create_task(sleeper("late", 30)), asyncio.create_task(sleeper("early", 10))]
    await asyncio.sleep(0)
    clock.advance(5)
    await asyncio.sleep(0)
    assert woke == []
    await clock.run_for(40)
    await asyncio.gather(*tasks)
    assert woke == [("early", 10), ("late", 30)]
    assert clock.now() == datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=45)


async def test_run_for_lets_chained_sleeps_complete() -> None:
    clock = ManualClock()
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            await clock.sleep(2)
            ticks.append(clock.monotonic())

    task = asyncio.create_task(ticker())
    await clock.run_for(9)
    assert ticks == [2, 4, 6, 8]
    await clock.run_for(1)
    await task
    assert ticks[-1] == 10


async def test_cancelled_sleeper_does_not_block_time() -> None:
    clock = ManualClock()
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.next_deadline is None


def test_manual_clock_refuses_to_go_backwards_or_be_naive() -> None:
    with pytest.raises(ValueError, match="backwards"):
        ManualClock().advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


async def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(speed=50)
    before_wall, before = clock.now(), clock.monotonic()
    await clock.sleep(2.5)  # 50 ms of real time
    elapsed = clock.monotonic() - before
    assert 2.5 <= elapsed < 25
    assert (clock.now() - before_wall).total_seconds() >= 2.5
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(speed=0)
