"""StatefulSet and DaemonSet controllers; a test kubelet makes pods Running and Ready."""

from __future__ import annotations

import copy
from typing import Any

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.daemonset import DaemonSetController
from kaido.sim.controllers.statefulset import StatefulSetController
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

PODS = builtin("", "v1", "pods")
NODES = builtin("", "v1", "nodes")
CLAIMS = builtin("", "v1", "persistentvolumeclaims")
STATEFULSETS = builtin("apps", "v1", "statefulsets")
DAEMONSETS = builtin("apps", "v1", "daemonsets")


class ReadyKubelet:
    name = "test-kubelet"

    def __init__(self) -> None:
        self.enabled = True

    def reconcile(self, cluster: SimCluster, now: Any) -> None:
        if not self.enabled:
            return
        for pod in cluster.store.list_objects(PODS, None):
            if (pod.get("status") or {}).get("phase") == "Running":
                continue
            ready = copy.deepcopy(pod)
            ready["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
            cluster.ops.update(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], ready, subresource="status")


def labels() -> dict[str, str]:
    return {"app": "db"}


def stateful_set(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": replicas,
            "serviceName": "db",
            "selector": {"matchLabels": labels()},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def names(cluster: SimCluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in cluster.store.list_objects(PODS, "default"))


def test_statefulset_starts_pods_in_order_with_their_claims(cluster: SimCluster) -> None:
    kubelet = ReadyKubelet()
    kubelet.enabled = False
    runtime = Runtime(cluster, [StatefulSetController(), kubelet])
    cluster.ops.create(STATEFULSETS, "default", stateful_set(3))
    runtime.reconcile()
    assert names(cluster) == ["db-0"]  # db-1 waits for db-0 to be Running and Ready
    kubelet.enabled = True
    runtime.reconcile()
    assert names(cluster) == ["db-0", "db-1", "db-2"]
    pod = cluster.store.get(PODS, "default", "db-1")
    assert pod["spec"]["hostname"] == "db-1" and pod["spec"]["subdomain"] == "db"
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-db-1"
    claims = sorted(c["metadata"]["name"] for c in cluster.store.list_objects(CLAIMS, "default"))
    assert claims == ["data-db-0", "data-db-1", "data-db-2"]
    status = cluster.store.get(STATEFULSETS, "default", "db")["status"]
    assert (status["replicas"], status["readyReplicas"]) == (3, 3)


def test_statefulset_scales_down_from_the_highest_ordinal_and_keeps_claims(cluster: SimCluster) -> None:
    runtime = Runtime(cluster, [StatefulSetController(), ReadyKubelet()])
    cluster.ops.create(STATEFULSETS, "default", stateful_set(3))
    runtime.reconcile()
    smaller = copy.deepcopy(cluster.store.get(STATEFULSETS, "default", "db"))
    smaller["spec"]["replicas"] = 1
    cluster.ops.update(STATEFULSETS, "default", "db", smaller)
    runtime.reconcile()
    assert names(cluster) == ["db-0"]
    assert len(cluster.store.list_objects(CLAIMS, "default")) == 3


def node(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"disk": "ssd"}}, **extra}


def test_daemonset_runs_one_pod_per_eligible_node(cluster: SimCluster) -> None:
    cluster.ops.create(NODES, None, node("n1"))
    cluster.ops.create(
        NODES, None, node("n2", spec={"taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]})
    )
    cluster.ops.create(NODES, None, node("n3", spec={"unschedulable": True}))
    daemon_set = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "a", "image": "busybox"}]},
            },
        },
    }
    cluster.ops.create(DAEMONSETS, "default", daemon_set)
    Runtime(cluster, [DaemonSetController(), ReadyKubelet()]).reconcile()
    placed = sorted(p["spec"]["nodeName"] for p in cluster.store.list_objects(PODS, "default"))
    assert placed == ["n1", "n3"]  # the tainted node is skipped; cordoning does not stop daemons
    status = cluster.store.get(DAEMONSETS, "default", "agent")["status"]
    assert (status["desiredNumberScheduled"], status["numberReady"]) == (2, 2)
