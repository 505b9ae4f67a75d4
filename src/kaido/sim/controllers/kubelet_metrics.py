"""metrics.k8s.io as metrics-server serves it, from the usage the behaviour models report.

Every `resolution` seconds (metrics-server's default is 15 s) the kubelet's pods with a running
container get a PodMetrics (per-container CPU in nanocores, working-set memory in KiB) and every
reachable node a NodeMetrics: the sum of its pods plus the node's own processes. Pods that stopped
running and nodes that were lost drop out, as they would from a scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.store import Obj, rfc3339

__all__ = ["MetricsPublisher", "PodUsage"]

API_VERSION: Final = "metrics.k8s.io/v1beta1"
WINDOW: Final = "15s"
SYSTEM_CPU: Final = 0.08  # kubelet, containerd and the OS, in cores
SYSTEM_MEMORY: Final = 750 * 2**20


@dataclass(frozen=True, slots=True)
class PodUsage:
    namespace: str
    name: str
    node: str
    labels: Mapping[str, str]
    containers: tuple[tuple[str, float, int], ...]  # name, cores, bytes


def _usage(cpu: float, memory: int) -> Obj:
    return {"cpu": f"{max(0, round(cpu * 1e9))}n", "memory": f"{max(0, memory) // 1024}Ki"}


@dataclass
class MetricsPublisher:
    resolution: float = 15.0
    _last: datetime | None = None
    _pods: set[tuple[str, str]] = field(default_factory=set)
    _nodes: set[str] = field(default_factory=set)

    def due(self, now: datetime) -> bool:
        return self._last is None or (now - self._last).total_seconds() >= self.resolution

    def publish(self, cluster: SimCluster, now: datetime, pods: Iterable[PodUsage], nodes: Mapping[str, Obj]) -> None:
        """Replace what this publisher put in `cluster.pod_metrics` / `node_metrics` with a fresh scrape."""
        self._last = now
        stamp = rfc3339(now)
        pod_keys: set[tuple[str, str]] = set()
        totals = {name: [SYSTEM_CPU, SYSTEM_MEMORY] for name in nodes}
        for pod in pods:
            if not pod.containers:
                continue
            key = (pod.namespace, pod.name)
            pod_keys.add(key)
            cluster.pod_metrics[key] = {
                "kind": "PodMetrics",
                "apiVersion": API_VERSION,
                "metadata": {
                    "name": pod.name,
                    "namespace": pod.namespace,
                    "creationTimestamp": stamp,
                    "labels": dict(pod.labels),
                },
                "timestamp": stamp,
                "window": WINDOW,
                "containers": [{"name": name, "usage": _usage(cpu, memory)} for name, cpu, memory in pod.containers],
            }
            if pod.node in totals:
                totals[pod.node][0] += sum(cpu for _, cpu, _ in pod.containers)
                totals[pod.node][1] += sum(memory for _, _, memory in pod.containers)
        for key in self._pods - pod_keys:
            cluster.pod_metrics.pop(key, None)
        for name, (cpu, memory) in totals.items():
            labels = dict(nodes[name]["metadata"].get("labels") or {})
            cluster.node_metrics[name] = {
                "kind": "NodeMetrics",
                "apiVersion": API_VERSION,
                "metadata": {"name": name, "creationTimestamp": stamp, "labels": labels},
                "timestamp": stamp,
                "window": WINDOW,
                "usage": _usage(cpu, int(memory)),
            }
        for name in self._nodes - set(totals):
            cluster.node_metrics.pop(name, None)
        self._pods, self._nodes = pod_keys, set(totals)
