"""The HorizontalPodAutoscaler controller: upstream's algorithm (`kaido.analysis.hpa`) on the sim's metrics.

Every sync period (15 s, as kube-controller-manager) each HPA reads its target's scale, the pods
of the scale's selector and their metrics.k8s.io usage, runs `reconcile` with the per-HPA memory
(recommendations and scale events) the upstream controller keeps, writes the new scale, and
reports status, conditions and events (SuccessfulRescale, FailedGetScale, FailedGetResourceMetric,
...) as upstream does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from kaido.analysis.hpa import HPAState, MetricReading, ReconcileResult, ReplicaProposal, reconcile
from kaido.analysis.hpa.objects import hpa_from_object, pod_info_from_object, pod_usage_from_object
from kaido.core import Quantity
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, write_status
from kaido.sim.errors import ApiError
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin, find_kind
from kaido.sim.selectors import selector_from_object
from kaido.sim.store import Obj, rfc3339

__all__ = ["HorizontalPodAutoscalerController"]

HPAS: Final = builtin("autoscaling", "v2", "horizontalpodautoscalers")
COMPONENT: Final = "horizontal-pod-autoscaler"
_CUSTOM_METRICS_ERROR: Final = (
    "unable to fetch metrics from custom metrics API: the server is currently unable to handle the request"
)


class HorizontalPodAutoscalerController:
    name = "horizontalpodautoscaler"

    def __init__(self, *, sync_period: float = 15.0) -> None:
        self.sync_period = timedelta(seconds=sync_period)
        self._state: dict[str, HPAState] = {}
        self._synced: dict[str, tuple[datetime, int]] = {}

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for hpa in cluster.store.list_objects(HPAS, None):
            meta = hpa["metadata"]
            last = self._synced.get(meta["uid"])
            if last is not None and now - last[0] < self.sync_period and last[1] == meta.get("generation"):
                continue
            self._synced[meta["uid"]] = (now, meta.get("generation", 1))
            self._sync(cluster, hpa, now)

    def _sync(self, cluster: SimCluster, hpa: Obj, now: datetime) -> None:
        meta, spec = hpa["metadata"], hpa["spec"]
        ref = spec.get("scaleTargetRef") or {}
        resource = find_kind(str(ref.get("apiVersion", "")), str(ref.get("kind", "")))
        try:
            if resource is None:
                raise ApiError.bad_request(
                    f'no matches for kind "{ref.get("kind")}" in group "{ref.get("apiVersion")}"'
                )
            scale = cluster.ops.get_scale(resource, meta["namespace"], str(ref.get("name", "")))
            target = cluster.store.get(resource, meta["namespace"], str(ref.get("name", "")))
        except ApiError as error:
            message = f"the HPA controller was unable to get the target's current scale: {error.message}"
            record_event(cluster, hpa, "Warning", "FailedGetScale", error.message, component=COMPONENT, now=now)
            self._write(cluster, hpa, now, conditions=[("AbleToScale", "False", "FailedGetScale", message)])
            return
        selector = selector_from_object((target.get("spec") or {}).get("selector"))
        pods = [
            p
            for p in cluster.store.list_objects(PODS, meta["namespace"])
            if selector.matches(p["metadata"].get("labels"))
        ]
        hpa_spec, metrics = hpa_from_object(hpa)
        usage = tuple(
            pod_usage_from_object(cluster.pod_metrics[(meta["namespace"], p["metadata"]["name"])])
            for p in pods
            if (meta["namespace"], p["metadata"]["name"]) in cluster.pod_metrics
        )
        readings = [
            MetricReading(m, pod_usage=usage) if m.type in ("Resource", "ContainerResource")
            else MetricReading(m, error=_CUSTOM_METRICS_ERROR)
            for m in metrics
        ]  # fmt: skip
        result = reconcile(
            hpa_spec,
            spec_replicas=int(scale["spec"]["replicas"]),
            status_replicas=int(scale["status"].get("replicas", 0)),
            readings=readings,
            pods=[pod_info_from_object(p) for p in pods],
            now=now,
            state=self._state.get(meta["uid"]),
        )
        self._state[meta["uid"]] = result.state
        self._act(cluster, hpa, resource, result, now)

    def _act(self, cluster: SimCluster, hpa: Obj, resource: Any, result: ReconcileResult, now: datetime) -> None:
        meta, ref = hpa["metadata"], hpa["spec"]["scaleTargetRef"]
        able = ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
        scaled_at = None
        if result.rescale:
            scale = {"metadata": {}, "spec": {"replicas": result.desired_replicas}}
            cluster.ops.update_scale(resource, meta["namespace"], ref["name"], scale)
            record_event(
                cluster,
                hpa,
                "Normal",
                "SuccessfulRescale",
                f"New size: {result.desired_replicas}; reason: {result.rescale_reason}",
                component=COMPONENT,
                now=now,
            )
            able = (
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {result.desired_replicas}",
            )
            scaled_at = now
        if result.error:
            failed = next((c for c in result.conditions if c.status == "False"), None)
            reason = failed.reason if failed else "FailedComputeMetricsReplicas"
            record_event(cluster, hpa, "Warning", reason, result.error, component=COMPONENT, now=now)
        conditions = [(c.type, c.status, c.reason, c.message) for c in result.conditions]
        if scaled_at is not None or all(c[0] != "AbleToScale" for c in conditions):
            conditions.append(able)  # the outcome of the scale write is the last word on AbleToScale
        self._write(cluster, hpa, now, conditions=conditions, result=result, scaled_at=scaled_at)

    @staticmethod
    def _write(
        cluster: SimCluster,
        hpa: Obj,
        now: datetime,
        *,
        conditions: list[tuple[str, str, str, str]],
        result: ReconcileResult | None = None,
        scaled_at: datetime | None = None,
    ) -> None:
        current = cluster.store.get(HPAS, hpa["metadata"]["namespace"], hpa["metadata"]["name"])
        previous = current.get("status") or {}
        status: Obj = {"currentReplicas": previous.get("currentReplicas", 0), "desiredReplicas": 0}
        if result is not None:
            status["currentReplicas"] = result.current_replicas
            status["desiredReplicas"] = result.desired_replicas
            status["currentMetrics"] = _current_metrics(hpa, result)
        if scaled_at is not None or previous.get("lastScaleTime"):
            status["lastScaleTime"] = rfc3339(scaled_at) if scaled_at else previous["lastScaleTime"]
        status["observedGeneration"] = current["metadata"].get("generation", 1)
        status["conditions"] = _merge_conditions(previous.get("conditions") or [], conditions, now)
        write_status(cluster, HPAS, current, status)


def _current_metrics(hpa: Obj, result: ReconcileResult) -> list[Obj]:
    out = []
    for spec, outcome in zip(hpa["spec"].get("metrics") or [], result.metric_results, strict=False):
        if not isinstance(outcome, ReplicaProposal) or spec.get("type") not in ("Resource", "ContainerResource"):
            continue
        key = "resource" if spec["type"] == "Resource" else "containerResource"
        current: Obj = {"averageValue": str(Quantity.from_decimal(Decimal(outcome.usage_milli) / 1000))}
        if outcome.utilization is not None:
            current["averageUtilization"] = outcome.utilization
        source = {"name": spec[key]["name"], "current": current}
        if key == "containerResource":
            source["container"] = spec[key].get("container")
        out.append({"type": spec["type"], key: source})
    return out


def _merge_conditions(previous: list[Obj], updates: list[tuple[str, str, str, str]], now: datetime) -> list[Obj]:
    """Upstream's `setCondition`: lastTransitionTime moves only when a condition's status changes."""
    merged = {c["type"]: c for c in previous}
    for kind, status, reason, message in updates:
        old = merged.get(kind)
        since = old["lastTransitionTime"] if old and old.get("status") == status else rfc3339(now)
        merged[kind] = {
            "type": kind,
            "status": status,
            "lastTransitionTime": since,
            "reason": reason,
            "message": message,
        }
    order = ["AbleToScale", "ScalingActive", "ScalingLimited"]
    return sorted(merged.values(), key=lambda c: order.index(c["type"]) if c["type"] in order else len(order))
