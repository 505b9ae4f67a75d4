"""The PersistentVolume controller: claims bind through StorageClasses, as dynamic provisioning does.

A Pending claim whose class exists (or, with no class named, the default class) gets a new
PersistentVolume `pvc-<uid>` and becomes Bound; WaitForFirstConsumer classes wait until a pod
using the claim is bound to a node. An unknown class leaves the claim Pending with upstream's
ProvisioningFailed event.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, write_status
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj

__all__ = ["DEFAULT_CLASS_ANNOTATION", "PersistentVolumeController", "default_storage_class"]

CLAIMS: Final = builtin("", "v1", "persistentvolumeclaims")
VOLUMES: Final = builtin("", "v1", "persistentvolumes")
CLASSES: Final = builtin("storage.k8s.io", "v1", "storageclasses")
DEFAULT_CLASS_ANNOTATION: Final = "storageclass.kubernetes.io/is-default-class"
COMPONENT: Final = "persistentvolume-controller"


def default_storage_class() -> Obj:
    """The class a fresh simulated cluster offers, like kind's `standard`."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": "kaido.io/sim-hostpath",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


class PersistentVolumeController:
    name = "persistentvolume"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        classes = {c["metadata"]["name"]: c for c in cluster.store.list_objects(CLASSES, None)}
        default = next(
            (
                name
                for name, c in classes.items()
                if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
            ),
            None,
        )
        for claim in cluster.store.list_objects(CLAIMS, None):
            if (claim.get("status") or {}).get("phase") == "Bound" or claim["metadata"].get("deletionTimestamp"):
                continue
            class_name = claim["spec"].get("storageClassName") or default
            storage_class = classes.get(class_name or "")
            if storage_class is None:
                self._pending(cluster, claim, class_name, now)
            elif storage_class.get("volumeBindingMode") != "WaitForFirstConsumer" or _has_consumer(cluster, claim):
                self._bind(cluster, claim, storage_class, now)

    @staticmethod
    def _pending(cluster: SimCluster, claim: Obj, class_name: str | None, now: datetime) -> None:
        if class_name:
            message = f'storageclass.storage.k8s.io "{class_name}" not found'
            record_event(cluster, claim, "Warning", "ProvisioningFailed", message, component=COMPONENT, now=now)
        else:
            message = "no persistent volumes available for this claim and no storage class is set"
            record_event(cluster, claim, "Normal", "FailedBinding", message, component=COMPONENT, now=now)
        write_status(cluster, CLAIMS, claim, {**(claim.get("status") or {}), "phase": "Pending"})

    @staticmethod
    def _bind(cluster: SimCluster, claim: Obj, storage_class: Obj, now: datetime) -> None:
        meta, spec = claim["metadata"], claim["spec"]
        volume_name = f"pvc-{meta['uid']}"
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        if cluster.store.find(VOLUMES, None, volume_name) is None:
            volume = {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {
                    "name": volume_name,
                    "annotations": {"pv.kubernetes.io/provisioned-by": storage_class["provisioner"]},
                },
                "spec": {
                    "capacity": {"storage": storage},
                    "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                    "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                    "storageClassName": storage_class["metadata"]["name"],
                    "volumeMode": spec.get("volumeMode", "Filesystem"),
                    "hostPath": {"path": f"/var/lib/kaido-sim/{volume_name}"},
                    "claimRef": {
                        "kind": "PersistentVolumeClaim",
                        "namespace": meta["namespace"],
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "apiVersion": "v1",
                    },
                },
            }
            created = cluster.ops.create(VOLUMES, None, volume)
            write_status(cluster, VOLUMES, created, {"phase": "Bound"})
            record_event(
                cluster,
                claim,
                "Normal",
                "ProvisioningSucceeded",
                f"Successfully provisioned volume {volume_name} using {storage_class['provisioner']}",
                component=COMPONENT,
                now=now,
            )
        current = cluster.store.get(CLAIMS, meta["namespace"], meta["name"])
        if current["spec"].get("volumeName") != volume_name:
            bound = copy.deepcopy(current)
            bound["spec"]["volumeName"] = volume_name
            bound["spec"].setdefault("storageClassName", storage_class["metadata"]["name"])
            current = cluster.ops.update(CLAIMS, meta["namespace"], meta["name"], bound)
        status = {
            "phase": "Bound",
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "capacity": {"storage": storage},
        }
        write_status(cluster, CLAIMS, current, status)


def _has_consumer(cluster: SimCluster, claim: Obj) -> bool:
    name = claim["metadata"]["name"]
    for pod in cluster.store.list_objects(PODS, claim["metadata"]["namespace"]):
        volumes = pod["spec"].get("volumes") or []
        if pod["spec"].get("nodeName") and any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == name for v in volumes
        ):
            return True
    return False
