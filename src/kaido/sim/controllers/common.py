"""What several controllers need: ownership, pod readiness and availability, status writes."""

from __future__ import annotations

import copy
import math
from datetime import datetime
from typing import Any, Final

from kaido.sim.cluster import SimCluster
from kaido.sim.errors import ApiError
from kaido.sim.recorder import record_event
from kaido.sim.resources import ResourceType, builtin
from kaido.sim.store import Obj, rfc3339

__all__ = [
    "PODS",
    "controller_ref",
    "create_owned_pod",
    "is_controlled_by",
    "is_pod_available",
    "is_pod_ready",
    "parse_time",
    "pod_from_template",
    "resolve_int_or_percent",
    "set_condition",
    "write_status",
]

PODS: Final = builtin("", "v1", "pods")


def controller_ref(owner: Obj) -> Obj:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_controlled_by(obj: Obj, owner_uid: str) -> bool:
    refs = obj["metadata"].get("ownerReferences") or []
    return any(ref.get("uid") == owner_uid and ref.get("controller") for ref in refs)


def is_pod_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def is_pod_available(pod: Obj, min_ready_seconds: int, now: datetime) -> bool:
    """Ready for at least minReadySeconds, as the ReplicaSet and Deployment controllers count it."""
    if not is_pod_ready(pod) or pod["metadata"].get("deletionTimestamp"):
        return False
    if min_ready_seconds <= 0:
        return True
    conditions = (pod.get("status") or {}).get("conditions") or []
    ready: Obj = next((c for c in conditions if c.get("type") == "Ready"), {})
    since = parse_time(ready.get("lastTransitionTime"))
    return since is not None and (now - since).total_seconds() >= min_ready_seconds


def resolve_int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = total * int(value[:-1]) / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(value or 0)


def set_condition(conditions: list[Obj], kind: str, status: str, reason: str, message: str, now: datetime) -> list[Obj]:
    """Conditions with `kind` set; lastTransitionTime moves only when the status changes."""
    stamp = rfc3339(now)
    out = [copy.deepcopy(c) for c in conditions if c.get("type") != kind]
    previous = next((c for c in conditions if c.get("type") == kind), None)
    transition = previous["lastTransitionTime"] if previous and previous.get("status") == status else stamp
    out.append(
        {
            "type": kind,
            "status": status,
            "lastUpdateTime": stamp if not previous or previous.get("reason") != reason else previous["lastUpdateTime"],
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        }
    )
    return sorted(out, key=lambda c: str(c["type"]))


def write_status(cluster: SimCluster, resource: ResourceType, obj: Obj, status: Obj) -> Obj:
    """Write `status` through the status subresource when it differs from the stored one."""
    if obj.get("status") == status:
        return obj
    new = copy.deepcopy(obj)
    new["status"] = status
    meta = obj["metadata"]
    return cluster.ops.update(resource, meta.get("namespace"), meta["name"], new, subresource="status")


def pod_from_template(owner: Obj, template: Obj, *, name: str | None = None) -> Obj:
    """A Pod from a pod template, owned (as controller) by `owner`, named `name` or `<owner>-xxxxx`."""
    meta = owner["metadata"]
    pod_meta = copy.deepcopy(template.get("metadata") or {})
    pod_meta.pop("name", None)
    if name:
        pod_meta["name"] = name
    else:
        pod_meta["generateName"] = f"{meta['name']}-"
    pod_meta.update(namespace=meta["namespace"], ownerReferences=[controller_ref(owner)])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": copy.deepcopy(template["spec"])}


def create_owned_pod(cluster: SimCluster, owner: Obj, pod: Obj, *, component: str, now: datetime) -> Obj | None:
    """Create `pod` for `owner`, recording SuccessfulCreate or FailedCreate on the owner as upstream does."""
    try:
        created = cluster.ops.create(PODS, owner["metadata"]["namespace"], pod)
    except ApiError as error:
        record_event(cluster, owner, "Warning", "FailedCreate", f"Error creating: {error.message}",
                     component=component, now=now)  # fmt: skip
        return None
    record_event(cluster, owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                 component=component, now=now)  # fmt: skip
    return created
