"""Direct scaling: a Deployment without an HPA scaled by kaido itself, against the simulator over HTTP.

The Deployment is real (the simulator runs it and its pods); its load history is synthetic, written
into the store at past timestamps, and the scaler's clock is moved by hand, as in test_scaler.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from kaido.config import Policy, PolicyError, parse_policy
from kaido.controllers.scaler import Scaler
from kaido.core.clock import Clock, ManualClock, RealClock
from kaido.kube.client import Kube
from kaido.kube.informer import Informer
from kaido.kube.resources import DEPLOYMENTS, HPAS, NAMESPACES
from kaido.remediate.executor import Executor
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.store import Sample, Store
from tests.controllers.test_scaler import (
    BACKEND,
    DAY0,
    PODS_OF_BACKEND,
    daily_peak,
    deployment,
    eventually,
    foreign_hpa,
    write_history,
)

BEFORE_PEAK = DAY0 + timedelta(days=3, hours=13, minutes=52)  # the daily peak starts at 14:00


def policy_text(ns: str, *, mode: str = "enforce") -> str:
    """backend-deployment scaled directly: 2-10 replicas at 70 % CPU, at most +50 % a minute."""
    return f"""
modes: {{predictive: {mode}}}
scaling:
  workloads:
    - target: deployment/{BACKEND}
      namespace: {ns}
      minReplicas: 2
      maxReplicas: 10
      cpuUtilization: 70
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          policies: [{{type: Percent, value: 50, periodSeconds: 60}}]
  predictive:
    horizon: 10m
    interval: 1m
    minHistory: 1h
"""


@pytest.fixture
async def ns(kube: Kube, request: pytest.FixtureRequest) -> str:
    name = f"d{abs(hash(request.node.nodeid)) % 10**8}"
    await kube.create(NAMESPACES, {"metadata": {"name": name}})
    await kube.create(DEPLOYMENTS, deployment(BACKEND), namespace=name)
    return name


class Objects:
    """A fixed source of objects, for what the test makes up rather than runs (pods of the history, nodes)."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return next((o for o in self.objects if o["metadata"]["name"] == name), None)

    def list(self) -> list[dict[str, Any]]:
        return list(self.objects)

    def subscribe(self, handler: Callable[[Any], Awaitable[None]], *, name: str) -> object:
        return None


def history_pods(ns: str, clock: Clock) -> Objects:
    """The two backend pods of the synthetic history, on node-1 and Ready for an hour."""
    since = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Objects(
        [
            {
                "metadata": {"name": name, "namespace": ns, "labels": {"app": BACKEND}},
                "spec": {
                    "nodeName": "node-1",
                    "containers": [{"name": "backend", "resources": {"requests": {"cpu": "100m"}}}],
                },
                "status": {
                    "phase": "Running",
                    "startTime": since,
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": since}],
                },
            }
            for name in PODS_OF_BACKEND
        ]
    )


@dataclass
class Rig:
    kube: Kube
    ns: str
    store: Store
    hpas: Informer
    deployments: Informer
    clock: ManualClock
    policy: Policy
    scaler: Scaler
    said: list[str] = field(default_factory=list)

    async def replicas(self) -> int:
        return int((await self.kube.get(DEPLOYMENTS, BACKEND, namespace=self.ns))["spec"]["replicas"])

    async def cached_replicas(self, replicas: int) -> None:
        def seen() -> bool:
            found = self.deployments.get(BACKEND, self.ns)
            return found is not None and found["spec"].get("replicas") == replicas

        await eventually(seen, what=f"{replicas} replicas in the cache")

    def scales(self) -> list[Any]:
        return [r for r in self.store.list_actions(limit=100) if r.action == "Scale"]


@pytest.fixture
async def make_rig(kube: Kube, ns: str, store: Store) -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    tasks: list[asyncio.Task[None]] = []
    informers: list[Informer] = []

    async def make(
        *, mode: str = "enforce", clock: ManualClock | None = None, nodes: list[dict[str, Any]] | None = None
    ) -> Rig:
        clock = clock or ManualClock(BEFORE_PEAK)
        hpas = Informer(kube, HPAS, namespace=ns, clock=RealClock())
        deployments = Informer(kube, DEPLOYMENTS, namespace=ns, clock=RealClock())
        for informer in (hpas, deployments):
            informers.append(informer)
            tasks.append(asyncio.create_task(informer.run()))
            await informer.synced.wait()
        said: list[str] = []
        policy = parse_policy(policy_text(ns, mode=mode), source="test")
        executor = Executor(
            kube,
            store,
            clock=RealClock(),
            identity="kaido-0",
            is_leader=lambda: True,
            limiter=RateLimiter(global_limit=Limit(100, 60), per_workload=Limit(50, 60)),
            registry=CollectorRegistry(),
        )
        rig: Rig
        scaler = Scaler(
            hpas=hpas,
            deployments=deployments,
            pods=history_pods(ns, clock),
            store=store,
            executor=executor,
            clock=clock,
            policy=lambda: rig.policy,
            is_leader=lambda: True,
            on_decision=said.append,
            nodes=Objects(nodes) if nodes is not None else None,
        )
        rig = Rig(kube, ns, store, hpas, deployments, clock, policy, scaler, said)
        return rig

    yield make
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for informer in informers:
        await informer.close()


async def test_enforce_scales_the_deployment_up_ahead_of_the_peak_within_the_rate_limit(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK)
    rig = await make_rig()
    [first] = await rig.scaler.predict()
    assert (first.kind, first.outcome) == ("direct", "scaled up"), first.explanation
    assert first.target == f"Deployment {ns}/{BACKEND}"
    # 7 replicas needed for the peak at 14:00; at most +50 % a minute: 2 → 3.
    assert "CPU cores per pod at 70% CPU; replicas 2 → 3" in first.explanation, first.explanation
    assert "ScaleUpLimit holds it at 3" in first.explanation
    assert await rig.replicas() == 3
    await rig.cached_replicas(3)
    await rig.clock.run_for(60)
    [second] = await rig.scaler.predict()
    assert second.outcome == "scaled up", second.explanation
    assert "replicas 3 → 5" in second.explanation
    assert await rig.replicas() == 5
    assert [(r.state, r.params["replicas"]) for r in rig.scales()] == [("succeeded", 5), ("succeeded", 3)]
    assert any("replicas 2 → 3" in text for text in rig.said)
    assert [d["kind"] for d in rig.scaler.decisions()] == ["direct"]


async def test_a_second_pass_within_the_period_is_held_by_the_rate_limit(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK)
    rig = await make_rig()
    await rig.scaler.predict()
    await rig.cached_replicas(3)
    await rig.clock.run_for(20)  # the +1 of the first pass still counts against the 60 s period
    [held] = await rig.scaler.predict()
    assert held.outcome == "held", held.explanation
    assert "replicas 3 → 3" in held.explanation
    assert await rig.replicas() == 3


async def test_recommend_only_dry_runs_and_observe_changes_nothing(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK)
    rig = await make_rig(mode="observe")
    [observed] = await rig.scaler.predict()
    assert observed.outcome == "observed", observed.explanation
    assert "replicas 2 → 3" in observed.explanation and "observe mode: nothing changed" in observed.explanation
    assert rig.scales() == []
    rig.policy = parse_policy(policy_text(ns, mode="recommend"), source="test")
    [recommended] = await rig.scaler.predict()
    assert recommended.outcome == "recommended", recommended.explanation
    assert "would scale to 3" in recommended.explanation
    assert [r.state for r in rig.scales()] == ["dry-run"]
    assert await rig.replicas() == 2
    # A dry run changed nothing, so it does not count against the rate limit of the next pass.
    await rig.clock.run_for(20)
    [again] = await rig.scaler.predict()
    assert "replicas 2 → 3" in again.explanation, again.explanation
    assert await rig.replicas() == 2


async def test_a_deployment_with_an_hpa_is_never_scaled_directly(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, kube: Kube, ns: str
) -> None:
    await kube.create(HPAS, foreign_hpa("backend-hpa", BACKEND), namespace=ns)
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK)
    rig = await make_rig()
    await eventually(lambda: len(rig.hpas) == 1, what="the HPA in the cache")
    for _ in range(3):
        [decision] = await rig.scaler.predict()
        assert decision.outcome == "conflict"
        assert (
            f"deployment {ns}/{BACKEND} has HPA {ns}/backend-hpa; kaido does not scale it directly "
            "(would fight the HPA)" in decision.explanation
        )
        await rig.clock.run_for(60)
    assert rig.scales() == []
    assert await rig.replicas() == 2
    assert sum("has HPA" in text for text in rig.said) == 1  # said once, not on every pass


async def test_flat_load_changes_nothing(make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str) -> None:
    await write_history(store, ns, lambda at: 0.1, start=DAY0, end=BEFORE_PEAK + timedelta(minutes=5))
    rig = await make_rig()
    for _ in range(4):
        [decision] = await rig.scaler.predict()
        assert decision.outcome == "held", decision.explanation
        assert "replicas 2 → 2" in decision.explanation
        await rig.clock.run_for(60)
    assert rig.scales() == []
    assert await rig.replicas() == 2


async def test_an_unreliable_forecast_falls_back_to_live_usage_and_says_so(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    # Live usage is read from raw samples, which the store keeps for a day of real time.
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    await write_history(store, ns, lambda at: 0.1, start=clock.now() - timedelta(minutes=20), end=clock.now())
    rig = await make_rig(clock=clock)
    [quiet] = await rig.scaler.predict()
    assert quiet.outcome == "fallback", quiet.explanation
    assert "forecast unreliable (not enough history" in quiet.explanation
    assert "using live usage only; replicas 2 → 2 (usage needs 2)" in quiet.explanation
    # Both pods now at 140 % of their CPU request, twice the 70 % target: the HPA algorithm wants 4.
    await clock.run_for(60)
    await write_usage(store, ns, cores=0.14, at=clock.now())
    [busy] = await rig.scaler.predict()
    assert busy.outcome == "scaled up", busy.explanation
    assert "using live usage only; replicas 2 → 3 (usage needs 4" in busy.explanation  # +50 % a minute
    assert await rig.replicas() == 3


async def test_the_capacity_guard_and_max_replicas_cap_the_replicas(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK)
    # One node of 400m: the two pods' 200m leave room for two more pods of 100m, so 4 replicas at most.
    rig = await make_rig(
        mode="observe", nodes=[{"metadata": {"name": "node-1"}, "status": {"allocatable": {"cpu": "400m"}}}]
    )
    [guarded] = await rig.scaler.predict()
    assert "capped at cluster capacity guard 4" in guarded.explanation, guarded.explanation
    rig.policy = parse_policy(policy_text(ns, mode="observe").replace("maxReplicas: 10", "maxReplicas: 2"), source="t")
    [capped] = await rig.scaler.predict()
    assert "replicas 2 → 2" in capped.explanation and "capped at maxReplicas 2" in capped.explanation


async def write_usage(store: Store, ns: str, *, cores: float, at: datetime) -> None:
    """A fresh usage sample for each backend pod, as the monitor writes it from metrics.k8s.io."""
    samples = [
        Sample("pod_cpu_cores", (("container", "backend"), ("namespace", ns), ("pod", pod)), at, cores)
        for pod in PODS_OF_BACKEND
    ]
    await store.add_samples(samples)
    await store.flush()


def test_a_workload_listed_twice_or_also_under_an_hpa_is_rejected() -> None:
    entry = "{target: deployment/api, namespace: shop, maxReplicas: 5, cpuUtilization: 70}"
    with pytest.raises(PolicyError, match=r"workloads\[1\] is Deployment shop/api again \(first in workloads\[0\]\)"):
        parse_policy(f"scaling: {{workloads: [{entry}, {entry}]}}", source="test")
    both = "scaling: {hpas: [{name: api-hpa, target: api, namespace: shop, maxReplicas: 5, cpuUtilization: 70}], "
    both += f"workloads: [{entry}]}}"
    with pytest.raises(
        PolicyError, match=r"workloads\[0\] \(deployment shop/api\) is also in hpas\[0\] \(HPA shop/api-hpa\)"
    ):
        parse_policy(both, source="test")
    with pytest.raises(PolicyError, match=r"workloads\[0\]\.target: 'sts/db' is a StatefulSet"):
        parse_policy(
            "scaling: {workloads: [{target: sts/db, namespace: shop, maxReplicas: 5, cpuUtilization: 70}]}", source="t"
        )
    with pytest.raises(
        PolicyError, match=r"workloads\[0\]\.cpuUtilization: .*required|workloads\[0\]: .*cpuUtilization"
    ):
        parse_policy("scaling: {workloads: [{target: api, namespace: shop, maxReplicas: 5}]}", source="test")
    with pytest.raises(PolicyError, match=r"workloads\[0\]\.replicas: unknown key"):
        parse_policy(f"scaling: {{workloads: [{entry[:-1]}, replicas: 3}}]}}", source="test")
