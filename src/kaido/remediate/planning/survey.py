"""Survey: from cached objects to one `WorkloadView` per workload in trouble, with its diagnosis.

The healer hands over what its caches hold, grouped by source ("pods", "deployments", ...) and
namespace. Only namespaces that show trouble are diagnosed — pods that run badly or crashed
recently (`TroubleMemo`), workloads short of ready replicas — plus those with an open incident,
so a quiet cluster of thousands of pods costs little per pass. Each namespace becomes a
`Snapshot` for `kaido.analysis.diagnosis.diagnose`; one diagnosis per workload speaks for it
(`ladder.primary`), and each workload gets its body, its live pods and its namespace's budgets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

from kaido.analysis.diagnosis import Diagnosis, Snapshot, diagnose, latest_time
from kaido.core.refs import ObjectRef
from kaido.remediate.planning.ladder import primary
from kaido.remediate.planning.views import Body, WorkloadView, group_pods, workload_ready

__all__ = ["KIND_SOURCES", "SOURCES", "Objects", "namespace_snapshot", "survey", "unready_namespaces"]

# The caches a survey reads, by name; the first three are required, the rest sharpen the diagnosis.
SOURCES: Final = (
    "pods", "replicasets", "deployments", "statefulsets", "daemonsets", "jobs", "hpas", "nodes", "events",
    "pvcs", "resourcequotas", "pdbs",
)  # fmt: skip
KIND_SOURCES: Final = {
    "Pod": "pods", "ReplicaSet": "replicasets", "Deployment": "deployments", "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets", "Job": "jobs", "Node": "nodes",
}  # fmt: skip
_WORKLOADS: Final = (("deployments", "Deployment"), ("statefulsets", "StatefulSet"), ("daemonsets", "DaemonSet"))

Objects = Mapping[str, Mapping[str, Sequence[Body]]]  # source name -> namespace ("" for nodes) -> objects


def unready_namespaces(objects: Objects) -> set[str]:
    """Namespaces with a Deployment, StatefulSet or DaemonSet short of ready replicas."""
    return {
        namespace
        for source, kind in _WORKLOADS
        for namespace, bodies in (objects.get(source) or {}).items()
        if not all(workload_ready(kind, body) for body in bodies)
    }


def namespace_snapshot(namespace: str, objects: Objects) -> Snapshot:
    """The diagnosis input for one namespace (events and the rest only when they are cached)."""

    def of(source: str) -> tuple[Body, ...]:
        return tuple((objects.get(source) or {}).get(namespace, ()))

    return Snapshot(
        namespace=namespace,
        pods=of("pods"),
        events=of("events"),
        replicasets=of("replicasets"),
        deployments=of("deployments"),
        statefulsets=of("statefulsets"),
        daemonsets=of("daemonsets"),
        jobs=of("jobs"),
        hpas=of("hpas"),
        nodes=tuple((objects.get("nodes") or {}).get("", ())),
        pvcs=of("pvcs"),
        resourcequotas=of("resourcequotas"),
    )


def survey(
    namespaces: Iterable[str], objects: Objects, *, open_refs: Iterable[ObjectRef], now: datetime
) -> dict[ObjectRef, WorkloadView]:
    """A view of every diagnosed workload in `namespaces` and of every workload with an open incident.

    A kind with no cache (`objects` has no source for it) is known through its pods only: its view
    is marked `known=False`, and it is gone when no pod of it is left.
    """
    opened = set(open_refs)
    wanted = sorted(set(namespaces) | {ref.namespace for ref in opened if ref.namespace})
    index = _Index(objects, wanted)
    diagnosed: dict[ObjectRef, Diagnosis] = {}
    groups: dict[ObjectRef, list[Body]] = {}
    for namespace in wanted:
        snapshot = namespace_snapshot(namespace, objects)
        moment = max(now, latest_time(snapshot) or now)  # a cluster clock running ahead of ours
        diagnosed.update(primary(diagnose(snapshot, now=moment)))
        groups.update(group_pods((objects.get("pods") or {}).get(namespace, ()), index.get))
    views = {}
    for ref in {*diagnosed, *opened}:
        pods = groups.get(ref, [])
        known = KIND_SOURCES.get(ref.kind) in objects
        body = index.get(ref.kind, ref.namespace or "", ref.name)
        if not known and pods:
            body = {"metadata": {"name": ref.name, "namespace": ref.namespace}}  # a stand-in; its pods speak
        views[ref] = WorkloadView(
            ref=ref,
            body=body,
            pods=tuple(pods) if ref.kind != "Pod" else ((body,) if body is not None else ()),
            diagnosis=diagnosed.get(ref),
            pdbs=tuple((objects.get("pdbs") or {}).get(ref.namespace or "", ())),
            known=known,
        )
    return views


class _Index:
    """Objects of the surveyed namespaces (and every node) by kind, namespace and name."""

    def __init__(self, objects: Objects, namespaces: Sequence[str]) -> None:
        self._objects: dict[tuple[str, str, str], Body] = {}
        for kind, source in KIND_SOURCES.items():
            by_namespace = objects.get(source) or {}
            for namespace in [""] if kind == "Node" else namespaces:
                for body in by_namespace.get(namespace, ()):
                    name = str((body.get("metadata") or {}).get("name", ""))
                    self._objects[(kind, namespace, name)] = body

    def get(self, kind: str, namespace: str, name: str) -> Body | None:
        return self._objects.get((kind, namespace if kind != "Node" else "", name))
