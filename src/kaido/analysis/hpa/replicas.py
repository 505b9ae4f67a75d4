"""Replica counts for one metric: upstream's `ReplicaCalculator`, as pure functions.

Each function takes what the metrics APIs and the pod lister returned and gives a
`ReplicaProposal` (replicas and the current value upstream reports in the HPA status) or a
`MetricFailure` (the condition reason upstream sets and its error text). Nothing raises on missing
data. Sources (kubernetes/kubernetes, `pkg/controller/podautoscaler`):

| function                    | mirrors (replica_calculator.go / metrics/utilization.go) |
|-----------------------------|-----------------------------------------------------------|
| `resource_replicas`         | `GetResourceReplicas` (Utilization of requests)           |
| `raw_resource_replicas`     | `GetRawResourceReplicas` (Resource AverageValue)          |
| `pods_metric_replicas`      | `GetMetricReplicas` (Pods metrics)                        |
| `object_replicas`           | `GetObjectMetricReplicas` (Object Value)                  |
| `object_per_pod_replicas`   | `GetObjectPerPodMetricReplicas` (Object AverageValue)     |
| `external_replicas`         | `GetExternalMetricReplicas` (External Value)              |
| `external_per_pod_replicas` | `GetExternalPerPodMetricReplicas` (External AverageValue) |
| `utilization_ratio`         | `GetResourceUtilizationRatio` (with its big-integer path) |
| `usage_ratio`               | `GetMetricUsageRatio`                                     |

The idea shared by the pod-based metrics (`_resolve`, the second half of `GetResourceReplicas` and
`calcPlainMetricReplicas`): compute the ratio from ready pods only; if pods are missing or unready,
redo it under the conservative assumption (missing pods at 100% of request, or at the target, on a
scale-down; missing and unready pods at 0 on a scale-up), and keep the current count if that
assumption lands within tolerance or flips the direction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kaido.analysis.hpa.gomath import INT32_MAX, INT32_MIN, ceil_int32, fdiv, quo
from kaido.analysis.hpa.pods import (
    PodGroups,
    PodInfo,
    PodMetric,
    PodUsage,
    group_pods,
    pod_requests,
    ready_pod_count,
    resource_pod_metrics,
)
from kaido.analysis.hpa.spec import ControllerSettings, Tolerances

__all__ = [
    "FAILED_CONTAINER_RESOURCE_METRIC",
    "FAILED_EXTERNAL_METRIC",
    "FAILED_OBJECT_METRIC",
    "FAILED_PODS_METRIC",
    "FAILED_RESOURCE_METRIC",
    "MetricFailure",
    "ReplicaProposal",
    "ReplicaResult",
    "external_per_pod_replicas",
    "external_replicas",
    "object_per_pod_replicas",
    "object_replicas",
    "pods_metric_replicas",
    "raw_resource_replicas",
    "resource_replicas",
    "usage_ratio",
    "utilization_ratio",
]

# The ScalingActive=False reasons upstream sets when a metric of that source type fails.
FAILED_RESOURCE_METRIC: Final = "FailedGetResourceMetric"
FAILED_CONTAINER_RESOURCE_METRIC: Final = "FailedGetContainerResourceMetric"
FAILED_PODS_METRIC: Final = "FailedGetPodsMetric"
FAILED_OBJECT_METRIC: Final = "FailedGetObjectMetric"
FAILED_EXTERNAL_METRIC: Final = "FailedGetExternalMetric"

_INT64_MAX: Final = 2**63 - 1
_NO_PODS: Final = "no pods returned by selector while calculating replica count"
# The metrics clients fail on an empty answer before the calculator looks at any pod.
_NO_RESOURCE_METRICS: Final = "no metrics returned from resource metrics API"
_NO_CUSTOM_METRICS: Final = "no metrics returned from custom metrics API"
_NO_EXTERNAL_METRICS: Final = "no metrics returned from external metrics API"
_NO_READY_METRICS: Final = "did not receive metrics for targeted pods (pods might be unready)"
_DEFAULT_TOLERANCES: Final = Tolerances()
_DEFAULT_SETTINGS: Final = ControllerSettings()


@dataclass(frozen=True)
class ReplicaProposal:
    """A replica count for one metric and the current value upstream reports with it.

    `usage_milli` is the average usage per pod (upstream's raw utilization) for a Utilization
    target, the average per pod for AverageValue targets and the total for Value targets.
    `utilization` is the truncated percent of requests, for Utilization targets only.
    """

    replicas: int
    usage_milli: int
    utilization: int | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True)
class MetricFailure:
    """No proposal: `reason` is upstream's condition reason, `message` its error text."""

    reason: str
    message: str


ReplicaResult = ReplicaProposal | MetricFailure


def utilization_ratio(
    values: Mapping[str, int], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int] | str:
    """`GetResourceUtilizationRatio`: (ratio, utilization %, raw average) or the error text.

    Only pods that have both a value and a request count; values of unknown pods are extraneous.
    """
    total = requested = entries = 0
    for name, value in values.items():
        if name in requests:
            total += value
            requested += requests[name]
            entries += 1
    if requested == 0:
        return "no metrics returned matched known pods"
    percentage = quo(total * 100, requested)
    if not INT32_MIN <= percentage <= INT32_MAX:
        return f"resource utilization {percentage} is outside the int32 range"
    # The ratio comes from the truncated integer percentage, as upstream.
    return fdiv(float(percentage), float(target_utilization)), percentage, quo(total, entries)


def usage_ratio(values: Mapping[str, int], target_usage: int) -> tuple[float, int]:
    """`GetMetricUsageRatio`: (ratio, truncated average value) over a non-empty set of pods."""
    usage = quo(sum(values.values()), len(values))
    return fdiv(float(usage), float(target_usage)), usage


def resource_replicas(
    *,
    current_replicas: int,
    target_utilization: int,
    resource: str,
    usage: Iterable[PodUsage],
    pods: Sequence[PodInfo],
    now: datetime,
    container: str | None = None,
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
) -> ReplicaResult:
    """`GetResourceReplicas`: replicas for a target utilization (percent of requests)."""
    reason = FAILED_RESOURCE_METRIC if container is None else FAILED_CONTAINER_RESOURCE_METRIC
    samples = tuple(usage)
    if not samples:
        return MetricFailure(reason, f"unable to get metrics for resource {resource}: {_NO_RESOURCE_METRICS}")
    sorted_pods = _sort_pods(pods, resource_pod_metrics(samples, resource, container), resource, now, settings)
    if isinstance(sorted_pods, str):
        return MetricFailure(reason, sorted_pods)
    values, groups = sorted_pods
    requests = pod_requests(pods, resource, container, pod_level_resources=settings.pod_level_resources)
    if isinstance(requests, str):
        return MetricFailure(reason, requests)
    first = utilization_ratio(values, requests, target_utilization)
    if isinstance(first, str):
        return MetricFailure(reason, first)
    ratio, utilization, raw_average = first
    # On a scale-down a missing pod is assumed at its request, or at the target if that is higher.
    fallback = max(100, target_utilization)

    def ratio_of(assumed: Mapping[str, int]) -> float | str:
        again = utilization_ratio(assumed, requests, target_utilization)
        return again if isinstance(again, str) else again[0]

    replicas = _resolve(
        values,
        groups,
        ratio,
        current=current_replicas,
        tolerances=tolerances,
        scale_down_value=lambda pod: quo(requests[pod] * fallback, 100),
        ratio_of=ratio_of,
    )
    if isinstance(replicas, str):
        return MetricFailure(reason, replicas)
    return ReplicaProposal(replicas, raw_average, utilization, samples[0].timestamp)


def raw_resource_replicas(
    *,
    current_replicas: int,
    target_average_milli: int,
    resource: str,
    usage: Iterable[PodUsage],
    pods: Sequence[PodInfo],
    now: datetime,
    container: str | None = None,
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
) -> ReplicaResult:
    """`GetRawResourceReplicas`: replicas for a target average usage of a resource per pod."""
    reason = FAILED_RESOURCE_METRIC if container is None else FAILED_CONTAINER_RESOURCE_METRIC
    samples = tuple(usage)
    if not samples:
        return MetricFailure(reason, f"unable to get metrics for resource {resource}: {_NO_RESOURCE_METRICS}")
    metrics = resource_pod_metrics(samples, resource, container)
    timestamp = samples[0].timestamp
    return _plain_replicas(
        metrics, resource, current_replicas, target_average_milli, pods, now, tolerances, settings, reason, timestamp
    )


def pods_metric_replicas(
    *,
    current_replicas: int,
    target_average_milli: int,
    metrics: Iterable[PodMetric],
    pods: Sequence[PodInfo],
    now: datetime,
    metric_name: str = "",
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
) -> ReplicaResult:
    """`GetMetricReplicas`: replicas for a Pods metric with a target average value per pod."""
    by_pod = {m.pod: m for m in metrics}
    reason = FAILED_PODS_METRIC
    if not by_pod:
        return MetricFailure(reason, f"unable to get metric {metric_name}: {_NO_CUSTOM_METRICS}")
    timestamp = next(iter(by_pod.values())).timestamp
    return _plain_replicas(
        by_pod, "", current_replicas, target_average_milli, pods, now, tolerances, settings, reason, timestamp
    )


def _plain_replicas(
    metrics: Mapping[str, PodMetric],
    resource: str,
    current: int,
    target: int,
    pods: Sequence[PodInfo],
    now: datetime,
    tolerances: Tolerances,
    settings: ControllerSettings,
    reason: str,
    timestamp: datetime | None,
) -> ReplicaResult:
    """`calcPlainMetricReplicas`: average value per pod against a target average."""
    sorted_pods = _sort_pods(pods, metrics, resource, now, settings)
    if isinstance(sorted_pods, str):
        return MetricFailure(reason, sorted_pods)
    values, groups = sorted_pods
    ratio, usage = usage_ratio(values, target)
    replicas = _resolve(
        values,
        groups,
        ratio,
        current=current,
        tolerances=tolerances,
        scale_down_value=lambda _pod: target,
        ratio_of=lambda assumed: usage_ratio(assumed, target)[0],
    )
    if isinstance(replicas, str):
        return MetricFailure(reason, replicas)
    return ReplicaProposal(replicas, usage, None, timestamp)


def _sort_pods(
    pods: Sequence[PodInfo],
    metrics: Mapping[str, PodMetric],
    resource: str,
    now: datetime,
    settings: ControllerSettings,
) -> tuple[dict[str, int], PodGroups] | str:
    """Group the pods and keep the values of pods that are neither ignored nor unready."""
    if not pods:
        return _NO_PODS
    groups = group_pods(
        pods,
        metrics,
        resource,
        now=now,
        cpu_initialization_period_seconds=settings.cpu_initialization_period_seconds,
        delay_of_initial_readiness_seconds=settings.delay_of_initial_readiness_seconds,
    )
    dropped = groups.ignored | groups.unready
    # Samples of pods outside the selection stay: upstream only removes the pods it grouped.
    values = {name: m.value_milli for name, m in metrics.items() if name not in dropped}
    if not values:
        return _NO_READY_METRICS
    return values, groups


def _resolve(
    values: Mapping[str, int],
    groups: PodGroups,
    ratio: float,
    *,
    current: int,
    tolerances: Tolerances,
    scale_down_value: Callable[[str], int],
    ratio_of: Callable[[Mapping[str, int]], float | str],
) -> int | str:
    """The shared tail of `GetResourceReplicas` and `calcPlainMetricReplicas`."""
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(ratio):
            return current
        return ceil_int32(ratio * groups.ready_count)
    assumed = dict(values)
    if groups.missing and ratio != 1.0:
        for pod in groups.missing:
            assumed[pod] = scale_down_value(pod) if ratio < 1.0 else 0
    if scale_up_with_unready:
        for pod in groups.unready:
            assumed[pod] = 0
    new_ratio = ratio_of(assumed)
    if isinstance(new_ratio, str):
        return new_ratio
    if tolerances.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current  # too small a change, or the assumption flips the direction
    replicas = ceil_int32(new_ratio * len(assumed))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current  # counting the assumed pods flips the direction
    return replicas


def object_replicas(
    *,
    current_replicas: int,
    target_milli: int,
    value_milli: int,
    pods: Sequence[PodInfo],
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    timestamp: datetime | None = None,
) -> ReplicaResult:
    """`GetObjectMetricReplicas`: an object's value against a target value."""
    ratio = fdiv(float(value_milli), float(target_milli))
    replicas = _usage_ratio_replicas(current_replicas, ratio, tolerances, pods)
    if isinstance(replicas, str):
        return MetricFailure(FAILED_OBJECT_METRIC, replicas)
    return ReplicaProposal(replicas, value_milli, None, timestamp)


def external_replicas(
    *,
    current_replicas: int,
    target_milli: int,
    values_milli: Iterable[int],
    pods: Sequence[PodInfo],
    metric_name: str = "",
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    timestamp: datetime | None = None,
) -> ReplicaResult:
    """`GetExternalMetricReplicas`: the sum of the returned series against a target value."""
    values = tuple(values_milli)
    if not values:
        return MetricFailure(
            FAILED_EXTERNAL_METRIC, f"unable to get external metric {metric_name}: {_NO_EXTERNAL_METRICS}"
        )
    usage = _sum_capped(values)
    ratio = fdiv(float(usage), float(target_milli))
    replicas = _usage_ratio_replicas(current_replicas, ratio, tolerances, pods)
    if isinstance(replicas, str):
        return MetricFailure(FAILED_EXTERNAL_METRIC, replicas)
    return ReplicaProposal(replicas, usage, None, timestamp)


def _usage_ratio_replicas(current: int, ratio: float, tolerances: Tolerances, pods: Sequence[PodInfo]) -> int | str:
    """`getUsageRatioReplicaCount`: scale the Running-and-Ready pods; from zero, just `ceil(ratio)`."""
    if current == 0:
        return ceil_int32(ratio)
    if tolerances.is_within(ratio):
        return current
    if not pods:
        return f"unable to calculate ready pods: {_NO_PODS}"
    return ceil_int32(ratio * ready_pod_count(pods))


def object_per_pod_replicas(
    *,
    status_replicas: int,
    target_average_milli: int,
    value_milli: int,
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    timestamp: datetime | None = None,
) -> ReplicaResult:
    """`GetObjectPerPodMetricReplicas`: an object's value shared by `status_replicas` pods."""
    replicas, average = _per_pod(value_milli, status_replicas, target_average_milli, tolerances)
    return ReplicaProposal(replicas, average, None, timestamp)


def external_per_pod_replicas(
    *,
    status_replicas: int,
    target_average_milli: int,
    values_milli: Iterable[int],
    metric_name: str = "",
    tolerances: Tolerances = _DEFAULT_TOLERANCES,
    timestamp: datetime | None = None,
) -> ReplicaResult:
    """`GetExternalPerPodMetricReplicas`: the summed series shared by `status_replicas` pods."""
    values = tuple(values_milli)
    if not values:
        return MetricFailure(
            FAILED_EXTERNAL_METRIC, f"unable to get external metric {metric_name}: {_NO_EXTERNAL_METRICS}"
        )
    replicas, average = _per_pod(_sum_capped(values), status_replicas, target_average_milli, tolerances)
    return ReplicaProposal(replicas, average, None, timestamp)


def _per_pod(total: int, status_replicas: int, target_average: int, tolerances: Tolerances) -> tuple[int, int]:
    """AverageValue targets ignore pods: `ceil(total / target)` once outside tolerance."""
    replicas = status_replicas
    ratio = fdiv(float(total), float(target_average) * float(status_replicas))
    if not tolerances.is_within(ratio):
        replicas = ceil_int32(fdiv(float(total), float(target_average)))
    if status_replicas == 0 or float(total) >= float(_INT64_MAX):
        # Upstream's average over zero pods is undefined (int64 of ±Inf); report the total instead.
        return replicas, min(total, _INT64_MAX)
    return replicas, math.ceil(float(total) / float(status_replicas))


def _sum_capped(values: Iterable[int]) -> int:
    """Sum of external series, capped at the int64 maximum as upstream guards overflow."""
    return min(sum(values), _INT64_MAX)
