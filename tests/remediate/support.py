"""Helpers for the executor's tests: workloads to act on, waiting for the cluster, reading Events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kaido.kube.client import Kube
from kaido.kube.resources import DEPLOYMENTS, EVENTS, PODS


def deployment(name: str, *, image: str = "nginx:1.27", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not reached within {within} s")


async def ready_deployment(kube: Kube, ns: str, name: str, **kwargs: Any) -> dict[str, Any]:
    """Create a Deployment and wait until all its replicas are ready and its revision is set."""
    body = deployment(name, **kwargs)
    await kube.create(DEPLOYMENTS, body, namespace=ns)
    await settled(kube, ns, name)
    return await kube.get(DEPLOYMENTS, name, namespace=ns)


async def settled(kube: Kube, ns: str, name: str) -> None:
    """Wait until the Deployment's rollout is complete (updated, ready and observed)."""

    async def done() -> bool:
        d = await kube.get(DEPLOYMENTS, name, namespace=ns)
        status, want = d.get("status") or {}, d["spec"]["replicas"]
        pods = await kube.list(PODS, namespace=ns, label_selector=f"app={name}")
        live = [p for p in pods.items if not p["metadata"].get("deletionTimestamp")]
        return (
            status.get("observedGeneration") == d["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == want
            and status.get("readyReplicas", 0) == want
            and status.get("replicas", 0) == want
            and len(live) == want
        )

    await eventually(done, what=f"rollout of deployment {ns}/{name}")


async def pods_of(kube: Kube, ns: str, app: str) -> list[dict[str, Any]]:
    listed = await kube.list(PODS, namespace=ns, label_selector=f"app={app}")
    return [p for p in listed.items if not p["metadata"].get("deletionTimestamp")]


async def events_about(kube: Kube, ns: str, name: str, *, reason: str | None = None) -> list[dict[str, Any]]:
    """Events whose involvedObject is `name` (the API server's field selector), kaido's only."""
    listed = await kube.list(EVENTS, namespace=ns, field_selector=f"involvedObject.name={name}")
    return [
        e
        for e in listed.items
        if e.get("reportingComponent") == "kaido.io/agent" and (reason is None or e.get("reason") == reason)
    ]
