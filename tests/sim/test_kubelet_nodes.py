"""Nodes on virtual time: default manifests, Ready conditions and Leases, loss, taints and eviction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.kubelet import KubeletController
from kaido.sim.logs import LogOptions
from kaido.sim.nodes import NodeLifecycleController, default_nodes, eviction_time
from kaido.sim.runtime import Runtime
from tests.sim.test_kubelet import LEASES, NODES, PODS, condition, events, make_pod, messages, nginx, pod


@pytest.fixture
def lifecycle() -> NodeLifecycleController:
    return NodeLifecycleController()


@pytest.fixture
def runtime(cluster: SimCluster, lifecycle: NodeLifecycleController) -> Runtime:
    cluster.apply_manifests(default_nodes())
    runtime = Runtime(cluster, [lifecycle, KubeletController(nodes=lifecycle)])
    runtime.reconcile()
    return runtime


def node(cluster: SimCluster, name: str) -> dict[str, Any]:
    return cluster.store.get(NODES, None, name)


def node_condition(cluster: SimCluster, name: str, kind: str) -> dict[str, Any]:
    return next(c for c in node(cluster, name)["status"]["conditions"] if c["type"] == kind)


def test_default_nodes_manifests() -> None:
    nodes = default_nodes(2)
    assert [n["metadata"]["name"] for n in nodes] == ["kaido-worker-1", "kaido-worker-2"]
    second = nodes[1]
    assert second["metadata"]["labels"]["kubernetes.io/hostname"] == "kaido-worker-2"
    assert second["metadata"]["labels"]["kubernetes.io/os"] == "linux"
    assert {k: second["status"]["allocatable"][k] for k in ("cpu", "memory", "pods")} == {
        "cpu": "4",
        "memory": "16Gi",
        "pods": "110",
    }
    assert second["status"]["addresses"][0] == {"type": "InternalIP", "address": "10.0.0.12"}
    assert second["spec"]["podCIDR"] == "10.244.2.0/24"
    assert second["status"]["nodeInfo"]["kubeletVersion"] == "v1.35.0"
    assert default_nodes(2) == nodes  # deterministic ids


async def test_healthy_nodes_are_ready_and_renew_their_leases(cluster: SimCluster, runtime: Runtime) -> None:
    ready = node_condition(cluster, "kaido-worker-1", "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    pressure = node_condition(cluster, "kaido-worker-1", "MemoryPressure")
    assert (pressure["status"], pressure["reason"]) == ("False", "KubeletHasSufficientMemory")
    lease = cluster.store.get(LEASES, "kube-node-lease", "kaido-worker-1")
    assert lease["spec"] == {
        "holderIdentity": "kaido-worker-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2026-03-01T12:00:00.000000Z",
    }
    assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"
    node_version = node(cluster, "kaido-worker-1")["metadata"]["resourceVersion"]
    await runtime.advance(25)
    lease = cluster.store.get(LEASES, "kube-node-lease", "kaido-worker-1")
    assert lease["spec"]["renewTime"] == "2026-03-01T12:00:20.000000Z"
    assert node(cluster, "kaido-worker-1")["metadata"]["resourceVersion"] == node_version  # heartbeat via the lease
    await runtime.advance(300)
    assert node_condition(cluster, "kaido-worker-1", "Ready")["lastHeartbeatTime"] == "2026-03-01T12:05:00Z"
    assert messages(cluster, "kaido-worker-1", "NodeReady") == ["Node kaido-worker-1 status is now: NodeReady"]


async def test_lost_node_goes_unknown_and_its_pods_are_evicted(
    cluster: SimCluster, runtime: Runtime, lifecycle: NodeLifecycleController
) -> None:
    patient = [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 600}
    ]
    make_pod(cluster, "web", nginx(), node="kaido-worker-2")
    make_pod(cluster, "patient", nginx(), node="kaido-worker-2", tolerations=patient)
    make_pod(cluster, "elsewhere", nginx(), node="kaido-worker-1")
    runtime.reconcile()
    await runtime.advance(5)
    assert condition(cluster, "web", "Ready")["status"] == "True"
    lifecycle.lose("kaido-worker-2")  # the lease was last renewed at 12:00:00

    await runtime.advance(45)
    assert node_condition(cluster, "kaido-worker-2", "Ready")["status"] == "True"
    lines = cluster.logs.read(("default", "web", "app"), LogOptions())
    await runtime.advance(1)  # 51 s without a renewal: past the 50 s grace period
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        found = node_condition(cluster, "kaido-worker-2", kind)
        assert (found["status"], found["reason"], found["message"]) == (
            "Unknown",
            "NodeStatusUnknown",
            "Kubelet stopped posting node status.",
        )
        assert found["lastTransitionTime"] == "2026-03-01T12:00:51Z"
    assert node_condition(cluster, "kaido-worker-2", "Ready")["lastHeartbeatTime"] == "2026-03-01T12:00:00Z"
    assert node(cluster, "kaido-worker-2")["spec"]["taints"] == [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": "2026-03-01T12:00:51Z"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2026-03-01T12:00:51Z"},
    ]
    assert messages(cluster, "kaido-worker-2", "NodeNotReady") == ["Node kaido-worker-2 status is now: NodeNotReady"]
    assert condition(cluster, "web", "Ready")["status"] == "False"
    assert condition(cluster, "web", "ContainersReady")["status"] == "True"  # as upstream: only Ready is marked
    assert messages(cluster, "web", "NodeNotReady") == ["Node is not ready"]
    assert condition(cluster, "elsewhere", "Ready")["status"] == "True"

    await runtime.advance(15)
    assert "kaido-worker-2" not in cluster.node_metrics
    assert ("default", "web") not in cluster.pod_metrics
    assert cluster.logs.read(("default", "web", "app"), LogOptions()) == lines  # the kubelet is gone

    await runtime.advance(284)  # 12:05:50: one second before 300 s of toleration
    assert pod(cluster, "web")["metadata"]["name"] == "web"
    await runtime.advance(1)
    assert cluster.store.find(PODS, "default", "web") is None
    assert messages(cluster, "web", "TaintManagerEviction") == ["Marking for deletion Pod default/web"]
    assert cluster.store.find(PODS, "default", "patient") is not None  # tolerates 600 s

    lifecycle.recover("kaido-worker-2")
    await runtime.advance(1)
    assert node_condition(cluster, "kaido-worker-2", "Ready")["status"] == "True"
    assert "taints" not in node(cluster, "kaido-worker-2")["spec"]
    assert condition(cluster, "patient", "Ready")["status"] == "True"
    assert [e["reason"] for e in events(cluster, "patient")].count("TaintManagerEviction") == 0


def test_eviction_time_follows_tolerations() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    taints = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2026-03-01T12:00:00Z"}]

    def pod_with(*tolerations: dict[str, Any]) -> dict[str, Any]:
        return {"spec": {"tolerations": list(tolerations)}}

    exists = {"operator": "Exists"}
    assert eviction_time(pod_with(), taints, now) == now
    assert eviction_time(pod_with(exists), taints, now) is None
    bounded = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 30}
    assert (eviction_time(pod_with(bounded, exists), taints, now) - now).total_seconds() == 30
    other = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
    assert eviction_time(pod_with(other), taints, now) == now
