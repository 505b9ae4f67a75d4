"""Nodes for the simulator: default worker manifests, and their lifecycle — heartbeats, loss, eviction.

`default_nodes()` gives Node manifests like a small kubeadm cluster's workers (4 CPUs, 16Gi, 110
pods, a /24 pod CIDR each). `NodeLifecycleController` plays three upstream parts on the cluster
clock: each healthy node's kubelet (Ready and pressure conditions, posted when they change or every
5 minutes, and its kube-node-lease Lease renewed every 10 s); the node-lifecycle controller (a node
whose Lease and heartbeat are older than the 50 s grace period goes Unknown with "Kubelet stopped
posting node status.", is tainted node.kubernetes.io/unreachable NoSchedule and NoExecute, and its
pods' Ready condition goes False with a NodeNotReady event); and the taint-eviction controller (a
pod is deleted once it has tolerated the NoExecute taint for its tolerationSeconds — 300 s by
default — after a DisruptionTarget condition and a TaintManagerEviction event). `lose(node)` stops a
node's kubelet (the KubeletController freezes its pods too, given this controller as `nodes`);
`recover(node)` brings it back, and the taints go once it reports Ready again. The simulator has no
graceful deletion, so an evicted pod is gone at once rather than Terminating until the node returns.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from kaido.core import stable_id
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, parse_time, write_status
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339

__all__ = ["NodeLifecycleController", "default_nodes"]

NODES: Final = builtin("", "v1", "nodes")
LEASES: Final = builtin("coordination.k8s.io", "v1", "leases")
LEASE_NAMESPACE: Final = "kube-node-lease"
UNREACHABLE: Final = "node.kubernetes.io/unreachable"
KUBELET_VERSION: Final = "v1.35.0"
_HEALTHY: Final = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)
_CONDITION_TYPES: Final = tuple(kind for kind, *_ in _HEALTHY)


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(stable_id(*parts, length=32)))


def default_nodes(
    count: int = 3, *, prefix: str = "kaido-worker", cpu: str = "4", memory: str = "16Gi", pods: str = "110"
) -> list[Obj]:
    """Worker Node manifests `<prefix>-1` ... with InternalIP 10.0.0.11, .12, ... and pod CIDR 10.244.N.0/24."""
    resources = {
        "cpu": cpu,
        "memory": memory,
        "pods": pods,
        "ephemeral-storage": "100Gi",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    }
    return [_worker(f"{prefix}-{index}", index, resources) for index in range(1, count + 1)]


def _worker(name: str, index: int, resources: dict[str, str]) -> Obj:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    annotations = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    info = {
        "architecture": "amd64",
        "bootID": _uuid(name, "boot"),
        "containerRuntimeVersion": "containerd://2.1.4",
        "kernelVersion": "6.8.0-60-generic",
        "kubeProxyVersion": "",
        "kubeletVersion": KUBELET_VERSION,
        "machineID": stable_id(name, "machine", length=32),
        "operatingSystem": "linux",
        "osImage": "Ubuntu 24.04.2 LTS",
        "systemUUID": _uuid(name, "system"),
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
        "status": {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.0.{10 + index}"},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": info,
        },
    }


def _find(conditions: list[Obj], kind: str) -> Obj | None:
    return next((c for c in conditions if c.get("type") == kind), None)


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NodeLifecycleController:
    name = "node-lifecycle"

    def __init__(
        self, *, grace_period: float = 50.0, renew_interval: float = 10.0, report_interval: float = 300.0
    ) -> None:
        self.grace_period = grace_period  # node-monitor-grace-period (50 s since 1.32)
        self.renew_interval = renew_interval  # a quarter of the 40 s lease duration
        self.report_interval = report_interval  # nodeStatusReportFrequency
        self._lost: set[str] = set()

    def lose(self, node: str) -> None:
        """The node's kubelet stops: no heartbeats, no lease renewals, its pods freeze."""
        self._lost.add(node)

    def recover(self, node: str) -> None:
        self._lost.discard(node)

    def is_lost(self, node: str) -> bool:
        return node in self._lost

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for node in cluster.store.list_objects(NODES, None):
            if node["metadata"]["name"] not in self._lost and not node["metadata"].get("deletionTimestamp"):
                self._heartbeat(cluster, node, now)
        for node in cluster.store.list_objects(NODES, None):
            self._monitor(cluster, node, now)
        self._evict(cluster, now)

    # ----- the kubelet's part ----------------------------------------------------------------------

    def _heartbeat(self, cluster: SimCluster, node: Obj, now: datetime) -> None:
        self._renew_lease(cluster, node, now)
        name = node["metadata"]["name"]
        status = node.get("status") or {}
        conditions = status.get("conditions") or []
        ready = _find(conditions, "Ready")
        beat = parse_time(ready.get("lastHeartbeatTime")) if ready else None
        posted = all(_find(conditions, kind) for kind in _CONDITION_TYPES)
        if (
            posted
            and ready
            and ready.get("status") == "True"
            and beat
            and (now - beat).total_seconds() < self.report_interval
        ):
            return
        fresh = []
        for kind, value, reason, message in _HEALTHY:
            previous = _find(conditions, kind)
            moved = previous is None or previous.get("status") != value
            fresh.append(
                {
                    "type": kind,
                    "status": value,
                    "lastHeartbeatTime": rfc3339(now),
                    "lastTransitionTime": previous["lastTransitionTime"] if previous and not moved else rfc3339(now),
                    "reason": reason,
                    "message": message,
                }
            )
        others = [c for c in conditions if c.get("type") not in _CONDITION_TYPES]
        new = copy.deepcopy(node)
        new["status"] = {**status, "conditions": others + fresh}
        cluster.ops.update(NODES, None, name, new, subresource="status")
        if ready is None or ready.get("status") != "True":
            record_event(
                cluster,
                node,
                "Normal",
                "NodeReady",
                f"Node {name} status is now: NodeReady",
                component="kubelet",
                now=now,
                host=name,
            )

    def _renew_lease(self, cluster: SimCluster, node: Obj, now: datetime) -> None:
        meta = node["metadata"]
        lease = cluster.store.find(LEASES, LEASE_NAMESPACE, meta["name"])
        if lease is None:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {
                    "name": meta["name"],
                    "namespace": LEASE_NAMESPACE,
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"], "uid": meta["uid"]}],
                },
                "spec": {"holderIdentity": meta["name"], "leaseDurationSeconds": 40, "renewTime": _micro(now)},
            }
            cluster.ops.create(LEASES, LEASE_NAMESPACE, body)
            return
        renewed = parse_time(lease["spec"].get("renewTime"))
        if renewed is None or (now - renewed).total_seconds() >= self.renew_interval:
            new = copy.deepcopy(lease)
            new["spec"]["renewTime"] = _micro(now)
            cluster.ops.update(LEASES, LEASE_NAMESPACE, meta["name"], new)

    # ----- the node-lifecycle controller's part ------------------------------------------------------

    def _monitor(self, cluster: SimCluster, node: Obj, now: datetime) -> None:
        name = node["metadata"]["name"]
        conditions = (node.get("status") or {}).get("conditions") or []
        ready = _find(conditions, "Ready")
        if ready is None:
            return
        lease = cluster.store.find(LEASES, LEASE_NAMESPACE, name)
        seen = [parse_time(ready.get("lastHeartbeatTime")), parse_time((lease or {}).get("spec", {}).get("renewTime"))]
        last = max((t for t in seen if t is not None), default=now)
        if (now - last).total_seconds() > self.grace_period and ready.get("status") != "Unknown":
            self._mark_unknown(cluster, node, conditions, now)
            ready = {"status": "Unknown"}
        current = cluster.store.find(NODES, None, name)
        if current is not None:
            self._sync_taints(cluster, current, unreachable=ready.get("status") == "Unknown", now=now)

    def _mark_unknown(self, cluster: SimCluster, node: Obj, conditions: list[Obj], now: datetime) -> None:
        name = node["metadata"]["name"]
        unknown = {
            "status": "Unknown",
            "reason": "NodeStatusUnknown",
            "message": "Kubelet stopped posting node status.",
        }
        marked = [
            {**c, **unknown, "lastTransitionTime": rfc3339(now)} if c.get("type") in _CONDITION_TYPES else c
            for c in conditions
        ]
        new = copy.deepcopy(node)
        new["status"]["conditions"] = marked
        cluster.ops.update(NODES, None, name, new, subresource="status")
        message = f"Node {name} status is now: NodeNotReady"
        record_event(cluster, node, "Normal", "NodeNotReady", message, component="node-controller", now=now)
        for pod in cluster.store.list_objects(PODS, None):
            if pod["spec"].get("nodeName") != name:
                continue
            status = copy.deepcopy(pod.get("status") or {})
            ready = _find(status.get("conditions") or [], "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            ready.update(status="False", lastTransitionTime=rfc3339(now))
            write_status(cluster, PODS, pod, status)
            record_event(
                cluster, pod, "Warning", "NodeNotReady", "Node is not ready", component="node-controller", now=now
            )

    def _sync_taints(self, cluster: SimCluster, node: Obj, *, unreachable: bool, now: datetime) -> None:
        taints: list[Obj] = list(node["spec"].get("taints") or [])
        ours = [t for t in taints if t.get("key") == UNREACHABLE]
        if unreachable and len(ours) < 2:
            effects = {t.get("effect") for t in ours}
            added = [
                {"key": UNREACHABLE, "effect": e, "timeAdded": rfc3339(now)}
                for e in ("NoSchedule", "NoExecute")
                if e not in effects
            ]
            taints += added
        elif not unreachable and ours:
            taints = [t for t in taints if t.get("key") != UNREACHABLE]
        else:
            return
        new = copy.deepcopy(node)
        if taints:
            new["spec"]["taints"] = taints
        else:
            new["spec"].pop("taints", None)
        cluster.ops.update(NODES, None, node["metadata"]["name"], new)

    # ----- the taint-eviction controller's part ------------------------------------------------------

    def _evict(self, cluster: SimCluster, now: datetime) -> None:
        for node in cluster.store.list_objects(NODES, None):
            taints = [t for t in node["spec"].get("taints") or [] if t.get("effect") == "NoExecute"]
            if not taints:
                continue
            for pod in cluster.store.list_objects(PODS, None):
                if pod["spec"].get("nodeName") != node["metadata"]["name"] or pod["metadata"].get("deletionTimestamp"):
                    continue
                deadline = eviction_time(pod, taints, now)
                if deadline is not None and now >= deadline:
                    self._delete(cluster, pod, now)

    @staticmethod
    def _delete(cluster: SimCluster, pod: Obj, now: datetime) -> None:
        meta = pod["metadata"]
        status = copy.deepcopy(pod.get("status") or {})
        condition = {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(now),
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
        }
        status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"] + [
            condition
        ]
        pod = write_status(cluster, PODS, pod, status)
        message = f"Marking for deletion Pod {meta['namespace']}/{meta['name']}"
        record_event(
            cluster, pod, "Normal", "TaintManagerEviction", message, component="taint-eviction-controller", now=now
        )
        cluster.ops.delete(PODS, meta["namespace"], meta["name"])


def _tolerates(toleration: Obj, taint: Obj) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if (toleration.get("operator") or "Equal") == "Exists":
        return key in ("", taint.get("key"))
    return key == taint.get("key") and (toleration.get("value") or "") == (taint.get("value") or "")


def eviction_time(pod: Obj, taints: list[Obj], now: datetime) -> datetime | None:
    """When the taint-eviction controller deletes `pod` for these NoExecute taints; None: never."""
    tolerations: list[Any] = [t for t in pod["spec"].get("tolerations") or [] if isinstance(t, dict)]
    since = min((parse_time(t.get("timeAdded")) or now for t in taints), default=now)
    used = []
    for taint in taints:
        matching = [t for t in tolerations if _tolerates(t, taint)]
        if not matching:
            return since
        used += matching
    seconds = [int(t["tolerationSeconds"]) for t in used if t.get("tolerationSeconds") is not None]
    if not seconds:
        return None
    return since + timedelta(seconds=max(0, min(seconds)))
