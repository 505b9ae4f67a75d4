from __future__ import annotations

from typing import Any

import pytest

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.deployment import DeploymentController
from kaido.sim.controllers.quota import ResourceQuotaController
from kaido.sim.controllers.replicaset import ReplicaSetController
from kaido.sim.errors import ApiError
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

PODS = builtin("", "v1", "pods")
QUOTAS = builtin("", "v1", "resourcequotas")
DEPLOYMENTS = builtin("apps", "v1", "deployments")
EVENTS = builtin("", "v1", "events")


def quota(cluster: SimCluster, **hard: str) -> None:
    body = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"}, "spec": {"hard": hard}}
    cluster.ops.create(QUOTAS, "default", body)


def pod(name: str, cpu: str = "500m") -> dict[str, Any]:
    container = {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


def test_pod_beyond_the_quota_is_forbidden_with_the_real_message(cluster: SimCluster) -> None:
    quota(cluster, **{"requests.cpu": "1", "pods": "5"})
    cluster.ops.create(PODS, "default", pod("a"))
    cluster.ops.create(PODS, "default", pod("b"))
    with pytest.raises(ApiError) as excinfo:
        cluster.ops.create(PODS, "default", pod("c"))
    assert excinfo.value.code == 403
    assert excinfo.value.message == (
        'pods "c" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
        "used: requests.cpu=1, limited: requests.cpu=1"
    )


def test_quota_blocked_replicaset_records_failed_create(cluster: SimCluster) -> None:
    quota(cluster, pods="2")
    labels = {"app": "web"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels}, "template": template},
    }
    cluster.ops.create(DEPLOYMENTS, "default", deployment)
    Runtime(cluster, [DeploymentController(), ReplicaSetController(), ResourceQuotaController()]).reconcile()
    assert len(cluster.store.list_objects(PODS, "default")) == 2
    failed = [e for e in cluster.store.list_objects(EVENTS, "default") if e["reason"] == "FailedCreate"]
    assert failed
    message = failed[0]["message"]
    assert message.startswith('Error creating: pods "web-')
    assert message.endswith(
        '-" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2'
    )
    used = cluster.store.get(QUOTAS, "default", "compute")["status"]["used"]
    assert used == {"pods": "2"}
