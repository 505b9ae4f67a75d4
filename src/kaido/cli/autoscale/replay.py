"""One policy's replay: the simulator and the agent in one event loop, on one virtual clock.

The simulator serves its API over loopback HTTP as `kaido sim` does, and a full `Agent` (the
same class `kaido run` starts, with informers, store, leader election, monitor and scaler) talks
to it through `kaido.kube`, exactly as in a cluster. Only time is different: both run on one
`ManualClock`, which the loop moves to the next moment anything waits for (an agent timer, a
simulator tick), never more than one tick at a time. After each move the loop lets the work that
woke up finish before time moves again: it turns the event loop until no API request is in
flight, the store's writer has nothing queued, and nothing new happened for a few turns. So an
HPA sync, a metrics publication, an agent pass and the writes it makes all land at the virtual
moment they belong to, and a day of traffic replays in a minute or two of wall time.

Before the window starts, the request rates of the trace's earlier part (up to the store's week of
5-minute rollups) are written into the agent's store as the samples its request-rate collector
would have recorded, so the forecaster has the history an agent running before the window had.
The replay itself starts a warm-up lead before the window (a pod's start-up plus 30 s, whole
buckets of the trace) that serves the window's first bucket, so the window opens on pods that
are ready for its load, as if the service had been running; the lead is not measured.
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from kaido.agent.agent import Agent, AgentOptions
from kaido.cli.autoscale.service import COLLECT_INTERVAL, NAMESPACE, SERVICE, ServiceShape, bench_policy, build_scenario
from kaido.cli.autoscale.slo import PolicyResult, SloMeter, SloTarget, offered_per_minute
from kaido.cli.autoscale.trace import Trace
from kaido.config import PolicyHolder
from kaido.controllers.load_signal import RECENT
from kaido.core.clock import ManualClock
from kaido.kube.client import Kube
from kaido.sim.app import create_app
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS
from kaido.sim.request_stats import request_stats_for
from kaido.sim.resources import builtin
from kaido.sim.server import SimServer, kubeconfig_document, write_kubeconfig
from kaido.store import Retention, Store
from kaido.store.records import Sample

__all__ = ["ReplayRequest", "replay_policy"]

log = logging.getLogger(__name__)

DEPLOYMENTS: Final = builtin("apps", "v1", "deployments")
DEFAULT_ORIGIN: Final = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: index traces start here
HISTORY_LIMIT: Final = 7 * 86_400.0  # the store keeps 5-minute rollups for a week
QUIET_TURNS: Final = 6
WARMUP_MARGIN: Final = 30.0  # s after a pod's start-up before the window opens: probes, a sync


@dataclass(frozen=True)
class ReplayRequest:
    window: Trace  # the measured part
    history: Trace | None  # the part of the trace before the window, seeded into the store
    shape: ServiceShape
    target: SloTarget
    tick: float = 5.0
    seed: int = 1


class _InFlight:
    """ASGI wrapper counting the simulator's requests in progress (watches excepted) and in total."""

    def __init__(self, app: Any) -> None:
        self.app, self.active, self.total = app, 0, 0

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or b"watch=" in scope.get("query_string", b""):
            await self.app(scope, receive, send)
            return
        self.active += 1
        self.total += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


async def replay_policy(
    request: ReplayRequest, *, policy: str, progress: Callable[[str], None] | None = None
) -> PolicyResult:
    """Replay the window with `policy` ("hpa" or "predictive") and measure it."""
    origin = request.window.start or DEFAULT_ORIGIN + timedelta(seconds=_history_span(request))
    served, history = _with_lead(request)
    lead = served.duration - request.window.duration
    clock = ManualClock(origin - timedelta(seconds=lead))
    cluster = SimCluster(clock=clock, seed=request.seed)
    running = build_scenario(served, request.shape).start(cluster, tick=request.tick)
    meter = SloMeter(namespace=NAMESPACE, labels={"app": SERVICE}, origin=origin, now=clock.now, target=request.target)
    request_stats_for(cluster).observers.append(meter.observe)
    inflight = _InFlight(create_app(cluster))
    server = SimServer(cluster, port=0, app=inflight)
    await server.start()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kaido-bench-") as scratch:
        kubeconfig = Path(scratch) / "kubeconfig"
        write_kubeconfig(kubeconfig, kubeconfig_document(server.url, namespace=NAMESPACE))
        kube = await Kube.connect(kubeconfig=kubeconfig, clock=clock)
        store = await Store.open(Path(scratch) / "kaido.db", clock=clock, retention=Retention())
        await _seed_history(store, history, clock.now())
        holder = PolicyHolder(bench_policy(request.shape, predictive=policy == "predictive"), source="kaido bench")
        agent = Agent(kube=kube, store=store, policy=holder, clock=clock, options=AgentOptions(identity="kaido-bench"))
        loop = _Loop(clock, inflight, store)
        tasks = [asyncio.create_task(running.runtime.run()), asyncio.create_task(agent.run(stop := asyncio.Event()))]
        try:
            await loop.until(lambda: agent.informers.synced, what="the agent's caches to sync")
            cost = await _run_window(loop, cluster, request, lead=lead, progress=progress, policy=policy)
            actions = agent.actions(limit=100_000)
            timeline = [e["text"] for e in agent.timeline_entries(after=0, limit=100_000) if e["category"] == "scaling"]
        finally:
            stop.set()
            running.runtime.stop()
            await loop.drive(asyncio.gather(*tasks, return_exceptions=True))
            await kube.close()
            server.stop()
            await server.wait_stopped()
    offered = offered_per_minute(request.window.counts, request.window.resolution)
    violations, requests, failed, worst = meter.verdicts(offered)
    return PolicyResult(
        policy=policy,
        slo_violation_minutes=len(violations),
        violations=violations,
        minutes=len(offered),
        pod_minutes=cost.pod_minutes,
        max_replicas=cost.max_replicas,
        scaling_actions=cost.changes,
        kaido_actions=sum(1 for a in actions if a.get("state") == "succeeded" and a.get("action") != "ApplyHPA"),
        requests=requests,
        failed_requests=failed,
        p95_seconds_worst=worst,
        wall_seconds=time.perf_counter() - started,
        virtual_seconds=request.window.duration,
        timeline=timeline,
    )


@dataclass
class _Cost:
    pod_minutes: float = 0.0
    max_replicas: int = 0
    changes: int = 0
    replicas: int | None = None

    def sample(self, cluster: SimCluster, seconds: float) -> None:
        pods = [
            p
            for p in cluster.store.list_objects(PODS, NAMESPACE)
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not (p.get("metadata") or {}).get("deletionTimestamp")
        ]
        self.pod_minutes += len(pods) * seconds / 60
        deployment = cluster.store.find(DEPLOYMENTS, NAMESPACE, SERVICE) or {}
        replicas = int((deployment.get("spec") or {}).get("replicas") or 0)
        if self.replicas is not None and replicas != self.replicas:
            self.changes += 1
        self.replicas = replicas
        self.max_replicas = max(self.max_replicas, replicas)


async def _run_window(
    loop: _Loop,
    cluster: SimCluster,
    request: ReplayRequest,
    *,
    lead: float,
    progress: Callable[[str], None] | None,
    policy: str,
) -> _Cost:
    """Replay the lead, then the window; the cost is sampled over the window only."""
    cost = _Cost()
    clock = loop.clock
    start, duration = clock.monotonic() + lead, request.window.duration
    report_every, next_report = max(3600.0, duration / 10), 0.0
    while (elapsed := clock.monotonic() - start) < duration:
        if progress is not None and elapsed >= next_report:
            progress(f"{policy}: {elapsed / 3600:.1f} of {duration / 3600:.1f} virtual hours")
            next_report += report_every
        step = min(request.tick, duration - elapsed) if elapsed >= 0 else min(request.tick, -elapsed)
        deadline = clock.next_deadline
        if deadline is not None and deadline - clock.monotonic() < step:
            step = max(deadline - clock.monotonic(), 0.0)
        clock.advance(step)
        await loop.settle()
        if step > 0 and elapsed >= 0:
            cost.sample(cluster, step)
    return cost


class _Loop:
    """Moves the virtual clock and lets the loop's work finish between moves."""

    def __init__(self, clock: ManualClock, inflight: _InFlight, store: Store) -> None:
        self.clock, self._inflight, self._store = clock, inflight, store

    async def settle(self) -> None:
        quiet, last = 0, (-1, -1)
        for turn in range(10_000):
            await asyncio.sleep(0)
            stats = self._store.stats
            marker = (self._inflight.total, stats.jobs)
            busy = self._inflight.active > 0 or stats.queued > 0
            quiet = quiet + 1 if not busy and marker == last else 0
            if quiet >= QUIET_TURNS:
                return
            last = marker
            if busy and turn % 50 == 49:
                await asyncio.sleep(0.0005)  # a store commit runs in a worker thread

    async def until(self, ready: Callable[[], bool], *, what: str, limit: float = 30.0) -> None:
        """Advance in small steps, in real time too, until `ready()` (start-up: lists over real sockets)."""
        deadline = time.monotonic() + limit
        while not ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"kaido bench: gave up waiting for {what} after {limit:.0f} s")
            self.clock.advance(0.1)
            await asyncio.sleep(0.005)
        await self.settle()

    async def drive(self, work: Awaitable[Any], *, limit: float = 30.0) -> None:
        """Await `work` while moving the clock, so sleepers it waits for (drain timers) wake."""
        task = asyncio.ensure_future(work)
        deadline = time.monotonic() + limit
        while not task.done() and time.monotonic() < deadline:
            self.clock.advance(0.5)
            await asyncio.sleep(0.002)
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _with_lead(request: ReplayRequest) -> tuple[Trace, Trace | None]:
    """(what the simulator serves: the warm-up lead then the window; the history left before the lead)."""
    window, history = request.window, request.history
    buckets = math.ceil((request.shape.startup + WARMUP_MARGIN) / window.resolution - 1e-9)
    if history is not None:
        history = replace(history, counts=history.counts[: max(0, len(history.counts) - buckets)])
    return replace(window, counts=window.counts[:1] * buckets + window.counts), history


def _history_span(request: ReplayRequest) -> float:
    return request.history.duration if request.history is not None else 0.0


async def _seed_history(store: Store, history: Trace | None, origin: datetime) -> None:
    """The request rates before the window, as the agent's collector would have stored them.

    One sample a minute for most of it; every `COLLECT_INTERVAL` over the recent forecast's window
    (`RECENT`), as the collector writes them, so that forecast finds evenly spaced samples.
    """
    if history is None or not history.counts:
        return
    labels = (("namespace", NAMESPACE), ("service", SERVICE))
    begin = origin - timedelta(seconds=history.duration)
    rates = history.rates()
    samples = []
    moment = 0.0
    while moment < history.duration:
        fine = history.duration - moment <= RECENT.total_seconds()
        moment += COLLECT_INTERVAL if fine else max(60.0, history.resolution)
        rate = rates[min(len(rates) - 1, math.floor((moment - 1e-9) / history.resolution))]
        samples.append(Sample("service_requests_per_second", labels, begin + timedelta(seconds=moment), rate))
    await store.add_samples(samples)
    await store.flush()
