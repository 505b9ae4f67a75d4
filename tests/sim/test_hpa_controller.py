"""The simulated HPA controller: upstream's algorithm on metrics.k8s.io data, conditions and events."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.hpa import HorizontalPodAutoscalerController
from kaido.sim.resources import builtin
from kaido.sim.store import rfc3339

DEPLOYMENTS = builtin("apps", "v1", "deployments")
HPAS = builtin("autoscaling", "v2", "horizontalpodautoscalers")
PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")


def setup(cluster: SimCluster, *, request: str | None = "100m", usage: str = "200m", pods: int = 2) -> None:
    labels = {"app": "web"}
    resources = {"requests": {"cpu": request}} if request else {}
    container = {"name": "app", "image": "nginx", "resources": resources}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": pods, "selector": {"matchLabels": labels}, "template": template},
    }
    cluster.ops.create(DEPLOYMENTS, "default", deployment)
    started = rfc3339(cluster.clock.now() - timedelta(minutes=10))
    for index in range(pods):
        name = f"web-{index}"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": copy.deepcopy(template["spec"]),
        }
        created = cluster.ops.create(PODS, "default", pod)
        created["status"] = {
            "phase": "Running",
            "startTime": started,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": started}],
        }
        cluster.ops.update(PODS, "default", name, created, subresource="status")
        cluster.pod_metrics[("default", name)] = {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "timestamp": rfc3339(cluster.clock.now()),
            "window": "15s",
            "containers": [{"name": "app", "usage": {"cpu": usage, "memory": "50Mi"}}],
        }


def hpa(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
                }
            ],
            **spec,
        },
    }


def conditions(cluster: SimCluster) -> dict[str, tuple[str, str]]:
    status = cluster.store.get(HPAS, "default", "web")["status"]
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def events(cluster: SimCluster) -> dict[str, str]:
    return {e["reason"]: e["message"] for e in cluster.store.list_objects(EVENTS, "default")}


def test_scales_up_within_the_behaviour_policy(cluster: SimCluster, clock: ManualClock) -> None:
    setup(cluster)
    behavior = {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
        }
    }
    cluster.ops.create(HPAS, "default", hpa(behavior=behavior))
    HorizontalPodAutoscalerController().reconcile(cluster, clock.now())
    assert (
        cluster.store.get(DEPLOYMENTS, "default", "web")["spec"]["replicas"] == 3
    )  # 200% of 50% wants 8; +50% allowed
    status = cluster.store.get(HPAS, "default", "web")["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (2, 3)
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageValue": "200m", "averageUtilization": 200}},
        }
    ]
    assert conditions(cluster)["AbleToScale"] == ("True", "SucceededRescale")
    assert conditions(cluster)["ScalingLimited"][0] == "True"
    assert (
        events(cluster)["SuccessfulRescale"]
        == "New size: 3; reason: cpu resource utilization (percentage of request) above target"
    )


def test_missing_cpu_request_sets_failed_get_resource_metric(cluster: SimCluster, clock: ManualClock) -> None:
    setup(cluster, request=None)
    cluster.ops.create(HPAS, "default", hpa())
    HorizontalPodAutoscalerController().reconcile(cluster, clock.now())
    assert conditions(cluster)["ScalingActive"] == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container app of Pod web-0" in events(cluster)["FailedGetResourceMetric"]
    assert cluster.store.get(DEPLOYMENTS, "default", "web")["spec"]["replicas"] == 2


def test_missing_target_sets_failed_get_scale(cluster: SimCluster, clock: ManualClock) -> None:
    cluster.ops.create(HPAS, "default", hpa())
    HorizontalPodAutoscalerController().reconcile(cluster, clock.now())
    assert conditions(cluster)["AbleToScale"] == ("False", "FailedGetScale")
    assert events(cluster)["FailedGetScale"] == 'deployments.apps "web" not found'


def test_only_syncs_every_period(cluster: SimCluster, clock: ManualClock) -> None:
    setup(cluster, usage="10m")
    cluster.ops.create(HPAS, "default", hpa())
    controller = HorizontalPodAutoscalerController()
    controller.reconcile(cluster, clock.now())
    written = cluster.store.resource_version
    clock.advance(5)
    controller.reconcile(cluster, clock.now())
    assert cluster.store.resource_version == written
