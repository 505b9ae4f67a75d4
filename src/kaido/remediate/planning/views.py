"""What the planner knows about one workload: its body, its pods, its budgets and its diagnosis.

A `WorkloadView` is assembled by the healer from the informer caches and the latest diagnosis;
here are the pure questions asked of it: is the workload healthy (rolled out, every replica ready,
no diagnosis), which of its pods is the worst one to restart, and which pods look troubled enough
that their namespace deserves a diagnosis pass at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from kaido.analysis.diagnosis import Diagnosis
from kaido.analysis.status import container_statuses, is_pod_ready, parse_time, restart_total, workload_of
from kaido.core.refs import ObjectRef

__all__ = [
    "IGNORE",
    "Body",
    "TroubleMemo",
    "WorkloadView",
    "group_pods",
    "ignored",
    "live_pods",
    "troubled",
    "troubled_until",
    "workload_ready",
    "worst_pod",
]

Body = Mapping[str, Any]
IGNORE: Final = "kaido.io/ignore"  # an annotation (or label) "true": kaido leaves the object alone
_RECENT_CRASH: Final = 600.0  # a termination this recent still makes a pod worth diagnosing
_FOREVER: Final = datetime.max.replace(tzinfo=UTC)
_CONTROLLED: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadView:
    """One workload (or bare pod, or node) as the caches show it now."""

    ref: ObjectRef
    body: Body | None  # None: the object is gone
    pods: tuple[Body, ...] = ()  # its live pods (for a bare pod: the pod itself)
    diagnosis: Diagnosis | None = None
    pdbs: tuple[Body, ...] = ()  # PodDisruptionBudgets of its namespace, when they can be read
    known: bool = True  # False: kaido does not watch this kind; `body` is a stand-in and its pods speak for it

    @property
    def exists(self) -> bool:
        return self.body is not None

    @property
    def healthy(self) -> bool:
        """No diagnosis, and the workload reports every replica ready and rolled out."""
        if self.diagnosis is not None or self.body is None:
            return False
        if not self.known:
            return all(workload_ready("Pod", p) for p in live_pods(self.pods))
        return workload_ready(self.ref.kind, self.body)

    @property
    def replicas(self) -> int:
        spec = (self.body or {}).get("spec") or {}
        value = spec.get("replicas", 1)
        return value if isinstance(value, int) else 1

    @property
    def controlled(self) -> bool:
        """Whether a controller recreates its pods (a bare pod deleted is gone for good)."""
        return self.ref.kind in _CONTROLLED


def workload_ready(kind: str, body: Body) -> bool:
    """Whether the object's own status says it is fully available (and rolled out, for a Deployment)."""
    spec, status = body.get("spec") or {}, body.get("status") or {}
    want = spec.get("replicas", 1)
    if kind == "Pod":
        return status.get("phase") == "Succeeded" or is_pod_ready(body)
    if kind == "Node":
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
        return ready is not None and ready.get("status") == "True"
    if kind == "Deployment":
        generation = (body.get("metadata") or {}).get("generation", 0)
        return bool(
            status.get("observedGeneration", 0) >= generation
            and status.get("updatedReplicas", 0) >= want
            and status.get("availableReplicas", 0) >= want
            and status.get("replicas", 0) <= want  # the old revision's pods are gone
        )
    if kind in ("StatefulSet", "ReplicaSet"):
        return bool(status.get("readyReplicas", 0) >= want)
    if kind == "DaemonSet":
        return bool(status.get("numberReady", 0) >= status.get("desiredNumberScheduled", 0))
    return True  # Jobs and others: only the diagnosis speaks about them


def live_pods(pods: Iterable[Body]) -> list[Body]:
    return [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]


def group_pods(pods: Iterable[Body], lookup: Callable[[str, str, str], Body | None]) -> dict[ObjectRef, list[Body]]:
    """Live pods by the workload they belong to (through ReplicaSets to Deployments); bare pods by themselves."""
    groups: dict[ObjectRef, list[Body]] = {}
    for pod in live_pods(pods):
        meta = pod.get("metadata") or {}
        owner = workload_of(pod, lookup)
        ref = owner or ObjectRef(kind="Pod", name=str(meta.get("name", "")), namespace=meta.get("namespace"))
        groups.setdefault(ObjectRef(kind=ref.kind, name=ref.name, namespace=ref.namespace), []).append(pod)
    return groups


def ignored(*objects: Body | None) -> bool:
    """Whether any of the objects carries `kaido.io/ignore: "true"` (annotation or label)."""
    for obj in objects:
        meta = (obj or {}).get("metadata") or {}
        for section in ("annotations", "labels"):
            if str((meta.get(section) or {}).get(IGNORE, "")).lower() == "true":
                return True
    return False


def worst_pod(view: WorkloadView) -> Body | None:
    """The pod to restart: a diagnosed, not-ignored, not-ready pod with the most restarts; None if none fits."""
    named = set(view.diagnosis.pods) if view.diagnosis is not None else set()
    candidates = [
        p
        for p in live_pods(view.pods)
        if not ignored(p) and (not named or (p.get("metadata") or {}).get("name") in named)
    ]
    if not candidates:
        return None
    # Not-ready pods first, then the most restarts, then the name, so the choice is stable.
    return min(
        candidates,
        key=lambda p: (is_pod_ready(p), -restart_total(p), str((p.get("metadata") or {}).get("name", ""))),
    )


def troubled(pod: Body, *, now: datetime) -> bool:
    """Whether a pod shows anything a diagnosis could name: not running well, or a recent crash."""
    until = troubled_until(pod)
    return until is not None and now <= until


def troubled_until(pod: Body) -> datetime | None:
    """Until when the pod, as it is, deserves a diagnosis: `datetime.max` while it runs badly, the end of
    the recent-crash window after a crash, None when it is fine. Only a change to the pod moves it."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Succeeded":
        return None
    if phase != "Running" or not is_pod_ready(pod):
        return _FOREVER
    latest: datetime | None = None
    for container in container_statuses(pod):
        kind, _ = container.state()
        if kind != "running":
            return _FOREVER
        last_kind, last = container.state("lastState")
        finished = parse_time(last.get("finishedAt")) if last_kind == "terminated" else None
        if finished is not None and (latest is None or finished > latest):
            latest = finished
    return latest + timedelta(seconds=_RECENT_CRASH) if latest is not None else None


class TroubleMemo:
    """The namespaces whose pods show trouble, with each pod's answer kept by resourceVersion.

    A pass over ten thousand healthy pods then costs a dictionary lookup per pod rather than a read
    of every status; only pods that changed are examined again.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, datetime | None]] = {}

    def namespaces(self, pods: Iterable[Body], *, now: datetime) -> set[str]:
        seen: dict[str, tuple[str, datetime | None]] = {}
        found: set[str] = set()
        for pod in pods:
            meta = pod.get("metadata") or {}
            key, version = f"{meta.get('namespace')}/{meta.get('name')}", str(meta.get("resourceVersion", ""))
            cached = self._seen.get(key)
            until = cached[1] if cached is not None and cached[0] == version else troubled_until(pod)
            seen[key] = (version, until)
            if until is not None and now <= until:
                found.add(str(meta.get("namespace") or ""))
        self._seen = seen
        return found
