"""Deployment and ReplicaSet controllers on virtual time; pods are made ready here, as a kubelet would."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.deployment import DeploymentController
from kaido.sim.controllers.replicaset import ReplicaSetController
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime
from kaido.sim.store import rfc3339

DEPLOYMENTS = builtin("apps", "v1", "deployments")
REPLICASETS = builtin("apps", "v1", "replicasets")
PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")


def manifest(replicas: int = 3, image: str = "nginx:1.27", **spec: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}},
            **spec,
        },
    }


class ReadyKubelet:
    """Marks every pod Running and Ready at once, unless its image is in `broken`."""

    name = "test-kubelet"

    def __init__(self, broken: frozenset[str] = frozenset()) -> None:
        self.broken = broken

    def reconcile(self, cluster: SimCluster, now: Any) -> None:
        for pod in cluster.store.list_objects(PODS, None):
            image = pod["spec"]["containers"][0]["image"]
            ready = "False" if image in self.broken else "True"
            current = (pod.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == ready for c in current):
                continue
            new = copy.deepcopy(pod)
            new["status"] = {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": rfc3339(now)}],
            }
            cluster.ops.update(PODS, "default", pod["metadata"]["name"], new, subresource="status")


class PodCounter:
    """Records the desired pod total across ReplicaSets after each Deployment pass."""

    name = "counter"

    def __init__(self) -> None:
        self.totals: list[int] = []

    def reconcile(self, cluster: SimCluster, now: Any) -> None:
        self.totals.append(sum(int(rs["spec"]["replicas"]) for rs in replica_sets(cluster)))


@pytest.fixture
def runtime(cluster: SimCluster) -> Runtime:
    return Runtime(cluster, [DeploymentController(), ReplicaSetController(), ReadyKubelet()])


def replica_sets(cluster: SimCluster) -> list[dict[str, Any]]:
    return cluster.store.list_objects(REPLICASETS, "default")


def deployment(cluster: SimCluster) -> dict[str, Any]:
    return cluster.store.get(DEPLOYMENTS, "default", "web")


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


def set_image(cluster: SimCluster, image: str) -> None:
    new = copy.deepcopy(deployment(cluster))
    new["spec"]["template"]["spec"]["containers"][0]["image"] = image
    cluster.ops.update(DEPLOYMENTS, "default", "web", new)


def test_deployment_creates_a_replicaset_and_pods_and_completes(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest())
    runtime.reconcile()
    (rs,) = replica_sets(cluster)
    assert rs["metadata"]["name"].startswith("web-")
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["spec"]["selector"]["matchLabels"]["pod-template-hash"] == rs["metadata"]["labels"]["pod-template-hash"]
    pods = cluster.store.list_objects(PODS, "default")
    assert len(pods) == 3
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"] for p in pods)
    status = deployment(cluster)["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (3, 3, 3)
    assert condition(deployment(cluster), "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert condition(deployment(cluster), "Available")["status"] == "True"


def test_rolling_update_respects_surge_and_unavailability(cluster: SimCluster) -> None:
    observer = PodCounter()
    runtime = Runtime(cluster, [DeploymentController(), observer, ReplicaSetController(), ReadyKubelet()])
    cluster.ops.create(DEPLOYMENTS, "default", manifest(replicas=4))
    runtime.reconcile()
    set_image(cluster, "nginx:1.28")
    runtime.reconcile()
    seen_totals = observer.totals
    assert max(seen_totals) <= 4 + 1  # maxSurge 25% of 4
    new, old = sorted(
        replica_sets(cluster), key=lambda rs: rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    )[::-1]
    assert new["spec"]["replicas"] == 4 and old["spec"]["replicas"] == 0
    assert deployment(cluster)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    messages = [
        e["message"] for e in cluster.store.list_objects(EVENTS, "default") if e["reason"] == "ScalingReplicaSet"
    ]
    assert f"Scaled up replica set {new['metadata']['name']} from 0 to 1" in messages


def test_a_broken_release_stalls_and_exceeds_the_progress_deadline(cluster: SimCluster, clock: ManualClock) -> None:
    runtime = Runtime(cluster, [DeploymentController(), ReplicaSetController(), ReadyKubelet(frozenset({"web:bad"}))])
    cluster.ops.create(DEPLOYMENTS, "default", manifest(replicas=4, progressDeadlineSeconds=60))
    runtime.reconcile()
    set_image(cluster, "web:bad")
    runtime.reconcile()
    by_revision = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs for rs in replica_sets(cluster)
    }
    assert by_revision["1"]["spec"]["replicas"] == 3  # maxUnavailable 25% of 4: one old pod may go
    assert by_revision["2"]["spec"]["replicas"] == 2  # surge 1 + the freed slot, none ready
    assert condition(deployment(cluster), "Progressing")["status"] == "True"
    clock.advance(61)
    runtime.reconcile()
    progressing = condition(deployment(cluster), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["message"] == f'ReplicaSet "{by_revision["2"]["metadata"]["name"]}" has timed out progressing.'


def test_undo_makes_the_old_replicaset_new_again(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest())
    runtime.reconcile()
    first_name = replica_sets(cluster)[0]["metadata"]["name"]
    set_image(cluster, "nginx:1.28")
    runtime.reconcile()
    set_image(cluster, "nginx:1.27")
    runtime.reconcile()
    first = cluster.store.get(REPLICASETS, "default", first_name)
    assert first["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert first["spec"]["replicas"] == 3
    assert len(replica_sets(cluster)) == 2


def test_scale_down_and_history_limit(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest(revisionHistoryLimit=1))
    runtime.reconcile()
    for tag in ("1.28", "1.29", "1.30"):
        set_image(cluster, f"nginx:{tag}")
        runtime.reconcile()
    assert len(replica_sets(cluster)) == 2  # the current one plus one old
    scaled = copy.deepcopy(deployment(cluster))
    scaled["spec"]["replicas"] = 1
    cluster.ops.update(DEPLOYMENTS, "default", "web", scaled)
    runtime.reconcile()
    assert len(cluster.store.list_objects(PODS, "default")) == 1


def test_paused_deployment_does_not_roll(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest())
    runtime.reconcile()
    paused = copy.deepcopy(deployment(cluster))
    paused["spec"]["paused"] = True
    paused["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    cluster.ops.update(DEPLOYMENTS, "default", "web", paused)
    runtime.reconcile()
    assert len(replica_sets(cluster)) == 1
    assert condition(deployment(cluster), "Progressing")["reason"] == "DeploymentPaused"


def test_recreate_strategy_stops_old_pods_first(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest(strategy={"type": "Recreate"}))
    runtime.reconcile()
    set_image(cluster, "nginx:1.28")
    runtime.reconcile()
    images = {p["spec"]["containers"][0]["image"] for p in cluster.store.list_objects(PODS, "default")}
    assert images == {"nginx:1.28"}


def test_deleting_the_deployment_collects_replicasets_and_pods(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.ops.create(DEPLOYMENTS, "default", manifest())
    runtime.reconcile()
    cluster.ops.delete(DEPLOYMENTS, "default", "web")
    assert replica_sets(cluster) == []
    assert cluster.store.list_objects(PODS, "default") == []


async def test_runtime_reacts_to_outside_changes_without_waiting_for_a_tick(
    cluster: SimCluster, runtime: Runtime
) -> None:
    task = asyncio.create_task(runtime.run())
    await asyncio.sleep(0.01)
    cluster.ops.create(DEPLOYMENTS, "default", manifest(replicas=2))  # virtual time does not move
    for _ in range(100):
        await asyncio.sleep(0.01)
        if len(cluster.store.list_objects(PODS, "default")) == 2:
            break
    runtime.stop()
    await asyncio.wait_for(task, 5)
    assert len(cluster.store.list_objects(PODS, "default")) == 2


async def test_advance_fast_forwards_virtual_time(cluster: SimCluster, clock: ManualClock, runtime: Runtime) -> None:
    start = clock.monotonic()
    await runtime.advance(600)
    assert clock.monotonic() - start == 600
