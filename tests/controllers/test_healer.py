"""The healer against simulated clusters: the right action (or the deliberate non-action) per cause class.

Each test runs `kaido sim` in its own thread over TCP on a manual clock, and the healer with a real
client, informers, executor and store, on the simulator's virtual time. A test moves the
simulator's clock, waits until the informers have caught up with the simulator's store, and lets
the healer evaluate, so an hour of the chatbot-dev scenario or a whole healing ladder takes seconds
and every step is deterministic.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from kaido.config import HealingSettings, Modes, Policy
from kaido.core import ManualClock
from kaido.core.refs import ObjectRef
from kaido.kube.client import Kube
from kaido.kube.informer import Informers
from kaido.kube.resources import DEPLOYMENTS, EVENTS, NAMESPACES, NODES, PODS, REPLICASETS
from kaido.remediate.executor import Executor
from kaido.remediate.planning import Transition
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.store import IncidentRecord, Store
from tests.support.sim import SimThread

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_WATCHED = {"pods": ("", PODS), "replicasets": ("apps", REPLICASETS), "deployments": ("apps", DEPLOYMENTS)}


class SimTime:
    """The simulator's virtual clock, read from the test's thread: the healer's and the executor's clock."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    async def sleep(self, seconds: float) -> None:
        until = self.monotonic() + seconds
        while self.monotonic() < until:  # noqa: ASYNC110 - the simulator's thread moves this clock
            await asyncio.sleep(0.005)


class EventTime(SimTime):
    """Virtual time for the client's Event timestamps, a microsecond apart: an Event's name is its object's
    name and its time, and the frozen virtual clock would give two Events of one pass the same name."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self._ticks = itertools.count()

    def now(self) -> datetime:
        return super().now() + timedelta(microseconds=next(self._ticks))


@dataclass
class Agent:
    """The healer and what it is wired to; `incidents` and `storms` collect what it reported."""

    healer: Any
    executor: Executor
    registry: CollectorRegistry
    incidents: list[tuple[IncidentRecord, Transition]] = field(default_factory=list)
    storms: list[Transition] = field(default_factory=list)

    def said(self, kind: str) -> list[tuple[IncidentRecord, Transition]]:
        return [(r, t) for r, t in self.incidents if t.kind == kind]

    def metric(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


@dataclass
class Harness:
    sim: SimThread
    kube: Kube
    informers: Informers
    store: Store
    clock: SimTime
    settings: dict[str, Policy]

    def agent(self, *, leader: bool = True) -> Agent:
        """A fresh healer and executor on the same store and caches, as after an agent restart."""
        from kaido.controllers.healer import Healer

        registry = CollectorRegistry()
        executor = Executor(
            self.kube,
            self.store,
            clock=self.clock,
            identity="kaido-test",
            is_leader=lambda: leader,
            limiter=RateLimiter(global_limit=Limit(100, 60), per_workload=Limit(50, 60)),
            registry=registry,
        )
        agent = Agent(healer=None, executor=executor, registry=registry)
        sources = {name: self.informers.add(res) for name, (_, res) in _WATCHED.items()}
        agent.healer = Healer(
            kube=self.kube,
            informers={**sources, "events": self.informers.add(EVENTS), "nodes": self.informers.add(NODES)},
            executor=executor,
            store=self.store,
            clock=self.clock,
            policy=lambda: self.settings["policy"],
            is_leader=lambda: leader,
            registry=registry,
            on_incident=lambda record, t: agent.incidents.append((record, t)),
            on_storm=agent.storms.append,
            synced=lambda: self.informers.synced,
            identity="kaido-test",
        )
        return agent

    def advance(self, seconds: float, *, step: float = 1.0) -> None:
        """Move the simulator's clock, reconciling at every step, in its own thread."""
        clock, runtime = self.sim.cluster.clock, self.sim._runtime
        assert isinstance(clock, ManualClock) and runtime is not None

        def run() -> None:
            for _ in range(round(seconds / step)):
                clock.advance(step)
                runtime.reconcile()

        self.sim.call(run)

    async def caught_up(self) -> None:
        """Wait until the informers hold exactly what the simulator's store holds."""

        def versions() -> dict[tuple[str, str, str], str]:
            out = {}
            for plural, (group, _) in _WATCHED.items():
                for obj in self.sim.cluster.store.list_objects(builtin(group, "v1", plural), None):
                    meta = obj["metadata"]
                    out[(plural, meta.get("namespace") or "", meta["name"])] = meta["resourceVersion"]
            return out

        want = self.sim.call(versions)
        deadline = time.monotonic() + 10
        while True:
            have = {
                (i.resource.plural, o["metadata"].get("namespace") or "", o["metadata"]["name"]): o["metadata"][
                    "resourceVersion"
                ]
                for i in self.informers
                if i.resource.plural in _WATCHED
                for o in i.list()
            }
            if have == want:
                return
            assert time.monotonic() < deadline, "the informers did not catch up with the simulator"
            await asyncio.sleep(0.01)

    async def run_for(self, agent: Agent, seconds: float, *, every: float = 2.0) -> None:
        """`seconds` of virtual time, the healer evaluating every `every` seconds of it."""
        for _ in range(round(seconds / every)):
            self.advance(every)
            await self.caught_up()
            await agent.healer.evaluate()

    def actions(self) -> list[tuple[str, str, str]]:
        """(action, target, state) of the audit log, oldest first."""
        return [(r.action, r.target, r.state) for r in reversed(self.store.list_actions(limit=100))]

    async def create(self, ns: str, *bodies: dict[str, Any]) -> None:
        await self.kube.create(NAMESPACES, {"metadata": {"name": ns}})
        for body in bodies:
            await self.kube.create(DEPLOYMENTS, body, namespace=ns)


def policy(**healing: Any) -> Policy:
    modes = healing.pop("modes", {})
    return Policy(healing=HealingSettings(**{"verify_period": 30.0, **healing}), modes=Modes(**modes))


def crasher(name: str, *, replicas: int = 2, script: str = "sleep 5 && exit 1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", script]}]},
            },
        },
    }


@pytest.fixture
def make_harness(tmp_path: Path) -> Callable[..., Any]:
    async def make(*, scenario: str | None = None, settings: Policy | None = None) -> Harness:
        cluster = SimCluster(clock=ManualClock(START), seed=5)
        path = SCENARIOS / f"{scenario}.yaml" if scenario else None
        sim = SimThread(kubeconfig=tmp_path / "kubeconfig", cluster=cluster, runtime=True, scenario=path).start()
        clock = SimTime(cluster.clock)
        kube = await Kube.connect(kubeconfig=sim.kubeconfig, timeout=10, clock=EventTime(cluster.clock))
        informers = Informers(kube, clock=clock)
        for _, res in _WATCHED.values():
            informers.add(res)
        informers.add(EVENTS)  # sharpens the diagnosis (mount failures, probes, clean previous revisions)
        informers.add(NODES)
        store = await Store.open(tmp_path / "kaido.db", clock=clock)
        await informers.start()
        assert await informers.wait_synced(10)
        return Harness(sim, kube, informers, store, clock, {"policy": settings or policy()})

    return make  # torn down by `harness_factory`, in the test's loop


@pytest.fixture
async def harness_factory(make_harness: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    made: list[Harness] = []

    async def make(**kwargs: Any) -> Harness:
        harness = await make_harness(**kwargs)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.informers.stop()
        await harness.store.close()
        await harness.kube.close()
        harness.sim.stop()


async def kaido_events(h: Harness, ns: str, name: str) -> list[str]:
    listed = await h.kube.list(EVENTS, namespace=ns, field_selector=f"involvedObject.name={name}")
    return [e["reason"] for e in listed.items if e.get("reportingComponent") == "kaido.io/agent"]


# ----- chatbot-dev: a crash-looping bare pod and a bad backend release ------------------------------------


async def test_chatbot_dev_rolls_back_the_bad_release_and_leaves_the_bare_pod_alone(harness_factory) -> None:
    h = await harness_factory(scenario="chatbot-dev")
    agent = h.agent()
    await agent.healer.start()
    await h.run_for(agent, 60, every=5)
    pod = ObjectRef("Pod", "test-crash-loop", "chatbot-dev")
    [(record, escalated)] = agent.said("escalated")
    assert record.target == str(pod) and record.cause == "crash-loop" and record.outcome == "escalated"
    assert "the pod has no controller: deleting it would remove it for good" in escalated.message
    assert h.actions() == []  # the deliberate non-action

    h.advance(3600 - 60, step=5)  # the bad backend release lands at 1 h
    await h.caught_up()
    await h.run_for(agent, 90, every=3)
    backend = ObjectRef("Deployment", "backend-deployment", "chatbot-dev")
    [rollback] = [a for a in h.actions() if a[0] == "Rollback"]
    assert rollback == ("Rollback", str(backend), "succeeded")
    deployment = await h.kube.get(DEPLOYMENTS, "backend-deployment", namespace="chatbot-dev")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "chatbot/backend:1.4.2"

    [incident] = [i for i in h.store.list_incidents() if i.target == str(backend)]
    assert (incident.cause, incident.outcome) == ("bad-release", "resolved")
    assert incident.first_action_at is not None and incident.resolved_at is not None
    assert incident.detected_at <= incident.first_action_at < incident.resolved_at
    assert incident.resolved_at - incident.first_action_at >= timedelta(seconds=30)  # verified for the period
    assert [t.kind for r, t in agent.incidents if r.id == incident.id] == ["detected", "acted", "resolved"]
    assert set(await kaido_events(h, "chatbot-dev", "backend-deployment")) == {
        "IncidentDetected",
        "Rollback",
        "IncidentResolved",
    }
    assert agent.metric("kaido_incidents_total", cause="bad-release", outcome="resolved") == 1
    assert agent.metric("kaido_incidents_total", cause="crash-loop", outcome="escalated") == 1
    assert agent.metric("kaido_incidents_open") == 1  # the bare pod's circuit stays open
    served = agent.healer.incidents(limit=10)
    assert {i["id"] for i in served} == {incident.id, record.id}
    assert next(i for i in served if i["id"] == record.id)["phase"] == "escalated"


# ----- a transient crash: the whole ladder, across an agent restart ----------------------------------------


async def test_a_crash_loop_climbs_the_ladder_once_across_a_restart_then_stops(harness_factory) -> None:
    h = await harness_factory()
    await h.create("heal", crasher("worker"))
    first = h.agent()
    await first.healer.start()
    await h.run_for(first, 30, every=2)
    assert [a[0] for a in h.actions()] == ["RestartPod"]

    # the agent restarts during verification, and as if it had stopped between claiming the action in
    # the audit log and saving the incident: the new one finds the action by its incident id
    [row] = h.store.list_incidents()
    await h.store.save_incident(replace(row, actions=[]))
    second = h.agent()
    await second.healer.start()
    workload = ObjectRef("Deployment", "worker", "heal")
    assert second.healer.episode(workload).phase == "verifying"
    await h.run_for(second, 150, every=2)
    assert h.actions() == [
        ("RestartPod", h.actions()[0][1], "succeeded"),
        ("RolloutRestart", str(workload), "succeeded"),
        ("Scale", str(workload), "succeeded"),
        ("Scale", str(workload), "succeeded"),
    ]
    [(record, escalated)] = second.said("escalated")
    assert escalated.severity == "critical" and record.outcome == "escalated"
    assert len(record.actions) == 4 and len(set(record.actions)) == 4
    deployment = await h.kube.get(DEPLOYMENTS, "worker", namespace="heal")
    assert deployment["spec"]["replicas"] == 2  # scale-down-up put the count back

    await h.run_for(second, 60, every=5)  # the circuit is open
    assert len(h.actions()) == 4

    # a person re-arms it: a new incident, a new ladder
    assert await second.healer.rearm(workload, by="test") is not None
    await h.run_for(second, 4, every=2)
    assert [a[0] for a in h.actions()] == ["RestartPod", "RolloutRestart", "Scale", "Scale", "RestartPod"]
    assert len({i.id for i in h.store.list_incidents()}) == 2


async def test_a_person_fixing_an_escalated_workload_closes_its_incident(harness_factory) -> None:
    h = await harness_factory(settings=policy(ladder=["restart-pod"]))
    await h.create("fixed", crasher("api", replicas=1))
    agent = h.agent()
    await agent.healer.start()
    await h.run_for(agent, 60, every=2)
    assert [t.kind for _, t in agent.incidents] == ["detected", "acted", "escalated"]
    fixed = {"spec": {"template": {"spec": {"containers": [{"name": "main", "command": ["sh", "-c", "sleep 3600"]}]}}}}
    await h.kube.patch(DEPLOYMENTS, "api", fixed, namespace="fixed", patch_type="strategic")
    await h.run_for(agent, 60, every=2)
    [incident] = h.store.list_incidents()
    assert incident.outcome == "escalated" and incident.resolved_at is not None
    assert agent.said("resolved")[0][1].message.startswith("deployment fixed/api is healthy again")
    assert agent.metric("kaido_incidents_open") == 0


# ----- OOM kills ----------------------------------------------------------------------------------------------


async def test_an_oom_kill_raises_the_memory_limit_when_allowed(harness_factory) -> None:
    h = await harness_factory(settings=policy(allow_resource_changes=True))
    leak = crasher("cache", replicas=1)
    container = leak["spec"]["template"]["spec"]["containers"][0]
    container.pop("command")
    container |= {"image": "kaido/leak:1.0", "resources": {"limits": {"memory": "40Mi"}}}
    await h.create("oom", leak)
    agent = h.agent()
    await agent.healer.start()
    await h.run_for(agent, 30, every=2)
    [record] = h.store.list_actions()
    assert (record.action, record.state) == ("PatchResources", "succeeded")
    assert record.params["limits"] == {"memory": "60Mi"} and record.params["container"] == "main"
    deployment = await h.kube.get(DEPLOYMENTS, "cache", namespace="oom")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"memory": "60Mi"}


# ----- causes no restart can help ----------------------------------------------------------------------------


FAILURES = {
    "config": {
        "Pod failures/env-from-missing-configmap": "missing-config",
        "Pod failures/volume-from-missing-configmap": "missing-config",
    },
    "image-pull": {"Deployment failures/web": "image-pull"},
    "quota": {"Deployment failures/web": "quota-exceeded"},
    "scheduling": {"Pod failures/trainer": "unschedulable-resources"},
    "storage": {"Pod failures/database": "mount-failure"},
}


@pytest.mark.parametrize("scenario", sorted(FAILURES))
async def test_failures_a_restart_cannot_help_are_escalated_with_the_fix_and_nothing_is_done(
    harness_factory, scenario: str
) -> None:
    h = await harness_factory(scenario=scenario)
    agent = h.agent()
    await agent.healer.start()
    await h.run_for(agent, 90, every=5)
    assert h.actions() == []
    assert {i.target: (i.cause, i.outcome) for i in h.store.list_incidents()} == {
        target: (cause, "escalated") for target, cause in FAILURES[scenario].items()
    }
    last = {r.target: t for r, t in agent.said("escalated")}  # a vague first diagnosis may be refined
    for target, cause in FAILURES[scenario].items():
        message = last[target].message
        assert "no automatic fix: a restart cannot help with this cause" in message
        assert f"Diagnosis ({cause})" in message and "Suggested fix: " in message


# ----- observe mode and the storm guard --------------------------------------------------------------------


async def test_observe_mode_never_writes(harness_factory) -> None:
    h = await harness_factory(settings=policy(modes={"healing": "observe"}))
    await h.create("watch", crasher("worker"))
    await h.run_for(h.agent(), 4)  # pods exist
    before = await h.kube.get(DEPLOYMENTS, "worker", namespace="watch")
    pods = {p["metadata"]["uid"] for p in (await h.kube.list(PODS, namespace="watch")).items}
    agent = h.agent()
    await agent.healer.start()
    await h.run_for(agent, 120, every=2)
    assert h.actions() == []
    after = await h.kube.get(DEPLOYMENTS, "worker", namespace="watch")
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"] == before["spec"] and after["metadata"].get("annotations") == before["metadata"].get(
        "annotations"
    )
    assert {p["metadata"]["uid"] for p in (await h.kube.list(PODS, namespace="watch")).items} == pods
    [(record, said)] = agent.said("recommended")
    assert record.outcome == "open" and said.message.startswith("deployment watch/worker: observe mode: would restart")


async def test_the_storm_guard_holds_until_few_workloads_fail(harness_factory) -> None:
    h = await harness_factory(settings=policy(storm_threshold=2))
    await h.create("storm", *(crasher(f"w{i}", replicas=1) for i in range(3)))
    agent = h.agent()
    await agent.healer.start()
    # first look once all three crash: image pulls take their own time, and failures that come one by
    # one are healed one by one until the count passes the threshold
    await h.run_for(agent, 40, every=20)
    assert h.actions() == []
    [started] = agent.storms
    assert started.message.startswith("storm guard: 3 workloads are failing at once (healing.stormThreshold 2)")
    assert len(agent.said("detected")) == 3 and len(agent.said("held")) == 3
    assert agent.metric("kaido_healing_storm") == 1

    for name in ("w0", "w1"):
        await h.kube.delete(DEPLOYMENTS, name, namespace="storm")
    await h.run_for(agent, 70, every=2)
    assert agent.storms[-1].message.startswith("storm over")
    assert [(a[0], a[2]) for a in h.actions()] == [("RestartPod", "succeeded")]
    assert h.actions()[0][1].startswith("Pod storm/w2-")


# ----- detection latency ------------------------------------------------------------------------------------


async def test_a_failure_is_detected_within_two_seconds_of_the_status_change(harness_factory) -> None:
    h = await harness_factory(settings=policy(modes={"healing": "observe"}))
    agent = h.agent()
    await agent.healer.start()
    task = asyncio.create_task(agent.healer.run())
    try:
        bad = crasher("typo")
        bad["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:no-such-tag"
        await h.create("late", bad)
        changed_at = None
        for _ in range(120):
            h.advance(0.5, step=0.5)
            await asyncio.sleep(0.05)
            if changed_at is None:
                changed_at = h.sim.call(lambda: _first_waiting(h.sim, "late"))
            if agent.said("detected"):
                break
        [(record, _)] = agent.said("detected")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert record.cause == "image-pull" and changed_at is not None
    assert record.detected_at - changed_at <= timedelta(seconds=2)


def _first_waiting(sim: SimThread, ns: str) -> datetime | None:
    """The virtual time if a pod of `ns` now shows a waiting container, else None."""
    for pod in sim.cluster.store.list_objects(builtin("", "v1", "pods"), ns):
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            if "waiting" in (status.get("state") or {}) and (status["state"]["waiting"] or {}).get("reason"):
                return sim.cluster.clock.now()
    return None
