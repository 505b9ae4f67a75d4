"""Lease leader election between real clients of one simulator, on real time with short durations."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.core import RealClock
from kaido.kube.client import Kube
from kaido.kube.lease import LeaderElector, micro_time
from kaido.kube.resources import LEASES
from tests.kube.conftest import FAST_RETRY
from tests.support.sim import SimThread

LEASE = 1.2
RENEW = 0.8
RETRY = 0.2
MICRO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_settings_must_nest() -> None:
    with pytest.raises(ValueError, match=r"lease_duration > renew_deadline > retry_period > 0, not lease_duration=5"):
        LeaderElector(None, name="l", namespace="n", identity="a", lease_duration=5, renew_deadline=6,  # type: ignore[arg-type]
                      clock=RealClock())  # fmt: skip
    with pytest.raises(ValueError, match=r"renew_deadline=10\.0, retry_period=10"):
        LeaderElector(None, name="l", namespace="n", identity="a", retry_period=10, clock=RealClock())  # type: ignore[arg-type]


def test_micro_time_format() -> None:
    assert micro_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"


class Candidate:
    """One replica: its own client, elector, task and record of leadership changes."""

    def __init__(self, kube: Kube, identity: str, namespace: str, *, release: bool) -> None:
        self.changes: list[bool] = []
        self.elector = LeaderElector(
            kube, name="kaido-leader", namespace=namespace, identity=identity,
            lease_duration=LEASE, renew_deadline=RENEW, retry_period=RETRY, clock=RealClock(),
            on_change=self.changes.append, release_on_cancel=release,
        )  # fmt: skip
        self.task = asyncio.create_task(self.elector.run())

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


@asynccontextmanager
async def candidates(sim: SimThread, namespace: str, *, release: bool = True) -> AsyncIterator[list[Candidate]]:
    clients = [await Kube.connect(kubeconfig=sim.kubeconfig, timeout=5, retry=FAST_RETRY) for _ in range(2)]
    running = [Candidate(k, f"kaido-{i}", namespace, release=release) for i, k in enumerate(clients)]
    try:
        yield running
    finally:
        for candidate in running:
            if not candidate.task.done():
                await candidate.stop()
        for client in clients:
            await client.close()


async def wait_for(condition: Callable[[], bool], within: float) -> float:
    """Seconds until `condition` held, polling every 10 ms; fails after `within` seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition():
        if loop.time() - start > within:
            raise AssertionError(f"condition not reached within {within} s")
        await asyncio.sleep(0.01)
    return loop.time() - start


def leaders(running: list[Candidate]) -> list[Candidate]:
    return [c for c in running if c.elector.is_leader]


async def test_exactly_one_leader_and_the_lease_says_who(sim: SimThread, kube: Kube, namespace: str) -> None:
    async with candidates(sim, namespace) as running:
        await wait_for(lambda: len(leaders(running)) == 1, within=3)
        counts = []
        for _ in range(100):  # two seconds: more than a lease duration of renewals
            counts.append(len(leaders(running)))
            await asyncio.sleep(0.02)
        assert set(counts) == {1}
        [leader] = leaders(running)
        [follower] = [c for c in running if c is not leader]
        assert leader.changes == [True]
        assert follower.changes == []
        assert follower.elector.holder == leader.elector.identity
        lease: dict[str, Any] = (await kube.get(LEASES, "kaido-leader", namespace=namespace))["spec"]
        assert lease["holderIdentity"] == leader.elector.identity
        assert lease["leaseDurationSeconds"] == 2  # whole seconds, rounded up
        assert lease["leaseTransitions"] == 0
        assert MICRO_TIME.fullmatch(lease["acquireTime"]) and MICRO_TIME.fullmatch(lease["renewTime"])
        await asyncio.sleep(RETRY * 2)
        renewed = (await kube.get(LEASES, "kaido-leader", namespace=namespace))["spec"]
        assert renewed["renewTime"] > lease["renewTime"]
        assert renewed["acquireTime"] == lease["acquireTime"]


async def test_a_crashed_leader_is_replaced_after_the_lease_expires(sim: SimThread, namespace: str) -> None:
    async with candidates(sim, namespace, release=False) as running:
        await wait_for(lambda: len(leaders(running)) == 1, within=3)
        [leader] = leaders(running)
        [follower] = [c for c in running if c is not leader]
        await leader.stop()  # no release: the lease still names the dead leader
        took = await wait_for(lambda: follower.elector.is_leader, within=LEASE + 3)
        # the follower waits out the lease from when it last saw the record change
        assert LEASE - 2 * RETRY <= took <= LEASE + 1.2 * RETRY + 0.5
        assert follower.changes == [True]
        assert follower.elector.transitions == 1
        assert follower.elector.holder == follower.elector.identity


async def test_a_leader_that_stops_cleanly_hands_over_at_once(sim: SimThread, kube: Kube, namespace: str) -> None:
    async with candidates(sim, namespace) as running:
        await wait_for(lambda: len(leaders(running)) == 1, within=3)
        [leader] = leaders(running)
        [follower] = [c for c in running if c is not leader]
        await leader.stop()
        assert leader.changes == [True, False]
        took = await wait_for(lambda: follower.elector.is_leader, within=LEASE + 3)
        assert took < LEASE / 2  # one poll of the follower, not a whole lease duration
        spec = (await kube.get(LEASES, "kaido-leader", namespace=namespace))["spec"]
        assert spec["holderIdentity"] == follower.elector.identity
        assert spec["leaseTransitions"] == 1


async def test_a_leader_that_cannot_renew_steps_down(sim: SimThread, namespace: str, faults: Any) -> None:
    async with candidates(sim, namespace) as running:
        await wait_for(lambda: len(leaders(running)) == 1, within=3)
        [leader] = leaders(running)
        faults("error-rate=1.0,error-codes=500")
        took = await wait_for(lambda: not leader.elector.is_leader, within=RENEW + 2)
        assert RENEW - 2 * RETRY <= took <= RENEW + 0.5  # stepped down by renew_deadline, before the lease ran out
        assert leaders(running) == []  # nobody can reach the API server to take over
        assert leader.changes == [True, False]
        faults(None)
        await wait_for(lambda: len(leaders(running)) == 1, within=LEASE + 3)
        assert sum(len(c.changes) for c in running) == 3
