"""Plain-words descriptions of what changed in a workload between two observations.

The agent's timeline uses them to tell what it sees: new revisions, scaling, availability. Pure:
two object bodies in, sentences out; an unchanged or unknown shape yields nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["describe_workload_change"]

REVISION = "deployment.kubernetes.io/revision"


def describe_workload_change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
    """What a person would want to hear about a Deployment (or StatefulSet) moving from `old` to `new`."""
    if new is None:
        return [f"{_name(old)} was deleted"] if old is not None else []
    if old is None:
        return [f"{_name(new)} appeared with {_replicas(new)} replicas ({_images(new)})"]
    said: list[str] = []
    old_rev, new_rev = _revision(old), _revision(new)
    if new_rev and old_rev and new_rev != old_rev:
        said.append(f"{_name(new)} rolled out revision {new_rev} ({_images(new)})")
    if _replicas(old) != _replicas(new):
        said.append(f"{_name(new)} scaled from {_replicas(old)} to {_replicas(new)} replicas")
    was, now = _available(old), _available(new)
    if was != now and now == _replicas(new):
        said.append(f"{_name(new)} is fully available: {now}/{_replicas(new)} replicas")
    elif was != now and now < was:
        said.append(f"{_name(new)} lost availability: {now}/{_replicas(new)} replicas available")
    return said


def _name(obj: Mapping[str, Any] | None) -> str:
    meta = (obj or {}).get("metadata") or {}
    return f"{str((obj or {}).get('kind') or 'workload').lower()} {meta.get('namespace')}/{meta.get('name')}"


def _replicas(obj: Mapping[str, Any]) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def _available(obj: Mapping[str, Any]) -> int:
    status = obj.get("status") or {}
    return int(status.get("availableReplicas", status.get("readyReplicas", 0)) or 0)


def _revision(obj: Mapping[str, Any]) -> str | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    return str(value) if value else None


def _images(obj: Mapping[str, Any]) -> str:
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    return ", ".join(str(c.get("image")) for c in containers) or "no containers"
