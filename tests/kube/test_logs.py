"""Reading container logs over HTTP: tail, previous instance, instances that do not exist, errors and retries."""

from __future__ import annotations

import httpx2
import pytest
from pytest_httpserver import HTTPServer

from kaido.kube.client import Kube
from kaido.kube.errors import KubeError, NotFound, Unreachable
from kaido.kube.logs import container_log
from kaido.kube.resources import PODS
from tests.kube.conftest import FAST_RETRY
from tests.support.sim import SimThread


async def pod_with_logs(kube: Kube, sim: SimThread, namespace: str) -> None:
    """Pod web: container app restarted once (5 lines before, 80 since); container side never started."""
    body = {
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}, {"name": "side", "image": "busybox"}]},
    }
    await kube.create(PODS, body)
    started = {"running": {"startedAt": "2026-03-01T12:00:00Z"}}
    statuses = [
        {"name": "app", "state": started, "restartCount": 1, "ready": True, "image": "nginx:1.27", "imageID": ""},
        {"name": "side", "state": {"waiting": {"reason": "ContainerCreating"}}, "restartCount": 0, "ready": False,
         "image": "busybox", "imageID": ""},
    ]  # fmt: skip
    status = {"status": {"phase": "Running", "containerStatuses": statuses}}
    await kube.patch(PODS, "web", status, namespace=namespace, subresource="status")

    def write() -> None:
        logs, now, key = sim.cluster.logs, sim.cluster.clock.now(), (namespace, "web", "app")
        for i in range(5):
            logs.append(key, now, f"before {i}")
        logs.restart(key)
        for i in range(80):
            logs.append(key, now, f"line {i}")

    sim.call(write)


async def test_the_last_lines_of_the_current_and_the_previous_instance(
    kube: Kube, sim: SimThread, namespace: str
) -> None:
    await pod_with_logs(kube, sim, namespace)
    current = await container_log(kube, namespace=namespace, pod="web", container="app")
    assert current == [f"line {i}" for i in range(30, 80)]
    previous = await container_log(kube, namespace=namespace, pod="web", container="app", previous=True, tail_lines=3)
    assert previous == ["before 2", "before 3", "before 4"]
    everything = await container_log(kube, namespace=namespace, pod="web", container="app", tail_lines=None)
    assert len(everything) == 80
    assert kube.requests[("get", "/pods/log")] == 3  # counted like every request, for the RBAC contract


async def test_an_instance_that_does_not_exist_has_no_lines(kube: Kube, sim: SimThread, namespace: str) -> None:
    await pod_with_logs(kube, sim, namespace)
    assert await container_log(kube, namespace=namespace, pod="web", container="side", previous=True) == []
    assert await container_log(kube, namespace=namespace, pod="web", container="side") == []  # waiting to start


async def test_a_missing_pod_or_container_is_an_error(kube: Kube, sim: SimThread, namespace: str) -> None:
    with pytest.raises(NotFound, match=f"GET pods/log {namespace}/nope failed"):
        await container_log(kube, namespace=namespace, pod="nope", container="app")
    await pod_with_logs(kube, sim, namespace)
    with pytest.raises(KubeError, match="container nope is not valid for pod web") as caught:
        await container_log(kube, namespace=namespace, pod="web", container="nope")
    assert caught.value.status == 400


async def test_server_errors_are_retried(httpserver: HTTPServer) -> None:
    path = "/api/v1/namespaces/shop/pods/web/log"
    failure = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 503, "message": "busy"}
    httpserver.expect_ordered_request(path).respond_with_json(failure, status=503)
    httpserver.expect_ordered_request(path, query_string={"container": "app", "previous": "true", "tailLines": "50",
                                                          "limitBytes": "65536"}).respond_with_data(
        "panic: boom\ngoroutine 1\n", content_type="text/plain"
    )  # fmt: skip
    async with Kube(httpx2.AsyncClient(base_url=httpserver.url_for("/")), retry=FAST_RETRY) as kube:
        lines = await container_log(kube, namespace="shop", pod="web", container="app", previous=True)
    assert lines == ["panic: boom", "goroutine 1"]
    assert kube.requests[("get", "/pods/log")] == 2


async def test_an_unreachable_server_is_one_clear_error() -> None:
    async with Kube(httpx2.AsyncClient(base_url="http://127.0.0.1:9"), retry=FAST_RETRY) as kube:
        with pytest.raises(Unreachable, match=r"GET pods/log shop/web failed: cannot reach the API server"):
            await container_log(kube, namespace="shop", pod="web", container="app")
