from __future__ import annotations

import copy

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.endpoints import EndpointsController
from kaido.sim.resources import builtin

PODS = builtin("", "v1", "pods")
SERVICES = builtin("", "v1", "services")
ENDPOINTS = builtin("", "v1", "endpoints")


def pod(cluster: SimCluster, name: str, ip: str, *, ready: bool, app: str = "web") -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "c", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}],
        },
    }
    created = copy.deepcopy(cluster.ops.create(PODS, "default", body))
    created["status"] = {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": str(ready)}]}
    cluster.ops.update(PODS, "default", name, created, subresource="status")


def test_endpoints_follow_pod_readiness_and_named_ports(cluster: SimCluster) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    cluster.ops.create(SERVICES, "default", service)
    pod(cluster, "a", "10.244.1.2", ready=True)
    pod(cluster, "b", "10.244.1.3", ready=False)
    pod(cluster, "other", "10.244.1.4", ready=True, app="db")
    EndpointsController().reconcile(cluster, cluster.clock.now())
    (subset,) = cluster.store.get(ENDPOINTS, "default", "web")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.2"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.1.3"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    cluster.ops.delete(PODS, "default", "a")
    cluster.ops.delete(PODS, "default", "b")
    before = cluster.store.resource_version
    EndpointsController().reconcile(cluster, cluster.clock.now())
    assert "subsets" not in cluster.store.get(ENDPOINTS, "default", "web")
    EndpointsController().reconcile(cluster, cluster.clock.now())
    assert cluster.store.resource_version == before + 1  # converged: no further writes
