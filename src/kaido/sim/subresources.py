"""Pod subresources with behaviour: eviction (PodDisruptionBudgets), binding, and the container log."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Final

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import is_pod_ready, resolve_int_or_percent
from kaido.sim.errors import ApiError, Cause
from kaido.sim.logs import LogOptions
from kaido.sim.resources import builtin
from kaido.sim.selectors import selector_from_object
from kaido.sim.store import Obj

__all__ = ["bind", "evict", "pod_log"]

PODS: Final = builtin("", "v1", "pods")
PDBS: Final = builtin("policy", "v1", "poddisruptionbudgets")


def _disruptions_allowed(cluster: SimCluster, pdb: Obj, namespace: str) -> tuple[int, int, int]:
    """(allowed, desired healthy, currently healthy) for a budget, computed like the disruption controller."""
    selector = selector_from_object(pdb.get("spec", {}).get("selector"))
    pods = [p for p in cluster.store.list_objects(PODS, namespace) if selector.matches(p["metadata"].get("labels"))]
    expected, healthy = len(pods), sum(1 for p in pods if is_pod_ready(p))
    spec = pdb.get("spec", {})
    if "minAvailable" in spec:
        desired = resolve_int_or_percent(spec["minAvailable"], expected, round_up=True)
    else:
        desired = max(0, expected - resolve_int_or_percent(spec.get("maxUnavailable", 0), expected, round_up=True))
    return max(0, healthy - desired), desired, healthy


def evict(cluster: SimCluster, namespace: str, name: str, body: Obj, *, dry_run: bool) -> Obj:
    pod = cluster.store.get(PODS, namespace, name)
    if is_pod_ready(pod):
        for pdb in cluster.store.list_objects(PDBS, namespace):
            selector = selector_from_object(pdb.get("spec", {}).get("selector"))
            if not selector.matches(pod["metadata"].get("labels")):
                continue
            allowed, desired, healthy = _disruptions_allowed(cluster, pdb, namespace)
            if allowed <= 0:
                pdb_name = pdb["metadata"]["name"]
                raise ApiError(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    causes=[
                        Cause(
                            "",
                            f"The disruption budget {pdb_name} needs {desired} healthy pods and has "
                            f"{healthy} currently",
                            "DisruptionBudget",
                        )
                    ],
                    retry_after=10,
                )
    options = dict(body.get("deleteOptions") or {})
    dry_run = dry_run or "All" in (options.get("dryRun") or [])
    cluster.ops.delete(PODS, namespace, name, options, dry_run=dry_run)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def bind(cluster: SimCluster, namespace: str, name: str, body: Obj) -> Obj:
    pod = cluster.store.get(PODS, namespace, name)
    node = (body.get("target") or {}).get("name")
    if not node:
        raise ApiError.invalid("Binding", name, [Cause("target.name", "Required value", "FieldValueRequired")])
    if pod.get("spec", {}).get("nodeName"):
        raise ApiError(409, "Conflict", f'pod {name} is already assigned to node "{pod["spec"]["nodeName"]}"')
    new = copy.deepcopy(pod)
    new["spec"]["nodeName"] = node
    status = new.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    status["conditions"] = conditions
    cluster.store.replace(PODS, pod, new)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


async def pod_log(cluster: SimCluster, request: Request, namespace: str, name: str) -> Response:
    pod = cluster.store.get(PODS, namespace, name)
    query = request.query_params
    container = _container_name(pod, query.get("container"))
    options = LogOptions(
        previous=query.get("previous") == "true",
        tail_lines=int(query["tailLines"]) if "tailLines" in query else None,
        since=_since(cluster.clock.now(), query.get("sinceSeconds"), query.get("sinceTime")),
        timestamps=query.get("timestamps") == "true",
        limit_bytes=int(query["limitBytes"]) if "limitBytes" in query else None,
    )
    key = (namespace, name, container)
    if options.previous and not cluster.logs.has_previous(key):
        raise ApiError.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
    waiting = _waiting_reason(pod, container)
    if waiting is not None and not options.previous:
        raise ApiError.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {waiting}')
    if query.get("follow") == "true" and not options.previous:
        return StreamingResponse(
            (chunk.encode() async for chunk in cluster.logs.follow(key, options)), media_type="text/plain"
        )
    return Response(cluster.logs.read(key, options), media_type="text/plain")


def _container_name(pod: Obj, requested: str | None) -> str:
    names = [c["name"] for c in pod.get("spec", {}).get("containers") or []]
    init = [c["name"] for c in pod.get("spec", {}).get("initContainers") or []]
    name = pod["metadata"]["name"]
    if requested:
        if requested not in names + init:
            raise ApiError.bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    if len(names) == 1:
        return str(names[0])
    raise ApiError.bad_request(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]")


def _waiting_reason(pod: Obj, container: str) -> str | None:
    status = pod.get("status") or {}
    statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    for entry in statuses:
        if entry.get("name") == container:
            waiting = (entry.get("state") or {}).get("waiting")
            if waiting and not entry.get("restartCount"):
                return str(waiting.get("reason") or "ContainerCreating")
            return None
    return "ContainerCreating"


def _since(now: datetime, seconds: str | None, timestamp: str | None) -> datetime | None:
    if seconds:
        return now - timedelta(seconds=int(seconds))
    if timestamp:
        try:
            return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError as error:
            raise ApiError.bad_request(f"sinceTime {timestamp!r} is not an RFC 3339 time") from error
    return None
