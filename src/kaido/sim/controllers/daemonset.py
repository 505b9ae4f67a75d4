"""The DaemonSet controller (basic): one pod per eligible node, placed directly on that node.

A node is eligible when it matches the template's nodeSelector and its NoSchedule/NoExecute
taints are tolerated (DaemonSet pods also tolerate the not-ready, unreachable and unschedulable
taints, as upstream adds). Pods on nodes that stop being eligible are removed; a template change
replaces pods node by node.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import (
    PODS,
    create_owned_pod,
    is_controlled_by,
    is_pod_ready,
    pod_from_template,
    write_status,
)
from kaido.sim.controllers.deployment import template_hash
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj

__all__ = ["DaemonSetController"]

DAEMONSETS: Final = builtin("apps", "v1", "daemonsets")
NODES: Final = builtin("", "v1", "nodes")
COMPONENT: Final = "daemonset-controller"
HASH_LABEL: Final = "controller-revision-hash"
_DAEMON_TOLERATIONS: Final = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)


def _tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists" and (
            not toleration.get("key") or toleration["key"] == taint.get("key")
        ):
            return True
        if toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def _eligible(node: Obj, template: Obj) -> bool:
    spec = template.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    tolerations = [*(spec.get("tolerations") or []), *_DAEMON_TOLERATIONS]
    taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    return all(_tolerates(tolerations, taint) for taint in taints)


class DaemonSetController:
    name = "daemonset"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        nodes = cluster.store.list_objects(NODES, None)
        for daemon_set in cluster.store.list_objects(DAEMONSETS, None):
            if not daemon_set["metadata"].get("deletionTimestamp"):
                self._sync(cluster, daemon_set, nodes, now)

    def _sync(self, cluster: SimCluster, daemon_set: Obj, nodes: list[Obj], now: datetime) -> None:
        meta, template = daemon_set["metadata"], daemon_set["spec"]["template"]
        revision = template_hash(template)
        pods = [p for p in cluster.store.list_objects(PODS, meta["namespace"]) if is_controlled_by(p, meta["uid"])]
        by_node = {p["spec"].get("nodeName"): p for p in pods}
        eligible = {n["metadata"]["name"] for n in nodes if _eligible(n, template)}
        for pod in pods:
            node = pod["spec"].get("nodeName")
            stale = pod["metadata"].get("labels", {}).get(HASH_LABEL) != revision
            if node not in eligible or stale:
                cluster.ops.delete(PODS, meta["namespace"], pod["metadata"]["name"])
                record_event(
                    cluster,
                    daemon_set,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    component=COMPONENT,
                    now=now,
                )
                by_node.pop(node, None)
        for node in sorted(eligible - set(by_node)):
            created = self._create_pod(cluster, daemon_set, node, revision, now)
            if created is not None:
                by_node[node] = created
        self._update_status(cluster, daemon_set, len(eligible), revision)

    @staticmethod
    def _create_pod(cluster: SimCluster, daemon_set: Obj, node: str, revision: str, now: datetime) -> Obj | None:
        pod = pod_from_template(daemon_set, daemon_set["spec"]["template"])
        pod["metadata"].setdefault("labels", {})[HASH_LABEL] = revision
        pod["spec"]["nodeName"] = node
        existing = pod["spec"].setdefault("tolerations", [])
        existing.extend(t for t in _DAEMON_TOLERATIONS if t not in existing)
        return create_owned_pod(cluster, daemon_set, pod, component=COMPONENT, now=now)

    @staticmethod
    def _update_status(cluster: SimCluster, daemon_set: Obj, desired: int, revision: str) -> None:
        meta = daemon_set["metadata"]
        current = cluster.store.get(DAEMONSETS, meta["namespace"], meta["name"])
        pods = [p for p in cluster.store.list_objects(PODS, meta["namespace"]) if is_controlled_by(p, meta["uid"])]
        ready = sum(1 for p in pods if is_pod_ready(p))
        status = {
            "observedGeneration": meta.get("generation", 1),
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": len(pods),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "updatedNumberScheduled": sum(
                1 for p in pods if p["metadata"].get("labels", {}).get(HASH_LABEL) == revision
            ),
        }
        if desired - ready:
            status["numberUnavailable"] = desired - ready
        write_status(cluster, DAEMONSETS, current, status)
