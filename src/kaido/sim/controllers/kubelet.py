"""The simulated kubelet: it runs every pod bound to a node on the cluster clock.

For each pod with `spec.nodeName` set to an existing Node, one `PodRuntime` mounts volumes, creates
the sandbox and IP, pulls images, builds the configuration, starts containers as processes of the
image catalog's behaviour models, feeds their output to `cluster.logs`, counts the requests web
services answer (`kaido.sim.request_stats`), enforces memory limits, runs probes and restarts with
CrashLoopBackOff back-off; the pod's status is written through the status subresource only when it
changes, and events come from component "kubelet" on the node. Every
`metrics_resolution` seconds the models' CPU and memory go to `cluster.pod_metrics` and
`cluster.node_metrics`. A node that `nodes` (e.g. the NodeLifecycleController) reports lost is
frozen: its pods get no status, logs or metrics until it returns. Only pods on this kubelet's nodes
are touched; a pod that disappears takes its runtime state and logs with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Protocol

from kaido.sim.behaviour import ImageCatalog, default_catalog
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, write_status
from kaido.sim.controllers.kubelet_metrics import MetricsPublisher, PodUsage
from kaido.sim.controllers.kubelet_pod import NodeState, PodContext, PodRuntime
from kaido.sim.errors import ApiError
from kaido.sim.request_stats import request_stats_for
from kaido.sim.resources import builtin
from kaido.sim.store import Obj

__all__ = ["KubeletController", "LoadSource", "NodeHealth"]

NODES: Final = builtin("", "v1", "nodes")
_DEFAULT_ALLOCATABLE: Final = {"cpu": "4", "memory": "16Gi", "pods": "110"}

LoadSource = Callable[[Obj, datetime], float]  # (pod, now) -> requests per second reaching the pod


class NodeHealth(Protocol):
    def is_lost(self, node: str) -> bool:
        """True while the node's kubelet cannot run or report anything."""
        ...


class KubeletController:
    name = "kubelet"

    def __init__(
        self,
        *,
        catalog: ImageCatalog | None = None,
        nodes: NodeHealth | None = None,
        load: LoadSource | None = None,
        metrics_resolution: float = 15.0,
    ) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        self.health = nodes
        self.load = load
        self._metrics = MetricsPublisher(metrics_resolution)
        self._nodes: dict[str, NodeState] = {}
        self._pods: dict[str, PodRuntime] = {}
        self._labels: dict[str, dict[str, str]] = {}

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        nodes = {n["metadata"]["name"]: n for n in cluster.store.list_objects(NODES, None)}
        bound = [p for p in cluster.store.list_objects(PODS, None) if (p.get("spec") or {}).get("nodeName") in nodes]
        live = {p["metadata"]["uid"] for p in bound}
        for uid in [uid for uid in self._pods if uid not in live]:
            self._forget(cluster, uid)
        for pod in bound:
            node = pod["spec"]["nodeName"]
            if not self._lost(node):
                self._sync(cluster, pod, self._node(nodes[node]), now)
        if self._metrics.due(now):
            reachable = {name: node for name, node in nodes.items() if not self._lost(name)}
            self._metrics.publish(cluster, now, self._usages(now, reachable), reachable)

    def runtime(self, uid: str) -> PodRuntime | None:
        """The kubelet's state for a pod (tests and tools read it; nothing else should write it)."""
        return self._pods.get(uid)

    def _lost(self, node: str) -> bool:
        return self.health is not None and self.health.is_lost(node)

    def _node(self, node: Obj) -> NodeState:
        name = node["metadata"]["name"]
        state = self._nodes.get(name)
        if state is None:
            index = len(self._nodes) + 1
            status, spec = node.get("status") or {}, node.get("spec") or {}
            internal = next(
                (a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"), None
            )
            cidr = str(spec.get("podCIDR") or f"10.244.{index}.0/24")
            prefix = cidr.partition("/")[0].rsplit(".", 1)[0] + "."
            allocatable = dict(status.get("allocatable") or _DEFAULT_ALLOCATABLE)
            state = self._nodes[name] = NodeState(name, internal or f"10.0.0.{10 + index}", prefix, allocatable)
        return state

    def _sync(self, cluster: SimCluster, pod: Obj, node: NodeState, now: datetime) -> None:
        uid = pod["metadata"]["uid"]
        runtime = self._pods.get(uid)
        if runtime is None:
            runtime = self._pods[uid] = PodRuntime(pod, node, now)
        self._labels[uid] = dict(pod["metadata"].get("labels") or {})
        load = self.load(pod, now) if self.load is not None else 0.0
        status = runtime.sync(PodContext(cluster, pod, node, now, load, self.catalog))
        if status is None:
            return
        try:
            write_status(cluster, PODS, pod, status)
        except ApiError as error:
            if error.code != 404:  # deleted by someone else during this pass: forgotten next pass
                raise

    def _forget(self, cluster: SimCluster, uid: str) -> None:
        runtime = self._pods.pop(uid)
        self._labels.pop(uid, None)
        request_stats_for(cluster).retire(uid)
        runtime.node.release(runtime.ip)
        if not any(r.namespace == runtime.namespace and r.name == runtime.name for r in self._pods.values()):
            cluster.logs.forget_pod(runtime.namespace, runtime.name)

    def _usages(self, now: datetime, reachable: dict[str, Obj]) -> list[PodUsage]:
        out = []
        for uid, runtime in self._pods.items():
            if runtime.node.name not in reachable:
                continue
            containers = []
            for runner in runtime.runners:
                used = runner.usage(now, runtime.load)
                if used is not None:
                    containers.append((runner.name, used[0], used[1]))
            labels = self._labels.get(uid, {})
            out.append(PodUsage(runtime.namespace, runtime.name, runtime.node.name, labels, tuple(containers)))
        return out
