"""The ReplicaSet controller: keep `spec.replicas` pods from the template, report their readiness.

Pods are created with generateName `<replicaset>-` and a controller reference; surplus pods are
deleted in upstream's preference order (unscheduled, pending, not ready, then the newest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import (
    PODS,
    create_owned_pod,
    is_controlled_by,
    is_pod_available,
    is_pod_ready,
    pod_from_template,
    write_status,
)
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.selectors import selector_from_object
from kaido.sim.store import Obj

__all__ = ["ReplicaSetController"]

REPLICASETS: Final = builtin("apps", "v1", "replicasets")
COMPONENT: Final = "replicaset-controller"
# Upstream creates pods in slow-start batches of 1, 2, 4, ...; a cap per pass keeps a pass short.
_BURST: Final = 500


class ReplicaSetController:
    name = "replicaset"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for replica_set in cluster.store.list_objects(REPLICASETS, None):
            if replica_set["metadata"].get("deletionTimestamp"):
                continue
            self._sync(cluster, replica_set, now)

    def _sync(self, cluster: SimCluster, replica_set: Obj, now: datetime) -> None:
        meta = replica_set["metadata"]
        namespace = meta["namespace"]
        pods = [
            p
            for p in cluster.store.list_objects(PODS, namespace)
            if is_controlled_by(p, meta["uid"])
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        wanted = int(replica_set["spec"].get("replicas", 1))
        if len(pods) < wanted:
            self._create_pods(cluster, replica_set, wanted - len(pods), now)
        elif len(pods) > wanted:
            for pod in sorted(pods, key=_deletion_rank)[: len(pods) - wanted]:
                cluster.ops.delete(PODS, namespace, pod["metadata"]["name"])
                record_event(
                    cluster,
                    replica_set,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    component=COMPONENT,
                    now=now,
                )
        self._update_status(cluster, replica_set, now)

    @staticmethod
    def _create_pods(cluster: SimCluster, replica_set: Obj, count: int, now: datetime) -> None:
        for _ in range(min(count, _BURST)):
            pod = pod_from_template(replica_set, replica_set["spec"]["template"])
            if create_owned_pod(cluster, replica_set, pod, component=COMPONENT, now=now) is None:
                return

    def _update_status(self, cluster: SimCluster, replica_set: Obj, now: datetime) -> None:
        meta = replica_set["metadata"]
        current = cluster.store.find(REPLICASETS, meta["namespace"], meta["name"])
        if current is None:
            return
        selector = selector_from_object(current["spec"].get("selector"))
        template_labels = (current["spec"]["template"].get("metadata") or {}).get("labels") or {}
        pods = [
            p
            for p in cluster.store.list_objects(PODS, meta["namespace"])
            if is_controlled_by(p, meta["uid"])
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        min_ready = int(current["spec"].get("minReadySeconds", 0))
        status = dict(current.get("status") or {})
        status.update(
            replicas=len(pods),
            fullyLabeledReplicas=sum(
                1
                for p in pods
                if selector.matches(p["metadata"].get("labels"))
                and all(p["metadata"].get("labels", {}).get(k) == v for k, v in template_labels.items())
            ),
            readyReplicas=sum(1 for p in pods if is_pod_ready(p)),
            availableReplicas=sum(1 for p in pods if is_pod_available(p, min_ready, now)),
            observedGeneration=current["metadata"].get("generation", 1),
        )
        for zero_means_absent in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
            if not status[zero_means_absent]:
                status.pop(zero_means_absent)
        write_status(cluster, REPLICASETS, current, status)


def _deletion_rank(pod: Obj) -> tuple[int, int, int, str]:
    """Upstream's order of preference for deletion: unassigned, pending, not ready, newest first."""
    status = pod.get("status") or {}
    assigned = 1 if pod.get("spec", {}).get("nodeName") else 0
    running = 1 if status.get("phase") == "Running" else 0
    ready = 1 if is_pod_ready(pod) else 0
    newest_first = "".join(chr(0x10FFFF - ord(c)) for c in pod["metadata"].get("creationTimestamp", ""))
    return (assigned, running, ready, newest_first)
