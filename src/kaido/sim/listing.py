"""List and get responses: paging with limit/continue, and server-side Tables when asked for."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kaido.sim.cluster import SimCluster
from kaido.sim.errors import ApiError
from kaido.sim.resources import ResourceType
from kaido.sim.selectors import parse_field_selector, parse_label_selector
from kaido.sim.store import Obj, render
from kaido.sim.tables import render_table, wants_table

__all__ = ["json_response", "list_response", "single_response"]

_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter."
)


def json_response(body: Any, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, media_type=content_type)


def list_response(cluster: SimCluster, request: Request, resource: ResourceType, namespace: str | None) -> Response:
    query = request.query_params
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), resource.kind)
    items = cluster.store.list_objects(resource, namespace, labels, fields)
    list_rv = cluster.store.resource_version
    start = _decode_continue(query.get("continue"), cluster.store.compacted)
    if start is not None:
        list_rv = start[0]
        items = [o for o in items if _key(o) > start[1]]
    limit = int(query.get("limit") or 0)
    meta: Obj = {"resourceVersion": str(list_rv)}
    if limit > 0 and len(items) > limit:
        meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
        meta["continue"] = _encode_continue(list_rv, _key(items[-1]))
    rendered = [render(resource, o) for o in items]
    if wants_table(request.headers.get("accept", "")):
        return json_response(
            render_table(
                resource,
                rendered,
                now=cluster.clock.now(),
                include_object=query.get("includeObject", "Metadata"),
                resource_version=meta["resourceVersion"],
                continue_token=meta.get("continue"),
            )
        )
    return json_response(
        {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": meta, "items": rendered}
    )


def single_response(request: Request, resource: ResourceType, obj: Obj, status: int = 200) -> Response:
    if request.method == "GET" and wants_table(request.headers.get("accept", "")):
        cluster: SimCluster = request.app.state.cluster
        table = render_table(
            resource,
            [obj],
            now=cluster.clock.now(),
            include_object=request.query_params.get("includeObject", "Metadata"),
            resource_version=obj["metadata"].get("resourceVersion", ""),
        )
        return json_response(table, status)
    return json_response(obj, status)


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _encode_continue(resource_version: int, key: tuple[str, str]) -> str:
    raw = json.dumps({"rv": resource_version, "start": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str | None, compacted: int) -> tuple[int, tuple[str, str]] | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        resource_version, start = int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as error:
        raise ApiError.bad_request(f"invalid continue token {token!r}: {error}") from error
    if resource_version < compacted:
        raise ApiError(410, "Expired", _EXPIRED_CONTINUE)
    return resource_version, start
