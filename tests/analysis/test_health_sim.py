"""The health and usage rules on what the simulated control plane really writes.

The simulator's kubelet, scheduler, node lifecycle and metrics-server produce the pod, node and
metrics bodies on a virtual clock; the rules read them as the monitor will, from the store. This is
the contract that the monitor understands the simulator's pods exactly, failure class by class.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.analysis.findings import Finding
from kaido.analysis.health import HealthSettings, node_findings, pod_findings, restarts_in_window, summarize
from kaido.analysis.status import restart_total
from kaido.analysis.usage import Thresholds, node_usage_findings, pod_usage_findings
from kaido.core import ManualClock, parse_quantity
from kaido.core.refs import ObjectRef
from kaido.sim.cluster import SimCluster
from kaido.sim.control_plane import control_plane
from kaido.sim.nodes import NodeLifecycleController
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

PODS = builtin("", "v1", "pods")
NODES = builtin("", "v1", "nodes")
DEPLOYMENTS = builtin("apps", "v1", "deployments")
REPLICASETS = builtin("apps", "v1", "replicasets")
SETTINGS = HealthSettings()


@pytest.fixture
def cluster() -> SimCluster:
    return SimCluster(clock=ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)), seed=11)


@pytest.fixture
def runtime(cluster: SimCluster) -> Runtime:
    runtime = control_plane(cluster)
    runtime.reconcile()
    return runtime


def now(cluster: SimCluster) -> datetime:
    return cluster.clock.now()


def make_pod(cluster: SimCluster, name: str, *containers: dict[str, Any], **spec: Any) -> None:
    body = {"metadata": {"name": name, "namespace": "default"}, "spec": {"containers": list(containers), **spec}}
    cluster.ops.create(PODS, "default", body)


def pod(cluster: SimCluster, name: str) -> dict[str, Any]:
    return cluster.store.get(PODS, "default", name)


def findings(cluster: SimCluster, name: str, **extra: Any) -> list[Finding]:
    return pod_findings(pod(cluster, name), now=now(cluster), settings=extra.pop("settings", SETTINGS), **extra)


def kinds(found: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.kind, f.container) for f in found]


def busybox(script: str, **fields: Any) -> dict[str, Any]:
    return {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", script], **fields}


async def test_each_failure_class_of_the_kubelet_is_recognised(cluster: SimCluster, runtime: Runtime) -> None:
    env = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}}]
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5}
    make_pod(cluster, "web", {"name": "app", "image": "nginx:1.27"})
    make_pod(cluster, "crash", busybox("echo starting; sleep 5 && exit 1"))
    make_pod(cluster, "typo", {"name": "app", "image": "nginx:no-such-tag"})
    make_pod(cluster, "cfg", busybox("sleep 3600", env=env))
    make_pod(cluster, "leak", {"name": "app", "image": "kaido/leak:1.0", "resources": {"limits": {"memory": "64Mi"}}})
    make_pod(cluster, "done", busybox("echo done"), restartPolicy="Never")
    make_pod(cluster, "fails", busybox("exit 3"), restartPolicy="Never")
    make_pod(cluster, "deaf", {"name": "app", "image": "nginx:1.27", "readinessProbe": probe})
    make_pod(cluster, "huge", {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "64"}}})
    runtime.reconcile()
    await runtime.advance(20)
    assert findings(cluster, "typo") == findings(cluster, "typo")  # deterministic
    early = {name: kinds(findings(cluster, name)) for name in ("web", "crash", "typo", "cfg", "deaf", "huge")}
    assert early == {
        "web": [],
        "crash": [("crash-loop-back-off", "app")],
        "typo": [("image-pull-back-off", "app")],
        "cfg": [("container-config-error", "app")],
        "deaf": [],  # not Ready, but within the grace period
        "huge": [],  # unschedulable, but within the grace period
    }
    await runtime.advance(60)
    assert {name: kinds(findings(cluster, name)) for name in ("leak", "done", "fails", "deaf", "huge")} == {
        "leak": [("crash-loop-back-off", "app"), ("oom-killed", "app")],
        "done": [],
        "fails": [("pod-failed", None)],
        "deaf": [("pod-not-ready", None)],
        "huge": [("pod-pending", None)],
    }
    huge = findings(cluster, "huge")[0]
    assert "it cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu." in huge.summary
    assert findings(cluster, "deaf")[0].summary.startswith("pod default/deaf has not been Ready for 1 min")
    assert findings(cluster, "fails")[0].summary == "pod default/fails failed: container app exited with code 3 (Error)"
    oom = findings(cluster, "leak")[1]
    assert "was OOMKilled at its 64Mi memory limit" in oom.summary


async def test_restart_rate_from_samples_of_a_crash_loop(cluster: SimCluster, runtime: Runtime) -> None:
    """Sampled on change, as the monitor does, the count matches the kubelet's restarts at every second."""
    make_pod(cluster, "crash", busybox("sleep 5 && exit 1"))
    runtime.reconcile()
    strict = HealthSettings(restart_threshold=2, restart_window=60)
    history: list[tuple[datetime, int]] = []
    restarts: list[datetime] = []
    fired: list[datetime] = []
    for _ in range(200):
        await runtime.advance(1)
        moment, total = now(cluster), restart_total(pod(cluster, "crash"))
        if not history or total != history[-1][1]:
            restarts += [moment] * (total - (history[-1][1] if history else 0))
            history.append((moment, total))
        truth = sum(1 for t in restarts if (moment - t).total_seconds() < 60)
        assert restarts_in_window(history, now=moment, window=60) == truth
        found = findings(cluster, "crash", settings=strict, restart_history=history)
        if "high-restart-rate" in [f.kind for f in found]:
            fired.append(moment)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert [round((t - start).total_seconds()) for t in restarts] == [7, 22, 47, 92, 177]  # back-off 10 s doubling
    # more than 2 restarts in 60 s: 7, 22 and 47 s, until the one at 7 s leaves the window
    assert [round((t - start).total_seconds()) for t in fired] == list(range(47, 67))
    assert restarts_in_window(history, now=now(cluster), window=300) == 5
    assert kinds(findings(cluster, "crash", restart_history=history)) == [("crash-loop-back-off", "app")]
    lenient = HealthSettings(restart_threshold=4, restart_window=300)
    (rate,) = [f for f in findings(cluster, "crash", settings=lenient, restart_history=history) if f.container is None]
    assert rate.summary == "pod default/crash restarted 5 times in the last 5 min (threshold 4)"


async def test_a_deployment_pod_names_its_deployment(cluster: SimCluster, runtime: Runtime) -> None:
    labels = {"app": "backend"}
    template = {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "backend", "image": "kaido/web:2.0-bad"}]},
    }
    deployment = {
        "metadata": {"name": "backend", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template},
    }
    cluster.ops.create(DEPLOYMENTS, "default", deployment)
    runtime.reconcile()
    await runtime.advance(30)
    (crashing,) = cluster.store.list_objects(PODS, "default")

    def lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        return cluster.store.find(REPLICASETS, namespace, name)

    (finding,) = pod_findings(crashing, now=now(cluster), owner_lookup=lookup, settings=SETTINGS)
    assert finding.kind == "crash-loop-back-off"
    assert finding.container == "backend"
    uid = cluster.store.get(DEPLOYMENTS, "default", "backend")["metadata"]["uid"]
    assert finding.workload == ObjectRef(kind="Deployment", name="backend", namespace="default", uid=uid)
    assert "(last exit: Error, code 2)" in finding.summary


async def test_a_lost_node_and_its_pods(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "web", {"name": "app", "image": "nginx:1.27"}, nodeName="kaido-worker-2")
    runtime.reconcile()
    await runtime.advance(10)
    nodes = cluster.store.list_objects(NODES, None)
    assert [f for n in nodes for f in node_findings(n, now=now(cluster), settings=SETTINGS)] == []
    lifecycle = next(c for c in runtime.controllers if isinstance(c, NodeLifecycleController))
    lifecycle.lose("kaido-worker-2")
    await runtime.advance(120)
    lost = cluster.store.get(NODES, None, "kaido-worker-2")
    (finding,) = node_findings(lost, now=now(cluster), settings=SETTINGS)
    assert finding.kind == "node-not-ready"
    assert finding.summary.startswith(
        "node kaido-worker-2 is not Ready (Unknown: Kubelet stopped posting node status.)"
    )
    assert "taint node.kubernetes.io/unreachable:NoExecute" in finding.evidence
    assert kinds(findings(cluster, "web")) == [("pod-not-ready", None)]
    nodes = cluster.store.list_objects(NODES, None)
    everything = [f for n in nodes for f in node_findings(n, now=now(cluster), settings=SETTINGS)]
    summary = summarize(cluster.store.list_objects(PODS, None), nodes, [*everything, *findings(cluster, "web")])
    assert (summary.status, summary.nodes_ready, summary.nodes_not_ready, summary.pods_not_ready) == (
        "critical",
        2,
        1,
        1,
    )


async def test_usage_from_the_simulated_metrics_server(cluster: SimCluster, runtime: Runtime) -> None:
    limits = {"memory": "128Mi", "cpu": "500m"}
    make_pod(cluster, "leak", {"name": "app", "image": "kaido/leak:1.0", "resources": {"limits": limits}})
    runtime.reconcile()
    await runtime.advance(30)
    assert _pod_usage(cluster, "leak") == []  # about 75 MiB of 128Mi
    await runtime.advance(46)
    (finding,) = _pod_usage(cluster, "leak")
    assert finding.kind == "pod-memory-high"
    assert finding.summary.startswith("container app of pod default/leak uses 9")
    assert finding.summary.endswith("of its 128Mi memory limit (threshold 85%)")
    for name, metrics in cluster.node_metrics.items():
        usage = metrics["usage"]
        node = cluster.store.get(NODES, None, name)
        cpu, memory = parse_quantity(usage["cpu"]).as_float(), parse_quantity(usage["memory"]).as_float()
        assert node_usage_findings(node, cpu, memory, now=now(cluster), thresholds=Thresholds()) == []
        tight = Thresholds(node_memory=1)  # the node's own processes use more than 1% of 16Gi
        assert [f.kind for f in node_usage_findings(node, cpu, memory, now=now(cluster), thresholds=tight)] == [
            "node-memory-high"
        ]


def _pod_usage(cluster: SimCluster, name: str) -> list[Finding]:
    metrics = cluster.pod_metrics[("default", name)]
    usage = {
        c["name"]: (parse_quantity(c["usage"]["cpu"]).as_float(), parse_quantity(c["usage"]["memory"]).as_float())
        for c in metrics["containers"]
    }
    return pod_usage_findings(pod(cluster, name), usage, now=now(cluster), thresholds=Thresholds())
