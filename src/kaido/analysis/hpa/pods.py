"""The pods behind an HPA: what the replica calculation needs to know about them, and how it sorts them.

`PodInfo` carries the few fields of a Pod the calculation reads (phase, the Ready condition, start
time, deletion, requests per container, sidecars, pod-level requests). `PodUsage` is one item of
`metrics.k8s.io` PodMetrics and `PodMetric` one per-pod sample as the metrics client hands it on.

Functions mirror upstream (`pkg/controller/podautoscaler`):

- `resource_pod_metrics`: `getPodMetrics` / `getContainerMetrics` (metrics/client.go): a pod whose
  selected containers lack a usage for the resource is left out, so it later counts as missing.
- `group_pods`: `groupPods` (replica_calculator.go): ignored (deleting or Failed), unready (Pending;
  for CPU also not ready or still initializing), missing (no sample) and ready pods.
- `pod_requests`: `calculateRequests` with `calculatePodRequestsFromContainers` and
  `calculatePodLevelRequests` (the latter through component-helpers' `PodRequests`).
- `ready_pod_count`: `getReadyPodsCount` (Running and Ready), used by Object and External metrics.

Times are timezone-aware datetimes; an unset timestamp reads as Go's zero time, as upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal

from kaido.analysis.hpa.gomath import GO_ZERO_TIME

__all__ = [
    "ConditionStatus",
    "ContainerSpec",
    "ContainerUsage",
    "PodGroups",
    "PodInfo",
    "PodMetric",
    "PodUsage",
    "group_pods",
    "pod_requests",
    "ready_pod_count",
    "resource_pod_metrics",
]

ConditionStatus = Literal["True", "False", "Unknown"]

_CPU: Final = "cpu"
_POD_LEVEL_RESOURCES: Final = frozenset({"cpu", "memory"})
_HUGE_PAGES_PREFIX: Final = "hugepages-"


@dataclass(frozen=True)
class ContainerSpec:
    """A container of the pod spec. `requests` maps a resource to milli-units; absent = no request."""

    name: str
    requests: Mapping[str, int] = field(default_factory=dict)
    # For init containers only: `restartPolicy: Always`, i.e. a sidecar that runs with the pod.
    restartable: bool = False


@dataclass(frozen=True)
class PodInfo:
    """The fields of a Pod that the HPA reads."""

    name: str
    phase: str = "Running"
    # Status of the PodReady condition; `None` when the pod has no Ready condition at all.
    ready: ConditionStatus | None = None
    ready_transition_time: datetime | None = None
    start_time: datetime | None = None
    deleting: bool = False
    containers: tuple[ContainerSpec, ...] = ()
    init_containers: tuple[ContainerSpec, ...] = ()
    # Pod-level `spec.resources.requests` (PodLevelResources) and `spec.overhead`, in milli-units.
    requests: Mapping[str, int] = field(default_factory=dict)
    overhead: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_ready(self) -> bool:
        """`podutil.IsPodReady`: the Ready condition is True."""
        return self.ready == "True"


@dataclass(frozen=True)
class ContainerUsage:
    """Usage of one container in a PodMetrics item, resource to milli-units."""

    name: str
    usage: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PodUsage:
    """One `metrics.k8s.io` PodMetrics item: a sample over `window_seconds` ending at `timestamp`."""

    pod: str
    timestamp: datetime
    window_seconds: float
    containers: tuple[ContainerUsage, ...] = ()


@dataclass(frozen=True)
class PodMetric:
    """One pod's value of a metric (`metricsclient.PodMetric`), in milli-units."""

    pod: str
    value_milli: int
    timestamp: datetime | None = None
    window_seconds: float = 0.0


def resource_pod_metrics(usage: Iterable[PodUsage], resource: str, container: str | None) -> dict[str, PodMetric]:
    """`getPodMetrics` / `getContainerMetrics`: one value per pod that reports the resource."""
    result: dict[str, PodMetric] = {}
    for item in usage:
        value = _pod_value(item, resource, container)
        if value is not None:
            result[item.pod] = PodMetric(item.pod, value, item.timestamp, item.window_seconds)
    return result


def _pod_value(item: PodUsage, resource: str, container: str | None) -> int | None:
    if container is not None:
        for c in item.containers:
            if c.name == container:
                return c.usage.get(resource)
        return None
    if not item.containers:
        return None
    total = 0
    for c in item.containers:
        if resource not in c.usage:
            return None
        total += c.usage[resource]
    return total


@dataclass(frozen=True)
class PodGroups:
    """The result of `groupPods`: ready pods are counted, the others named."""

    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_pods(
    pods: Sequence[PodInfo],
    metrics: Mapping[str, PodMetric],
    resource: str,
    *,
    now: datetime,
    cpu_initialization_period_seconds: float,
    delay_of_initial_readiness_seconds: float,
) -> PodGroups:
    """`groupPods`: sort the selected pods; readiness only matters for the `cpu` resource."""
    ready_count = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    init_period = timedelta(seconds=cpu_initialization_period_seconds)
    readiness_delay = timedelta(seconds=delay_of_initial_readiness_seconds)
    for pod in pods:
        if pod.deleting or pod.phase == "Failed":
            ignored.add(pod.name)
        elif pod.phase == "Pending":
            unready.add(pod.name)
        elif pod.name not in metrics:
            missing.add(pod.name)
        elif resource == _CPU and _cpu_unready(pod, metrics[pod.name], now, init_period, readiness_delay):
            unready.add(pod.name)
        else:
            ready_count += 1
    return PodGroups(ready_count, frozenset(unready), frozenset(missing), frozenset(ignored))


def _cpu_unready(pod: PodInfo, metric: PodMetric, now: datetime, init_period: timedelta, delay: timedelta) -> bool:
    """The CPU readiness rule of `groupPods`: skip samples that may include start-up bursts."""
    if pod.ready is None or pod.start_time is None:
        return True
    transition = pod.ready_transition_time or GO_ZERO_TIME
    if pod.start_time + init_period > now:
        # Still initializing: unready, or not one full metric window since the last transition.
        sample_time = metric.timestamp or GO_ZERO_TIME
        return pod.ready == "False" or sample_time < transition + timedelta(seconds=metric.window_seconds)
    # Initialized: unready only if it went unready right after starting and has never been ready.
    return pod.ready == "False" and pod.start_time + delay > transition


def ready_pod_count(pods: Sequence[PodInfo]) -> int:
    """`getReadyPodsCount`: pods that are Running and Ready."""
    return sum(1 for pod in pods if pod.phase == "Running" and pod.is_ready)


def pod_requests(
    pods: Sequence[PodInfo], resource: str, container: str | None, *, pod_level_resources: bool = True
) -> dict[str, int] | str:
    """`calculateRequests`: each pod's request in milli-units, or the error message naming the gap."""
    requests: dict[str, int] = {}
    for pod in pods:
        if pod_level_resources and container is None and _pod_level_requests_set(pod):
            request = _pod_level_request(pod, resource)
        else:
            request = _container_requests(pod, resource, container)
        if isinstance(request, str):
            return request
        requests[pod.name] = request
    return requests


def _supported_pod_level(resource: str) -> bool:
    return resource in _POD_LEVEL_RESOURCES or resource.startswith(_HUGE_PAGES_PREFIX)


def _pod_level_requests_set(pod: PodInfo) -> bool:
    """`IsPodLevelRequestsSet`."""
    return any(_supported_pod_level(name) for name in pod.requests)


def _container_requests(pod: PodInfo, resource: str, container: str | None) -> int | str:
    """`calculatePodRequestsFromContainers`: regular containers plus sidecars, or the named one."""
    total = 0
    for c in (*pod.containers, *(c for c in pod.init_containers if c.restartable)):
        if container is None or container == c.name:
            if resource not in c.requests:
                return f"missing request for {resource} in container {c.name} of Pod {pod.name}"
            total += c.requests[resource]
        if container == c.name:
            return total
    if container is not None:
        return f"container {container} not found in Pod {pod.name}"
    return total


def _pod_level_request(pod: PodInfo, resource: str) -> int | str:
    """`calculatePodLevelRequests`: component-helpers' `PodRequests` for one resource."""
    request = _aggregate_container_request(pod, resource)
    if _supported_pod_level(resource) and resource in pod.requests:
        request = pod.requests[resource]
    if resource in pod.overhead:
        request = (request or 0) + pod.overhead[resource]
    if request is None:
        return f"missing pod-level request for {resource} in Pod {pod.name}"
    return request


def _aggregate_container_request(pod: PodInfo, resource: str) -> int | None:
    """`AggregateContainerRequests` (KEP-753): containers and sidecars, at least any init phase's peak."""
    total = _add(None, *(c.requests.get(resource) for c in pod.containers))
    sidecars: int | None = None
    init_peak: int | None = None
    for c in pod.init_containers:
        own = c.requests.get(resource)
        if c.restartable:
            total = _add(total, own)
            sidecars = _add(sidecars, own)
            phase = sidecars
        else:
            phase = _add(own, sidecars)
        init_peak = _max(init_peak, phase)
    return _max(total, init_peak)


def _add(first: int | None, *rest: int | None) -> int | None:
    """Sum of the present values (a ResourceList entry exists once any term has it)."""
    result = first
    for value in rest:
        if value is not None:
            result = value if result is None else result + value
    return result


def _max(current: int | None, candidate: int | None) -> int | None:
    if candidate is None:
        return current
    if current is None:
        return candidate
    return max(current, candidate)
