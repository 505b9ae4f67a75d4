"""`kaido sim` as users run it: a process serving TCP, a kubeconfig that every client accepts, clean signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from lightkube import AsyncClient, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Namespace

from tests.support.sim import KUBECTL_135

pytestmark = pytest.mark.slow

SCENARIO = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def start_sim(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path, str]:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "kaido", "sim", "--port", "0", "--kubeconfig", str(kubeconfig), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"Kubernetes API on (http://127\.0\.0\.1:\d+)", line)
    if match is None:
        process.kill()
        process.communicate(timeout=20)
        raise AssertionError(
            f"unexpected first line {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        )
    return process, kubeconfig, match.group(1)


@pytest.fixture
def sim_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    process, kubeconfig, _ = start_sim(tmp_path, "--scenario", str(scenario))
    yield process, kubeconfig
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=20)  # closes the pipes


def test_sigterm_stops_cleanly(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    process, _ = sim_process
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert out.strip().endswith("kaido sim: stopped")


def test_sigint_stops_cleanly(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    process, _ = sim_process
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)
    assert process.returncode == 0


def test_kubeconfig_is_private_and_names_the_server(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    _, kubeconfig = sim_process
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    assert "server: http://127.0.0.1:" in kubeconfig.read_text()


def test_official_client_lists_watches_patches_and_scales(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    _, kubeconfig = sim_process
    api_client = k8s_config.new_client_from_config(str(kubeconfig))
    core, apps = k8s_client.CoreV1Api(api_client), k8s_client.AppsV1Api(api_client)
    assert "shop" in [n.metadata.name for n in core.list_namespace().items]
    deployment = apps.read_namespaced_deployment("web", "shop")
    assert deployment.spec.replicas == 2 and deployment.spec.template.spec.containers[0].image == "nginx:1.27"
    apps.patch_namespaced_deployment("web", "shop", {"metadata": {"labels": {"patched": "yes"}}})
    apps.patch_namespaced_deployment_scale("web", "shop", {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("web", "shop").spec.replicas == 4
    stream = k8s_watch.Watch().stream(core.list_namespaced_config_map, "shop", timeout_seconds=1)
    core.create_namespaced_config_map("shop", {"metadata": {"name": "cm"}, "data": {"a": "b"}})
    names = [event["object"].metadata.name for event in stream]
    assert "cm" in names


async def test_lightkube_reads_writes_and_watches(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    _, kubeconfig = sim_process
    client = AsyncClient(KubeConfig.from_file(str(kubeconfig)), field_manager="kaido-test")
    names = [ns.metadata.name async for ns in client.list(Namespace)]
    assert {"default", "kube-system", "shop"} <= set(names)
    deployment = await client.get(Deployment, "web", namespace="shop")
    assert deployment.spec.selector.matchLabels == {"app": "web"}
    await client.create(ConfigMap(metadata=ObjectMeta(name="from-lightkube", namespace="shop"), data={"k": "v"}))
    seen = []
    async for event_type, obj in client.watch(ConfigMap, namespace="shop", resource_version="0"):
        seen.append((event_type, obj.metadata.name))
        break
    assert seen == [("ADDED", "from-lightkube")]
    await client.close()


def test_kubectl_uses_the_written_kubeconfig(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    _, kubeconfig = sim_process
    out = subprocess.run(
        [str(KUBECTL_135), f"--kubeconfig={kubeconfig}", "get", "deploy", "-n", "shop", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent"},
    )
    assert [d["metadata"]["name"] for d in json.loads(out.stdout)["items"]] == ["web"]


def test_bad_scenario_fails_with_one_clear_error(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kaido",
            "sim",
            "--port",
            "0",
            "--kubeconfig",
            str(tmp_path / "k"),
            "--scenario",
            str(scenario),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"scenario {scenario}" in result.stderr and 'no matches for kind "Widget"' in result.stderr


def test_bad_fault_spec_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaido", "sim", "--faults", "drop-watch=soon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "drop-watch='soon' is not a duration" in result.stderr


def test_the_served_cluster_runs_its_controllers(sim_process: tuple[subprocess.Popen[str], Path]) -> None:
    _, kubeconfig = sim_process
    api_client = k8s_config.new_client_from_config(str(kubeconfig))
    apps, core = k8s_client.AppsV1Api(api_client), k8s_client.CoreV1Api(api_client)
    for _ in range(50):
        replica_sets = apps.list_namespaced_replica_set("shop").items
        pods = core.list_namespaced_pod("shop").items
        if replica_sets and len(pods) == 2:
            break
        time.sleep(0.1)
    (replica_set,) = replica_sets
    assert replica_set.metadata.name.startswith("web-")
    assert replica_set.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert sorted(p.metadata.owner_references[0].name for p in pods) == [replica_set.metadata.name] * 2
    assert [c.metadata.name for c in k8s_client.StorageV1Api(api_client).list_storage_class().items] == ["standard"]


def test_named_scenario_with_nodes_traffic_and_timeline(tmp_path: Path) -> None:
    process, kubeconfig, _ = start_sim(tmp_path, "--scenario", "chatbot-dev", "--speed", "20")
    try:
        api_client = k8s_config.new_client_from_config(str(kubeconfig))
        apps = k8s_client.AppsV1Api(api_client)
        names = sorted(d.metadata.name for d in apps.list_namespaced_deployment("chatbot-dev").items)
        assert {"frontend-deployment", "backend-deployment"} <= set(names)
        hpa = k8s_client.AutoscalingV2Api(api_client).read_namespaced_horizontal_pod_autoscaler(
            "backend-hpa", "chatbot-dev"
        )
        assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (2, 10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0
