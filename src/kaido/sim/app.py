"""The simulator's HTTP surface: an ASGI app that real kubectl and Python clients accept.

Paths are parsed into (resource, namespace, name, subresource) from the resource table; verbs
go to `Operations`; errors become `metav1.Status` bodies. The same app runs over TCP (`kaido sim`)
and in-process through httpx2's ASGITransport. With RBAC on, `kaido.sim.access` first authenticates
and authorizes each request, as the API server's filters do, and records its user in `request.state`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from kaido.sim import discovery, reviews
from kaido.sim.access import admit
from kaido.sim.cluster import SimCluster
from kaido.sim.errors import ApiError
from kaido.sim.exposition import CONTENT_TYPE, render_metrics
from kaido.sim.listing import json_response, list_response, single_response
from kaido.sim.openapi import openapi_group_version, openapi_root
from kaido.sim.protobuf import decode_body
from kaido.sim.resources import ResourceType, find
from kaido.sim.selectors import parse_field_selector, parse_label_selector
from kaido.sim.store import Obj, render
from kaido.sim.subresources import bind, evict, pod_log
from kaido.sim.tables import render_table, wants_table
from kaido.sim.watch import WatchRequest, watch_events

__all__ = ["create_app"]

JSON: Final = "application/json"
PROTOBUF: Final = "application/vnd.kubernetes.protobuf"


@dataclass(frozen=True, slots=True)
class Target:
    resource: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def create_app(cluster: SimCluster) -> Starlette:
    async def dispatch(request: Request) -> Response:
        if request.method == "GET" and request.url.path.rstrip("/") == "/metrics":
            # a scrape target, like the kubelet's and kube-state-metrics': no token, no injected faults
            return Response(render_metrics(cluster, cluster.clock.now()), media_type=CONTENT_TYPE)
        try:
            request.state.user = admit(
                cluster,
                method=request.method,
                path=request.url.path,
                query=request.query_params,
                authorization=request.headers.get("authorization"),
            )
            await _inject_faults(cluster, request.url.path)
            return await _dispatch(cluster, request)
        except ApiError as error:
            return error_response(error)

    app = Starlette(routes=[Route("/{path:path}", dispatch, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
    app.state.cluster = cluster
    return app


async def _inject_faults(cluster: SimCluster, path: str) -> None:
    faults = cluster.faults
    if not faults.active or not faults.applies_to(path):
        return
    if faults.latency:
        await asyncio.sleep(faults.latency)
    if faults.due_for_expiry(asyncio.get_running_loop().time()):
        cluster.store.expire_history()
    error = faults.maybe_error()
    if error is not None:
        raise error


def error_response(error: ApiError) -> Response:
    response = json_response(error.body(), error.code)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _dispatch(cluster: SimCluster, request: Request) -> Response:
    path = request.url.path.rstrip("/") or "/"
    plain = _plain_endpoint(cluster, request, path)
    if plain is not None:
        return plain
    segments = [s for s in path.split("/") if s]
    if segments[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", segments[2:]
    elif segments[:1] == ["apis"] and len(segments) >= 3:
        group, version, rest = segments[1], segments[2], segments[3:]
    else:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if not rest:
        document = discovery.api_resource_list(group, version)
        if document is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_response(document)
    target = _parse_target(group, version, rest)
    return await _serve(cluster, request, target)


def _plain_endpoint(cluster: SimCluster, request: Request, path: str) -> Response | None:
    accept = request.headers.get("accept", "")
    if path in ("/healthz", "/livez", "/readyz"):
        return Response("ok", media_type="text/plain")
    if path == "/version":
        return json_response(cluster.version)
    if path == "/api":
        if discovery.wants_aggregated(accept):
            return json_response(discovery.aggregated(core=True), content_type=discovery.AGGREGATED_CONTENT_TYPE)
        return json_response(discovery.api_versions(f"{request.url.hostname}:{request.url.port}"))
    if path == "/apis":
        if discovery.wants_aggregated(accept):
            return json_response(discovery.aggregated(core=False), content_type=discovery.AGGREGATED_CONTENT_TYPE)
        return json_response(discovery.api_group_list())
    if path == "/openapi/v3":
        return json_response(openapi_root())
    if path.startswith("/openapi/v3/"):
        parts = path.removeprefix("/openapi/v3/").split("/")
        group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2] if len(parts) > 2 else "")
        document = openapi_group_version(group, version)
        if document is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_response(document)
    if path == "/openapi/v2":
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if path.startswith("/apis/") and path.count("/") == 2:
        document = discovery.api_group(path.split("/")[2])
        if document is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_response(document)
    return None


def _parse_target(group: str, version: str, rest: list[str]) -> Target:
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    resource = find(group, version, rest[0])
    if resource is None or len(rest) > 3:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if namespace is not None and not resource.namespaced:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and resource.subresource(subresource) is None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return Target(resource, namespace, name, subresource)


async def _serve(cluster: SimCluster, request: Request, target: Target) -> Response:
    if target.resource.group == "metrics.k8s.io":
        return _metrics(cluster, request, target)
    if target.name is None:
        return await _serve_collection(cluster, request, target)
    handler = _ITEM_HANDLERS.get(request.method)
    if handler is None:
        raise _method_not_allowed(request.method)
    return await handler(cluster, request, target, target.name)


async def _serve_collection(cluster: SimCluster, request: Request, target: Target) -> Response:
    resource, query = target.resource, request.query_params
    if request.method == "GET":
        if query.get("watch") in ("true", "1"):
            return _watch(cluster, request, target)
        return list_response(cluster, request, resource, target.namespace)
    if request.method == "POST":
        body = await _read_body(request)
        if not resource.stored:
            return json_response(reviews.answer(cluster, resource, body, request.state.user), 201)
        created = cluster.ops.create(resource, target.namespace, body, dry_run=query.get("dryRun") == "All")
        return single_response(request, resource, created, 201)
    if request.method == "DELETE":
        return await _delete_collection(cluster, request, target)
    raise _method_not_allowed(request.method)


async def _get_item(cluster: SimCluster, request: Request, target: Target, name: str) -> Response:
    resource = target.resource
    if target.subresource == "log":
        return await pod_log(cluster, request, target.namespace or "", name)
    if target.subresource == "scale":
        return json_response(cluster.ops.get_scale(resource, target.namespace, name))
    obj = render(resource, cluster.store.get(resource, target.namespace, name))
    return single_response(request, resource, obj)


async def _post_item(cluster: SimCluster, request: Request, target: Target, name: str) -> Response:
    body = await _read_body(request)
    namespace = target.namespace or ""
    if target.subresource == "eviction":
        return json_response(
            evict(cluster, namespace, name, body, dry_run=request.query_params.get("dryRun") == "All"), 201
        )
    if target.subresource == "binding":
        return json_response(bind(cluster, namespace, name, body), 201)
    if target.subresource == "token":
        return json_response(reviews.token(cluster, namespace, name, body), 201)
    raise _method_not_allowed(request.method)


async def _put_item(cluster: SimCluster, request: Request, target: Target, name: str) -> Response:
    body = await _read_body(request)
    dry_run = request.query_params.get("dryRun") == "All"
    obj = cluster.ops.update(
        target.resource, target.namespace, name, body, subresource=target.subresource, dry_run=dry_run
    )
    if target.subresource == "scale":
        return json_response(obj)
    return single_response(request, target.resource, obj)


async def _patch_item(cluster: SimCluster, request: Request, target: Target, name: str) -> Response:
    query = request.query_params
    obj, created = cluster.ops.patch(
        target.resource,
        target.namespace,
        name,
        await request.body(),
        request.headers.get("content-type", ""),
        subresource=target.subresource,
        dry_run=query.get("dryRun") == "All",
        field_manager=query.get("fieldManager"),
        force=query.get("force") == "true",
    )
    if target.subresource == "scale":
        return json_response(obj)
    return single_response(request, target.resource, obj, 201 if created else 200)


async def _delete_item(cluster: SimCluster, request: Request, target: Target, name: str) -> Response:
    options = await _delete_options(request)
    dry_run = request.query_params.get("dryRun") == "All" or "All" in (options.get("dryRun") or [])
    return json_response(cluster.ops.delete(target.resource, target.namespace, name, options, dry_run=dry_run))


_ITEM_HANDLERS: Final = {
    "GET": _get_item,
    "POST": _post_item,
    "PUT": _put_item,
    "PATCH": _patch_item,
    "DELETE": _delete_item,
}


def _method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({method})"
    )


async def _read_body(request: Request) -> Obj:
    raw = await request.body()
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip()
    if content_type == PROTOBUF:
        return decode_body(raw)
    if not raw:
        raise ApiError.bad_request("the request body is empty; send a JSON object")
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ApiError.bad_request(f"the request body is not valid JSON: {error}") from error
    if not isinstance(body, dict):
        raise ApiError.bad_request("the request body must be a JSON object")
    return body


async def _delete_options(request: Request) -> Obj:
    raw = await request.body()
    options: Obj = {}
    if raw:
        if request.headers.get("content-type", "").startswith(PROTOBUF):
            options = decode_body(raw)
        else:
            try:
                options = json.loads(raw)
            except ValueError as error:
                raise ApiError.bad_request(f"DeleteOptions is not valid JSON: {error}") from error
    query = request.query_params
    if "propagationPolicy" in query:
        options["propagationPolicy"] = query["propagationPolicy"]
    if "gracePeriodSeconds" in query:
        options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
    if query.get("orphanDependents") == "true":
        options["orphanDependents"] = True
    return options


async def _delete_collection(cluster: SimCluster, request: Request, target: Target) -> Response:
    resource, query = target.resource, request.query_params
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), resource.kind)
    options = await _delete_options(request)
    dry_run = query.get("dryRun") == "All" or "All" in (options.get("dryRun") or [])
    deleted = []
    for obj in cluster.store.list_objects(resource, target.namespace, labels, fields):
        meta = obj["metadata"]
        deleted.append(cluster.ops.delete(resource, meta.get("namespace"), meta["name"], options, dry_run=dry_run))
    return json_response(
        {
            "kind": resource.list_kind,
            "apiVersion": resource.api_version,
            "metadata": {"resourceVersion": str(cluster.store.resource_version)},
            "items": deleted,
        }
    )


def _watch(cluster: SimCluster, request: Request, target: Target) -> Response:
    query = request.query_params
    resource = target.resource
    timeout = query.get("timeoutSeconds")
    watch_request = WatchRequest(
        resource=resource,
        namespace=target.namespace,
        labels=parse_label_selector(query.get("labelSelector")),
        fields=parse_field_selector(query.get("fieldSelector"), resource.kind),
        resource_version=query.get("resourceVersion"),
        send_initial_events=query.get("sendInitialEvents") == "true",
        bookmarks=query.get("allowWatchBookmarks") == "true",
        timeout=float(timeout) if timeout else None,
        bookmark_interval=cluster.bookmark_interval,
        drop_after=cluster.faults.drop_watch_after,
    )
    as_table = wants_table(request.headers.get("accept", ""))
    include_object = query.get("includeObject", "Metadata")

    def render_event(kind: str, obj: Obj, first: bool) -> Any:
        if not as_table or kind == "BOOKMARK":
            return obj
        return render_table(
            resource,
            [obj],
            now=cluster.clock.now(),
            include_object=include_object,
            resource_version=obj["metadata"].get("resourceVersion", ""),
            include_columns=first,
        )

    return StreamingResponse(watch_events(cluster.store, watch_request, render_event), media_type=JSON)


def _metrics(cluster: SimCluster, request: Request, target: Target) -> Response:
    if request.method != "GET":
        raise _method_not_allowed(request.method)
    labels = parse_label_selector(request.query_params.get("labelSelector"))
    kind = target.resource.kind
    if kind == "NodeMetrics":
        items = [m for name, m in sorted(cluster.node_metrics.items()) if target.name in (None, name)]
    else:
        items = [
            m
            for (ns, name), m in sorted(cluster.pod_metrics.items())
            if target.namespace in (None, ns) and target.name in (None, name)
        ]
    items = [m for m in items if labels.matches(m["metadata"].get("labels"))]
    if target.name is not None:
        if not items:
            raise ApiError.not_found(target.resource.plural, target.name, "metrics.k8s.io")
        return json_response(items[0])
    return json_response(
        {"kind": f"{kind}List", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
    )
