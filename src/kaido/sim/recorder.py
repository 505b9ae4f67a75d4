"""The Event recorder: core/v1 Events with the reasons real components emit, aggregated like client-go.

A repeat of the same (object, type, reason, message, component) within the series window bumps
`count` and `lastTimestamp` on the existing Event instead of creating a new one.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339

__all__ = ["record_event"]

EVENTS: Final = builtin("", "v1", "events")


def record_event(
    cluster: SimCluster,
    obj: Obj,
    event_type: str,
    reason: str,
    message: str,
    *,
    component: str,
    now: datetime,
    host: str | None = None,
    field_path: str | None = None,
) -> None:
    """Record (or aggregate) an Event about `obj` in its namespace ("default" for cluster objects)."""
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    involved: Obj = {
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid"),
        "apiVersion": obj.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    if field_path:
        involved["fieldPath"] = field_path
    key = (meta.get("uid"), event_type, reason, message, component, field_path)
    existing = cluster.event_index.get(key)
    stamp = rfc3339(now)
    if existing is not None:
        current = cluster.store.find(EVENTS, namespace, existing)
        if current is not None:
            updated = copy.deepcopy(current)
            updated["count"] = int(current.get("count", 1)) + 1
            updated["lastTimestamp"] = stamp
            cluster.store.replace(EVENTS, current, updated)
            return
    name = f"{meta['name']}.{cluster.store.random.getrandbits(64):016x}"
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": event_type,
        "source": source,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }
    cluster.store.put_new(EVENTS, event)
    cluster.event_index[key] = name
