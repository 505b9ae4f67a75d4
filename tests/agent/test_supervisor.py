"""The supervisor restarts crashed tasks with a growing delay and stops everything within a bound."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from kaido.agent.supervisor import Supervisor
from kaido.agent.timeline import Timeline
from kaido.core.clock import ManualClock


async def test_a_crashing_task_is_restarted_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    supervisor = Supervisor(clock, restart_initial=1.0, restart_max=4.0)
    starts: list[float] = []

    async def flaky() -> None:
        starts.append(clock.monotonic())
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR):
        supervisor.start("flaky", flaky)
        await clock.run_for(20)
    assert starts[:5] == [0.0, 1.0, 3.0, 7.0, 11.0]  # 1, 2, 4, then capped at 4
    assert supervisor.crashes["flaky"] == len(starts)
    assert "flaky crashed (1 so far); restarting in 1.0 s" in caplog.text
    assert await supervisor.stop(grace=1) == []


async def test_a_task_that_returns_is_not_restarted() -> None:
    clock = ManualClock()
    supervisor = Supervisor(clock)
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    supervisor.start("once", once)
    await clock.run_for(100)
    assert runs == 1
    assert await supervisor.stop(grace=1) == []


async def test_stop_reports_tasks_that_ignore_cancellation() -> None:
    supervisor = Supervisor(ManualClock())
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # refuses to stop

    async def polite() -> None:
        await asyncio.sleep(10)

    supervisor.start("stubborn", stubborn)
    supervisor.start("polite", polite)
    await asyncio.sleep(0)
    assert await supervisor.stop(grace=0.05) == ["kaido-stubborn"]
    release.set()


async def test_timeline_readers_follow_new_entries() -> None:
    timeline = Timeline(capacity=3)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    reader = asyncio.create_task(timeline.wait_after(0))
    await asyncio.sleep(0)
    assert not reader.done()
    timeline.add(at, "agent", "started")
    assert [e.text for e in await reader] == ["started"]
    for n in range(5):
        timeline.add(at, "finding", f"f{n}")
    assert [e.seq for e in timeline.after(0)] == [4, 5, 6]  # bounded: the oldest are dropped
    assert [e.text for e in timeline.after(5)] == ["f4"]
