"""Reading Pod and Node bodies: references, conditions, timestamps, container statuses and owners.

Bodies are the JSON the API server returns, as the informer cache keeps them. Items of a list
response carry no `kind`, so references are built with the kind the caller knows. Every reader
tolerates missing fields (a pod that was just created has no status yet) and never raises on a
malformed timestamp: it reads as unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kaido.core.refs import ObjectRef

__all__ = [
    "ContainerStatus",
    "OwnerLookup",
    "condition",
    "container_statuses",
    "describe_condition",
    "is_pod_ready",
    "node_ref",
    "parse_time",
    "pod_ref",
    "require_aware",
    "restart_total",
    "workload_of",
]

# (kind, namespace, name) -> the object's body, or None when it is not known (e.g. not in the cache).
OwnerLookup = Callable[[str, str, str], Mapping[str, Any] | None]


def require_aware(now: datetime) -> None:
    """Refuse a naive `now`: comparing it with the API server's UTC timestamps would be wrong or fail."""
    if now.tzinfo is None:
        raise ValueError(f"now={now.isoformat()} has no timezone; pass a timezone-aware time such as clock.now()")


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp ("2026-03-01T12:00:03Z", with or without fractions), or None if absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


def pod_ref(pod: Mapping[str, Any]) -> ObjectRef:
    meta = _meta(pod)
    return ObjectRef(kind="Pod", name=str(meta.get("name", "")), namespace=meta.get("namespace"), uid=meta.get("uid"))


def node_ref(node: Mapping[str, Any]) -> ObjectRef:
    meta = _meta(node)
    return ObjectRef(kind="Node", name=str(meta.get("name", "")), uid=meta.get("uid"))


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """The status condition of type `kind`, if the object reports one."""
    return next((c for c in _status(obj).get("conditions") or [] if c.get("type") == kind), None)


def describe_condition(found: Mapping[str, Any]) -> str:
    """One evidence line: "condition Ready=False (ContainersNotReady): <message> since <time>"."""
    line = f"condition {found.get('type')}={found.get('status')}"
    line += f" ({found['reason']})" if found.get("reason") else ""
    line += f": {found['message']}" if found.get("message") else ""
    since = found.get("lastTransitionTime")
    return line + (f" since {since}" if since else "")


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    return ready is not None and ready.get("status") == "True"


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """One entry of status.containerStatuses or status.initContainerStatuses, with which list it came from."""

    name: str
    init: bool
    body: Mapping[str, Any]

    @property
    def label(self) -> str:
        """How a sentence names it: "container app" or "init container wait"."""
        return f"{'init container' if self.init else 'container'} {self.name}"

    @property
    def restart_count(self) -> int:
        count = self.body.get("restartCount")
        return count if isinstance(count, int) and count > 0 else 0

    def state(self, which: str = "state") -> tuple[str, Mapping[str, Any]]:
        """("waiting" | "running" | "terminated" | "", details) of `state` or `lastState`."""
        current = self.body.get(which) or {}
        for kind in ("waiting", "running", "terminated"):
            if kind in current:
                return kind, current[kind] or {}
        return "", {}

    def describe(self) -> str:
        """One evidence line: the current state, the last termination and the restart count."""
        kind, details = self.state()
        text = f"{self.label}: {kind or 'no state'}"
        if details.get("reason"):
            text += f" {details['reason']}"
        if kind == "terminated":
            text += f" (exit code {details.get('exitCode')})"
        if details.get("message"):
            text += f": {details['message']}"
        last_kind, last = self.state("lastState")
        if last_kind == "terminated":
            text += (
                f"; last terminated {last.get('finishedAt') or 'at an unknown time'} "
                f"with {last.get('reason') or 'no reason'} (exit code {last.get('exitCode')})"
            )
        return f"{text}; restarts {self.restart_count}"


def container_statuses(pod: Mapping[str, Any]) -> Iterator[ContainerStatus]:
    """Init container statuses first, then the containers', in the order the kubelet reports them."""
    status = _status(pod)
    for key, init in (("initContainerStatuses", True), ("containerStatuses", False)):
        for body in status.get(key) or []:
            yield ContainerStatus(name=str(body.get("name", "")), init=init, body=body)


def restart_total(pod: Mapping[str, Any]) -> int:
    """The pod's restarts: restartCount summed over its init containers and containers.

    Record restart history with this function so that samples and the pod agree on what is counted.
    """
    return sum(c.restart_count for c in container_statuses(pod))


def _controller(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference with controller: true, else the first one."""
    owners = _meta(obj).get("ownerReferences") or []
    return next((o for o in owners if o.get("controller")), owners[0] if owners else None)


def workload_of(pod: Mapping[str, Any], owner_lookup: OwnerLookup | None = None) -> ObjectRef | None:
    """The workload a pod belongs to, through its controller ownerReference.

    A ReplicaSet is looked through to its own owner (usually a Deployment) when `owner_lookup` can
    find it; otherwise, and for every other kind (StatefulSet, DaemonSet, Job), the direct owner.
    """
    owner = _controller(pod)
    if owner is None or not owner.get("kind") or not owner.get("name"):
        return None
    namespace = _meta(pod).get("namespace")
    direct = ObjectRef.from_owner(owner, namespace)
    if direct.kind != "ReplicaSet" or owner_lookup is None:
        return direct
    replicaset = owner_lookup("ReplicaSet", namespace or "", direct.name)
    grand = _controller(replicaset) if replicaset is not None else None
    if grand is None or not grand.get("kind") or not grand.get("name"):
        return direct
    return ObjectRef.from_owner(grand, namespace)
