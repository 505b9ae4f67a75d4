"""Bodies shaped like the kubelet's, the controllers' and the scheduler's (and the simulator's), for table tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from kaido.analysis.diagnosis import Diagnosis, Snapshot, diagnose

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
NS = "shop"
_uids = itertools.count(1)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def uid() -> str:
    return f"00000000-0000-0000-0000-{next(_uids):012d}"


def running(started: float = 300) -> dict[str, Any]:
    return {"running": {"startedAt": ago(started)}}


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}}


def terminated(code: int = 1, reason: str = "Error", *, finished: float = 20, ran: float = 5) -> dict[str, Any]:
    return {
        "terminated": {
            "exitCode": code,
            "reason": reason,
            "startedAt": ago(finished + ran),
            "finishedAt": ago(finished),
            "containerID": "containerd://0f3a",
        }
    }


def status(
    name: str = "app",
    state: dict[str, Any] | None = None,
    *,
    last: dict[str, Any] | None = None,
    restarts: int = 0,
    ready: bool | None = None,
    image: str = "acme/api:1.0",
) -> dict[str, Any]:
    state = state or running()
    return {
        "name": name,
        "state": state,
        "lastState": last or {},
        "ready": ("running" in state) if ready is None else ready,
        "restartCount": restarts,
        "image": image,
        "imageID": "",
        "started": "running" in state,
    }


def cond(kind: str, value: str, since: float = 600, reason: str = "", message: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "status": value, "lastProbeTime": None, "lastTransitionTime": ago(since)}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def container(name: str = "app", image: str = "acme/api:1.0", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def owner(kind: str, name: str, owner_uid: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": owner_uid, "controller": True}


def pod(
    name: str,
    *,
    containers: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    node: str | None = "worker-1",
    conditions: list[dict[str, Any]] | None = None,
    owners: list[dict[str, Any]] | None = None,
    created: float = 900,
    namespace: str = NS,
    **spec: Any,
) -> dict[str, Any]:
    statuses = [status()] if statuses is None else statuses
    ready = all(s["ready"] for s in statuses) and phase == "Running"
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid(),
            "creationTimestamp": ago(created),
            "ownerReferences": owners or [],
        },
        "spec": {"containers": containers or [container()], **spec},
        "status": {
            "phase": phase,
            "startTime": ago(created),
            "conditions": conditions
            if conditions is not None
            else [cond("PodScheduled", "True"), cond("Ready", "True" if ready else "False", since=600)],
            "containerStatuses": statuses,
        },
    }
    if node:
        body["spec"]["nodeName"] = node
    return body


def event(
    obj: dict[str, Any],
    reason: str,
    message: str,
    *,
    kind: str | None = None,
    type: str = "Warning",
    count: int = 1,
    last: float = 30,
    container_name: str | None = None,
) -> dict[str, Any]:
    meta = obj["metadata"]
    involved = {
        "kind": kind or obj.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta["name"],
        "uid": meta.get("uid"),
    }
    if container_name:
        involved["fieldPath"] = f"spec.containers{{{container_name}}}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{next(_uids):x}", "namespace": meta.get("namespace") or "default"},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": type,
        "count": count,
        "firstTimestamp": ago(last + 60),
        "lastTimestamp": ago(last),
    }


def deployment(
    name: str, *, replicas: int = 2, available: int = 2, conditions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "uid": uid(), "creationTimestamp": ago(3600)},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "availableReplicas": available, "conditions": conditions or []},
    }


def replicaset(
    name: str, deploy: dict[str, Any], *, revision: int, image: str, replicas: int = 2, ready: int = 2
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": uid(),
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [owner("Deployment", deploy["metadata"]["name"], deploy["metadata"]["uid"])],
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container(image=image)]}}},
        "status": {"replicas": replicas, "readyReplicas": ready} if ready else {"replicas": replicas},
    }


def owned_by(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [owner(obj["kind"], obj["metadata"]["name"], obj["metadata"]["uid"])]


def node(
    name: str,
    *,
    ready: str = "True",
    allocatable: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    message: str = "",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": uid(), "labels": labels or {}, "creationTimestamp": ago(86400)},
        "spec": {"taints": taints} if taints else {},
        "status": {
            "allocatable": allocatable or {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "conditions": [cond("Ready", ready, since=180, reason="KubeletReady", message=message)],
        },
    }


def run(**parts: Any) -> list[Diagnosis]:
    """diagnose() over a snapshot of `parts` (lists become tuples) at NOW."""
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in parts.items()}
    return diagnose(Snapshot(**fields), now=NOW)


def only(diagnoses: list[Diagnosis]) -> Diagnosis:
    assert len(diagnoses) == 1, [d.to_json() for d in diagnoses]
    return diagnoses[0]
