from __future__ import annotations

from typing import Any

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.volumes import PersistentVolumeController, default_storage_class
from kaido.sim.resources import builtin

CLAIMS = builtin("", "v1", "persistentvolumeclaims")
VOLUMES = builtin("", "v1", "persistentvolumes")
CLASSES = builtin("storage.k8s.io", "v1", "storageclasses")
EVENTS = builtin("", "v1", "events")


def claim(name: str, storage_class: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def test_default_class_binds_a_new_volume(cluster: SimCluster) -> None:
    cluster.ops.create(CLASSES, None, default_storage_class())
    created = cluster.ops.create(CLAIMS, "default", claim("data"))
    PersistentVolumeController().reconcile(cluster, cluster.clock.now())
    bound = cluster.store.get(CLAIMS, "default", "data")
    volume_name = f"pvc-{created['metadata']['uid']}"
    assert bound["status"]["phase"] == "Bound"
    assert bound["spec"]["volumeName"] == volume_name
    assert bound["spec"]["storageClassName"] == "standard"
    volume = cluster.store.get(VOLUMES, None, volume_name)
    assert volume["spec"]["claimRef"]["name"] == "data"
    assert volume["status"]["phase"] == "Bound"


def test_unknown_class_stays_pending_with_provisioning_failed(cluster: SimCluster) -> None:
    cluster.ops.create(CLASSES, None, default_storage_class())
    cluster.ops.create(CLAIMS, "default", claim("fast-data", "fast"))
    controller = PersistentVolumeController()
    controller.reconcile(cluster, cluster.clock.now())
    controller.reconcile(cluster, cluster.clock.now())
    assert cluster.store.get(CLAIMS, "default", "fast-data")["status"]["phase"] == "Pending"
    (event,) = [e for e in cluster.store.list_objects(EVENTS, "default") if e["reason"] == "ProvisioningFailed"]
    assert event["message"] == 'storageclass.storage.k8s.io "fast" not found'
    assert event["count"] == 2  # aggregated by the recorder
