"""The cluster as Prometheus sees it: one text page (format 0.0.4) with the series of cAdvisor, the
kubelet's resource endpoint and kube-state-metrics, served by the simulator at GET /metrics.

Everything is read from the store and from the metrics.k8s.io usage the kubelet publishes
(`cluster.pod_metrics`, `cluster.node_metrics`). Those are gauges (cores, bytes), while cAdvisor's
CPU series are counters, so `CpuCounters` integrates the published usage over time: a usage holds
from its publication until the next one. The integral is exact while scrapes come at least as
often as publications (metrics-server's 15 s), and monotonic always: a series that drops out of the
usage (its container stopped) is paused, not reset, and is forgotten only with its pod or node.
The counters hang off the cluster's store in a WeakKeyDictionary, so the cluster knows nothing of
them. Names and labels follow upstream (kube-state-metrics v2); families come in the order of
`FAMILIES` and samples by namespace and name, so two renders of the same state are equal.

Per-Service request metrics come from what the kubelet counted (`kaido.sim.request_stats`): a pod
belongs to every Service whose selector matches its labels. `kaido_sim_http_requests_total` has one
series per (Service, live pod, status code); `kaido_sim_http_request_duration_seconds` is one
histogram per Service that also keeps the requests of pods gone since, so it never goes down.
`kaido_sim_http_requests_as_of_seconds` is the moment the kubelet last counted requests: it counts
them whenever it runs the pods (at ticks and after changes), so a rate is the increase between
two such moments; divided by the time between two reads it would jump with the reads' phase.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity
from kaido.sim.cluster import SimCluster
from kaido.sim.request_stats import BUCKETS, PodRequests, request_stats_for
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, ObjectStore

__all__ = ["CONTENT_TYPE", "FAMILIES", "CpuCounters", "counters_for", "render_metrics"]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
PHASES: Final = ("Pending", "Succeeded", "Failed", "Unknown", "Running")  # kube-state-metrics' order
CONDITION_STATUSES: Final = ("true", "false", "unknown")

FAMILIES: Final = (
    ("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the container in core-seconds"),
    ("container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes"),
    ("node_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the node in core-seconds"),
    ("node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes"),
    ("kube_pod_status_phase", "gauge", "The pods current phase."),
    ("kube_pod_container_status_restarts_total", "counter", "The number of container restarts per container."),
    ("kube_pod_container_status_ready", "gauge", "Describes whether the containers readiness check succeeded."),
    (
        "kube_pod_container_status_waiting_reason",
        "gauge",
        "Describes the reason the container is currently in waiting state.",
    ),
    (
        "kube_pod_container_status_last_terminated_reason",
        "gauge",
        "Describes the last reason the container was in terminated state.",
    ),
    ("kube_pod_container_resource_requests", "gauge", "The number of requested request resource by a container."),
    ("kube_pod_container_resource_limits", "gauge", "The number of requested limit resource by a container."),
    ("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment."),
    ("kube_deployment_status_replicas", "gauge", "The number of replicas per deployment."),
    ("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per deployment."),
    ("kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment."),
    ("kube_node_status_condition", "gauge", "The condition of a cluster node."),
    ("kube_node_status_allocatable", "gauge", "The allocatable for different resources of a node."),
    (
        "kube_horizontalpodautoscaler_status_current_replicas",
        "gauge",
        "Current number of replicas of pods managed by this autoscaler.",
    ),
    (
        "kube_horizontalpodautoscaler_status_desired_replicas",
        "gauge",
        "Desired number of replicas of pods managed by this autoscaler.",
    ),
    ("kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "Upper limit for the number of pods."),
    ("kube_horizontalpodautoscaler_spec_min_replicas", "gauge", "Lower limit for the number of pods."),
    ("kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed."),
    ("kube_job_status_succeeded", "gauge", "The number of pods which reached Phase Succeeded."),
    ("kaido_sim_http_requests_total", "counter", "HTTP requests a pod of the service answered, by status code."),
    (
        "kaido_sim_http_requests_as_of_seconds",
        "gauge",
        "When the request counters were last brought up to date (Unix seconds); rates are increases between two.",
    ),
    ("kaido_sim_http_request_duration_seconds", "histogram", "Duration of the HTTP requests the service answered."),
)

_PODS: Final = builtin("", "v1", "pods")
_NODES: Final = builtin("", "v1", "nodes")
_DEPLOYMENTS: Final = builtin("apps", "v1", "deployments")
_HPAS: Final = builtin("autoscaling", "v2", "horizontalpodautoscalers")
_JOBS: Final = builtin("batch", "v1", "jobs")
_SERVICES: Final = builtin("", "v1", "services")


@dataclass(slots=True)
class _Series:
    total: float  # core-seconds up to `at`
    at: datetime
    cores: float  # the usage in force since `published`
    published: datetime


@dataclass
class CpuCounters:
    """Core-seconds per (owner, name), where owner is a pod uid or "node/<name>"; see the module doc."""

    _series: dict[tuple[str, str], _Series] = field(default_factory=dict)

    def observe(self, key: tuple[str, str], cores: float, published: datetime, now: datetime) -> float:
        """The total up to `now`, given the usage `cores` that was published at `published`."""
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(0.0, published, cores, published)
        elif series.cores < 0:  # paused: it was not running, so nothing accrued while it was away
            series.at, series.cores, series.published = max(series.at, published), cores, published
        elif published > series.published:  # the old usage held until the new one was published
            if published > series.at:
                series.total += series.cores * (published - series.at).total_seconds()
                series.at = published
            series.cores, series.published = cores, published
        if now > series.at:
            series.total += series.cores * (now - series.at).total_seconds()
            series.at = now
        return series.total

    def sweep(self, seen: set[tuple[str, str]], owners: set[str]) -> None:
        """Pause the series not observed in this render; forget those whose pod or node is gone."""
        for key in list(self._series):
            if key[0] not in owners:
                del self._series[key]
            elif key not in seen:
                self._series[key].cores = -1.0


_COUNTERS: Final[weakref.WeakKeyDictionary[ObjectStore, CpuCounters]] = weakref.WeakKeyDictionary()


def counters_for(cluster: SimCluster) -> CpuCounters:
    """The CPU counters of `cluster`, created on first use and dropped with the cluster's store."""
    counters = _COUNTERS.get(cluster.store)
    if counters is None:
        counters = _COUNTERS[cluster.store] = CpuCounters()
    return counters


class _Page:
    """Samples grouped by family in `FAMILIES` order, rendered with HELP and TYPE lines."""

    def __init__(self) -> None:
        self._samples: dict[str, list[str]] = {name: [] for name, _, _ in FAMILIES}

    def add(self, name: str, value: float, **labels: str) -> None:
        self.sample(name, name, value, labels)

    def sample(self, family: str, name: str, value: float, labels: Mapping[str, str]) -> None:
        """A sample of `family` named `name` (a histogram's _bucket, _sum and _count)."""
        pairs = ",".join(f'{key}="{_escape_label(text)}"' for key, text in labels.items())
        self._samples[family].append(f"{name}{{{pairs}}} {_format_value(value)}")

    def render(self) -> str:
        lines: list[str] = []
        for name, kind, help_text in FAMILIES:
            lines.append(f"# HELP {name} {_escape_help(help_text)}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(self._samples[name])
        return "\n".join(lines) + "\n"


def render_metrics(cluster: SimCluster, now: datetime) -> str:
    """The exposition page of `cluster` at `now`; advances its CPU counters to `now`."""
    page = _Page()
    pods = cluster.store.list_objects(_PODS, None)
    nodes = cluster.store.list_objects(_NODES, None)
    _usage(page, cluster, now, pods, {node["metadata"]["name"] for node in nodes})
    for pod in pods:
        _pod_state(page, pod)
    for deployment in cluster.store.list_objects(_DEPLOYMENTS, None):
        _deployment_state(page, deployment)
    for node in nodes:
        _node_state(page, node)
    for hpa in cluster.store.list_objects(_HPAS, None):
        _hpa_state(page, hpa)
    for job in cluster.store.list_objects(_JOBS, None):
        _job_state(page, job)
    _requests(page, cluster)
    return page.render()


def _requests(page: _Page, cluster: SimCluster) -> None:
    """Per-Service request counters and latency histograms from the requests the kubelet counted."""
    stats = request_stats_for(cluster)
    if stats.as_of is not None:
        page.add("kaido_sim_http_requests_as_of_seconds", stats.as_of.timestamp())
    records = stats.records()
    for service in cluster.store.list_objects(_SERVICES, None):
        meta = service["metadata"]
        selector = (service.get("spec") or {}).get("selector") or {}
        if not selector:  # selects no pods (its Endpoints are managed by hand)
            continue
        chosen = [
            r
            for r in records
            if r.namespace == meta["namespace"] and all(r.labels.get(k) == v for k, v in selector.items())
        ]
        if not chosen:
            continue
        labels = {"namespace": meta["namespace"], "service": meta["name"]}
        for record in chosen:
            if record.name:  # a live pod
                for code in sorted(record.codes):
                    value = record.codes[code]
                    page.add("kaido_sim_http_requests_total", value, **labels, pod=record.name, code=str(code))
        _histogram(page, "kaido_sim_http_request_duration_seconds", chosen, labels)


def _histogram(page: _Page, family: str, records: list[PodRequests], labels: Mapping[str, str]) -> None:
    total = PodRequests("", "", {})
    for record in records:
        total.merge(record)
    bounds = [*(_format_value(bound) for bound in BUCKETS), "+Inf"]
    for bound, count in zip(bounds, total.cumulative(), strict=True):
        page.sample(family, f"{family}_bucket", count, {**labels, "le": bound})
    page.sample(family, f"{family}_sum", total.total_seconds, labels)
    page.sample(family, f"{family}_count", total.count, labels)


def _usage(page: _Page, cluster: SimCluster, now: datetime, pods: list[Obj], node_names: set[str]) -> None:
    """cAdvisor's container series and the kubelet's node series, from metrics.k8s.io usage."""
    counters = counters_for(cluster)
    by_key = {(pod["metadata"]["namespace"], pod["metadata"]["name"]): pod for pod in pods}
    seen: set[tuple[str, str]] = set()
    for key in sorted(cluster.pod_metrics):
        pod = by_key.get(key)
        if pod is None:  # deleted since the last publication: cAdvisor would no longer see it
            continue
        metrics = cluster.pod_metrics[key]
        published = _parse_time(metrics.get("timestamp"), now)
        uid = pod["metadata"].get("uid", "")
        node = pod["spec"].get("nodeName") or ""
        for container in metrics.get("containers") or []:
            name, usage = container["name"], container.get("usage") or {}
            seen.add((uid, name))
            total = counters.observe((uid, name), _amount(usage.get("cpu")), published, now)
            labels = {"namespace": key[0], "pod": key[1], "container": name, "node": node}
            page.add("container_cpu_usage_seconds_total", total, **labels)
            page.add("container_memory_working_set_bytes", _amount(usage.get("memory")), **labels)
    for name in sorted(cluster.node_metrics):
        metrics = cluster.node_metrics[name]
        usage = metrics.get("usage") or {}
        key = (f"node/{name}", "")
        seen.add(key)
        total = counters.observe(key, _amount(usage.get("cpu")), _parse_time(metrics.get("timestamp"), now), now)
        page.add("node_cpu_usage_seconds_total", total, node=name)
        page.add("node_memory_working_set_bytes", _amount(usage.get("memory")), node=name)
    owners = {pod["metadata"].get("uid", "") for pod in pods} | {f"node/{name}" for name in node_names}
    counters.sweep(seen, owners)


def _pod_state(page: _Page, pod: Obj) -> None:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    pod_labels = {"namespace": meta["namespace"], "pod": meta["name"], "uid": meta.get("uid", "")}
    phase = status.get("phase")
    if phase:
        for candidate in PHASES:
            page.add("kube_pod_status_phase", float(candidate == phase), **pod_labels, phase=candidate)
    for cs in status.get("containerStatuses") or []:
        labels = {**pod_labels, "container": cs["name"]}
        page.add("kube_pod_container_status_restarts_total", cs.get("restartCount", 0), **labels)
        page.add("kube_pod_container_status_ready", float(bool(cs.get("ready"))), **labels)
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            page.add("kube_pod_container_status_waiting_reason", 1, **labels, reason=waiting["reason"])
        terminated = (cs.get("lastState") or {}).get("terminated") or {}
        if terminated.get("reason"):
            page.add("kube_pod_container_status_last_terminated_reason", 1, **labels, reason=terminated["reason"])
    node = spec.get("nodeName") or ""
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        labels = {**pod_labels, "container": container["name"], "node": node}
        for family, field_name in (
            ("kube_pod_container_resource_requests", "requests"),
            ("kube_pod_container_resource_limits", "limits"),
        ):
            for resource, amount, unit in _resources(resources.get(field_name)):
                page.add(family, amount, **labels, resource=resource, unit=unit)


def _deployment_state(page: _Page, deployment: Obj) -> None:
    meta, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    labels = {"namespace": meta["namespace"], "deployment": meta["name"]}
    page.add("kube_deployment_spec_replicas", spec.get("replicas", 1), **labels)
    page.add("kube_deployment_status_replicas", status.get("replicas", 0), **labels)
    page.add("kube_deployment_status_replicas_available", status.get("availableReplicas", 0), **labels)
    page.add("kube_deployment_status_replicas_updated", status.get("updatedReplicas", 0), **labels)


def _node_state(page: _Page, node: Obj) -> None:
    name, status = node["metadata"]["name"], node.get("status") or {}
    for condition in status.get("conditions") or []:
        current = str(condition.get("status", "Unknown")).lower()
        for candidate in CONDITION_STATUSES:
            value = float(candidate == current)
            page.add("kube_node_status_condition", value, node=name, condition=condition["type"], status=candidate)
    for resource, amount, unit in _resources(status.get("allocatable")):
        page.add("kube_node_status_allocatable", amount, node=name, resource=resource, unit=unit)


def _hpa_state(page: _Page, hpa: Obj) -> None:
    meta, spec, status = hpa["metadata"], hpa.get("spec") or {}, hpa.get("status") or {}
    labels = {"namespace": meta["namespace"], "horizontalpodautoscaler": meta["name"]}
    page.add("kube_horizontalpodautoscaler_status_current_replicas", status.get("currentReplicas", 0), **labels)
    page.add("kube_horizontalpodautoscaler_status_desired_replicas", status.get("desiredReplicas", 0), **labels)
    page.add("kube_horizontalpodautoscaler_spec_max_replicas", spec.get("maxReplicas", 0), **labels)
    page.add("kube_horizontalpodautoscaler_spec_min_replicas", spec.get("minReplicas", 1), **labels)


def _job_state(page: _Page, job: Obj) -> None:
    meta, status = job["metadata"], job.get("status") or {}
    labels = {"namespace": meta["namespace"], "job_name": meta["name"]}
    page.add("kube_job_status_failed", status.get("failed", 0), **labels)
    page.add("kube_job_status_succeeded", status.get("succeeded", 0), **labels)


def _resources(amounts: Mapping[str, Any] | None) -> Iterable[tuple[str, float, str]]:
    """(resource, value, unit) as kube-state-metrics names them: cores, bytes, or a plain integer."""
    values = amounts or {}
    for name in sorted(values):
        if name == "cpu":
            unit = "core"
        elif name in ("memory", "storage", "ephemeral-storage") or name.startswith("hugepages-"):
            unit = "byte"
        else:
            unit = "integer"
        yield _sanitize(name), _amount(values[name]), unit


def _amount(quantity: Any) -> float:
    if quantity is None:
        return 0.0
    try:
        return parse_quantity(quantity).as_float()
    except QuantityError:  # stored objects were validated; an odd value must not break the whole page
        return math.nan


def _parse_time(stamp: Any, default: datetime) -> datetime:
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return default


def _sanitize(name: str) -> str:
    """A resource name as a label value the way kube-state-metrics writes it (nvidia.com/gpu -> nvidia_com_gpu)."""
    return "".join(char if char.isalnum() or char == "_" else "_" for char in name)


def _escape_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)
