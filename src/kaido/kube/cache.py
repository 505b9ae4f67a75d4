"""The informer's cache as a pure reducer: watch events and relists in, state and deltas out.

An informer keeps one `CacheState` per resource and scope. Two functions change it, and each
returns the `Delta`s that subscribers must see, so the cache and every subscriber's view move
together:

- `apply_event` folds one watch event in. BOOKMARK only moves the resourceVersion. An event older
  than what is cached for its key is ignored, so a replayed or reordered event never regresses an
  object. A MODIFIED for an unknown key is reported as ADDED; an object recreated under the same
  name (a new uid) is reported as DELETED then ADDED.
- `replace_all` applies a relist (after a 410 Gone): ADDED for new keys, MODIFIED for changed
  resourceVersions, and a synthesized DELETED carrying the last known object for every key that
  vanished while the watch was down, so no subscriber misses a deletion.

Replaying the deltas on an empty dict always yields the cache's objects (the property test in
tests/kube/test_cache.py checks this under arbitrary drops and relists). `compact`, the
informer's default transform, slims objects before they are cached. No I/O happens here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

__all__ = [
    "LAST_APPLIED",
    "CacheState",
    "Delta",
    "DeltaType",
    "Event",
    "Key",
    "apply_event",
    "compact",
    "key_of",
    "replace_all",
    "rv_newer",
    "strip_bulky_fields",
]

Key = tuple[str, str]  # (namespace or "", name)
DeltaType = Literal["ADDED", "MODIFIED", "DELETED"]
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"


class Event(Protocol):
    """What the reducer needs of a watch event (`kaido.kube.client.WatchEvent` fits)."""

    @property
    def type(self) -> str: ...

    @property
    def object(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Delta:
    """One change a subscriber sees. For DELETED, `object` is the final state and `old` the cached one."""

    type: DeltaType
    key: Key
    object: dict[str, Any]
    old: dict[str, Any] | None = None


@dataclass(slots=True)
class CacheState:
    """Objects of one resource and scope by key, and the resourceVersion to resume watching from."""

    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    resource_version: str = ""


def key_of(obj: dict[str, Any]) -> Key:
    """The cache key of an object; a ValueError names what is missing."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        kind = obj.get("kind", "object")
        raise ValueError(f"{kind} without metadata.name cannot be cached: {str(obj)[:200]}")
    return (meta.get("namespace") or "", meta["name"])


def rv_newer(candidate: str, current: str) -> bool:
    """Whether resourceVersion `candidate` is newer than `current`.

    resourceVersions are opaque to clients, but etcd and the simulator use integers, so they are
    compared as integers when both parse. Otherwise any difference counts as newer: the latest
    event wins, which is all an opaque version allows.
    """
    if candidate == current:
        return False
    if candidate.isdigit() and current.isdigit():
        return int(candidate) > int(current)
    return True


def apply_event(state: CacheState, event: Event) -> list[Delta]:
    """Fold one watch event into `state`; returns the deltas for subscribers (often one, maybe none)."""
    rv = _rv(event.object)
    if event.type == "BOOKMARK":
        _advance(state, rv)
        return []
    if event.type not in ("ADDED", "MODIFIED", "DELETED"):
        raise ValueError(
            f"cannot apply a watch event of type {event.type!r}; expected ADDED, MODIFIED, DELETED or BOOKMARK"
        )
    key = key_of(event.object)
    cached = state.objects.get(key)
    _advance(state, rv)
    if cached is not None and rv and not rv_newer(rv, _rv(cached)):
        return []  # a replay of what is cached, or older: never move an object backwards
    if event.type == "DELETED":
        if cached is None:
            return []  # already gone (a relist synthesized the deletion)
        del state.objects[key]
        return [Delta("DELETED", key, event.object, cached)]
    state.objects[key] = event.object
    if cached is None:
        return [Delta("ADDED", key, event.object)]
    if _uid(cached) != _uid(event.object):
        return [Delta("DELETED", key, cached, cached), Delta("ADDED", key, event.object)]
    return [Delta("MODIFIED", key, event.object, cached)]


def replace_all(state: CacheState, items: Iterable[dict[str, Any]], resource_version: str) -> list[Delta]:
    """Replace the cache with a complete list taken at `resource_version`; returns the deltas.

    A list is a consistent snapshot, so it is authoritative: keys it lacks were deleted while the
    watch was down, and each gets a DELETED with the last object the cache knew.
    """
    listed = {key_of(item): item for item in items}
    deltas: list[Delta] = []
    for key in sorted(state.objects.keys() - listed.keys()):
        last = state.objects[key]
        deltas.append(Delta("DELETED", key, last, last))
    for key, item in listed.items():
        cached = state.objects.get(key)
        if cached is None:
            deltas.append(Delta("ADDED", key, item))
        elif _uid(cached) != _uid(item):
            deltas += [Delta("DELETED", key, cached, cached), Delta("ADDED", key, item)]
        elif _rv(cached) != _rv(item):
            deltas.append(Delta("MODIFIED", key, item, cached))
        else:
            listed[key] = cached  # unchanged: keep the cached dict so readers holding it stay current
    state.objects = listed
    state.resource_version = resource_version
    return deltas


# Defaulted pod fields no kaido code reads. Pods dominate the cache, so leaving these out keeps 10k
# pods inside the agent's memory budget; code that starts reading one must remove it from here.
_POD_SPEC_UNREAD: Final = frozenset(
    {"dnsPolicy", "schedulerName", "enableServiceLinks", "preemptionPolicy", "priority", "serviceAccount"}
)
_CONTAINER_UNREAD: Final = frozenset({"terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy"})
_POD_STATUS_UNREAD: Final = frozenset({"podIP", "podIPs", "hostIP", "hostIPs", "qosClass"})
_STATUS_UNREAD: Final = frozenset({"imageID", "containerID"})
_TOKEN_VOLUME: Final = "kube-api-access-"  # noqa: S105 - the name prefix of the projected token volume, not a secret


def slim_pod(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop, in place, the defaulted pod fields kaido never reads (see the sets above); returns `obj`.

    In place on purpose: the informer owns the freshly decoded object, and copying 10k pods would
    leave the decoded originals behind as heap fragments the process never returns.
    """
    spec, status = obj.get("spec"), obj.get("status")
    if isinstance(spec, dict):
        for key in _POD_SPEC_UNREAD:
            spec.pop(key, None)
        for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            _drop(container, _CONTAINER_UNREAD)
            if isinstance(container, dict) and isinstance(container.get("volumeMounts"), list):
                container["volumeMounts"] = [m for m in container["volumeMounts"] if not _token_volume(m)]
        if isinstance(spec.get("volumes"), list):
            spec["volumes"] = [v for v in spec["volumes"] if not _token_volume(v)]
    if isinstance(status, dict):
        for key in _POD_STATUS_UNREAD:
            status.pop(key, None)
        for container in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            _drop(container, _STATUS_UNREAD)
    return obj


def _drop(item: Any, keys: frozenset[str]) -> None:
    if isinstance(item, dict):
        for key in keys:
            item.pop(key, None)


def _token_volume(item: Any) -> bool:
    return isinstance(item, dict) and str(item.get("name", "")).startswith(_TOKEN_VOLUME)


def strip_bulky_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without metadata.managedFields and kubectl's last-applied annotation (and, for a
    pod, the fields `slim_pod` drops).

    Together they are often half of an object's size and no controller reads them; dropping them
    keeps 10k cached pods inside the agent's memory budget. The input's metadata is not modified; a
    pod's spec and status are slimmed in place (the informer owns the freshly decoded object).
    """
    if obj.get("kind") == "Pod":
        obj = slim_pod(obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    annotations = meta.get("annotations")
    if "managedFields" not in meta and not (isinstance(annotations, dict) and LAST_APPLIED in annotations):
        return obj
    slim = {key: value for key, value in meta.items() if key != "managedFields"}
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        kept = {key: value for key, value in annotations.items() if key != LAST_APPLIED}
        if kept:
            slim["annotations"] = kept
        else:
            del slim["annotations"]
    return {**obj, "metadata": slim}


def compact(obj: dict[str, Any]) -> dict[str, Any]:
    """The informer's default transform: `strip_bulky_fields`, then one shared copy of each key.

    Each watch event is parsed on its own, so without this every cached object carries private
    copies of "metadata", "containerStatuses", ... (about 30 % of a pod's memory in the cache).
    Keys come from a bounded vocabulary, so interning them cannot grow without limit.
    """
    shared: dict[str, Any] = _intern_keys(strip_bulky_fields(obj))
    return shared


def _intern_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {sys.intern(key) if isinstance(key, str) else key: _intern_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_intern_keys(item) for item in value]
    return value


def _advance(state: CacheState, rv: str) -> None:
    if rv and (not state.resource_version or rv_newer(rv, state.resource_version)):
        state.resource_version = rv


def _rv(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    value = meta.get("resourceVersion") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _uid(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata")
    value = meta.get("uid") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None
