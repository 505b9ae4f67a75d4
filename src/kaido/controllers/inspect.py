"""Gathering the inputs of a diagnosis from the API: one list per resource, then the logs that explain crashes.

`gather` lists pods (required), the objects around them (Events, ReplicaSets, Deployments,
StatefulSets, DaemonSets, Jobs, HPAs, claims, quotas, ConfigMap names) and nodes, all at once. Only
pods must be readable: a 403 or 404 on anything else leaves that collection empty and adds a note
saying what the diagnosis loses, because kaido's Helm chart grants less than cluster-admin (no
Secrets at all; ConfigMaps only in its own namespace). Then it reads the last lines of the
containers that crashed: the previous instance of a container that restarted recently or is not
ready, the current one of a container that terminated with an error, with bounded concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from kaido.analysis.diagnosis import LogKey, Snapshot
from kaido.analysis.status import container_statuses, parse_time
from kaido.kube.client import Kube
from kaido.kube.errors import Forbidden, KubeError, NotFound
from kaido.kube.logs import container_log
from kaido.kube.resources import (
    CONFIGMAPS,
    DAEMONSETS,
    DEPLOYMENTS,
    EVENTS,
    HPAS,
    JOBS,
    NODES,
    PODS,
    PVCS,
    REPLICASETS,
    STATEFULSETS,
    Resource,
)

__all__ = ["RESOURCEQUOTAS", "gather"]

RESOURCEQUOTAS: Final = Resource("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",))
# What a diagnosis cannot tell when a collection is unreadable.
_LOST: Final[Mapping[str, str]] = {
    "events": "causes only Events show (probe failures, mounts, quota refusals) cannot be found",
    "replicasets": "pods are not traced to their Deployments and revisions are not compared",
    "deployments": "Deployments short of replicas and bad releases are not found",
    "statefulsets": "StatefulSets short of pods are not checked",
    "daemonsets": "DaemonSets short of pods are not checked",
    "jobs": "failed Jobs are not found",
    "horizontalpodautoscalers": "HPAs that cannot scale are not found",
    "persistentvolumeclaims": "unbound claims are not explained",
    "resourcequotas": "quota usage is not quoted",
    "nodes": "NotReady nodes are not found and scheduling messages are not checked against node capacity",
    "configmaps": "the nearest existing ConfigMap name is not suggested",
}
_RECENT_RESTART: Final = timedelta(hours=1)  # older restarts need no log to explain today's trouble


async def gather(
    kube: Kube,
    *,
    namespace: str | None,
    log_lines: int = 50,
    log_concurrency: int = 8,
    max_logs: int = 100,
) -> Snapshot:
    """The raw objects of `namespace` (every namespace with None) and the logs of its crashed containers.

    Raises the KubeError of listing pods (unreachable API, bad credentials, no access to pods).
    """
    notes: list[str] = []
    pods = (await kube.list(PODS, namespace=namespace)).items
    optional = (EVENTS, REPLICASETS, DEPLOYMENTS, STATEFULSETS, DAEMONSETS, JOBS, HPAS, PVCS, RESOURCEQUOTAS, NODES)
    lists, configmaps = await asyncio.gather(
        asyncio.gather(*(_optional(kube, res, namespace, notes) for res in optional)),
        _configmap_names(kube, namespace, pods, notes),
    )
    events, replicasets, deployments, statefulsets, daemonsets, jobs, hpas, pvcs, quotas, nodes = lists
    wanted = _wanted_logs(pods, now=kube.clock.now())
    if len(wanted) > max_logs:
        notes.append(f"read the logs of {max_logs} of {len(wanted)} crashed containers; the rest are diagnosed without")
    logs = await _read_logs(kube, wanted[:max_logs], lines=log_lines, concurrency=log_concurrency, notes=notes)
    return Snapshot(
        namespace=namespace,
        pods=tuple(pods),
        events=tuple(events),
        replicasets=tuple(replicasets),
        deployments=tuple(deployments),
        statefulsets=tuple(statefulsets),
        daemonsets=tuple(daemonsets),
        jobs=tuple(jobs),
        hpas=tuple(hpas),
        nodes=tuple(nodes),
        pvcs=tuple(pvcs),
        resourcequotas=tuple(quotas),
        configmaps=configmaps,
        logs=logs,
        notes=tuple(sorted(set(notes))),
    )


def _unreadable(res: Resource, where: str, error: KubeError, notes: list[str]) -> None:
    said = "forbidden" if isinstance(error, Forbidden) else "not served"
    notes.append(f"{res.qualified} {where} not read ({error.status} {said}): {_LOST.get(res.plural, 'skipped')}")


async def _optional(kube: Kube, res: Resource, namespace: str | None, notes: list[str]) -> list[dict[str, Any]]:
    try:
        return (await kube.list(res, namespace=namespace if res.namespaced else None)).items
    except (Forbidden, NotFound) as error:
        where = f"in namespace {namespace}" if namespace and res.namespaced else "in the cluster"
        _unreadable(res, where, error, notes)
        return []


async def _configmap_names(
    kube: Kube, namespace: str | None, pods: Iterable[Mapping[str, Any]], notes: list[str]
) -> dict[str, frozenset[str]]:
    """ConfigMap names per namespace; a namespace that was listed and has none maps to an empty set."""
    try:
        items = (await kube.list(CONFIGMAPS, namespace=namespace)).items
    except (Forbidden, NotFound) as error:
        _unreadable(CONFIGMAPS, f"in namespace {namespace}" if namespace else "in the cluster", error, notes)
        return {}
    known = {namespace} if namespace else {str((p.get("metadata") or {}).get("namespace")) for p in pods}
    names: dict[str, set[str]] = {ns: set() for ns in known}
    for item in items:
        meta = item.get("metadata") or {}
        names.setdefault(str(meta.get("namespace")), set()).add(str(meta.get("name")))
    return {ns: frozenset(found) for ns, found in names.items()}


def _wanted_logs(pods: Iterable[Mapping[str, Any]], *, now: datetime) -> list[tuple[LogKey, bool]]:
    """(namespace, pod, container) and whether to read the previous instance, for crashed containers."""
    wanted = []
    for pod in pods:
        meta = pod.get("metadata") or {}
        if (pod.get("status") or {}).get("phase") == "Succeeded":
            continue
        for status in container_statuses(pod):
            key = (str(meta.get("namespace")), str(meta.get("name")), status.name)
            kind, current = status.state()
            last_kind, last = status.state("lastState")
            if kind == "terminated" and current.get("exitCode") not in (0, None):
                wanted.append((key, False))
            elif last_kind == "terminated":
                finished = parse_time(last.get("finishedAt"))
                if not status.body.get("ready") or finished is None or now - finished <= _RECENT_RESTART:
                    wanted.append((key, True))
    return wanted


async def _read_logs(
    kube: Kube, wanted: list[tuple[LogKey, bool]], *, lines: int, concurrency: int, notes: list[str]
) -> dict[LogKey, tuple[str, ...]]:
    limit = asyncio.Semaphore(max(1, concurrency))
    logs: dict[LogKey, tuple[str, ...]] = {}

    async def read(key: LogKey, previous: bool) -> None:
        namespace, pod, container = key
        async with limit:
            try:
                found = await container_log(
                    kube, namespace=namespace, pod=pod, container=container, previous=previous, tail_lines=lines
                )
            except NotFound:
                return  # the pod went away meanwhile
            except Forbidden:
                notes.append("pods/log not read (403 forbidden): crashes are diagnosed without their log line")
                return
            except KubeError as error:
                notes.append(f"log of container {container} of pod {namespace}/{pod} not read: {error}")
                return
        logs[key] = tuple(found)

    await asyncio.gather(*(read(key, previous) for key, previous in wanted))
    return logs
