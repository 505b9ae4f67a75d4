"""Replica proposals for the metrics of an HPA: dispatch on source and target type, then combine.

A `MetricReading` pairs one entry of `spec.metrics` with what the metrics APIs returned for it (or
the fetch error), so that the decision stays a function of data. Mirrors
`pkg/controller/podautoscaler/horizontal.go`:

- `replicas_for_metric`: `computeReplicasForMetric` with `computeStatusForResourceMetricGeneric`,
  `computeStatusForPodsMetric`, `computeStatusForObjectMetric` and `computeStatusForExternalMetric`.
- `replicas_for_metrics`: `computeReplicasForMetrics`. The largest proposal wins; a failing metric
  never blocks a scale-up but blocks any scale-down, and nothing scales when every metric fails.
- `metric_label`: the metric's name as upstream writes it in the rescale reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from kaido.analysis.hpa.pods import PodInfo, PodMetric, PodUsage
from kaido.analysis.hpa.replicas import (
    FAILED_CONTAINER_RESOURCE_METRIC,
    FAILED_EXTERNAL_METRIC,
    FAILED_OBJECT_METRIC,
    FAILED_PODS_METRIC,
    FAILED_RESOURCE_METRIC,
    MetricFailure,
    ReplicaProposal,
    ReplicaResult,
    external_per_pod_replicas,
    external_replicas,
    object_per_pod_replicas,
    object_replicas,
    pods_metric_replicas,
    raw_resource_replicas,
    resource_replicas,
)
from kaido.analysis.hpa.spec import ControllerSettings, MetricSourceType, MetricSpec, TargetType, Tolerances

__all__ = [
    "INVALID_METRIC_SOURCE_TYPE",
    "SCALING_ACTIVE",
    "Condition",
    "MetricReading",
    "MetricsOutcome",
    "metric_label",
    "replicas_for_metric",
    "replicas_for_metrics",
]

SCALING_ACTIVE: Final = "ScalingActive"
INVALID_METRIC_SOURCE_TYPE: Final = "InvalidMetricSourceType"

_SOURCE_TYPES: Final = frozenset(t.value for t in MetricSourceType)
_FAILURE_REASONS: Final = {
    MetricSourceType.RESOURCE: FAILED_RESOURCE_METRIC,
    MetricSourceType.CONTAINER_RESOURCE: FAILED_CONTAINER_RESOURCE_METRIC,
    MetricSourceType.PODS: FAILED_PODS_METRIC,
    MetricSourceType.OBJECT: FAILED_OBJECT_METRIC,
    MetricSourceType.EXTERNAL: FAILED_EXTERNAL_METRIC,
}
_DEFAULT_SETTINGS: Final = ControllerSettings()


@dataclass(frozen=True)
class Condition:
    """An HPA status condition as upstream sets it (`setCondition`)."""

    type: str
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class MetricReading:
    """One metric of `spec.metrics` with what the metrics API returned for it.

    Resource and ContainerResource metrics read `pod_usage` (metrics.k8s.io), Pods metrics
    `pod_metrics` (custom.metrics.k8s.io), Object metrics the one value in `values_milli` and
    External metrics all of `values_milli` (summed). `error` is set when the fetch failed.
    """

    spec: MetricSpec
    pod_usage: tuple[PodUsage, ...] = ()
    pod_metrics: tuple[PodMetric, ...] = ()
    values_milli: tuple[int, ...] = ()
    timestamp: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class MetricsOutcome:
    """`computeReplicasForMetrics`: the largest proposal, or `replicas=None` when scaling is blocked."""

    replicas: int | None
    metric: str
    results: tuple[ReplicaResult, ...]
    condition: Condition
    error: str | None


def metric_label(spec: MetricSpec) -> str:
    """The metric's name in upstream's rescale reason ("cpu resource utilization ... above target")."""
    if spec.type in (MetricSourceType.RESOURCE, MetricSourceType.CONTAINER_RESOURCE):
        if spec.target.type == TargetType.UTILIZATION:
            return f"{spec.name} resource utilization (percentage of request)"
        return f"{spec.name} resource"
    if spec.type == MetricSourceType.PODS:
        return f"pods metric {spec.name}"
    if spec.type == MetricSourceType.OBJECT:
        return f"{spec.described_object.split('/')[0]} metric {spec.name}"
    return f"external metric {spec.name}"


def replicas_for_metric(
    reading: MetricReading,
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[PodInfo],
    now: datetime,
    tolerances: Tolerances,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
) -> ReplicaResult:
    """`computeReplicasForMetric`: dispatch on the source type and the target type."""
    spec = reading.spec
    if spec.type not in _SOURCE_TYPES:
        return MetricFailure(INVALID_METRIC_SOURCE_TYPE, f'unknown metric source type "{spec.type}"')
    source = MetricSourceType(spec.type)
    if reading.error is not None:
        return MetricFailure(_FAILURE_REASONS[source], _fetch_error(spec, source, reading.error))
    if source in (MetricSourceType.RESOURCE, MetricSourceType.CONTAINER_RESOURCE):
        return _resource_metric(reading, source, spec_replicas, pods, now, tolerances, settings)
    if source == MetricSourceType.PODS:
        return pods_metric_replicas(
            current_replicas=spec_replicas,
            target_average_milli=spec.target.amount,
            metrics=reading.pod_metrics,
            pods=pods,
            metric_name=spec.name,
            now=now,
            tolerances=tolerances,
            settings=settings,
        )
    if source == MetricSourceType.OBJECT:
        return _object_metric(reading, spec_replicas, status_replicas, pods, tolerances)
    return _external_metric(reading, spec_replicas, status_replicas, pods, tolerances)


def _fetch_error(spec: MetricSpec, source: MetricSourceType, error: str) -> str:
    """The message upstream gives when the metrics API call itself failed."""
    if source in (MetricSourceType.RESOURCE, MetricSourceType.CONTAINER_RESOURCE):
        what = "utilization" if spec.target.type == TargetType.UTILIZATION else "usage"
        return f"failed to get {spec.name} {what}: unable to get metrics for resource {spec.name}: {error}"
    if source == MetricSourceType.EXTERNAL:
        return f"unable to get external metric {spec.name}: {error}"
    if source == MetricSourceType.OBJECT:
        return f"unable to get metric {spec.name}: {error} on {spec.described_object}"
    return f"unable to get metric {spec.name}: {error}"


def _resource_metric(
    reading: MetricReading,
    source: MetricSourceType,
    spec_replicas: int,
    pods: Sequence[PodInfo],
    now: datetime,
    tolerances: Tolerances,
    settings: ControllerSettings,
) -> ReplicaResult:
    """`computeStatusForResourceMetricGeneric`: an AverageValue target, else a Utilization target."""
    spec = reading.spec
    container = spec.container if source == MetricSourceType.CONTAINER_RESOURCE else None
    result: ReplicaResult
    if spec.target.type == TargetType.AVERAGE_VALUE:
        what = "usage"
        result = raw_resource_replicas(
            current_replicas=spec_replicas,
            target_average_milli=spec.target.amount,
            resource=spec.name,
            usage=reading.pod_usage,
            pods=pods,
            now=now,
            container=container,
            tolerances=tolerances,
            settings=settings,
        )
    elif spec.target.type == TargetType.UTILIZATION:
        what = "utilization"
        result = resource_replicas(
            current_replicas=spec_replicas,
            target_utilization=spec.target.amount,
            resource=spec.name,
            usage=reading.pod_usage,
            pods=pods,
            now=now,
            container=container,
            tolerances=tolerances,
            settings=settings,
        )
    else:
        return MetricFailure(
            _FAILURE_REASONS[source],
            "invalid resource metric source: neither an average utilization target nor an average value (usage) "
            "target was set",
        )
    if isinstance(result, MetricFailure):
        return replace(result, message=f"failed to get {spec.name} {what}: {result.message}")
    return result


def _object_metric(
    reading: MetricReading, spec_replicas: int, status_replicas: int, pods: Sequence[PodInfo], tolerances: Tolerances
) -> ReplicaResult:
    """`computeStatusForObjectMetric`: a Value target scales ready pods, an AverageValue target ignores pods."""
    spec = reading.spec
    if len(reading.values_milli) != 1:
        count = len(reading.values_milli)
        return MetricFailure(FAILED_OBJECT_METRIC, f"unable to get metric {spec.name}: expected one value, got {count}")
    value = reading.values_milli[0]
    if spec.target.type == TargetType.VALUE:
        return object_replicas(
            current_replicas=spec_replicas,
            target_milli=spec.target.amount,
            value_milli=value,
            pods=pods,
            tolerances=tolerances,
            timestamp=reading.timestamp,
        )
    if spec.target.type == TargetType.AVERAGE_VALUE:
        return object_per_pod_replicas(
            status_replicas=status_replicas,
            target_average_milli=spec.target.amount,
            value_milli=value,
            tolerances=tolerances,
            timestamp=reading.timestamp,
        )
    message = "invalid object metric source: neither a value target nor an average value target was set"
    return MetricFailure(FAILED_OBJECT_METRIC, message)


def _external_metric(
    reading: MetricReading, spec_replicas: int, status_replicas: int, pods: Sequence[PodInfo], tolerances: Tolerances
) -> ReplicaResult:
    """`computeStatusForExternalMetric`: the summed series against an AverageValue or a Value target."""
    spec = reading.spec
    if spec.target.type == TargetType.AVERAGE_VALUE:
        return external_per_pod_replicas(
            status_replicas=status_replicas,
            target_average_milli=spec.target.amount,
            values_milli=reading.values_milli,
            metric_name=spec.name,
            tolerances=tolerances,
            timestamp=reading.timestamp,
        )
    if spec.target.type == TargetType.VALUE:
        return external_replicas(
            current_replicas=spec_replicas,
            target_milli=spec.target.amount,
            values_milli=reading.values_milli,
            pods=pods,
            metric_name=spec.name,
            tolerances=tolerances,
            timestamp=reading.timestamp,
        )
    message = "invalid external metric source: neither a value target nor an average value target was set"
    return MetricFailure(FAILED_EXTERNAL_METRIC, message)


def replicas_for_metrics(
    readings: Sequence[MetricReading],
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[PodInfo],
    now: datetime,
    tolerances: Tolerances,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
) -> MetricsOutcome:
    """`computeReplicasForMetrics`: the largest proposal, unless failures block the pass."""
    results = tuple(
        replicas_for_metric(
            r,
            spec_replicas=spec_replicas,
            status_replicas=status_replicas,
            pods=pods,
            now=now,
            tolerances=tolerances,
            settings=settings,
        )
        for r in readings
    )
    if not readings:
        # Unreachable upstream (the API server defaults to CPU at 80%); refuse rather than scale to 0.
        message = "the HPA has no metrics"
        return MetricsOutcome(None, "", results, Condition(SCALING_ACTIVE, "False", "NoMetrics", message), message)
    replicas, metric = 0, ""
    for reading, result in zip(readings, results, strict=True):
        if isinstance(result, ReplicaProposal) and (replicas == 0 or result.replicas > replicas):
            replicas, metric = result.replicas, metric_label(reading.spec)
    found = f"the HPA was able to successfully calculate a replica count from {metric}"
    valid = Condition(SCALING_ACTIVE, "True", "ValidMetricFound", found)
    failures = [r for r in results if isinstance(r, MetricFailure)]
    if not failures:
        return MetricsOutcome(replicas, metric, results, valid, None)
    first = failures[0]
    error = f"invalid metrics ({len(failures)} invalid out of {len(readings)}), first error is: {first.message}"
    if len(failures) >= len(readings) or replicas < spec_replicas:
        message = f"the HPA was unable to compute the replica count: {first.message}"
        return MetricsOutcome(None, "", results, Condition(SCALING_ACTIVE, "False", first.reason, message), error)
    return MetricsOutcome(replicas, metric, results, valid, error)
