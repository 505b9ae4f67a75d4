"""The simulator's API under load: 5,000 stored pods listed by kubectl and lightkube; 100 watchers fed a burst.

The simulator runs as tests run it (`SimThread`: uvicorn in its own thread and loop, real TCP on 127.0.0.1).
Pods are loaded through `Operations` (create, then a Running status through the status subresource)
before the server starts, so loading skips HTTP. Then:

- `kubectl get pods -A` runs as a subprocess (own kubeconfig and --cache-dir) after one warm-up run that fills
  the discovery cache; p50/p99/max of wall time, and the table's row count as a sanity check.
- lightkube's AsyncClient lists every pod in all namespaces (one request, parsed into models).
- 100 httpx2 streams watch configmaps in all namespaces from the current resourceVersion; a task in the
  simulator's loop creates 1,000 configmaps. A store listener stamps each commit with `perf_counter_ns` keyed by
  resourceVersion; each watcher stamps each event as it parses it. The delay between the two, over every
  (watcher, event) pair, is the delivery latency. The burst runs twice: "paced" yields to the loop after each
  write, as separate API requests would, so the fan-out throttles the writer; "single_tick" commits all 1,000
  writes in one step, so the last event waits for the whole backlog. The target is judged on the paced burst.

Server and watchers share one process and so one GIL: the client's parsing is part of the measured delay.
Percentiles are nearest-rank: with 10 runs, p99 is the slowest run.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from lightkube import AsyncClient, KubeConfig
from lightkube.resources.core_v1 import Pod
from tests.support.sim import KUBECTL_135, Kubectl, SimThread

from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.store import WatchEvent

PODS = 5_000
NAMESPACES = 20
RUNS = 10
WATCHERS = 100
BURST = 1_000
TARGET_KUBECTL_SECONDS = 1.0
TARGET_DELIVERY_P99_MS = 100.0

_NAMESPACE = builtin("", "v1", "namespaces")
_POD = builtin("", "v1", "pods")
_CONFIGMAP = builtin("", "v1", "configmaps")


def run() -> dict[str, Any]:
    cluster = SimCluster(seed=1)
    load = load_pods(cluster)
    with tempfile.TemporaryDirectory(prefix="kaido-bench-") as tmp:
        sim = SimThread(kubeconfig=Path(tmp) / "kubeconfig", cluster=cluster).start()
        try:
            kubectl = time_kubectl(Kubectl(KUBECTL_135, sim.kubeconfig, Path(tmp) / "kubectl-cache"))
            lightkube = asyncio.run(time_lightkube(sim.kubeconfig))
            paced = asyncio.run(watch_burst(sim, "paced"))
            single_tick = asyncio.run(watch_burst(sim, "single_tick"))
        finally:
            sim.stop()
    return {
        "load": load,
        "kubectl_get_pods_all": kubectl,
        "lightkube_list_pods_all": lightkube,
        "watch_burst_paced": paced,
        "watch_burst_single_tick": single_tick,
        "meets_targets": kubectl["meets_target"] and paced["meets_target"],
    }


# ----- loading ---------------------------------------------------------------------------------


def load_pods(cluster: SimCluster) -> dict[str, Any]:
    """Create the namespaces and pods, then mark every pod Running; the server is not serving yet."""
    start = time.perf_counter()
    namespaces = [f"team-{index:02d}" for index in range(NAMESPACES)]
    for namespace in namespaces:
        cluster.ops.create(_NAMESPACE, None, {"metadata": {"name": namespace}})
    for index in range(PODS):
        namespace = namespaces[index % NAMESPACES]
        created = cluster.ops.create(_POD, namespace, pod_manifest(index))
        name = created["metadata"]["name"]
        cluster.ops.update(_POD, namespace, name, {"status": running_status(created)}, subresource="status")
    seconds = time.perf_counter() - start
    return {
        "pods": PODS,
        "namespaces": NAMESPACES,
        "seconds": round(seconds, 3),
        "pods_per_second": round(PODS / seconds),
    }


def pod_manifest(index: int) -> dict[str, Any]:
    app = f"app-{index % 50:02d}"
    return {
        "metadata": {
            "name": f"{app}-{index:05d}",
            "labels": {"app": app, "tier": ("web", "api", "worker")[index % 3], "pod-template-hash": "5d9c8b7f6"},
            "annotations": {"kaido.dev/bench": "sim-api"},
        },
        "spec": {
            "nodeName": f"node-{index % 40:02d}",
            "containers": [
                {
                    "name": "main",
                    "image": f"registry.example.com/{app}:1.{index % 7}.0",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "env": [{"name": "APP", "value": app}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                }
            ],
        },
    }


def running_status(pod: dict[str, Any]) -> dict[str, Any]:
    started = pod["metadata"]["creationTimestamp"]
    index = int(pod["metadata"]["name"].rsplit("-", 1)[1])
    container = pod["spec"]["containers"][0]
    return {
        "phase": "Running",
        "hostIP": f"10.0.0.{index % 40 + 1}",
        "podIP": f"10.1.{index // 250}.{index % 250 + 1}",
        "startTime": started,
        "conditions": [
            {"type": kind, "status": "True", "lastTransitionTime": started}
            for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        ],
        "containerStatuses": [
            {
                "name": container["name"],
                "image": container["image"],
                "imageID": f"{container['image']}@sha256:{index:064x}",
                "ready": True,
                "started": True,
                "restartCount": index % 4,
                "state": {"running": {"startedAt": started}},
            }
        ],
    }


# ----- listing ---------------------------------------------------------------------------------


def time_kubectl(kubectl: Kubectl) -> dict[str, Any]:
    start = time.perf_counter()
    kubectl("get", "pods", "-A")
    first = time.perf_counter() - start
    samples, rows = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        table = kubectl("get", "pods", "-A")
        samples.append(time.perf_counter() - start)
        rows = len(table.splitlines()) - 1  # minus the header
    start = time.perf_counter()
    items = len(json.loads(kubectl("get", "pods", "-A", "-o", "json"))["items"])
    json_seconds = time.perf_counter() - start
    if rows != PODS:
        print(f"sim-api: kubectl get pods -A printed {rows} rows, expected {PODS}", file=sys.stderr)
    stats = seconds_percentiles(samples)
    return {
        "runs": RUNS,
        "first_run_seconds": round(first, 3),
        **stats,
        "rows": rows,
        "rows_ok": rows == PODS,
        "json_seconds": round(json_seconds, 3),
        "json_items": items,
        "target_seconds": TARGET_KUBECTL_SECONDS,
        "meets_target": rows == PODS and stats["p99_seconds"] < TARGET_KUBECTL_SECONDS,
    }


async def time_lightkube(kubeconfig: Path) -> dict[str, Any]:
    client = AsyncClient(KubeConfig.from_file(kubeconfig))
    try:
        [pod async for pod in client.list(Pod, namespace="*")]  # warm-up: connection, model imports
        samples, items = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            items = len([pod async for pod in client.list(Pod, namespace="*")])
            samples.append(time.perf_counter() - start)
    finally:
        await client.close()
    stats = seconds_percentiles(samples)
    return {"runs": RUNS, **stats, "items": items, "items_per_second": round(items / stats["p50_seconds"])}


# ----- watching --------------------------------------------------------------------------------


async def watch_burst(sim: SimThread, mode: str) -> dict[str, Any]:
    """Open the watchers, wait until the store has them all, fire the burst, gather what each one saw."""
    store = sim.cluster.store
    committed: dict[int, int] = {}

    def stamp(event: WatchEvent) -> None:
        committed[event.resource_version] = time.perf_counter_ns()

    def listen() -> int:
        store.listeners.append(stamp)
        return store.resource_version

    await subscribers(sim, 0, [])  # streams of an earlier burst may still be closing on the server
    start_rv = sim.call(listen)
    seen: list[list[tuple[int, int]]] = [[] for _ in range(WATCHERS)]
    limits = httpx2.Limits(max_connections=WATCHERS, max_keepalive_connections=WATCHERS)
    async with httpx2.AsyncClient(base_url=sim.url, timeout=None, limits=limits) as client:
        watchers = [asyncio.create_task(watch(client, start_rv, received)) for received in seen]
        await subscribers(sim, WATCHERS, watchers)
        burst = sim.call(lambda: asyncio.ensure_future(write_burst(sim.cluster, mode)))  # noqa: F841 - keeps the task alive
        _, pending = await asyncio.wait(watchers, timeout=120)
        for task in pending:
            task.cancel()
    sim.call(lambda: store.listeners.remove(stamp))
    return {"mode": mode, **delivery_report(committed, seen)}


async def subscribers(sim: SimThread, count: int, watchers: list[asyncio.Task[None]]) -> None:
    """Wait until the store holds `count` watchers, so no event of the burst is replayed from history."""
    # The store has no subscription hook; reading a set's size from this thread is safe.
    while len(sim.cluster.store.watchers) != count:
        failed = [task for task in watchers if task.done()]
        if failed:
            failed[0].result()
            raise RuntimeError("sim-api: a watch stream ended before the burst")
        await asyncio.sleep(0.01)


async def watch(client: httpx2.AsyncClient, resource_version: int, received: list[tuple[int, int]]) -> None:
    """Append (resourceVersion, receipt time in ns) of each event until the whole burst has arrived."""
    params = {"watch": "true", "resourceVersion": str(resource_version)}
    async with client.stream("GET", "/api/v1/configmaps", params=params) as response:
        async for line in response.aiter_lines():
            event = json.loads(line)
            received.append((int(event["object"]["metadata"]["resourceVersion"]), time.perf_counter_ns()))
            if len(received) == BURST:
                return


async def write_burst(cluster: SimCluster, mode: str) -> None:
    """Runs in the simulator's loop: one configmap per write; "paced" lets streams flush between writes."""
    for index in range(BURST):
        name, namespace = f"{mode.replace('_', '-')}-{index:04d}", f"team-{index % NAMESPACES:02d}"
        cluster.ops.create(_CONFIGMAP, namespace, {"metadata": {"name": name}, "data": {"i": "x"}})
        if mode == "paced":
            await asyncio.sleep(0)


def delivery_report(committed: dict[int, int], seen: list[list[tuple[int, int]]]) -> dict[str, Any]:
    latencies = [(received - committed[rv]) / 1e6 for stamps in seen for rv, received in stamps if rv in committed]
    expected, delivered = WATCHERS * BURST, len(latencies)
    if delivered != expected:
        print(f"sim-api: MISMATCH: watchers got {delivered} events, expected {expected}", file=sys.stderr)
    burst_rvs = sorted(rv for stamps in seen[:1] for rv, _ in stamps)
    first_commit = min((committed[rv] for rv in burst_rvs), default=0)
    last_commit = max((committed[rv] for rv in burst_rvs), default=0)
    last_receipt = max((received for stamps in seen for _, received in stamps), default=0)
    span = max(last_receipt - first_commit, 1) / 1e9
    p99 = percentile(latencies, 0.99)
    return {
        "watchers": WATCHERS,
        "burst": BURST,
        "expected_events": expected,
        "delivered_events": delivered,
        "complete": delivered == expected,
        "burst_write_seconds": round((last_commit - first_commit) / 1e9, 3),
        "delivery_seconds": round(span, 3),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 2),
            "p99": round(p99, 2),
            "max": round(max(latencies, default=math.nan), 2),
        },
        "events_per_second": round(delivered / span),
        "target_p99_ms": TARGET_DELIVERY_P99_MS,
        "meets_target": delivered == expected and p99 < TARGET_DELIVERY_P99_MS,
    }


# ----- statistics ------------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def seconds_percentiles(samples: list[float]) -> dict[str, float]:
    return {
        "p50_seconds": round(percentile(samples, 0.50), 3),
        "p99_seconds": round(percentile(samples, 0.99), 3),
        "max_seconds": round(max(samples), 3),
    }
