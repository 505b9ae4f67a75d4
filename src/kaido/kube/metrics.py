"""Resource usage from metrics.k8s.io (metrics-server): PodMetrics and NodeMetrics as plain values.

metrics-server reports each pod's per-container CPU (a rate over `window`) and working-set memory
as quantities; here they become floats of cores and bytes with the sample's own timestamp, so the
collector can store them as series without knowing the wire format. A cluster without
metrics-server (the group answers 404, or 503 while it starts) raises `MetricsUnavailable`.
Parsing is pure (`parse_pod_metrics`, `parse_node_metrics`); only the two readers do I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from kaido.core.errors import QuantityError
from kaido.core.quantity import parse_quantity
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError, MetricsUnavailable
from kaido.kube.resources import NODE_METRICS, POD_METRICS

__all__ = [
    "ContainerUsage",
    "NodeUsage",
    "PodUsage",
    "node_usage",
    "parse_duration",
    "parse_node_metrics",
    "parse_pod_metrics",
    "pod_usage",
]

_GO_DURATION: Final = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS: Final = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_UNAVAILABLE: Final = (404, 503)


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    cpu_cores: float
    memory_bytes: float  # working set, what the kubelet's eviction and the OOM killer look at


@dataclass(frozen=True, slots=True)
class PodUsage:
    namespace: str
    name: str
    timestamp: datetime  # the end of the sampling window
    window_seconds: float
    containers: dict[str, ContainerUsage]

    @property
    def cpu_cores(self) -> float:
        return sum(c.cpu_cores for c in self.containers.values())

    @property
    def memory_bytes(self) -> float:
        return sum(c.memory_bytes for c in self.containers.values())


@dataclass(frozen=True, slots=True)
class NodeUsage:
    name: str
    timestamp: datetime
    window_seconds: float
    cpu_cores: float
    memory_bytes: float


async def pod_usage(kube: Kube, *, namespace: str | None = None, label_selector: str | None = None) -> list[PodUsage]:
    """Every pod's usage in `namespace` (None: all namespaces), as metrics-server last sampled it."""
    try:
        listed = await kube.list(POD_METRICS, namespace=namespace, label_selector=label_selector)
    except KubeError as error:
        raise _unavailable(error) from error
    return [parse_pod_metrics(item) for item in listed.items]


async def node_usage(kube: Kube) -> list[NodeUsage]:
    """Every node's usage, as metrics-server last sampled it."""
    try:
        listed = await kube.list(NODE_METRICS)
    except KubeError as error:
        raise _unavailable(error) from error
    return [parse_node_metrics(item) for item in listed.items]


def parse_pod_metrics(obj: dict[str, Any]) -> PodUsage:
    """A PodMetrics object as a PodUsage; a KubeError names the object and the unreadable field."""
    meta = obj.get("metadata") or {}
    what = f"PodMetrics {meta.get('namespace')}/{meta.get('name')}"
    containers: dict[str, ContainerUsage] = {}
    for entry in obj.get("containers") or []:
        name = str(entry.get("name") or "")
        usage = entry.get("usage") or {}
        containers[name] = ContainerUsage(
            cpu_cores=_quantity(usage, "cpu", f"{what} container {name!r}"),
            memory_bytes=_quantity(usage, "memory", f"{what} container {name!r}"),
        )
    return PodUsage(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        timestamp=_timestamp(obj.get("timestamp"), what),
        window_seconds=_window(obj.get("window"), what),
        containers=containers,
    )


def parse_node_metrics(obj: dict[str, Any]) -> NodeUsage:
    """A NodeMetrics object as a NodeUsage; a KubeError names the node and the unreadable field."""
    meta = obj.get("metadata") or {}
    what = f"NodeMetrics {meta.get('name')}"
    usage = obj.get("usage") or {}
    return NodeUsage(
        name=str(meta.get("name") or ""),
        timestamp=_timestamp(obj.get("timestamp"), what),
        window_seconds=_window(obj.get("window"), what),
        cpu_cores=_quantity(usage, "cpu", what),
        memory_bytes=_quantity(usage, "memory", what),
    )


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string ("15s", "1m0s", "10.5s", "1h2m3.5s"); ValueError otherwise."""
    if text in ("0", "0s"):
        return 0.0
    position, total = 0, 0.0
    for match in _GO_DURATION.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"{text!r} is not a Go duration such as 15s, 1m0s or 500ms")
    return total


def _unavailable(error: KubeError) -> KubeError:
    if error.status not in _UNAVAILABLE:
        return error
    return MetricsUnavailable(
        f"{error.target} failed: metrics.k8s.io is not available (HTTP {error.status}); install metrics-server "
        "(or wait until its APIService is Available: kubectl get apiservice v1beta1.metrics.k8s.io)",
        status=error.status,
        reason=error.reason,
        target=error.target,
        retryable=error.status == 503,
        retry_after=error.retry_after,
    )


def _quantity(usage: dict[str, Any], key: str, what: str) -> float:
    value = usage.get(key)
    if value is None:
        raise KubeError(f"{what} has no {key} usage; is the metrics API served by metrics-server?")
    try:
        return parse_quantity(value).as_float()
    except QuantityError as error:
        raise KubeError(f"{what}: {key} usage {value!r} is not a quantity ({error})") from error


def _timestamp(value: Any, what: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise KubeError(f"{what}: timestamp {value!r} is not an RFC 3339 time") from error
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _window(value: Any, what: str) -> float:
    try:
        return parse_duration(str(value))
    except ValueError as error:
        raise KubeError(f"{what}: window {error}") from error
