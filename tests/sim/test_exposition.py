"""GET /metrics: cAdvisor, kubelet and kube-state-metrics series of the simulated cluster.

Unit tests run the whole control plane on a virtual clock and read the page; the slow test lets the
Debian `prometheus` binary scrape a simulator served over TCP and asks it for a series.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kaido.sim.app import create_app
from kaido.sim.cluster import SimCluster
from kaido.sim.control_plane import control_plane
from kaido.sim.exposition import CONTENT_TYPE, FAMILIES, render_metrics
from kaido.sim.faults import parse_faults
from kaido.sim.request_stats import request_stats_for
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime
from tests.support.prometheus import running_prometheus
from tests.support.sim import SimThread

PODS = builtin("", "v1", "pods")
PROMETHEUS = Path("/usr/bin/prometheus")


def deployment(replicas: int = 2) -> dict[str, Any]:
    labels = {"app": "web"}
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def crasher(name: str = "crash", runs: int = 1) -> dict[str, Any]:
    command = ["sh", "-c", f"sleep {runs} && exit 1"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "busybox", "command": command}]},
    }


@pytest.fixture
def runtime(cluster: SimCluster) -> Runtime:
    runtime = control_plane(cluster)
    runtime.reconcile()
    return runtime


def lines(cluster: SimCluster) -> list[str]:
    return render_metrics(cluster, cluster.clock.now()).splitlines()


def web_pods(cluster: SimCluster) -> list[dict[str, Any]]:
    return [p for p in cluster.store.list_objects(PODS, "default") if p["metadata"]["name"].startswith("web-")]


async def test_running_deployment_has_kube_state_metrics_lines(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.apply_manifests([deployment()])
    await runtime.advance(30)

    page = lines(cluster)

    assert 'kube_deployment_spec_replicas{namespace="default",deployment="web"} 2' in page
    assert 'kube_deployment_status_replicas{namespace="default",deployment="web"} 2' in page
    assert 'kube_deployment_status_replicas_available{namespace="default",deployment="web"} 2' in page
    assert 'kube_deployment_status_replicas_updated{namespace="default",deployment="web"} 2' in page
    pods = web_pods(cluster)
    assert len(pods) == 2
    for pod in pods:
        name, uid, node = pod["metadata"]["name"], pod["metadata"]["uid"], pod["spec"]["nodeName"]
        ident = f'namespace="default",pod="{name}",uid="{uid}"'
        phases = [line for line in page if line.startswith(f"kube_pod_status_phase{{{ident},")]
        assert phases == [
            f'kube_pod_status_phase{{{ident},phase="Pending"}} 0',
            f'kube_pod_status_phase{{{ident},phase="Succeeded"}} 0',
            f'kube_pod_status_phase{{{ident},phase="Failed"}} 0',
            f'kube_pod_status_phase{{{ident},phase="Unknown"}} 0',
            f'kube_pod_status_phase{{{ident},phase="Running"}} 1',
        ]
        assert f'kube_pod_container_status_ready{{{ident},container="app"}} 1' in page
        assert f'kube_pod_container_status_restarts_total{{{ident},container="app"}} 0' in page
        where = f'{ident},container="app",node="{node}"'
        assert f'kube_pod_container_resource_requests{{{where},resource="cpu",unit="core"}} 0.1' in page
        assert f'kube_pod_container_resource_requests{{{where},resource="memory",unit="byte"}} 67108864' in page
        assert f'kube_pod_container_resource_limits{{{where},resource="memory",unit="byte"}} 134217728' in page
        usage = f'{{namespace="default",pod="{name}",container="app",node="{node}"}}'
        assert any(line.startswith(f"container_memory_working_set_bytes{usage} ") for line in page)
        assert any(line.startswith(f"container_cpu_usage_seconds_total{usage} ") for line in page)
    assert 'kube_node_status_allocatable{node="kaido-worker-1",resource="cpu",unit="core"} 4' in page
    assert 'kube_node_status_condition{node="kaido-worker-1",condition="Ready",status="true"} 1' in page
    assert 'kube_node_status_condition{node="kaido-worker-1",condition="Ready",status="false"} 0' in page
    assert any(line.startswith('node_memory_working_set_bytes{node="kaido-worker-1"} ') for line in page)


async def test_crash_looping_pod_shows_restarts_and_reasons(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.apply_manifests([crasher()])
    await runtime.advance(60)

    page = lines(cluster)

    pod = cluster.store.get(PODS, "default", "crash")
    restarts = pod["status"]["containerStatuses"][0]["restartCount"]
    assert restarts >= 2
    ident = f'namespace="default",pod="crash",uid="{pod["metadata"]["uid"]}",container="app"'
    assert f"kube_pod_container_status_restarts_total{{{ident}}} {restarts}" in page
    assert f'kube_pod_container_status_waiting_reason{{{ident},reason="CrashLoopBackOff"}} 1' in page
    assert f'kube_pod_container_status_last_terminated_reason{{{ident},reason="Error"}} 1' in page
    assert f"kube_pod_container_status_ready{{{ident}}} 0" in page


async def test_page_parses_as_prometheus_text(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.apply_manifests([deployment(), crasher()])
    await runtime.advance(30)

    families = {f.name: f for f in text_string_to_metric_families(render_metrics(cluster, cluster.clock.now()))}

    # the parser files a counter under its name without "_total"
    expected = {name.removesuffix("_total") if kind == "counter" else name: kind for name, kind, _ in FAMILIES}
    assert {name: family.type for name, family in families.items()} == expected
    available = families["kube_deployment_status_replicas_available"].samples
    assert [(s.labels, s.value) for s in available] == [({"namespace": "default", "deployment": "web"}, 2.0)]


def test_label_values_are_escaped(cluster: SimCluster) -> None:
    cluster.apply_manifests([crasher()])
    reason = 'Bad "quote" \\ and\nnewline'
    status = {"phase": "Pending", "containerStatuses": [_waiting("app", reason)]}
    cluster.ops.patch(
        PODS,
        "default",
        "crash",
        json.dumps({"status": status}).encode(),
        "application/merge-patch+json",
        subresource="status",
    )

    text = render_metrics(cluster, cluster.clock.now())

    assert 'reason="Bad \\"quote\\" \\\\ and\\nnewline"} 1' in text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = families["kube_pod_container_status_waiting_reason"].samples
    assert [s.labels["reason"] for s in samples] == [reason]


def _waiting(name: str, reason: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": "busybox",
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
    }


async def test_cpu_counters_are_monotonic_and_grow(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.apply_manifests([deployment(), crasher("flaky", runs=40)])
    history: dict[str, list[float]] = {}
    for _ in range(60):
        await runtime.advance(5)
        for line in lines(cluster):
            if line.startswith(("container_cpu_usage_seconds_total{", "node_cpu_usage_seconds_total{")):
                series, _, value = line.rpartition(" ")
                history.setdefault(series, []).append(float(value))

    flaky = cluster.store.get(PODS, "default", "flaky")
    assert flaky["status"]["containerStatuses"][0]["restartCount"] >= 1  # stopped and ran again meanwhile
    assert any('pod="flaky"' in series for series in history)
    for series, values in history.items():
        assert values == sorted(values), series
    web = [values for series, values in history.items() if 'pod="web-' in series]
    assert len(web) == 2
    assert all(values[-1] > values[0] for values in web)


def test_same_state_renders_the_same_page(cluster: SimCluster, runtime: Runtime) -> None:
    cluster.apply_manifests([deployment()])
    runtime.reconcile()
    now = cluster.clock.now()

    assert render_metrics(cluster, now) == render_metrics(cluster, now)


async def test_metrics_route_needs_no_token_and_skips_faults() -> None:
    cluster = SimCluster(seed=3, rbac=True)
    cluster.faults = parse_faults("error-rate=1,error-codes=503")
    cluster.apply_manifests([deployment()])
    transport = httpx2.ASGITransport(app=create_app(cluster))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sim") as client:
        response = await client.get("/metrics")
        refused = await client.get("/api/v1/pods")

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    assert 'kube_deployment_spec_replicas{namespace="default",deployment="web"} 2' in response.text
    assert refused.status_code == 401


def wait_for(check: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.skipif(not PROMETHEUS.exists(), reason="needs Debian's prometheus package")
def test_real_prometheus_scrapes_the_simulator(tmp_path: Path) -> None:
    sim = SimThread(kubeconfig=tmp_path / "kubeconfig", cluster=SimCluster(seed=5), runtime=True).start()
    try:
        sim.call(lambda: sim.cluster.apply_manifests([deployment()]))
        with running_prometheus(tmp_path, targets=[sim.url.removeprefix("http://")]) as prometheus:

            def available() -> list[Any]:
                result: list[Any] = prometheus.query("kube_deployment_status_replicas_available")["data"]["result"]
                return result if result and result[0]["value"][1] == "2" else []

            wait_for(prometheus.targets_up, timeout=60, what="Prometheus to report the simulator's target up")
            result = wait_for(available, timeout=60, what="kube_deployment_status_replicas_available == 2")
    finally:
        sim.stop()

    assert len(result) == 1
    assert result[0]["metric"]["deployment"] == "web"
    assert result[0]["metric"]["job"] == "kaido-sim"


def overloaded_web(replicas: int = 2) -> list[dict[str, Any]]:
    """Pods of an API image whose 500m CPU limit serves about 50 requests/s, and their Service."""
    manifest = deployment(replicas)
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "acme/api:v1"
    container["resources"]["limits"]["cpu"] = "500m"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return [manifest, service]


def http_totals(page: list[str]) -> dict[tuple[str, str], float]:
    """kaido_sim_http_requests_total by (pod, code)."""
    out = {}
    for family in text_string_to_metric_families("\n".join(page) + "\n"):
        if family.name == "kaido_sim_http_requests":
            for sample in family.samples:
                assert sample.labels["namespace"] == "default"
                assert sample.labels["service"] == "web"
                out[sample.labels["pod"], sample.labels["code"]] = sample.value
    return out


async def test_service_request_metrics_count_what_the_pods_answered(cluster: SimCluster) -> None:
    def load(pod: dict[str, Any], now: Any) -> float:
        return 100.0 if (pod["metadata"].get("labels") or {}).get("app") == "web" else 0.0

    runtime = control_plane(cluster, load=load)
    cluster.apply_manifests(overloaded_web())
    await runtime.advance(30)
    first = http_totals(lines(cluster))
    await runtime.advance(30)
    page = lines(cluster)
    second = http_totals(page)

    pods = {p["metadata"]["name"] for p in web_pods(cluster)}
    assert {pod for pod, _ in second} == pods
    assert {code for _, code in second} == {"200", "503", "504"}
    assert all(second[key] >= value for key, value in first.items())
    assert sum(second.values()) > sum(first.values())
    shed = sum(value for (_, code), value in second.items() if code in ("503", "504"))
    assert shed / sum(second.values()) == pytest.approx(0.5, abs=0.05)
    histogram = 'kaido_sim_http_request_duration_seconds_count{namespace="default",service="web"} '
    count = next(line for line in page if line.startswith(histogram))
    assert float(count.rsplit(" ", 1)[1]) == sum(second.values())
    timeouts = sum(value for (_, code), value in second.items() if code == "504")
    below_timeout = '_bucket{namespace="default",service="web",le="5"} '
    bucket = next(line for line in page if line.startswith(f"kaido_sim_http_request_duration_seconds{below_timeout}"))
    assert float(bucket.rsplit(" ", 1)[1]) == sum(second.values()) - timeouts


async def test_the_request_counters_say_when_they_were_last_counted(cluster: SimCluster) -> None:
    runtime = control_plane(cluster, load=lambda pod, now: 10.0)
    cluster.apply_manifests(overloaded_web())
    gauge = "kaido_sim_http_requests_as_of_seconds"
    await runtime.advance(30)
    [first] = [line for line in lines(cluster) if line.startswith(gauge)]
    counted = float(first.rsplit(" ", 1)[1])
    # The kubelet counted at its last run, which is the clock's now after advancing.
    assert counted == pytest.approx(cluster.clock.now().timestamp())
    await runtime.advance(7)
    [second] = [line for line in lines(cluster) if line.startswith(gauge)]
    assert float(second.rsplit(" ", 1)[1]) == pytest.approx(counted + 7)


async def test_request_metrics_of_deleted_pods_stay_in_the_histogram(cluster: SimCluster) -> None:
    runtime = control_plane(cluster, load=lambda pod, now: 10.0)
    cluster.apply_manifests(overloaded_web(replicas=1))
    await runtime.advance(20)
    name = 'kaido_sim_http_request_duration_seconds_count{namespace="default",service="web"} '

    def count() -> float:
        return float(next(line for line in lines(cluster) if line.startswith(name)).rsplit(" ", 1)[1])

    before = count()
    assert before > 0
    pod = web_pods(cluster)[0]
    cluster.ops.delete(PODS, "default", pod["metadata"]["name"])
    await runtime.advance(40)
    assert request_stats_for(cluster).retired  # the deleted pod's requests
    assert count() >= before
    assert pod["metadata"]["name"] not in {p for p, _ in http_totals(lines(cluster))}
