"""The simulated API server's object store: one global resourceVersion, objects, event history, watchers.

Every write goes through `_commit`, which bumps the resourceVersion, records the event in a bounded
history (so old resourceVersions really expire under churn) and fans it out to watchers. Objects
are kept in their storage version; `kaido.sim.convert` renders other versions. The store knows
nothing of HTTP: the app turns requests into these calls and `ApiError`s into Status bodies.
"""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from kaido.core import Clock
from kaido.sim.convert import from_storage, to_storage
from kaido.sim.errors import ApiError, Cause
from kaido.sim.resources import RESOURCES, ResourceType, builtin
from kaido.sim.selectors import FieldSelector, LabelSelector

__all__ = ["Obj", "ObjectStore", "WatchEvent", "Watcher", "rfc3339"]

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)
StorageKey = tuple[str, str]  # (group, plural)

_NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
SYSTEM_NAMESPACES: Final = ("default", "kube-system", "kube-public", "kube-node-lease")


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED
    resource_version: int
    storage_key: StorageKey
    obj: Obj
    old: Obj | None = None


@dataclass(eq=False)
class Watcher:
    """One watch stream's subscription: a queue of events already filtered by scope."""

    storage_key: StorageKey
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)

    def relevant(self, event: WatchEvent) -> WatchEvent | None:
        """The event as this watcher must see it: selectors turn edges into ADDED/DELETED, as upstream."""
        if event.storage_key != self.storage_key:
            return None
        if self.namespace and event.obj.get("metadata", {}).get("namespace") != self.namespace:
            return None
        now = self._matches(event.obj)
        before = self._matches(event.old) if event.old is not None else False
        if event.type == "MODIFIED":
            if now and not before:
                return WatchEvent("ADDED", event.resource_version, event.storage_key, event.obj)
            if before and not now:
                return WatchEvent("DELETED", event.resource_version, event.storage_key, event.obj)
            return event if now else None
        return event if now else None

    def _matches(self, obj: Obj) -> bool:
        return self.labels.matches(obj.get("metadata", {}).get("labels")) and self.fields.matches(obj)


class ObjectStore:
    """Objects by (group, plural) and (namespace, name), with a resourceVersion and a watch history."""

    def __init__(self, *, clock: Clock, seed: int = 0, history_limit: int = 5000) -> None:
        self.clock = clock
        self.random = random.Random(seed)  # noqa: S311 - reproducible names and uids, not secrets
        self.resource_version = 0
        self.objects: dict[StorageKey, dict[Key, Obj]] = {r.storage_key: {} for r in RESOURCES}
        self.history: deque[WatchEvent] = deque(maxlen=history_limit)
        self.watchers: set[Watcher] = set()
        self.listeners: list[Callable[[WatchEvent], None]] = []
        # resourceVersions at or below this are "too old"; raised by the history bound or by a fault.
        self.compacted = 0
        for name in SYSTEM_NAMESPACES:
            self.put_new(builtin("", "v1", "namespaces"), {"metadata": {"name": name}})

    # ----- reads -------------------------------------------------------------------------------

    def get(self, resource: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.objects[resource.storage_key].get((namespace or "", name))
        if obj is None:
            raise ApiError.not_found(resource.plural, name, resource.group)
        return obj

    def find(self, resource: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self.objects[resource.storage_key].get((namespace or "", name))

    def list_objects(
        self,
        resource: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
    ) -> list[Obj]:
        """Matching objects in (namespace, name) order."""
        items = self.objects[resource.storage_key]
        keys = sorted(items) if not namespace else sorted(k for k in items if k[0] == namespace)
        out = []
        for key in keys:
            obj = items[key]
            if labels is not None and not labels.matches(obj["metadata"].get("labels")):
                continue
            if fields is not None and not fields.matches(obj):
                continue
            out.append(obj)
        return out

    def all_objects(self) -> Iterable[tuple[StorageKey, Obj]]:
        for key, items in self.objects.items():
            for obj in items.values():
                yield key, obj

    # ----- writes ------------------------------------------------------------------------------

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def generate_name(self, prefix: str) -> str:
        return prefix + "".join(self.random.choice(_NAME_ALPHABET) for _ in range(5))

    def put_new(self, resource: ResourceType, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Store a new object (already defaulted and validated); fills the server-owned metadata.

        A uid already set was chosen by `Operations` for this object; clients cannot set one (it is dropped there).
        """
        obj = to_storage(resource, copy.deepcopy(obj))
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise ApiError.invalid(
                    resource.kind, "", [_required("metadata.name", "name or generateName is required")]
                )
            for _ in range(10):
                meta["name"] = self.generate_name(meta["generateName"])
                if self.find(resource, meta.get("namespace"), meta["name"]) is None:
                    break
        key = (meta.get("namespace") or "", meta["name"])
        if key in self.objects[resource.storage_key]:
            raise ApiError.already_exists(resource.plural, meta["name"], resource.group)
        for server_owned in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(server_owned, None)
        meta["uid"] = meta.get("uid") or self.new_uid()
        meta["creationTimestamp"] = rfc3339(self.clock.now())
        if "spec" in obj or resource.kind in _GENERATION_KINDS:
            meta["generation"] = 1
        obj["apiVersion"], obj["kind"] = _storage_type(resource)
        if dry_run:
            meta["resourceVersion"] = str(self.resource_version)
            return obj
        self.objects[resource.storage_key][key] = obj
        self._commit("ADDED", resource.storage_key, obj)
        return obj

    def replace(
        self, resource: ResourceType, old: Obj, new: Obj, *, dry_run: bool = False, marking_deletion: bool = False
    ) -> Obj:
        """Swap `old` for `new` (same key); a no-op write keeps the resourceVersion, as upstream.

        Server-owned metadata is kept from `old`; only a deletion may set deletionTimestamp.
        """
        new = to_storage(resource, copy.deepcopy(new))
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        immutable_fields = ["uid", "creationTimestamp", "name", "namespace"]
        if not marking_deletion:
            immutable_fields += ["deletionTimestamp", "deletionGracePeriodSeconds"]
        for immutable in immutable_fields:
            if immutable in old_meta:
                meta[immutable] = old_meta[immutable]
            else:
                meta.pop(immutable, None)
        if "generation" in old_meta:
            changed = {k: v for k, v in new.items() if k not in ("metadata", "status", "apiVersion", "kind")}
            before = {k: v for k, v in old.items() if k not in ("metadata", "status", "apiVersion", "kind")}
            meta["generation"] = old_meta["generation"] + (1 if changed != before else 0)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        if new == old:
            return old
        if old_meta.get("deletionTimestamp") and not meta.get("finalizers"):
            if not dry_run:
                self._remove(resource.storage_key, new)
            return new
        if dry_run:
            return new
        key = (meta.get("namespace") or "", meta["name"])
        self.objects[resource.storage_key][key] = new
        self._commit("MODIFIED", resource.storage_key, new, old)
        return new

    def remove(self, resource: ResourceType, obj: Obj) -> Obj:
        return self._remove(resource.storage_key, obj)

    def _remove(self, storage_key: StorageKey, obj: Obj) -> Obj:
        meta = obj["metadata"]
        removed = self.objects[storage_key].pop((meta.get("namespace") or "", meta["name"]), None)
        if removed is None:
            return obj
        final = copy.deepcopy(obj)
        self._commit("DELETED", storage_key, final, removed)
        return final

    def _commit(self, kind: str, storage_key: StorageKey, obj: Obj, old: Obj | None = None) -> None:
        self.resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self.resource_version)
        event = WatchEvent(kind, self.resource_version, storage_key, obj, old)
        if len(self.history) == self.history.maxlen:
            self.compacted = max(self.compacted, self.history[0].resource_version)
        self.history.append(event)
        for watcher in list(self.watchers):
            seen = watcher.relevant(event)
            if seen is not None:
                watcher.queue.put_nowait(seen)
        for listener in list(self.listeners):
            listener(event)

    # ----- watch -------------------------------------------------------------------------------

    def subscribe(self, watcher: Watcher, since: int | None) -> list[WatchEvent]:
        """Register `watcher` and return the history it missed after `since` (None: nothing).

        Raises the 410 "too old" error when `since` fell out of the history.
        """
        backlog: list[WatchEvent] = []
        if since is not None and since < self.resource_version:
            if since < self.compacted:
                raise ApiError(410, "Expired", f"too old resource version: {since} ({self.compacted + 1})")
            for event in self.history:
                if event.resource_version > since:
                    seen = watcher.relevant(event)
                    if seen is not None:
                        backlog.append(seen)
        self.watchers.add(watcher)
        return backlog

    def unsubscribe(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    def expire_history(self) -> None:
        """Forget the whole history, so every resourceVersion before now is too old (a fault switch)."""
        self.compacted = self.resource_version
        self.history.clear()

    def close_watchers(self) -> None:
        for watcher in list(self.watchers):
            watcher.queue.put_nowait(None)


_GENERATION_KINDS: Final = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"})


def _storage_type(resource: ResourceType) -> tuple[str, str]:
    if resource.group == "autoscaling":
        return "autoscaling/v2", resource.kind
    if resource.group == "events.k8s.io":
        return "v1", "Event"
    return resource.api_version, resource.kind


def _required(path: str, message: str) -> Cause:
    return Cause(path, message, "FieldValueRequired")


def render(resource: ResourceType, obj: Obj) -> Obj:
    """The stored object as `resource`'s version presents it."""
    return from_storage(resource, obj)
