"""The scaler against the simulator over HTTP: HPAs from the policy, drift, foreign HPAs, predictive minReplicas.

A real client, real informers, a real executor and a real store; the predictive tests write a
synthetic CPU (and request-rate) history into the store at past timestamps and move the scaler's
own clock.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from kaido.config import Policy, parse_policy
from kaido.controllers.scaler import Scaler
from kaido.core.clock import Clock, ManualClock, RealClock
from kaido.kube.client import Kube
from kaido.kube.informer import Informer
from kaido.kube.resources import DEPLOYMENTS, HPAS, NAMESPACES, PODS, SERVICES, Resource
from kaido.remediate.executor import Executor
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.store import Sample, Store

BACKEND = "backend-deployment"
BEHAVIOR = {
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
    },
    "scaleUp": {"stabilizationWindowSeconds": 60, "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]},
}


def policy_text(
    ns: str, *, scaling: str = "enforce", predictive: str = "enforce", signal: str = "auto", extra: str = ""
) -> str:
    """The brief's backend-hpa (examples/policy/chatbot-dev.yaml) in namespace `ns`; `extra` goes under scaling."""
    return f"""
modes: {{scaling: {scaling}, predictive: {predictive}}}
scaling:
  hpas:
    - name: backend-hpa
      target: deployment/{BACKEND}
      namespace: {ns}
      minReplicas: 2
      maxReplicas: 10
      cpuUtilization: 70
      memoryUtilization: 80
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300
          policies: [{{type: Percent, value: 10, periodSeconds: 60}}]
        scaleUp:
          stabilizationWindowSeconds: 60
          policies: [{{type: Percent, value: 50, periodSeconds: 60}}]
  predictive:
    horizon: 10m
    interval: 1m
    minHistory: 1h
    signal: {signal}
{extra}"""


def deployment(name: str, *, cpu: str = "100m") -> dict[str, Any]:
    labels = {"app": name}
    container = {"name": "backend", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def foreign_hpa(name: str, target: str, *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": labels or {"team": "platform"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    }


async def eventually(check: Callable[[], bool], *, within: float = 10, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} not reached within {within} s")


@pytest.fixture
async def ns(kube: Kube, request: pytest.FixtureRequest) -> str:
    name = f"s{abs(hash(request.node.nodeid)) % 10**8}"
    await kube.create(NAMESPACES, {"metadata": {"name": name}})
    await kube.create(DEPLOYMENTS, deployment(BACKEND), namespace=name)
    return name


@dataclass
class Rig:
    """A scaler on informers of one namespace, with the policy and clock a test can change."""

    kube: Kube
    ns: str
    store: Store
    hpas: Informer
    deployments: Informer
    services: Informer
    clock: Clock
    policy: Policy
    said: list[str] = field(default_factory=list)
    scaler: Scaler | None = None

    def build(self) -> Scaler:
        executor = Executor(
            self.kube,
            self.store,
            clock=RealClock(),
            identity="kaido-0",
            is_leader=lambda: True,
            limiter=RateLimiter(global_limit=Limit(100, 60), per_workload=Limit(50, 60)),
            registry=CollectorRegistry(),
        )
        self.scaler = Scaler(
            hpas=self.hpas,
            deployments=self.deployments,
            pods=_Empty(PODS),
            store=self.store,
            executor=executor,
            clock=self.clock,
            policy=lambda: self.policy,
            is_leader=lambda: True,
            on_decision=self.said.append,
            services=self.services,
            hpa_interval=0.2,
        )
        return self.scaler

    async def live(self) -> dict[str, Any]:
        return await self.kube.get(HPAS, "backend-hpa", namespace=self.ns)

    async def cached(self, check: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Wait until the informer's copy of backend-hpa satisfies `check`."""

        def seen() -> bool:
            hpa = self.hpas.get("backend-hpa", self.ns)
            return hpa is not None and check(hpa)

        await eventually(seen, what=what)

    def actions(self, kind: str) -> list[Any]:
        return [r for r in self.store.list_actions(limit=100) if r.action == kind]


class _Empty:
    """A pod source with nothing in it: these tests read load from the store, not from pods."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return None

    def list(self) -> list[dict[str, Any]]:
        return []

    def subscribe(self, handler: Callable[[Any], Awaitable[None]], *, name: str) -> object:
        return None


@pytest.fixture
async def make_rig(kube: Kube, ns: str, store: Store) -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    tasks: list[asyncio.Task[None]] = []
    informers: list[Informer] = []

    async def make(*, clock: Clock | None = None, **modes: str) -> Rig:
        hpas = Informer(kube, HPAS, namespace=ns, clock=RealClock())
        deployments = Informer(kube, DEPLOYMENTS, namespace=ns, clock=RealClock())
        services = Informer(kube, SERVICES, namespace=ns, clock=RealClock())
        for informer in (hpas, deployments, services):
            informers.append(informer)
            tasks.append(asyncio.create_task(informer.run()))
            await informer.synced.wait()
        rig = Rig(
            kube,
            ns,
            store,
            hpas,
            deployments,
            services,
            clock or RealClock(),
            parse_policy(policy_text(ns, **modes), source="test"),
        )
        rig.build()
        return rig

    yield make
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for informer in informers:
        await informer.close()


# -- HPA management ------------------------------------------------------------------------------


async def test_creates_the_policy_hpa_with_the_brief_spec_and_kaido_label(
    make_rig: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await make_rig()
    assert rig.scaler is not None
    [decision] = await rig.scaler.reconcile_hpas()
    assert decision.outcome == "created", decision.explanation
    hpa = await rig.live()
    assert hpa["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kaido"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": BACKEND}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    for direction, rules in BEHAVIOR.items():
        assert spec["behavior"][direction]["stabilizationWindowSeconds"] == rules["stabilizationWindowSeconds"]
        assert spec["behavior"][direction]["policies"] == rules["policies"]
    [record] = rig.actions("ApplyHPA")
    assert record.state == "succeeded" and record.mode == "enforce"
    assert any("is missing; kaido creates it" in text for text in rig.said)
    # Once the cache has it, the server-defaulted HPA reads as in sync: nothing more is written.
    await rig.cached(lambda h: True, "the informer sees the created HPA")
    [again] = await rig.scaler.reconcile_hpas()
    assert again.outcome == "in-sync", again.explanation
    assert len(rig.actions("ApplyHPA")) == 1


async def test_manual_patch_of_max_replicas_is_corrected_and_audited(make_rig: Callable[..., Awaitable[Rig]]) -> None:
    rig = await make_rig()
    assert rig.scaler is not None
    await rig.scaler.reconcile_hpas()
    await rig.cached(lambda h: True, "the created HPA in the cache")
    await rig.kube.patch(HPAS, "backend-hpa", {"spec": {"maxReplicas": 5}}, namespace=rig.ns)  # kubectl patch
    await rig.cached(lambda h: h["spec"]["maxReplicas"] == 5, "the manual patch in the cache")
    [decision] = await rig.scaler.reconcile_hpas()
    assert decision.outcome == "corrected", decision.explanation
    assert f"HPA {rig.ns}/backend-hpa drifted: maxReplicas 5 (policy says 10)" in decision.explanation
    assert (await rig.live())["spec"]["maxReplicas"] == 10
    records = rig.actions("ApplyHPA")
    assert [r.state for r in records] == ["succeeded", "succeeded"]
    assert "maxReplicas 5 (policy says 10)" in records[0].reason  # newest first: the correction
    assert decision.action is not None and decision.action["key"] == records[0].key
    assert any("drifted" in text for text in rig.said)


async def test_hpas_kaido_did_not_create_are_never_modified_or_deleted(
    make_rig: Callable[..., Awaitable[Rig]], kube: Kube, ns: str
) -> None:
    await kube.create(HPAS, foreign_hpa("backend-hpa", BACKEND), namespace=ns)
    await kube.create(DEPLOYMENTS, deployment("worker"), namespace=ns)
    await kube.create(HPAS, foreign_hpa("worker-hpa", "worker"), namespace=ns)
    # One kaido made earlier that the policy no longer names: reported, never deleted.
    await kube.create(
        HPAS, foreign_hpa("old-hpa", "worker", labels={"app.kubernetes.io/managed-by": "kaido"}), namespace=ns
    )
    before = {h["metadata"]["name"]: h for h in (await kube.list(HPAS, namespace=ns)).items}
    rig = await make_rig()
    assert rig.scaler is not None
    await eventually(lambda: len(rig.hpas) == 3, what="three HPAs in the cache")
    for _ in range(2):
        decisions = {d.target: d for d in await rig.scaler.reconcile_hpas()}
    conflict = decisions[f"HorizontalPodAutoscaler {ns}/backend-hpa"]
    assert conflict.outcome == "conflict"
    assert "kaido did not create it" in conflict.explanation
    assert decisions[f"HorizontalPodAutoscaler {ns}/old-hpa"].outcome == "orphaned"
    after = {h["metadata"]["name"]: h for h in (await kube.list(HPAS, namespace=ns)).items}
    assert set(after) == set(before) == {"backend-hpa", "worker-hpa", "old-hpa"}
    for name, hpa in after.items():  # the simulator's HPA controller updates status; the rest is untouched
        assert hpa["spec"] == before[name]["spec"], name
        assert hpa["metadata"].get("labels") == before[name]["metadata"].get("labels"), name
        assert hpa["metadata"].get("annotations") == before[name]["metadata"].get("annotations"), name
    assert rig.store.list_actions(limit=10) == []
    # The predictive pass leaves a foreign HPA alone too.
    assert await rig.scaler.predict() == []
    assert [d["outcome"] for d in rig.scaler.decisions()].count("conflict") == 1


async def test_observe_mode_writes_nothing_and_recommend_only_dry_runs(
    make_rig: Callable[..., Awaitable[Rig]], kube: Kube, ns: str
) -> None:
    rig = await make_rig(scaling="observe")
    assert rig.scaler is not None
    [observed] = await rig.scaler.reconcile_hpas()
    assert observed.outcome == "missing"
    assert "observe mode: nothing changed" in observed.explanation
    assert rig.store.list_actions(limit=10) == []
    rig.policy = parse_policy(policy_text(ns, scaling="recommend"), source="test")
    [recommended] = await rig.scaler.reconcile_hpas()
    assert recommended.outcome == "recommended", recommended.explanation
    [record] = rig.actions("ApplyHPA")
    assert record.state == "dry-run"
    assert (await kube.list(HPAS, namespace=ns)).items == []


async def test_run_creates_the_hpa_and_corrects_drift_when_the_informer_reports_it(
    make_rig: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await make_rig()
    assert rig.scaler is not None
    rig.scaler.hpa_interval = 30.0  # only an HPA change can wake the loop in time
    task = asyncio.create_task(rig.scaler.run())
    try:
        await rig.cached(lambda h: h["spec"]["maxReplicas"] == 10, "the HPA created by run()")
        await rig.kube.patch(HPAS, "backend-hpa", {"spec": {"maxReplicas": 4}}, namespace=rig.ns)
        # The watch event wakes the loop long before its 30 s interval; the correction is the second write.
        await eventually(lambda: len(rig.actions("ApplyHPA")) == 2, what="the correction in the audit log")
        await rig.cached(lambda h: h["spec"]["maxReplicas"] == 10, "the corrected HPA in the cache")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert "maxReplicas 4 (policy says 10)" in rig.actions("ApplyHPA")[0].reason


# -- predictive scaling --------------------------------------------------------------------------

# Midnight five days ago: the store keeps 5-minute rollups for a week back from the real clock.
DAY0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=5)
PODS_OF_BACKEND = (f"{BACKEND}-6d4cf56db6-abcde", f"{BACKEND}-6d4cf56db6-fghij")


def daily_peak(at: datetime) -> float:
    """CPU cores of the whole workload: 0.05 all day, 0.45 from 14:00 to 15:00."""
    return 0.45 if 14 <= at.hour < 15 else 0.05


async def write_history(
    store: Store, ns: str, load: Callable[[datetime], float], *, start: datetime, end: datetime
) -> None:
    """One sample a minute per pod, the load split evenly over two pods, with 3% seeded noise."""
    rng = random.Random(5)
    samples = []
    at = start
    while at <= end:
        for pod in PODS_OF_BACKEND:
            value = load(at) / len(PODS_OF_BACKEND) * (1 + rng.uniform(-0.03, 0.03))
            labels = (("container", "backend"), ("namespace", ns), ("pod", pod))
            samples.append(Sample("pod_cpu_cores", labels, at, value))
        at += timedelta(minutes=1)
    await store.add_samples(samples)
    await store.flush()


async def managed_hpa(rig: Rig) -> None:
    assert rig.scaler is not None
    [created] = await rig.scaler.reconcile_hpas()
    assert created.outcome == "created", created.explanation
    await rig.cached(lambda h: True, "the managed HPA in the cache")


async def test_predictive_raises_min_replicas_ahead_of_the_daily_peak_and_lowers_it_after(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, daily_peak, start=DAY0, end=DAY0 + timedelta(days=3, hours=16))
    rig = await make_rig(clock=clock)
    assert rig.scaler is not None
    await managed_hpa(rig)

    [raised] = await rig.scaler.predict()
    assert raised.outcome == "raised", raised.explanation
    # The 5-minute bucket ending 14:02 is mostly peak: its forecast is well above today's 0.05 cores.
    assert re.search(r"predicted 0\.[3-5]\d* CPU cores at 14:0\d ± ", raised.explanation), raised.explanation
    assert "CPU cores per pod at 70% CPU" in raised.explanation
    assert "minReplicas 2 → 6" in raised.explanation  # 7 needed, at most +4 at once
    assert (await rig.live())["spec"]["minReplicas"] == 6
    [record] = rig.actions("SetHPAMinReplicas")
    assert record.state == "succeeded" and record.params["min_replicas"] == 6
    await rig.cached(lambda h: h["spec"].get("minReplicas") == 6, "the raise in the cache")
    # Drift correction compares with the raise, not with the policy's 2: the passes do not fight.
    [hpa_pass] = await rig.scaler.reconcile_hpas()
    assert hpa_pass.outcome == "in-sync", hpa_pass.explanation
    # A restarted agent recognises its raise from the annotation and the audit log, and keeps it.
    restarted = rig.build()
    [after_restart] = await restarted.reconcile_hpas()
    assert after_restart.outcome == "in-sync", after_restart.explanation

    await clock.run_for(timedelta(hours=1, minutes=33).total_seconds())  # 15:25, the peak is over
    [lowered] = await restarted.predict()
    assert lowered.outcome == "lowered", lowered.explanation
    assert "minReplicas 6 → 2" in lowered.explanation
    assert (await rig.live())["spec"]["minReplicas"] == 2
    assert [r.params["min_replicas"] for r in rig.actions("SetHPAMinReplicas")] == [2, 6]
    assert any("minReplicas 2 → 6" in text for text in rig.said)


async def test_flat_load_changes_nothing(make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, lambda at: 0.1, start=DAY0, end=clock.now())
    rig = await make_rig(clock=clock)
    assert rig.scaler is not None
    await managed_hpa(rig)
    for _ in range(3):
        [decision] = await rig.scaler.predict()
        assert decision.outcome == "held", decision.explanation
        assert "minReplicas 2 → 2" in decision.explanation
        await clock.run_for(60)
    assert rig.actions("SetHPAMinReplicas") == []


async def test_unreliable_forecast_falls_back_to_the_plain_hpa(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(hours=10))
    await write_history(store, ns, daily_peak, start=clock.now() - timedelta(minutes=20), end=clock.now())
    rig = await make_rig(clock=clock)
    assert rig.scaler is not None
    await managed_hpa(rig)
    [decision] = await rig.scaler.predict()
    assert decision.outcome == "fallback"
    assert "not enough history" in decision.explanation
    assert "falling back to the plain HPA" in decision.explanation
    assert rig.actions("SetHPAMinReplicas") == []
    assert (await rig.live())["spec"]["minReplicas"] == 2
    assert any("falling back" in text for text in rig.said)


async def test_predictive_observe_and_recommend_do_not_change_the_hpa(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, daily_peak, start=DAY0, end=clock.now())
    rig = await make_rig(clock=clock, predictive="observe")
    assert rig.scaler is not None
    await managed_hpa(rig)
    [observed] = await rig.scaler.predict()
    assert observed.outcome == "observed" and "minReplicas 2 → 6" in observed.explanation
    assert rig.actions("SetHPAMinReplicas") == []
    rig.policy = parse_policy(policy_text(ns, predictive="recommend"), source="test")
    [recommended] = await rig.scaler.predict()
    assert recommended.outcome == "recommended", recommended.explanation
    assert [r.state for r in rig.actions("SetHPAMinReplicas")] == ["dry-run"]
    assert (await rig.live())["spec"]["minReplicas"] == 2


# -- the load signal: request rate when there is history of it, else CPU -----------------------------

SERVICE = "backend-service"
RPS_PER_CORE = 1000.0  # the synthetic request rate: 50 rps all day, 450 rps at the daily peak


def backend_service(name: str = SERVICE) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": BACKEND}, "ports": [{"port": 80, "targetPort": 8000}]},
    }


async def write_request_rates(
    store: Store, ns: str, load: Callable[[datetime], float], *, start: datetime, end: datetime, service: str = SERVICE
) -> None:
    """One request-rate sample a minute, as the collector stores it, tracking `load` with 3% seeded noise."""
    rng = random.Random(11)
    labels = (("namespace", ns), ("service", service))
    samples = []
    at = start
    while at <= end:
        samples.append(
            Sample("service_requests_per_second", labels, at, load(at) * RPS_PER_CORE * (1 + rng.uniform(-0.03, 0.03)))
        )
        at += timedelta(minutes=1)
    await store.add_samples(samples)
    await store.flush()


async def with_service(rig: Rig, kube: Kube, name: str = SERVICE) -> None:
    await kube.create(SERVICES, backend_service(name), namespace=rig.ns)
    await eventually(lambda: rig.services.get(name, rig.ns) is not None, what="the Service in the cache")


async def test_the_request_rate_is_the_load_signal_when_its_history_exists(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, kube: Kube, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, daily_peak, start=DAY0, end=clock.now())
    await write_request_rates(store, ns, daily_peak, start=DAY0, end=clock.now())
    rig = await make_rig(clock=clock)
    assert rig.scaler is not None
    await with_service(rig, kube)  # found by its selector: the policy names no service
    await managed_hpa(rig)
    [raised] = await rig.scaler.predict()
    assert raised.outcome == "raised", raised.explanation
    # 450 rps at the peak on pods that are at 70 % CPU with 70 rps each.
    assert re.search(r"predicted [3-5]\d\d rps at 14:0\d ± \d+; 7\d rps per pod at 70% CPU", raised.explanation), (
        raised.explanation
    )
    assert "minReplicas 2 → 6" in raised.explanation
    assert f"using the request rate of service {ns}/{SERVICE}" in raised.explanation
    assert (await rig.live())["spec"]["minReplicas"] == 6
    assert any("rps" in text for text in rig.said)


async def test_without_request_rate_history_the_scaler_says_it_uses_cpu(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, kube: Kube, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, daily_peak, start=DAY0, end=clock.now())
    rig = await make_rig(clock=clock, predictive="observe")
    assert rig.scaler is not None
    await with_service(rig, kube)
    await managed_hpa(rig)
    [decision] = await rig.scaler.predict()
    assert "CPU cores at 14:0" in decision.explanation and "rps" not in decision.explanation
    assert f"no request-rate history for service {ns}/{SERVICE}; using CPU" in decision.explanation
    assert "minReplicas 2 → 6" in decision.explanation
    # Request-rate history of another Service does not count for this workload.
    await write_request_rates(store, ns, daily_peak, start=DAY0, end=clock.now(), service="other")
    [again] = await rig.scaler.predict()
    assert f"no request-rate history for service {ns}/{SERVICE}; using CPU" in again.explanation
    # Unless the policy names that Service; and `signal: cpu` ignores request rates altogether.
    named = f"  workloads: []\n  hpas:\n    - {{name: backend-hpa, target: deployment/{BACKEND}, namespace: {ns}, "
    named += "minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, service: other}"
    rig.policy = parse_policy(
        f"modes: {{predictive: observe}}\nscaling:\n{named}\n  predictive: {{minHistory: 1h}}", source="test"
    )
    [by_name] = await rig.scaler.predict()
    assert f"using the request rate of service {ns}/other" in by_name.explanation, by_name.explanation
    assert " rps at 14:0" in by_name.explanation
    rig.policy = parse_policy(policy_text(ns, predictive="observe", signal="cpu"), source="test")
    [forced] = await rig.scaler.predict()
    assert "using CPU (signal: cpu in the policy)" in forced.explanation
    assert "CPU cores at 14:0" in forced.explanation


async def test_signal_requests_without_a_service_falls_back_and_says_why(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    clock = ManualClock(DAY0 + timedelta(days=3, hours=13, minutes=52))
    await write_history(store, ns, daily_peak, start=DAY0, end=clock.now())
    rig = await make_rig(clock=clock, signal="requests")
    assert rig.scaler is not None
    await managed_hpa(rig)
    [decision] = await rig.scaler.predict()
    assert decision.outcome == "fallback", decision.explanation
    assert f"no Service selects the pods of deployment {ns}/{BACKEND}" in decision.explanation
    assert "falling back to the plain HPA" in decision.explanation
    assert rig.actions("SetHPAMinReplicas") == []


def test_an_existing_hpa_is_adopted_only_when_the_policy_says_so() -> None:
    from kaido.config.scaling import HPASpec
    from kaido.controllers.hpas import plan_hpa

    foreign = {
        "metadata": {"name": "backend-hpa", "namespace": "chatbot-dev", "labels": {}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "backend-deployment"}},
    }
    fields = {
        "name": "backend-hpa",
        "target": "deployment/backend-deployment",
        "namespace": "chatbot-dev",
        "cpuUtilization": 70,
    }
    left_alone = plan_hpa(HPASpec.model_validate({**fields, "maxReplicas": 10}), [foreign], min_replicas=2)
    assert left_alone.kind == "conflict" and "adopt: true" in left_alone.conflict
    adopted = plan_hpa(HPASpec.model_validate({**fields, "maxReplicas": 10, "adopt": True}), [foreign], min_replicas=2)
    assert adopted.kind == "correct"
