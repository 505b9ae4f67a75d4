"""The kubelet under the workload controllers: Deployments roll out on real container lifecycles.

A stand-in binder assigns pods to the default nodes in turn (the scheduler is not part of this
suite); Deployment, ReplicaSet, Endpoints, node lifecycle and kubelet run on one virtual clock.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.deployment import DeploymentController
from kaido.sim.controllers.endpoints import EndpointsController
from kaido.sim.controllers.kubelet import KubeletController
from kaido.sim.controllers.replicaset import ReplicaSetController
from kaido.sim.nodes import NodeLifecycleController, default_nodes
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime
from kaido.sim.subresources import bind
from tests.sim.test_kubelet import PODS, condition, make_pod, messages, nginx, pod

DEPLOYMENTS = builtin("apps", "v1", "deployments")
SERVICES = builtin("", "v1", "services")
ENDPOINTS = builtin("", "v1", "endpoints")


class Binder:
    """Binds each unassigned pod to the next default node, as a scheduler would."""

    name = "test-binder"

    def __init__(self) -> None:
        self.bound = 0

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for item in cluster.store.list_objects(PODS, None):
            if not item["spec"].get("nodeName"):
                target = f"kaido-worker-{self.bound % 3 + 1}"
                self.bound += 1
                bind(cluster, item["metadata"]["namespace"], item["metadata"]["name"], {"target": {"name": target}})


@pytest.fixture
def runtime(cluster: SimCluster) -> Runtime:
    cluster.apply_manifests(default_nodes())
    lifecycle = NodeLifecycleController()
    controllers = [
        DeploymentController(),
        ReplicaSetController(),
        Binder(),
        lifecycle,
        KubeletController(nodes=lifecycle),
        EndpointsController(),
    ]
    runtime = Runtime(cluster, controllers)
    runtime.reconcile()
    return runtime


def deployment(image: str, replicas: int = 3) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


async def test_deployment_becomes_available_and_a_bad_image_stalls_the_rollout(
    cluster: SimCluster, runtime: Runtime
) -> None:
    cluster.apply_manifests([deployment("nginx:1.27")])
    service = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    cluster.ops.create(SERVICES, "default", service)
    await runtime.advance(5)
    status = cluster.store.get(DEPLOYMENTS, "default", "web")["status"]
    assert (status["readyReplicas"], status["availableReplicas"]) == (3, 3)
    assert any(c["type"] == "Available" and c["status"] == "True" for c in status["conditions"])
    subsets = cluster.store.get(ENDPOINTS, "default", "web")["subsets"]
    assert sorted(a["ip"] for a in subsets[0]["addresses"]) == ["10.244.1.2", "10.244.2.2", "10.244.3.2"]

    updated = copy.deepcopy(cluster.store.get(DEPLOYMENTS, "default", "web"))
    updated["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.99.99-doesnotexist"
    cluster.ops.update(DEPLOYMENTS, "default", "web", updated)
    await runtime.advance(30)
    status = cluster.store.get(DEPLOYMENTS, "default", "web")["status"]
    assert (status["replicas"], status["availableReplicas"], status["updatedReplicas"]) == (4, 3, 1)  # maxSurge 1
    stuck = [
        p
        for p in cluster.store.list_objects(PODS, "default")
        if p["spec"]["containers"][0]["image"].endswith("doesnotexist")
    ]
    assert len(stuck) == 1
    waiting = stuck[0]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] in ("ErrImagePull", "ImagePullBackOff")


async def test_deleting_a_pod_with_a_finalizer_stops_its_containers(cluster: SimCluster, runtime: Runtime) -> None:
    created = make_pod(cluster, "held", nginx())
    held = copy.deepcopy(created)
    held["metadata"]["finalizers"] = ["example.com/hold"]
    cluster.ops.update(PODS, "default", "held", held)
    await runtime.advance(4)
    cluster.ops.delete(PODS, "default", "held")
    await runtime.advance(1)
    assert messages(cluster, "held", "Killing") == ["Stopping container app"]
    status = pod(cluster, "held")["status"]
    assert status["phase"] == "Succeeded"  # nginx exits 0 on SIGTERM
    assert status["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert condition(cluster, "held", "Ready")["reason"] == "PodCompleted"
