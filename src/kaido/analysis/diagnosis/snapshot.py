"""The input of a diagnosis: the raw objects of one namespace scope, as the API server returned them.

A `Snapshot` is what `kaido.controllers.inspect.gather` reads (or what a test writes by hand). Every
collection is optional: a cluster may forbid listing nodes or ConfigMaps, and the diagnosis then
works from what the kubelet and the controllers wrote into pod statuses and Events. Secrets are never
read; a missing Secret is known from the kubelet's message alone. `notes` record what could not be
read, so a person knows why a suggestion is less precise than it could be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaido.analysis.status import parse_time

__all__ = ["Body", "LogKey", "Snapshot", "latest_time"]

Body = Mapping[str, Any]
LogKey = tuple[str, str, str]  # namespace, pod, container


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Raw objects of a namespace (or of every namespace: `namespace` None) at one moment."""

    namespace: str | None = None
    pods: tuple[Body, ...] = ()
    events: tuple[Body, ...] = ()  # core/v1 Events
    replicasets: tuple[Body, ...] = ()
    deployments: tuple[Body, ...] = ()
    statefulsets: tuple[Body, ...] = ()
    daemonsets: tuple[Body, ...] = ()
    jobs: tuple[Body, ...] = ()
    hpas: tuple[Body, ...] = ()
    nodes: tuple[Body, ...] = ()
    pvcs: tuple[Body, ...] = ()
    resourcequotas: tuple[Body, ...] = ()
    # ConfigMap names per namespace, for namespaces where they could be listed; absent means unknown.
    configmaps: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The last lines of a container's log: of its previous instance when it restarted, else of its
    # terminated current one.
    logs: Mapping[LogKey, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what could not be read, and what that costs


def latest_time(snapshot: Snapshot) -> datetime | None:
    """The newest timestamp the objects carry (event times, container and condition transitions).

    A cluster's clock may run ahead of the reader's (a sped-up simulator, clock skew); a caller that
    takes `now` from its own clock can use the later of the two, so nothing looks as if it happened
    in the future.
    """
    stamps = [t for t in (parse_time(value) for value in _times(snapshot)) if t is not None]
    return max(stamps, default=None)


def _times(snapshot: Snapshot) -> Iterable[object]:
    for event in snapshot.events:
        yield event.get("lastTimestamp")
        yield event.get("eventTime")
    for pod in snapshot.pods:
        status = pod.get("status") or {}
        yield (pod.get("metadata") or {}).get("creationTimestamp")
        for item in status.get("conditions") or []:
            yield item.get("lastTransitionTime")
        for key in ("containerStatuses", "initContainerStatuses"):
            for container in status.get(key) or []:
                for which in ("state", "lastState"):
                    for details in (container.get(which) or {}).values():
                        if isinstance(details, Mapping):
                            yield details.get("startedAt")
                            yield details.get("finishedAt")
