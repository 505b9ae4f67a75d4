"""ResourceQuota: admission of new objects against `spec.hard`, and the usage the quota reports.

Usage is computed from the store when needed (pods in a non-terminal phase, object counts), so
admission and `status.used` always agree. A rejected create is a 403 with upstream's message:
`pods "web-abc" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used:
requests.cpu=1500m, limited: requests.cpu=2`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from kaido.core import Quantity, parse_quantity
from kaido.sim.errors import ApiError
from kaido.sim.resources import RESOURCES, ResourceType, builtin
from kaido.sim.store import Obj, ObjectStore

__all__ = ["check_quota", "quota_usage"]

QUOTAS: Final = builtin("", "v1", "resourcequotas")
PODS: Final = builtin("", "v1", "pods")
# Object-count names and the resource each counts.
_COUNTED: Final = {
    "pods": ("", "pods"),
    "services": ("", "services"),
    "configmaps": ("", "configmaps"),
    "secrets": ("", "secrets"),
    "persistentvolumeclaims": ("", "persistentvolumeclaims"),
    "replicationcontrollers": ("", "replicationcontrollers"),
    "resourcequotas": ("", "resourcequotas"),
}
_ZERO: Final = parse_quantity("0")


def _pod_usage(pod: Obj) -> dict[str, Quantity]:
    """requests.* and limits.* of one pod: the larger of the init containers and the sum of the app containers."""
    usage: dict[str, Quantity] = {}
    spec = pod.get("spec") or {}
    for kind in ("requests", "limits"):
        totals: dict[str, Quantity] = {}
        for container in spec.get("containers") or []:
            for name, value in ((container.get("resources") or {}).get(kind) or {}).items():
                totals[name] = totals.get(name, _ZERO) + parse_quantity(value)
        for container in spec.get("initContainers") or []:
            for name, value in ((container.get("resources") or {}).get(kind) or {}).items():
                totals[name] = max(totals.get(name, _ZERO), parse_quantity(value))
        for name, value in totals.items():
            usage[f"{kind}.{name}"] = value
            if kind == "requests" and name in ("cpu", "memory"):
                usage[name] = value
    usage["pods"] = parse_quantity(1)
    return usage


def _object_usage(resource: ResourceType, obj: Obj) -> dict[str, Quantity]:
    if resource.kind == "Pod":
        usage = _pod_usage(obj)
    else:
        usage = {}
        for name, (group, plural) in _COUNTED.items():
            if (resource.group, resource.plural) == (group, plural):
                usage[name] = parse_quantity(1)
        if resource.kind == "PersistentVolumeClaim":
            storage = (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            if storage:
                usage["requests.storage"] = parse_quantity(storage)
    group_prefix = f".{resource.group}" if resource.group else ""
    usage[f"count/{resource.plural}{group_prefix}"] = parse_quantity(1)
    return usage


def _live(resource: ResourceType, obj: Obj) -> bool:
    if resource.kind == "Pod":
        return (obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    return True


def quota_usage(store: ObjectStore, namespace: str, names: Iterable[str]) -> dict[str, Quantity]:
    """What the namespace uses of each quota resource in `names`."""
    wanted = set(names)
    used = dict.fromkeys(wanted, _ZERO)
    for storage_key, obj in store.all_objects():
        if obj["metadata"].get("namespace") != namespace:
            continue
        resource = next((r for r in RESOURCES if r.storage_key == storage_key), None)
        if resource is None or not _live(resource, obj):
            continue
        for name, value in _object_usage(resource, obj).items():
            if name in wanted:
                used[name] = used[name] + value
    return used


def check_quota(store: ObjectStore, resource: ResourceType, obj: Obj) -> None:
    """Raise the 403 upstream's quota admission gives when `obj` would exceed a quota of its namespace."""
    namespace = obj["metadata"].get("namespace")
    if not namespace or not resource.namespaced:
        return
    requested = _object_usage(resource, obj)
    for quota in store.list_objects(QUOTAS, namespace):
        hard = {k: parse_quantity(v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()}
        relevant = sorted(name for name in hard if name in requested)
        if not relevant:
            continue
        used = quota_usage(store, namespace, relevant)
        exceeded = [name for name in relevant if used[name] + requested[name] > hard[name]]
        if exceeded:
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
            quota_name = quota["metadata"]["name"]
            raise ApiError(
                403,
                "Forbidden",
                f'{resource.plural} "{name}" is forbidden: exceeded quota: {quota_name}, '
                f"requested: {_list(exceeded, requested)}, used: {_list(exceeded, used)}, "
                f"limited: {_list(exceeded, hard)}",
                name=name,
                kind=resource.plural,
            )


def _list(names: list[str], values: dict[str, Quantity]) -> str:
    return ",".join(f"{name}={values[name]}" for name in names)
