"""Watch streams: newline-delimited events with resume, bookmarks, WatchList and in-stream expiry.

The initial state and the subscription are taken without an await in between, so no event can
fall between the snapshot and the live stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final

from kaido.sim.errors import ApiError
from kaido.sim.resources import ResourceType
from kaido.sim.selectors import FieldSelector, LabelSelector
from kaido.sim.store import Obj, ObjectStore, Watcher, render

__all__ = ["WatchRequest", "watch_events"]

_BATCH: Final = 100
Renderer = Callable[[str, Obj, bool], Any]  # (event type, object, first?) -> JSON object of the event


@dataclass(frozen=True, slots=True)
class WatchRequest:
    resource: ResourceType
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    resource_version: str | None
    send_initial_events: bool
    bookmarks: bool
    timeout: float | None
    bookmark_interval: float
    drop_after: float | None = None  # a fault switch: end the stream early


async def watch_events(store: ObjectStore, request: WatchRequest, render_object: Renderer) -> AsyncIterator[bytes]:
    watcher = Watcher(request.resource.storage_key, request.namespace, request.labels, request.fields)
    resource = request.resource
    initial: list[Obj] = []
    try:
        if request.send_initial_events or request.resource_version in (None, "", "0"):
            initial = store.list_objects(resource, request.namespace, request.labels, request.fields)
            backlog = store.subscribe(watcher, None)
        else:
            backlog = store.subscribe(watcher, _parse_rv(request.resource_version))
    except ApiError as error:
        yield _line("ERROR", error.body())
        return
    snapshot_rv = store.resource_version
    first = True
    try:
        for obj in initial:
            yield _line("ADDED", render_object("ADDED", render(resource, obj), first))
            first = False
        if request.send_initial_events:
            yield _line("BOOKMARK", _bookmark(resource, snapshot_rv, initial_end=True))
        for event in backlog:
            yield _line(event.type, render_object(event.type, render(resource, event.obj), first))
            first = False
        async for line in _live(store, watcher, request, render_object, first):
            yield line
    finally:
        store.unsubscribe(watcher)


async def _live(
    store: ObjectStore, watcher: Watcher, request: WatchRequest, render_object: Renderer, first: bool
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    limits = [t for t in (request.timeout, request.drop_after) if t]
    deadline = loop.time() + min(limits) if limits else None
    while True:
        wait = request.bookmark_interval if request.bookmarks else None
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                return
            wait = left if wait is None else min(wait, left)
        try:
            event = await asyncio.wait_for(watcher.queue.get(), wait)
        except TimeoutError:
            if request.bookmarks and (deadline is None or loop.time() < deadline):
                yield _line("BOOKMARK", _bookmark(request.resource, store.resource_version))
            continue
        if event is None:
            return
        chunk = [_line(event.type, render_object(event.type, render(request.resource, event.obj), first))]
        first = False
        # Under a burst, send what is already queued in one write instead of one write per event.
        while len(chunk) < _BATCH and not watcher.queue.empty():
            queued = watcher.queue.get_nowait()
            if queued is None:
                yield b"".join(chunk)
                return
            chunk.append(_line(queued.type, render_object(queued.type, render(request.resource, queued.obj), False)))
        yield b"".join(chunk)


def _parse_rv(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError as error:
        raise ApiError.bad_request(f"invalid resourceVersion {text!r}: must be an integer") from error


def _bookmark(resource: ResourceType, resource_version: int, *, initial_end: bool = False) -> Obj:
    meta: Obj = {"resourceVersion": str(resource_version)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta}


def _line(kind: str, obj: Any) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"
