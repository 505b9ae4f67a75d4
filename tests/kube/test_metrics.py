"""metrics.k8s.io readers: parsing metrics-server's objects, a live simulator's usage, and a missing API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from kaido.kube.client import Kube
from kaido.kube.errors import KubeError, MetricsUnavailable
from kaido.kube.metrics import (
    ContainerUsage,
    node_usage,
    parse_duration,
    parse_node_metrics,
    parse_pod_metrics,
    pod_usage,
)
from kaido.kube.resources import DEPLOYMENTS, NAMESPACES
from tests.kube.conftest import FAST_RETRY
from tests.support.sim import SimThread, fast_control_plane

POD_METRICS = {
    "kind": "PodMetrics",
    "apiVersion": "metrics.k8s.io/v1beta1",
    "metadata": {"name": "web-1", "namespace": "shop"},
    "timestamp": "2026-03-01T12:00:00Z",
    "window": "15.123s",
    "containers": [
        {"name": "app", "usage": {"cpu": "250000000n", "memory": "131072Ki"}},
        {"name": "sidecar", "usage": {"cpu": "5m", "memory": "16Mi"}},
    ],
}


def test_pod_metrics_become_cores_and_bytes() -> None:
    usage = parse_pod_metrics(POD_METRICS)
    assert (usage.namespace, usage.name) == ("shop", "web-1")
    assert usage.timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert usage.window_seconds == pytest.approx(15.123)
    assert usage.containers == {
        "app": ContainerUsage(cpu_cores=0.25, memory_bytes=128 * 2**20),
        "sidecar": ContainerUsage(cpu_cores=0.005, memory_bytes=16 * 2**20),
    }
    assert usage.cpu_cores == pytest.approx(0.255)
    assert usage.memory_bytes == 144 * 2**20


def test_node_metrics_and_bad_values_name_the_object() -> None:
    node = parse_node_metrics(
        {
            "metadata": {"name": "n1"},
            "timestamp": "2026-03-01T12:00:00.5+00:00",
            "window": "1m0s",
            "usage": {"cpu": "1500m", "memory": "2Gi"},
        }
    )
    assert (node.name, node.cpu_cores, node.memory_bytes, node.window_seconds) == ("n1", 1.5, 2 * 2**30, 60.0)
    broken = POD_METRICS | {"containers": [{"name": "app", "usage": {"cpu": "lots", "memory": "1Mi"}}]}
    with pytest.raises(KubeError, match=r"PodMetrics shop/web-1 container 'app': cpu usage 'lots' is not a quantity"):
        parse_pod_metrics(broken)
    with pytest.raises(KubeError, match="NodeMetrics n1: window 'soon' is not a Go duration"):
        parse_node_metrics({"metadata": {"name": "n1"}, "timestamp": "2026-03-01T12:00:00Z", "window": "soon"})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15s", 15), ("0s", 0), ("1m0s", 60), ("1h2m3.5s", 3723.5), ("500ms", 0.5), ("250us", 0.00025), ("10ns", 1e-8)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "15", "s", "1x", "1s2", "-1s"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a Go duration"):
        parse_duration(text)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    """A simulator with its control plane running 20x faster than real time, so pods start and report usage."""
    thread = fast_control_plane(tmp_path_factory.mktemp("metrics") / "kubeconfig", seed=9)
    yield thread
    thread.stop()


def web(replicas: int) -> dict[str, Any]:
    labels = {"app": "web"}
    container = {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
    return {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


async def test_usage_of_running_pods_and_nodes(live: SimThread) -> None:
    async with await Kube.connect(kubeconfig=live.kubeconfig, retry=FAST_RETRY) as kube:
        await kube.create(NAMESPACES, {"metadata": {"name": "shop"}})
        await kube.create(DEPLOYMENTS, web(2), namespace="shop")
        pods = []
        for _ in range(200):
            pods = await pod_usage(kube, namespace="shop")
            if len(pods) == 2:
                break
            await asyncio.sleep(0.05)
        assert sorted(p.name for p in pods) == sorted(p.name for p in await pod_usage(kube, label_selector="app=web"))
        assert len(pods) == 2
        for usage in pods:
            assert usage.namespace == "shop"
            assert set(usage.containers) == {"app"}
            assert 4 * 2**20 < usage.memory_bytes < 64 * 2**20  # an idle nginx
            assert 0 <= usage.cpu_cores < 1
            assert usage.window_seconds == 15
            assert usage.timestamp.tzinfo is not None
        nodes = await node_usage(kube)
        assert nodes, "every ready node reports usage"
        assert all(n.cpu_cores > 0 and n.memory_bytes > 700 * 2**20 for n in nodes)  # system processes at least
        assert kube.requests[("list", "metrics.k8s.io/pods")] >= 2
        assert kube.requests[("list", "metrics.k8s.io/nodes")] == 1


async def test_a_failing_metrics_api_is_unavailable(sim: SimThread, faults: Any) -> None:
    faults("error-rate=1.0,error-codes=503")
    async with await Kube.connect(kubeconfig=sim.kubeconfig, retry=FAST_RETRY) as kube:
        with pytest.raises(MetricsUnavailable, match="install metrics-server") as raised:
            await pod_usage(kube, namespace="default")
    assert raised.value.status == 503
    assert raised.value.retryable


async def test_a_cluster_without_metrics_server_is_unavailable() -> None:
    def no_metrics(request: httpx2.Request) -> httpx2.Response:
        body = {"kind": "Status", "apiVersion": "v1", "code": 404, "reason": "NotFound", "message": "the server "
                "could not find the requested resource"}  # fmt: skip
        return httpx2.Response(404, json=body)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(no_metrics), base_url="http://api")
    async with Kube(http, retry=FAST_RETRY) as kube:
        with pytest.raises(
            MetricsUnavailable, match=r"GET nodes\.metrics\.k8s\.io failed: metrics\.k8s\.io is not available"
        ):
            await node_usage(kube)
