"""The simulated control plane: which controllers run, in which order, and what a new cluster holds.

The order is the order of cause and effect inside one pass (workload controllers create pods,
the scheduler places them, the kubelet runs them, then Endpoints and quotas observe the result),
so a change usually settles within one `Runtime.reconcile()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from kaido.sim.behaviour import ImageCatalog, default_catalog
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.cronjob import CronJobController
from kaido.sim.controllers.daemonset import DaemonSetController
from kaido.sim.controllers.deployment import DeploymentController
from kaido.sim.controllers.endpoints import EndpointsController
from kaido.sim.controllers.hpa import HorizontalPodAutoscalerController
from kaido.sim.controllers.job import JobController
from kaido.sim.controllers.kubelet import KubeletController, LoadSource
from kaido.sim.controllers.quota import ResourceQuotaController
from kaido.sim.controllers.replicaset import ReplicaSetController
from kaido.sim.controllers.scheduler import SchedulerController
from kaido.sim.controllers.statefulset import StatefulSetController
from kaido.sim.controllers.volumes import CLASSES, PersistentVolumeController, default_storage_class
from kaido.sim.nodes import NODES, NodeLifecycleController, default_nodes
from kaido.sim.runtime import Controller, Runtime

__all__ = ["bootstrap", "control_plane"]


def controllers(
    catalog: ImageCatalog | None = None, *, load: LoadSource | None = None, first: Sequence[Controller] = ()
) -> list[Controller]:
    """The controllers in pass order; `first` (a scenario's timeline) runs before all others."""
    lifecycle = NodeLifecycleController()
    return [
        *first,
        HorizontalPodAutoscalerController(),
        CronJobController(),
        JobController(),
        DeploymentController(),
        ReplicaSetController(),
        StatefulSetController(),
        DaemonSetController(),
        PersistentVolumeController(),
        SchedulerController(),
        lifecycle,
        KubeletController(catalog=catalog or default_catalog(), nodes=lifecycle, load=load),
        EndpointsController(),
        ResourceQuotaController(),
    ]


def bootstrap(cluster: SimCluster, *, nodes: int = 3) -> None:
    """What a cluster has unless its scenario says otherwise: `nodes` worker nodes and a default StorageClass."""
    if not cluster.store.list_objects(CLASSES, None):
        cluster.ops.create(CLASSES, None, default_storage_class())
    if nodes and not cluster.store.list_objects(NODES, None):
        cluster.apply_manifests(default_nodes(nodes))


def control_plane(
    cluster: SimCluster,
    *,
    tick: float = 1.0,
    nodes: int = 3,
    catalog: ImageCatalog | None = None,
    load: LoadSource | None = None,
    first: Sequence[Controller] = (),
) -> Runtime:
    """The runtime of every controller; call it after a scenario loaded, so its own nodes count.

    `load` gives the requests per second reaching each pod (a `kaido.sim.traffic.TrafficModel`).
    """
    bootstrap(cluster, nodes=nodes)
    return Runtime(cluster, controllers(catalog, load=load, first=first), tick=tick)
