"""The official `kubernetes` client and lightkube against the simulator: expiry, relist, resume."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException
from lightkube import AsyncClient, KubeConfig
from lightkube.core.exceptions import ApiError as LightkubeApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from kaido.sim.cluster import SimCluster
from tests.support.sim import SimThread

pytestmark = pytest.mark.slow
HISTORY = 30


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    cluster = SimCluster(seed=5, history_limit=HISTORY)
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("clients") / "kubeconfig", cluster=cluster).start()
    yield thread
    thread.stop()


@pytest.fixture
def core(sim: SimThread) -> k8s_client.CoreV1Api:
    return k8s_client.CoreV1Api(k8s_config.new_client_from_config(str(sim.kubeconfig)))


def churn(core: k8s_client.CoreV1Api, namespace: str, count: int) -> None:
    for index in range(count):
        core.patch_namespaced_config_map("churn", namespace, {"data": {"i": str(index)}})


def ensure_namespace(core: k8s_client.CoreV1Api, name: str) -> None:
    core.create_namespace({"metadata": {"name": name}})
    core.create_namespaced_config_map(name, {"metadata": {"name": "churn"}})


def test_official_client_watch_gets_410_then_relists_and_resumes(core: k8s_client.CoreV1Api) -> None:
    ensure_namespace(core, "expiry")
    listed = core.list_namespaced_config_map("expiry")
    stale = listed.metadata.resource_version
    churn(core, "expiry", HISTORY + 5)
    with pytest.raises(ApiException) as excinfo:
        list(
            k8s_watch.Watch().stream(
                core.list_namespaced_config_map, "expiry", resource_version=stale, timeout_seconds=2
            )
        )
    assert excinfo.value.status == 410
    fresh = core.list_namespaced_config_map("expiry")
    core.create_namespaced_config_map("expiry", {"metadata": {"name": "after"}})
    events = list(
        k8s_watch.Watch().stream(
            core.list_namespaced_config_map,
            "expiry",
            resource_version=fresh.metadata.resource_version,
            timeout_seconds=1,
        )
    )
    assert [(e["type"], e["object"].metadata.name) for e in events] == [("ADDED", "after")]


def test_official_client_scale_and_patch_types(core: k8s_client.CoreV1Api, sim: SimThread) -> None:
    apps = k8s_client.AppsV1Api(core.api_client)
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "w", "image": "nginx"}]},
            },
        },
    }
    apps.create_namespaced_deployment("default", body)
    apps.patch_namespaced_deployment("web", "default", [{"op": "replace", "path": "/spec/replicas", "value": 3}])
    assert apps.read_namespaced_deployment_scale("web", "default").spec.replicas == 3
    apps.replace_namespaced_deployment_scale(
        "web", "default", {"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 6}}
    )
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 6
    with pytest.raises(ApiException) as excinfo:
        apps.read_namespaced_deployment("missing", "default")
    assert excinfo.value.status == 404


async def test_lightkube_watch_expiry_is_an_api_error_410(core: k8s_client.CoreV1Api, sim: SimThread) -> None:
    ensure_namespace(core, "lk")
    client = AsyncClient(KubeConfig.from_file(str(sim.kubeconfig)), field_manager="kaido-test")
    try:
        stale = core.list_namespaced_config_map("lk").metadata.resource_version
        churn(core, "lk", HISTORY + 5)
        with pytest.raises(LightkubeApiError) as excinfo:
            async for _ in client.watch(ConfigMap, namespace="lk", resource_version=stale):
                pass
        assert excinfo.value.status.code == 410
        await client.create(ConfigMap(metadata=ObjectMeta(name="later", namespace="lk")))
        names = [cm.metadata.name async for cm in client.list(ConfigMap, namespace="lk")]
        assert names == ["churn", "later"]
    finally:
        await client.close()
