"""The scheduler: binds pending pods to nodes as `default-scheduler`, or says why it cannot.

Each pass builds the scheduler's cache from the store (nodes, the non-terminal pods bound to them,
namespace labels, claims), takes the pods without a node in queue order (priority, then age), and
runs one scheduling cycle per pod with `scheduling.schedule`. A fit is bound through the binding
subresource (spec.nodeName and PodScheduled=True) with a `Scheduled` event; a misfit gets
PodScheduled=False/Unschedulable and a `FailedScheduling` Warning carrying the same message.

Until other controllers write them, two things are implied when a node lacks them: the NoSchedule
taints the node lifecycle controller derives from conditions and cordoning (not-ready, unreachable,
pressure, unschedulable), and the `kubernetes.io/hostname` label the kubelet registers.

Upstream retries an unschedulable pod on cluster events and at least every five minutes; here the
same FailedScheduling is recorded again (the recorder bumps its count) once `retry_interval` has
passed, and a different message is recorded at once. An unchanged pod is not written to, so a
`Runtime` pass settles.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, parse_time, write_status
from kaido.sim.controllers.scheduling import (
    UNSCHEDULABLE_TAINT,
    NodeInfo,
    Snapshot,
    Storage,
    amounts,
    schedule,
)
from kaido.sim.controllers.volumes import DEFAULT_CLASS_ANNOTATION
from kaido.sim.errors import ApiError
from kaido.sim.recorder import EVENTS, record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339
from kaido.sim.subresources import bind

__all__ = ["COMPONENT", "GATED_MESSAGE", "SchedulerController", "build_snapshot", "node_info"]

COMPONENT: Final = "default-scheduler"
NODES: Final = builtin("", "v1", "nodes")
NAMESPACES: Final = builtin("", "v1", "namespaces")
CLAIMS: Final = builtin("", "v1", "persistentvolumeclaims")
VOLUMES: Final = builtin("", "v1", "persistentvolumes")
CLASSES: Final = builtin("storage.k8s.io", "v1", "storageclasses")
HOSTNAME: Final = "kubernetes.io/hostname"
GATED_MESSAGE: Final = "Scheduling is blocked due to non-empty scheduling gates"
# The node lifecycle controller's NoSchedule taints for node conditions (TaintNodesByCondition).
_CONDITION_TAINTS: Final = {
    ("Ready", "False"): "node.kubernetes.io/not-ready",
    ("Ready", "Unknown"): "node.kubernetes.io/unreachable",
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
}
_TERMINAL: Final = ("Succeeded", "Failed")
_NOTE_LIMIT: Final = 1024  # events.k8s.io note length; longer messages are cut as upstream does


def node_info(node: Obj) -> NodeInfo:
    """A node as the scheduler cache holds it, with the taints and label its controllers would add."""
    meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    labels = {HOSTNAME: meta["name"], **(meta.get("labels") or {})}
    taints = list(spec.get("taints") or [])
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    implied = [key for (kind, value), key in _CONDITION_TAINTS.items() if conditions.get(kind, "Unknown") == value]
    if spec.get("unschedulable"):
        implied.append(UNSCHEDULABLE_TAINT)
    for key in implied:
        if not any(t.get("key") == key and t.get("effect") == "NoSchedule" for t in taints):
            taints.append({"key": key, "effect": "NoSchedule"})
    return NodeInfo(
        name=meta["name"],
        labels=labels,
        taints=tuple(taints),
        unschedulable=bool(spec.get("unschedulable")),
        allocatable=amounts(status.get("allocatable")),
    )


def build_snapshot(cluster: SimCluster) -> Snapshot:
    """Nodes in name order with the pods bound to them that still hold resources."""
    nodes = {n["metadata"]["name"]: node_info(n) for n in cluster.store.list_objects(NODES, None)}
    for pod in cluster.store.list_objects(PODS, None):
        placed = nodes.get(pod["spec"].get("nodeName") or "")
        if placed is not None and (pod.get("status") or {}).get("phase") not in _TERMINAL:
            placed.add(pod)
    namespaces = cluster.store.list_objects(NAMESPACES, None)
    labels = {ns["metadata"]["name"]: dict(ns["metadata"].get("labels") or {}) for ns in namespaces}
    return Snapshot([nodes[name] for name in sorted(nodes)], labels)


def _storage(cluster: SimCluster) -> Storage:
    claims = cluster.store.list_objects(CLAIMS, None)
    classes = {c["metadata"]["name"]: c for c in cluster.store.list_objects(CLASSES, None)}
    defaults = [
        n
        for n, c in classes.items()
        if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    return Storage(
        claims={(c["metadata"]["namespace"], c["metadata"]["name"]): c for c in claims},
        volumes={v["metadata"]["name"]: v for v in cluster.store.list_objects(VOLUMES, None)},
        classes=classes,
        default_class=defaults[0] if defaults else None,
    )


def _waiting(pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and not pod["metadata"].get("deletionTimestamp")
        and spec.get("schedulerName", COMPONENT) == COMPONENT
        and (pod.get("status") or {}).get("phase") not in _TERMINAL
    )


def _queue_order(pod: Obj) -> tuple[int, str, str, str]:
    """PrioritySort: higher priority first, then the pod that has waited longest."""
    meta = pod["metadata"]
    priority = int((pod.get("spec") or {}).get("priority") or 0)
    return (-priority, meta.get("creationTimestamp", ""), meta.get("namespace", ""), meta["name"])


class SchedulerController:
    name = "scheduler"

    def __init__(self, *, retry_interval: float = 300.0) -> None:
        self.retry_interval = retry_interval

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        waiting = sorted((p for p in cluster.store.list_objects(PODS, None) if _waiting(p)), key=_queue_order)
        if not waiting:
            return
        snapshot, storage = build_snapshot(cluster), _storage(cluster)
        for pod in waiting:
            if pod["spec"].get("schedulingGates"):
                self._set_condition(cluster, pod, "SchedulingGated", GATED_MESSAGE, now)
                continue
            decision = schedule(pod, snapshot, storage)
            if decision.node is None:
                self._unschedulable(cluster, pod, decision.message, now)
                continue
            bound = self._bind(cluster, pod, decision.node, now)
            if bound is not None:
                next(n for n in snapshot.nodes if n.name == decision.node).add(bound)

    @staticmethod
    def _bind(cluster: SimCluster, pod: Obj, node: str, now: datetime) -> Obj | None:
        meta = pod["metadata"]
        try:
            bind(cluster, meta["namespace"], meta["name"], {"target": {"name": node}})
        except ApiError:
            return None  # bound or deleted meanwhile by someone else; the next pass sees it
        bound = cluster.store.get(PODS, meta["namespace"], meta["name"])
        message = f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}"
        record_event(cluster, bound, "Normal", "Scheduled", message, component=COMPONENT, now=now)
        return bound

    def _unschedulable(self, cluster: SimCluster, pod: Obj, message: str, now: datetime) -> None:
        changed = self._set_condition(cluster, pod, "Unschedulable", message, now)
        note = message if len(message) <= _NOTE_LIMIT else message[: _NOTE_LIMIT - 4] + " ..."
        last = self._last_recorded(cluster, pod, note)
        if changed or last is None or (now - last).total_seconds() >= self.retry_interval:
            current = cluster.store.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            record_event(cluster, current, "Warning", "FailedScheduling", note, component=COMPONENT, now=now)

    @staticmethod
    def _set_condition(cluster: SimCluster, pod: Obj, reason: str, message: str, now: datetime) -> bool:
        """Set PodScheduled=False with `reason` and `message`; False when the pod already says so."""
        status = copy.deepcopy(pod.get("status") or {})
        others = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        previous: Obj = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
        if (previous.get("status"), previous.get("reason"), previous.get("message")) == ("False", reason, message):
            return False
        since = previous.get("lastTransitionTime") if previous.get("status") == "False" else None
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": since or rfc3339(now),
            "reason": reason,
            "message": message,
        }
        status["conditions"] = [*others, condition]
        write_status(cluster, PODS, pod, status)
        return True

    @staticmethod
    def _last_recorded(cluster: SimCluster, pod: Obj, note: str) -> datetime | None:
        """When this FailedScheduling was last recorded for the pod, from the recorder's index."""
        meta = pod["metadata"]
        name = cluster.event_index.get((meta.get("uid"), "Warning", "FailedScheduling", note, COMPONENT, None))
        event = cluster.store.find(EVENTS, meta["namespace"], name) if name else None
        return parse_time(event.get("lastTimestamp")) if event else None
