"""Watch semantics over real TCP: resume, selectors, bookmarks, WatchList, expiry, timeouts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2

from kaido.sim.cluster import SimCluster

CM = "/api/v1/namespaces/default/configmaps"


def configmap(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": {}}


@asynccontextmanager
async def watching(client: httpx2.AsyncClient, **params: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """Events of a watch arrive in a queue while the body of the `with` runs."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    opened = asyncio.Event()

    async def pump() -> None:
        async with client.stream("GET", CM, params={"watch": "true", **params}) as response:
            assert response.status_code == 200
            opened.set()
            async for line in response.aiter_lines():
                if line:
                    await events.put(json.loads(line))

    task = asyncio.create_task(pump())
    await asyncio.wait_for(opened.wait(), 5)
    await asyncio.sleep(0.05)
    try:
        yield events
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def next_event(events: asyncio.Queue[dict[str, Any]], skip_bookmarks: bool = True) -> dict[str, Any]:
    while True:
        event = await asyncio.wait_for(events.get(), 5)
        if not (skip_bookmarks and event["type"] == "BOOKMARK"):
            return event


async def test_watch_from_list_resource_version_sees_every_change(tcp: httpx2.AsyncClient) -> None:
    rv = (await tcp.get(CM)).json()["metadata"]["resourceVersion"]
    async with watching(tcp, resourceVersion=rv) as events:
        await tcp.post(CM, json=configmap("a"))
        await tcp.patch(
            f"{CM}/a", content=b'{"data":{"x":"1"}}', headers={"content-type": "application/merge-patch+json"}
        )
        await tcp.delete(f"{CM}/a")
        kinds = [(e["type"], e["object"]["metadata"]["name"]) for e in [await next_event(events) for _ in range(3)]]
    assert kinds == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_resume_replays_missed_events(tcp: httpx2.AsyncClient) -> None:
    start = (await tcp.post(CM, json=configmap("first"))).json()["metadata"]["resourceVersion"]
    await tcp.post(CM, json=configmap("second"))
    await tcp.delete(f"{CM}/first")
    response = await tcp.get(CM, params={"watch": "true", "resourceVersion": start, "timeoutSeconds": "1"})
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "second"), ("DELETED", "first")]


async def test_expired_resource_version_is_an_in_stream_410(tcp: httpx2.AsyncClient, cluster: SimCluster) -> None:
    old = (await tcp.post(CM, json=configmap("old"))).json()["metadata"]["resourceVersion"]
    for index in range(cluster.history_limit + 5):  # churn past the bounded history
        await tcp.patch(
            f"{CM}/old",
            content=json.dumps({"data": {"i": str(index)}}).encode(),
            headers={"content-type": "application/merge-patch+json"},
        )
    response = await tcp.get(CM, params={"watch": "true", "resourceVersion": old})
    assert response.status_code == 200
    (event,) = [json.loads(line) for line in response.text.splitlines()]
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith(f"too old resource version: {old} (")


async def test_selector_edges_become_added_and_deleted(tcp: httpx2.AsyncClient) -> None:
    await tcp.post(CM, json=configmap("edge", {"tier": "a"}))
    rv = (await tcp.get(CM)).json()["metadata"]["resourceVersion"]
    async with watching(tcp, resourceVersion=rv, labelSelector="tier=b") as events:
        move = {"metadata": {"labels": {"tier": "b"}}}
        await tcp.patch(
            f"{CM}/edge", content=json.dumps(move).encode(), headers={"content-type": "application/merge-patch+json"}
        )
        assert (await next_event(events))["type"] == "ADDED"
        back = {"metadata": {"labels": {"tier": "a"}}}
        await tcp.patch(
            f"{CM}/edge", content=json.dumps(back).encode(), headers={"content-type": "application/merge-patch+json"}
        )
        assert (await next_event(events))["type"] == "DELETED"


async def test_bookmarks_carry_the_current_resource_version(tcp: httpx2.AsyncClient, cluster: SimCluster) -> None:
    await tcp.post(CM, json=configmap("quiet"))
    rv = (await tcp.get(CM)).json()["metadata"]["resourceVersion"]
    async with watching(tcp, resourceVersion=rv, allowWatchBookmarks="true") as events:
        bookmark = await asyncio.wait_for(events.get(), 5)
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["resourceVersion"] == str(cluster.store.resource_version)


async def test_watch_list_sends_initial_events_then_an_annotated_bookmark(tcp: httpx2.AsyncClient) -> None:
    await tcp.post(CM, json=configmap("one"))
    await tcp.post(CM, json=configmap("two"))
    params = {
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
        "fieldSelector": "metadata.name=two",
    }
    async with watching(tcp, **params) as events:
        added = await asyncio.wait_for(events.get(), 5)
        marker = await asyncio.wait_for(events.get(), 5)
        await tcp.delete(f"{CM}/two")
        deleted = await next_event(events)
    assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "two")
    assert marker["type"] == "BOOKMARK"
    assert marker["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert deleted["type"] == "DELETED"


async def test_watch_without_resource_version_starts_with_synthetic_adds(tcp: httpx2.AsyncClient) -> None:
    await tcp.post(CM, json=configmap("present"))
    response = await tcp.get(CM, params={"watch": "true", "timeoutSeconds": "1"})
    events = [json.loads(line) for line in response.text.splitlines()]
    assert ("ADDED", "present") in [(e["type"], e["object"]["metadata"]["name"]) for e in events]


async def test_table_watch_sends_columns_once(tcp: httpx2.AsyncClient) -> None:
    await tcp.post(CM, json=configmap("t1"))
    await tcp.post(CM, json=configmap("t2"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    response = await tcp.get(CM, params={"watch": "true", "timeoutSeconds": "1"}, headers={"accept": accept})
    tables = [json.loads(line)["object"] for line in response.text.splitlines()]
    assert all(t["kind"] == "Table" for t in tables)
    assert tables[0]["columnDefinitions"]
    assert not tables[1].get("columnDefinitions")
