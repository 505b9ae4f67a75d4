"""The agent at scale: its memory and CPU while it watches 1k, 5k and 10k pods, and its informer throughput.

The simulator runs in this process (`SimThread`: its own thread and loop, real TCP on 127.0.0.1) with its
runtime off, so nothing but this benchmark changes an object. The agent runs as `kaido run` in its own
process, so /proc/<pid> gives its own numbers: VmRSS and VmHWM (peak) from `status`, utime + stime from
`stat`. For each pod count, with a fresh simulator:

1. Load, before the server starts: namespaces, Ready nodes (100 pods each), and per app a Deployment, its
   ReplicaSet and 50 Running pods owned by it, with the status the simulator's kubelet writes (conditions,
   containerStatuses, IPs, QoS class), so the agent caches objects of a realistic size.
2. Start the agent; `ready_seconds` runs from the process start to /readyz answering 200 (interpreter
   start, imports, the initial lists).
3. Idle: once the agent holds every pod and its subscribers' queues are empty, RSS and CPU over
   `idle_seconds` with no request to the agent.
4. Churn: a task in the simulator's loop merge-patches a label on `updates` pods (round-robin) at a fixed
   `rate`. The agent's `kaido_informer_events_total{resource="pods"}` is polled from /metrics; the agent has
   caught up when that counter has grown by `updates` and its queues are empty. `events_per_second` is
   updates over the time from the first patch to catching up, so it equals the offered rate when the
   agent keeps up and falls below it when it lags; `catch_up_seconds` is the lag after the last patch.
   The simulator, not the agent, limits how fast events can come (about 2,000 patches/s on a 2-CPU
   machine, sharing this process's GIL with the driver), so `events_per_cpu_second` (updates over the
   agent's CPU seconds in the phase) estimates what one core of the agent could absorb.

The target (200 MiB) is judged on `rss_mib_peak`, the process's high-water mark over its whole life,
initial list included. Settings: `KAIDO_BENCH_AGENT_PODS="1000,5000,10000"` chooses the pod counts.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from prometheus_client.parser import text_string_to_metric_families
from tests.support.agent import AgentProcess
from tests.support.sim import SimThread

from kaido.core.ids import stable_id
from kaido.sim.cluster import SimCluster
from kaido.sim.nodes import default_nodes
from kaido.sim.resources import ResourceType, builtin

PODS_ENV: Final = "KAIDO_BENCH_AGENT_PODS"
DEFAULT_PODS: Final = (1_000, 5_000, 10_000)
TARGET_RSS_MIB: Final = 200
NAMESPACES: Final = 10
PODS_PER_APP: Final = 50
PODS_PER_NODE: Final = 100  # under the 110-pod default allocatable
CHURN_LABEL: Final = "bench.kaido.dev/churn"
MERGE_PATCH: Final = "application/merge-patch+json"
POLL: Final = 0.05  # s between /metrics scrapes while waiting; small against the measured spans

_NAMESPACE = builtin("", "v1", "namespaces")
_NODE = builtin("", "v1", "nodes")
_POD = builtin("", "v1", "pods")
_REPLICASET = builtin("apps", "v1", "replicasets")
_DEPLOYMENT = builtin("apps", "v1", "deployments")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_KIB_PER_MIB = 1024.0  # /proc/<pid>/status reports kB


@dataclass(frozen=True, kw_only=True)
class Settings:
    idle_seconds: float = 10.0  # the quiet window for idle RSS and CPU
    updates: int = 5_000  # label patches in the churn phase, the same for every pod count
    rate: float = 1_000.0  # patches per second offered by the simulator
    ready_timeout: float = 300.0  # s for the agent's first lists
    settle_timeout: float = 120.0  # s for the agent to drain its queues, before idle and after churn


def run() -> dict[str, Any]:
    return measure(pod_counts(os.environ.get(PODS_ENV, "")), Settings())


def measure(counts: Sequence[int], settings: Settings) -> dict[str, Any]:
    """One run per pod count, each against a fresh simulator and agent."""
    runs = [measure_one(pods, settings) for pods in counts]
    return {
        "settings": asdict(settings),
        "runs": runs,
        "target_rss_mib": TARGET_RSS_MIB,
        "meets_target": all(r["meets_target"] for r in runs),
    }


def pod_counts(text: str) -> tuple[int, ...]:
    """The pod counts of "1000,5000,10000"; the defaults for an empty string."""
    if not text.strip():
        return DEFAULT_PODS
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as e:
        raise ValueError(f"{PODS_ENV}={text!r}: expected comma-separated pod counts such as 1000,5000") from e
    if not counts or any(count < 1 for count in counts):
        raise ValueError(f"{PODS_ENV}={text!r}: every pod count must be a positive integer")
    return counts


def measure_one(pods: int, settings: Settings) -> dict[str, Any]:
    cluster = SimCluster(seed=pods)
    load = load_cluster(cluster, pods)
    with tempfile.TemporaryDirectory(prefix="kaido-bench-agent-") as tmp:
        sim = SimThread(kubeconfig=Path(tmp) / "kubeconfig", cluster=cluster).start()
        agent = AgentProcess(sim.kubeconfig, Path(tmp))
        try:
            started = time.perf_counter()
            agent.start()
            assert agent.process is not None
            pid = agent.process.pid
            wait_until(lambda: agent_alive(agent) and agent.get("/readyz")[0] == 200, settings.ready_timeout, "ready")
            ready_seconds = time.perf_counter() - started
            settle(agent, pods=pods, events=0, timeout=settings.settle_timeout)
            idle = sample(pid, settings.idle_seconds)
            churn = churn_phase(sim, agent, pid, pods=pods, settings=settings)
        except BaseException:
            print(f"agent benchmark at {pods} pods failed; the agent's log:\n{agent.log()}", file=sys.stderr)
            raise
        finally:
            agent.kill()
            sim.stop()
    peak = churn.pop("rss_mib_peak")
    return {
        "pods": pods,
        "load": load,
        "ready_seconds": round(ready_seconds, 2),
        "rss_mib_idle": idle["rss_mib"],
        "rss_mib_peak": peak,
        "cpu_percent_idle": idle["cpu_percent"],
        **churn,
        "target_rss_mib": TARGET_RSS_MIB,
        "meets_target": peak <= TARGET_RSS_MIB,
    }


# ----- the cluster -----------------------------------------------------------------------------


def load_cluster(cluster: SimCluster, pods: int) -> dict[str, Any]:
    """Namespaces, nodes, and per app a Deployment, ReplicaSet and Running pods; the server is not serving yet."""
    start = time.perf_counter()
    for index in range(NAMESPACES):
        cluster.ops.create(_NAMESPACE, None, {"metadata": {"name": namespace_name(index)}})
    nodes = [load_node(cluster, node) for node in default_nodes(max(1, math.ceil(pods / PODS_PER_NODE)))]
    apps = math.ceil(pods / PODS_PER_APP)
    for app in range(apps):
        replicas = min(PODS_PER_APP, pods - app * PODS_PER_APP)
        replicaset = load_workload(cluster, app, replicas)
        for replica in range(replicas):
            index = app * PODS_PER_APP + replica
            load_pod(cluster, replicaset, index, nodes[index % len(nodes)])
    seconds = time.perf_counter() - start
    return {
        "namespaces": NAMESPACES,
        "nodes": len(nodes),
        "deployments": apps,
        "seconds": round(seconds, 2),
        "pods_per_second": round(pods / seconds),
    }


def namespace_name(index: int) -> str:
    return f"team-{index:02d}"


def load_node(cluster: SimCluster, manifest: dict[str, Any]) -> str:
    """Create the node and post the status a healthy kubelet reports."""
    created = cluster.ops.create(_NODE, None, manifest)
    name, now = created["metadata"]["name"], created["metadata"]["creationTimestamp"]
    healthy = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    conditions = [
        {"type": kind, "status": status, "reason": reason, "lastHeartbeatTime": now, "lastTransitionTime": now}
        for kind, status, reason in healthy
    ]
    status = {**manifest["status"], "conditions": conditions}
    post_status(cluster, _NODE, None, name, status)
    return str(name)


def load_workload(cluster: SimCluster, app: int, replicas: int) -> dict[str, Any]:
    """A Deployment and its current ReplicaSet, both reporting every replica ready; returns the ReplicaSet."""
    name, namespace = f"app-{app:04d}", namespace_name(app % NAMESPACES)
    labels = {"app": name, "tier": ("web", "api", "worker")[app % 3]}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container(name, app)]}}
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}
    metadata = {"name": name, "labels": labels}
    deployment = cluster.ops.create(_DEPLOYMENT, namespace, {"metadata": metadata, "spec": spec})
    ready = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 1}
    post_status(cluster, _DEPLOYMENT, namespace, name, {**ready, "updatedReplicas": replicas})
    template_hash = stable_id(name, "template", length=10)
    owner = owner_reference(deployment)
    replicaset = cluster.ops.create(
        _REPLICASET,
        namespace,
        {
            "metadata": {
                "name": f"{name}-{template_hash}",
                "labels": {**labels, "pod-template-hash": template_hash},
                "annotations": {"deployment.kubernetes.io/revision": "1"},
                "ownerReferences": [owner],
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name, "pod-template-hash": template_hash}},
                "template": {**template, "metadata": {"labels": {**labels, "pod-template-hash": template_hash}}},
            },
        },
    )
    status = {**ready, "fullyLabeledReplicas": replicas}
    post_status(cluster, _REPLICASET, namespace, replicaset["metadata"]["name"], status)
    return replicaset


def container(app: str, index: int) -> dict[str, Any]:
    return {
        "name": "main",
        "image": f"registry.example.com/{app}:1.{index % 7}.0",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "env": [{"name": "APP", "value": app}, {"name": "LOG_LEVEL", "value": "info"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
    }


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def load_pod(cluster: SimCluster, replicaset: dict[str, Any], index: int, node: str) -> None:
    meta = replicaset["metadata"]
    template = replicaset["spec"]["template"]
    body = {
        "metadata": {
            "name": f"{meta['name']}-{stable_id(str(index), length=5)}",
            "labels": dict(template["metadata"]["labels"]),
            "ownerReferences": [owner_reference(replicaset)],
        },
        "spec": {**template["spec"], "nodeName": node},
    }
    created = cluster.ops.create(_POD, meta["namespace"], body)
    post_status(cluster, _POD, meta["namespace"], created["metadata"]["name"], running_status(created, index))


def post_status(cluster: SimCluster, resource: ResourceType, namespace: str | None, name: str, status: Any) -> None:
    """Write `status` through the status subresource, as the controller or kubelet that owns it would."""
    cluster.ops.update(resource, namespace, name, {"status": status}, subresource="status")


def running_status(pod: dict[str, Any], index: int) -> dict[str, Any]:
    """What the simulator's kubelet reports for a started, ready pod (its conditions, IPs and container)."""
    started = pod["metadata"]["creationTimestamp"]
    node_index = int(pod["spec"]["nodeName"].rsplit("-", 1)[1])
    host_ip, pod_ip = f"10.0.{node_index // 250}.{node_index % 250 + 10}", f"10.244.{node_index}.{index % 250 + 2}"
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    spec = pod["spec"]["containers"][0]
    digest = stable_id(spec["image"], length=64)
    return {
        "observedGeneration": 1,
        "phase": "Running",
        "conditions": [
            {"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": started} for kind in kinds
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": started,
        "containerStatuses": [
            {
                "name": spec["name"],
                "state": {"running": {"startedAt": started}},
                "lastState": {},
                "ready": True,
                "restartCount": 0,
                "image": spec["image"],
                "imageID": f"{spec['image'].split(':')[0]}@sha256:{digest}",
                "started": True,
                "containerID": f"containerd://{stable_id(pod['metadata']['uid'], length=64)}",
            }
        ],
        "qosClass": "Burstable",
    }


# ----- the churn -------------------------------------------------------------------------------


def churn_phase(sim: SimThread, agent: AgentProcess, pid: int, *, pods: int, settings: Settings) -> dict[str, Any]:
    """Patch pods at the fixed rate from the simulator; follow the agent's counter until it has caught up."""
    before = informer_metrics(agent)["events"]
    ticks = cpu_ticks(pid)
    targets = sim.call(lambda: [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pod_objects(sim)])
    start = time.perf_counter()
    finished = start_churn(sim, targets, updates=settings.updates, rate=settings.rate)
    sim_seconds = finished.result(timeout=settings.updates / settings.rate + settings.settle_timeout)
    sim_done = time.perf_counter()
    settle(agent, pods=pods, events=before + settings.updates, timeout=settings.settle_timeout)
    caught_up = time.perf_counter()
    wall = caught_up - start
    cpu = (cpu_ticks(pid) - ticks) / _CLOCK_TICKS
    memory = memory_mib(pid)
    return {
        "updates": settings.updates,
        "offered_rate": settings.rate,
        "sim_updates_per_second": round(settings.updates / sim_seconds),
        "events_per_second": round(settings.updates / wall),
        "catch_up_seconds": round(max(0.0, caught_up - sim_done), 2),
        "cpu_percent_churn": round(100 * cpu / wall, 1),
        "events_per_cpu_second": round(settings.updates / cpu) if cpu > 0 else None,
        "rss_mib_after_churn": memory["rss"],
        "rss_mib_peak": memory["hwm"],
    }


def pod_objects(sim: SimThread) -> list[dict[str, Any]]:
    return sim.cluster.store.list_objects(_POD, None)


def start_churn(sim: SimThread, targets: list[tuple[str, str]], *, updates: int, rate: float) -> Future[float]:
    """Run the patches as a task in the simulator's loop; the future gets the seconds they took."""
    done: Future[float] = Future()

    def finish(task: asyncio.Task[float]) -> None:
        error = None if task.cancelled() else task.exception()
        if task.cancelled() or error is not None:
            done.set_exception(error or RuntimeError("the churn task was cancelled"))
        else:
            done.set_result(task.result())

    def begin() -> None:
        task = asyncio.ensure_future(patch_at_rate(sim.cluster, targets, updates=updates, rate=rate))
        task.add_done_callback(finish)

    sim.call(begin)
    return done


async def patch_at_rate(cluster: SimCluster, targets: list[tuple[str, str]], *, updates: int, rate: float) -> float:
    """Merge-patch a label, round-robin over `targets`, each patch due at start + n / rate."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for number in range(updates):
        due = start + number / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        namespace, name = targets[number % len(targets)]
        body = json.dumps({"metadata": {"labels": {CHURN_LABEL: str(number)}}}).encode()
        cluster.ops.patch(_POD, namespace, name, body, MERGE_PATCH)
        if number % 50 == 49:
            await asyncio.sleep(0)  # let the watch streams flush even when the loop is behind schedule
    return loop.time() - start


# ----- the agent -------------------------------------------------------------------------------


def agent_alive(agent: AgentProcess) -> bool:
    assert agent.process is not None
    if agent.process.poll() is not None:
        raise RuntimeError(f"kaido run exited with {agent.process.returncode}; its log:\n{agent.log()}")
    return True


def informer_metrics(agent: AgentProcess) -> dict[str, float]:
    """The pod informer's watch-event counter, cached objects, and queued deltas, from /metrics."""
    status, text = agent.get("/metrics")
    if status != 200 or not isinstance(text, str):
        raise RuntimeError(f"GET {agent.url}/metrics answered {status}; is the agent still running?")
    found = {"events": 0.0, "objects": 0.0, "queue": 0.0}
    names = {
        "kaido_informer_events_total": "events",
        "kaido_informer_objects": "objects",
        "kaido_informer_queue_depth": "queue",
    }
    for family in text_string_to_metric_families(text):
        for metric in family.samples:
            key = names.get(metric.name)
            # a queue on any informer is work the agent has not finished; the counts are the pods' own
            if key == "queue" or (key is not None and metric.labels.get("resource") == "pods"):
                found[key] += metric.value
    return found


def settle(agent: AgentProcess, *, pods: int, events: float, timeout: float) -> None:
    """Wait until the agent caches `pods` pods, has counted `events` pod events and has no queued delta."""

    def settled() -> bool:
        agent_alive(agent)
        found = informer_metrics(agent)
        return found["objects"] == pods and found["events"] >= events and found["queue"] == 0

    wait_until(settled, timeout, f"the agent to cache {pods} pods and count {events:.0f} pod events")


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"agent benchmark: gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL)


# ----- /proc -----------------------------------------------------------------------------------


def sample(pid: int, seconds: float) -> dict[str, float]:
    """CPU percent of one core over `seconds` of quiet, and the RSS at the end of it."""
    ticks, start = cpu_ticks(pid), time.perf_counter()
    time.sleep(seconds)
    cpu = (cpu_ticks(pid) - ticks) / _CLOCK_TICKS
    wall = time.perf_counter() - start
    return {"cpu_percent": round(100 * cpu / wall, 1), "rss_mib": memory_mib(pid)["rss"]}


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces; skip past it
    return int(fields[11]) + int(fields[12])


def memory_mib(pid: int) -> dict[str, float]:
    """Resident set size now ("rss") and its high-water mark ("hwm"), in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / _KIB_PER_MIB, 1)
    return {"rss": found["VmRSS"], "hwm": found["VmHWM"]}
