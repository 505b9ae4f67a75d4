"""The StatefulSet controller (basic): ordinal pods, ordered start, claims from templates, rolling update.

Pods are `<set>-0 … <set>-(n-1)` with stable hostnames; under OrderedReady a pod is created only
when every lower ordinal is Running and Ready, and scale-down removes the highest ordinal first.
Each claim template gives a PersistentVolumeClaim `<template>-<set>-<ordinal>` that outlives the
pod. A template change rolls pods from the highest ordinal down, one at a time.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, controller_ref, is_controlled_by, is_pod_ready, write_status
from kaido.sim.controllers.deployment import template_hash
from kaido.sim.errors import ApiError
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj

__all__ = ["StatefulSetController"]

STATEFULSETS: Final = builtin("apps", "v1", "statefulsets")
CLAIMS: Final = builtin("", "v1", "persistentvolumeclaims")
COMPONENT: Final = "statefulset-controller"
REVISION_LABEL: Final = "controller-revision-hash"


def _ordinal(pod: Obj, set_name: str) -> int:
    suffix = pod["metadata"]["name"].removeprefix(f"{set_name}-")
    return int(suffix) if suffix.isdigit() else -1


class StatefulSetController:
    name = "statefulset"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for stateful_set in cluster.store.list_objects(STATEFULSETS, None):
            if not stateful_set["metadata"].get("deletionTimestamp"):
                self._sync(cluster, stateful_set, now)

    def _sync(self, cluster: SimCluster, stateful_set: Obj, now: datetime) -> None:
        meta, spec = stateful_set["metadata"], stateful_set["spec"]
        revision = f"{meta['name']}-{template_hash(spec['template'])}"
        pods = {
            _ordinal(p, meta["name"]): p
            for p in cluster.store.list_objects(PODS, meta["namespace"])
            if is_controlled_by(p, meta["uid"])
        }
        wanted = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        for ordinal in range(wanted):
            if ordinal in pods:
                continue
            if ordered and any(not _running_ready(pods.get(i)) for i in range(ordinal)):
                break
            created = self._create_pod(cluster, stateful_set, ordinal, revision, now)
            if created is None:
                break
            pods[ordinal] = created
            if ordered:
                break
        for ordinal in sorted((o for o in pods if o >= wanted), reverse=True):
            self._delete_pod(cluster, stateful_set, pods.pop(ordinal), now)
            if ordered:
                break
        self._roll(cluster, stateful_set, pods, revision, now)
        self._update_status(cluster, stateful_set, pods, revision)

    def _create_pod(
        self, cluster: SimCluster, stateful_set: Obj, ordinal: int, revision: str, now: datetime
    ) -> Obj | None:
        meta, spec = stateful_set["metadata"], stateful_set["spec"]
        name = f"{meta['name']}-{ordinal}"
        template = copy.deepcopy(spec["template"])
        pod_meta = template.get("metadata") or {}
        labels = pod_meta.setdefault("labels", {})
        labels.update(
            {
                REVISION_LABEL: revision,
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(ordinal),
            }
        )
        pod_meta.update(name=name, namespace=meta["namespace"], ownerReferences=[controller_ref(stateful_set)])
        pod_spec = template["spec"]
        pod_spec.update(hostname=name, subdomain=spec.get("serviceName", ""))
        for claim in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{claim['metadata']['name']}-{name}"
            self._ensure_claim(cluster, stateful_set, claim, claim_name, labels)
            volumes = pod_spec.setdefault("volumes", [])
            if not any(v.get("name") == claim["metadata"]["name"] for v in volumes):
                volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}})
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}
        try:
            created = cluster.ops.create(PODS, meta["namespace"], pod)
        except ApiError as error:
            record_event(
                cluster,
                stateful_set,
                "Warning",
                "FailedCreate",
                f"create Pod {name} in StatefulSet {meta['name']} failed error: {error.message}",
                component=COMPONENT,
                now=now,
            )
            return None
        record_event(
            cluster,
            stateful_set,
            "Normal",
            "SuccessfulCreate",
            f"create Pod {name} in StatefulSet {meta['name']} successful",
            component=COMPONENT,
            now=now,
        )
        return created

    @staticmethod
    def _ensure_claim(cluster: SimCluster, stateful_set: Obj, template: Obj, name: str, labels: dict[str, str]) -> None:
        namespace = stateful_set["metadata"]["namespace"]
        if cluster.store.find(CLAIMS, namespace, name) is not None:
            return
        claim = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {k: v for k, v in labels.items() if k != REVISION_LABEL},
            },
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        cluster.ops.create(CLAIMS, namespace, claim)

    @staticmethod
    def _delete_pod(cluster: SimCluster, stateful_set: Obj, pod: Obj, now: datetime) -> None:
        name, set_name = pod["metadata"]["name"], stateful_set["metadata"]["name"]
        cluster.ops.delete(PODS, pod["metadata"]["namespace"], name)
        record_event(
            cluster,
            stateful_set,
            "Normal",
            "SuccessfulDelete",
            f"delete Pod {name} in StatefulSet {set_name} successful",
            component=COMPONENT,
            now=now,
        )

    def _roll(self, cluster: SimCluster, stateful_set: Obj, pods: dict[int, Obj], revision: str, now: datetime) -> None:
        strategy = stateful_set["spec"].get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete" or not all(_running_ready(p) for p in pods.values()):
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        for ordinal in sorted(pods, reverse=True):
            if ordinal >= partition and pods[ordinal]["metadata"].get("labels", {}).get(REVISION_LABEL) != revision:
                self._delete_pod(cluster, stateful_set, pods.pop(ordinal), now)
                return

    @staticmethod
    def _update_status(cluster: SimCluster, stateful_set: Obj, pods: dict[int, Obj], revision: str) -> None:
        meta = stateful_set["metadata"]
        current = cluster.store.find(STATEFULSETS, meta["namespace"], meta["name"])
        if current is None:
            return
        live = [cluster.store.find(PODS, meta["namespace"], p["metadata"]["name"]) for p in pods.values()]
        live_pods = [p for p in live if p is not None]
        updated = [p for p in live_pods if p["metadata"].get("labels", {}).get(REVISION_LABEL) == revision]
        previous = current.get("status") or {}
        status = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": len(live_pods),
            "readyReplicas": sum(1 for p in live_pods if is_pod_ready(p)),
            "availableReplicas": sum(1 for p in live_pods if is_pod_ready(p)),
            "currentReplicas": len(updated),
            "updatedReplicas": len(updated),
            "currentRevision": revision
            if len(updated) == len(live_pods)
            else previous.get("currentRevision", revision),
            "updateRevision": revision,
            "collisionCount": 0,
        }
        write_status(cluster, STATEFULSETS, current, status)


def _running_ready(pod: Obj | None) -> bool:
    return pod is not None and (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)
