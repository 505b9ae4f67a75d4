"""One diagnosis pass over a snapshot: indexes by name and owner, Events per object, logs, and `now`.

The cause families ask the same questions many times (the Events of this pod's container, the
ReplicaSet that owns it, the ConfigMaps of its namespace); `Context` answers them from indexes built
once. Events are matched to an object by kind, namespace and name, and by uid when both sides carry
one, so a StatefulSet pod re-created under the same name does not inherit its predecessor's Events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kaido.analysis.diagnosis.evidence import event_time
from kaido.analysis.diagnosis.snapshot import Body, Snapshot
from kaido.analysis.health import HealthSettings
from kaido.analysis.status import ContainerStatus, parse_time, pod_ref, workload_of
from kaido.core.refs import ObjectRef

__all__ = ["RECENT", "Context", "PodCase"]

# How far back a container's last termination still counts as part of a crash loop: longer than
# the kubelet's 5-minute back-off cap, so a container running between two crashes is still seen.
RECENT: Final = 600.0
_Key = tuple[str, str, str]  # kind, namespace, name


def _key(kind: str, namespace: str | None, name: str) -> _Key:
    return kind, namespace or "", name


def _meta(obj: Body) -> Body:
    return obj.get("metadata") or {}


def _by_name(kind: str, objects: Iterable[Body]) -> dict[_Key, Body]:
    return {_key(kind, _meta(o).get("namespace"), str(_meta(o).get("name", ""))): o for o in objects}


class Context:
    """Indexes over one snapshot, with the `now` and settings of this pass."""

    def __init__(self, snapshot: Snapshot, *, now: datetime, settings: HealthSettings) -> None:
        self.snapshot = snapshot
        self.now = now
        self.settings = settings
        self._objects: dict[_Key, Body] = {}
        for kind, objects in (
            ("ReplicaSet", snapshot.replicasets),
            ("Deployment", snapshot.deployments),
            ("StatefulSet", snapshot.statefulsets),
            ("DaemonSet", snapshot.daemonsets),
            ("Job", snapshot.jobs),
            ("PersistentVolumeClaim", snapshot.pvcs),
            ("Pod", snapshot.pods),
            ("HorizontalPodAutoscaler", snapshot.hpas),
        ):
            self._objects.update(_by_name(kind, objects))
        self._nodes = {str(_meta(n).get("name", "")): n for n in snapshot.nodes}
        self._events: dict[_Key, list[Body]] = defaultdict(list)
        for event in snapshot.events:
            involved = event.get("involvedObject") or event.get("regarding") or {}
            key = _key(str(involved.get("kind", "")), involved.get("namespace"), str(involved.get("name", "")))
            self._events[key].append(event)
        for events in self._events.values():
            events.sort(key=lambda e: event_time(e) or now)
        self._owned: dict[str, list[Body]] = defaultdict(list)
        for pod in snapshot.pods:
            for owner in _meta(pod).get("ownerReferences") or []:
                if owner.get("uid"):
                    self._owned[str(owner["uid"])].append(pod)

    # ----- objects --------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> Body | None:
        """The object of `kind` by name from the snapshot (namespace "" or None for nodes)."""
        if kind == "Node":
            return self._nodes.get(name)
        return self._objects.get(_key(kind, namespace, name))

    def workload(self, pod: Body) -> ObjectRef:
        """The workload a pod belongs to (through its ReplicaSet to the Deployment), or the pod itself."""
        owner = workload_of(pod, self.get)
        ref = owner or pod_ref(pod)
        return ObjectRef(kind=ref.kind, name=ref.name, namespace=ref.namespace)

    def controller_of(self, obj: Body) -> Body | None:
        """The body of the object's controller (a pod's ReplicaSet, a ReplicaSet's Deployment), if known."""
        owners = _meta(obj).get("ownerReferences") or []
        owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
        if owner is None:
            return None
        return self.get(str(owner.get("kind", "")), _meta(obj).get("namespace"), str(owner.get("name", "")))

    def pods_owned_by(self, owner: Body) -> list[Body]:
        """Pods whose ownerReferences name `owner` by uid, live ones only."""
        uid = _meta(owner).get("uid")
        pods = self._owned.get(str(uid), []) if uid else []
        return [p for p in pods if not _meta(p).get("deletionTimestamp")]

    # ----- events, logs, names ---------------------------------------------------------------------

    def events(self, obj: Body, kind: str) -> list[Body]:
        """The Events about `obj` (of `kind`), oldest first."""
        meta = _meta(obj)
        uid = meta.get("uid")
        found = self._events.get(_key(kind, meta.get("namespace"), str(meta.get("name", ""))), [])
        return [e for e in found if not uid or not (e.get("involvedObject") or {}).get("uid") or _same_uid(e, uid)]

    def pod_events(self, pod: Body, *, container: str | None = None, reason: str | None = None) -> list[Body]:
        """Events about a pod, optionally only those about one container (by fieldPath) or of one reason."""
        out = []
        for event in self.events(pod, "Pod"):
            if reason is not None and event.get("reason") != reason:
                continue
            if container is not None:
                path = str((event.get("involvedObject") or {}).get("fieldPath") or "")
                if path and not path.endswith(f"{{{container}}}"):
                    continue
            out.append(event)
        return out

    def logs(self, pod: Body, container: str) -> tuple[str, ...] | None:
        """The container's last log lines as gathered, or None when they were not read."""
        meta = _meta(pod)
        return self.snapshot.logs.get((str(meta.get("namespace", "")), str(meta.get("name", "")), container))

    def configmap_names(self, namespace: str) -> frozenset[str] | None:
        """The ConfigMap names of `namespace`, or None when they could not be listed."""
        return self.snapshot.configmaps.get(namespace)

    # ----- time -------------------------------------------------------------------------------------

    def seconds_since(self, value: object) -> float | None:
        """Seconds from an RFC 3339 timestamp to now, or None if the timestamp is missing."""
        moment = value if isinstance(value, datetime) else parse_time(value)
        return (self.now - moment).total_seconds() if moment is not None else None

    def recent(self, value: object, window: float = RECENT) -> bool:
        """Whether a timestamp lies within `window` seconds before now (an unknown time counts as recent)."""
        age = self.seconds_since(value)
        return age is None or age <= window


@dataclass(frozen=True, slots=True)
class PodCase:
    """One pod under diagnosis, with the workload it belongs to: what every cause family needs."""

    ctx: Context
    pod: Body
    workload: ObjectRef  # the pod itself for a bare pod

    @property
    def name(self) -> str:
        return str(_meta(self.pod).get("name", ""))

    @property
    def namespace(self) -> str:
        return str(_meta(self.pod).get("namespace") or "")

    @property
    def status(self) -> Body:
        return self.pod.get("status") or {}

    @property
    def spec(self) -> Body:
        return self.pod.get("spec") or {}

    @property
    def kubectl_ref(self) -> str:
        """The workload as kubectl names it: "deployment/web", "pod/test-crash-loop"."""
        return f"{self.workload.kind.lower()}/{self.workload.name}"

    @property
    def kubectl_ns(self) -> str:
        return f"-n {self.namespace}"

    def container_spec(self, status: ContainerStatus) -> Body:
        specs = self.spec.get("initContainers" if status.init else "containers") or []
        return next((c for c in specs if c.get("name") == status.name), {})


def _same_uid(event: Body, uid: object) -> bool:
    return (event.get("involvedObject") or {}).get("uid") == uid
