"""Scenario files under examples/scenarios reach the state a real cluster shows, on virtual time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.scenario import RunningScenario, Scenario, ScenarioError
from kaido.sim.store import Obj

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")
CLAIMS = builtin("", "v1", "persistentvolumeclaims")
DEPLOYMENTS = builtin("apps", "v1", "deployments")
REPLICASETS = builtin("apps", "v1", "replicasets")
NS = "failures"


def start(name: str, *, tick: float = 1.0) -> tuple[SimCluster, RunningScenario]:
    cluster = SimCluster(clock=ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)), seed=7)
    return cluster, Scenario.from_file(SCENARIOS / f"{name}.yaml").start(cluster, tick=tick)


def pod(cluster: SimCluster, name: str, namespace: str = NS) -> Obj:
    return cluster.store.get(PODS, namespace, name)


def waiting(item: Obj) -> dict[str, Any]:
    return dict(item["status"]["containerStatuses"][0]["state"].get("waiting") or {})


def events(cluster: SimCluster, name: str, namespace: str = NS) -> list[tuple[str, str]]:
    return [
        (e["reason"], e["message"])
        for e in cluster.store.list_objects(EVENTS, namespace)
        if e["involvedObject"]["name"] == name
    ]


def condition(item: Obj, kind: str) -> dict[str, Any]:
    return next(c for c in item["status"].get("conditions") or [] if c["type"] == kind)


async def test_image_pull_backs_off() -> None:
    cluster, running = start("image-pull")
    await running.runtime.advance(60)
    (item,) = cluster.store.list_objects(PODS, NS)
    assert item["status"]["phase"] == "Pending"
    assert waiting(item)["reason"] == "ImagePullBackOff"
    seen = events(cluster, item["metadata"]["name"])
    assert ("Failed", "Error: ErrImagePull") in seen
    assert any(
        reason == "Failed" and "nginx:1.27-no-such-tag" in message and "not found" in message
        for reason, message in seen
    )
    assert not any(reason == "FailedScheduling" for reason, _ in seen)  # nodes were Ready before the pods


async def test_missing_configmap_in_env_and_in_a_volume() -> None:
    cluster, running = start("config")
    await running.runtime.advance(30)
    env = pod(cluster, "env-from-missing-configmap")
    assert env["status"]["phase"] == "Pending"
    assert waiting(env) == {"reason": "CreateContainerConfigError", "message": 'configmap "app-config" not found'}
    volume = pod(cluster, "volume-from-missing-configmap")
    assert waiting(volume)["reason"] == "ContainerCreating"
    assert (
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "app-settings" not found',
    ) in events(cluster, "volume-from-missing-configmap")


async def test_a_gpu_request_cannot_be_scheduled() -> None:
    cluster, running = start("scheduling")
    await running.runtime.advance(10)
    item = pod(cluster, "trainer")
    scheduled = condition(item, "PodScheduled")
    assert item["status"]["phase"] == "Pending"
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert scheduled["message"].startswith("0/2 nodes are available: 2 Insufficient nvidia.com/gpu.")
    assert [reason for reason, _ in events(cluster, "trainer")] == ["FailedScheduling"]


async def test_a_resource_quota_blocks_the_replicaset() -> None:
    cluster, running = start("quota")
    await running.runtime.advance(30)
    (replicaset,) = cluster.store.list_objects(REPLICASETS, NS)
    assert replicaset["status"]["replicas"] == 2
    assert len(cluster.store.list_objects(PODS, NS)) == 2
    assert any(
        reason == "FailedCreate" and "exceeded quota: pod-limit, requested: pods=1, used: pods=2, limited: pods=2" in m
        for reason, m in events(cluster, replicaset["metadata"]["name"])
    )


async def test_an_unknown_storage_class_leaves_the_claim_pending() -> None:
    cluster, running = start("storage")
    await running.runtime.advance(30)
    assert cluster.store.get(CLAIMS, NS, "data")["status"]["phase"] == "Pending"
    assert ("ProvisioningFailed", 'storageclass.storage.k8s.io "fast-ssd" not found') in events(cluster, "data")
    scheduled = condition(pod(cluster, "database"), "PodScheduled")
    assert scheduled["reason"] == "Unschedulable"
    assert "pod has unbound immediate PersistentVolumeClaims" in scheduled["message"]


def available(cluster: SimCluster) -> dict[str, tuple[int, int]]:
    return {
        d["metadata"]["name"]: (d["spec"]["replicas"], d["status"].get("availableReplicas", 0))
        for d in cluster.store.list_objects(DEPLOYMENTS, "chatbot-dev")
    }


async def test_chatbot_dev_scales_on_the_spike_and_the_bad_release_crash_loops() -> None:
    cluster, running = start("chatbot-dev", tick=5.0)
    runtime, ns = running.runtime, "chatbot-dev"
    await runtime.advance(10 * 60)
    assert available(cluster) == {
        "agent-deployment": (1, 1),
        "backend-deployment": (2, 2),
        "frontend-deployment": (2, 2),
        "mcp-deployment": (1, 1),
    }
    assert waiting(pod(cluster, "test-crash-loop", ns))["reason"] == "CrashLoopBackOff"
    await runtime.advance(15 * 60)  # the spike starts at 20m
    replicas, ready = available(cluster)["backend-deployment"]
    assert replicas > 2 and ready == replicas
    assert any(reason == "SuccessfulRescale" for reason, _ in events(cluster, "backend-hpa", ns))
    await runtime.advance(40 * 60)  # the bad release lands at 1h
    ((event, error),) = running.timeline.done
    assert event.describe() == "patch Deployment chatbot-dev/backend-deployment at +3600s"
    assert error is None
    bad = [
        p
        for p in cluster.store.list_objects(PODS, ns)
        if p["spec"]["containers"][0]["image"] == "chatbot/backend:1.5.0-bad"
    ]
    assert bad and all(waiting(p).get("reason") == "CrashLoopBackOff" for p in bad)
    assert available(cluster)["backend-deployment"][1] >= 2  # the rollout keeps the old pods serving


def test_unknown_keys_are_errors_naming_their_path() -> None:
    text = (
        "apiVersion: kaido.io/v1alpha1\nkind: Scenario\nspec:\n  traffic:\n"
        "    - service: api\n      profile: {constant: 5, spkie: {start: 1, duration: 2}}\n"
    )
    with pytest.raises(ScenarioError, match=r"^s.yaml: spec.traffic\[0\].profile.spkie: unknown field"):
        Scenario.from_text(text, source="s.yaml")
    timeline = text.partition("spec:")[0] + "spec:\n  timeline: [{at: 3 days, delete: {kind: Pod, name: x}}]\n"
    with pytest.raises(ScenarioError, match=r"spec.timeline\[0\].at: '3 days' is not a duration"):
        Scenario.from_text(timeline, source="s.yaml")


async def test_the_same_seed_replays_the_same_cluster() -> None:
    async def run() -> list[Obj]:
        cluster, running = start("chatbot-dev", tick=5.0)
        await running.runtime.advance(30 * 60)
        return sorted((obj for _, obj in cluster.store.all_objects()), key=lambda o: (o["kind"], str(o["metadata"])))

    first, second = await run(), await run()
    assert len(first) > 50
    assert first == second  # names, uids, timestamps, restarts, replicas: everything
