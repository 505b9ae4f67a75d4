"""Real kubectl against `kaido sim` over TCP; every effect is checked through a second client.

Runs with kubectl v1.35 (npm package) and, when present, the machine's own kubectl (a version
dispatcher that picks its bundled 1.32 for a 1.35 server). Both send protobuf bodies for the
generator commands.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from kaido.sim.cluster import SimCluster
from tests.support.sim import Kubectl, SimThread, kubectl_binaries

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]
_names = itertools.count()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("sim") / "kubeconfig", cluster=SimCluster(seed=3)).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def api(sim: SimThread) -> Iterator[httpx2.Client]:
    """The second client: plain HTTP to the same server."""
    with httpx2.Client(base_url=sim.url, timeout=10) as client:
        yield client


@pytest.fixture(params=[b[1] for b in kubectl_binaries()], ids=[b[0] for b in kubectl_binaries()])
def kubectl(request: pytest.FixtureRequest, sim: SimThread, tmp_path: Path) -> Kubectl:
    return Kubectl(binary=request.param, kubeconfig=sim.kubeconfig, cache_dir=tmp_path / "cache")


@pytest.fixture
def ns(api: httpx2.Client) -> str:
    name = f"t{next(_names)}"
    response = api.post(
        "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert response.status_code == 201, response.text
    return name


def get(api: httpx2.Client, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return dict(response.json())


def exists(api: httpx2.Client, path: str) -> bool:
    return api.get(path).status_code == 200


def labels(name: str) -> dict[str, str]:
    return {"app": name}


def deployment_manifest(name: str, image: str = "nginx:1.27", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels(name)},
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def make_pod(
    api: httpx2.Client, ns: str, name: str, *, node: str | None = None, ready: bool = True, **pod_labels: str
) -> dict[str, Any]:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": pod_labels or {"app": name}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **({"nodeName": node} if node else {})},
    }
    created = api.post(f"/api/v1/namespaces/{ns}/pods", json=body)
    assert created.status_code == 201, created.text
    pod = created.json()
    pod["status"] = {
        "phase": "Running",
        "podIP": "10.244.0.7",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "imageID": "",
                "ready": ready,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": pod["metadata"]["creationTimestamp"]}},
            }
        ],
    }
    updated = api.put(f"/api/v1/namespaces/{ns}/pods/{name}/status", json=pod)
    assert updated.status_code == 200, updated.text
    return dict(updated.json())


def make_node(api: httpx2.Client, name: str) -> None:
    if exists(api, f"/api/v1/nodes/{name}"):
        return
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "nodeInfo": {
                "kubeletVersion": "v1.35.0",
                "osImage": "kaido",
                "kernelVersion": "6.1",
                "containerRuntimeVersion": "sim://1",
            },
        },
    }
    created = api.post("/api/v1/nodes", json=node)
    assert created.status_code == 201, created.text
    node_obj = created.json()
    node_obj["status"] = node["status"]
    assert api.put(f"/api/v1/nodes/{name}/status", json=node_obj).status_code == 200


def apply_file(kubectl: Kubectl, tmp_path: Path, manifest: dict[str, Any], *args: str) -> str:
    path = tmp_path / f"m{next(_names)}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return kubectl(*args, "-f", str(path))


# ----- reading -------------------------------------------------------------------------------------


def test_get_pods_renders_server_side_table(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "web-1")
    out = kubectl("get", "pods", "-n", ns).splitlines()
    assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out[1].split()[:4] == ["web-1", "1/1", "Running", "0"]


def test_get_wide_adds_columns(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "web-1")
    header = kubectl("get", "pods", "-n", ns, "-o", "wide").splitlines()[0]
    assert "IP" in header.split() and "NODE" in header.split()
    assert "10.244.0.7" in kubectl("get", "pods", "-n", ns, "-o", "wide")


def test_get_json_and_yaml(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    pod = make_pod(api, ns, "web-1")
    as_json = json.loads(kubectl("get", "pod", "web-1", "-n", ns, "-o", "json"))
    assert as_json["metadata"]["uid"] == pod["metadata"]["uid"]
    as_yaml = yaml.safe_load(kubectl("get", "pod", "web-1", "-n", ns, "-o", "yaml"))
    assert (
        as_yaml["metadata"]["resourceVersion"]
        == get(api, f"/api/v1/namespaces/{ns}/pods/web-1")["metadata"]["resourceVersion"]
    )


def test_get_with_label_and_field_selectors(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "a", tier="front")
    make_pod(api, ns, "b", tier="back")
    assert kubectl("get", "pods", "-n", ns, "-l", "tier=front", "-o", "name").split() == ["pod/a"]
    assert kubectl("get", "pods", "-n", ns, "--field-selector", "metadata.name=b", "-o", "name").split() == ["pod/b"]


def test_get_all_namespaces(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "everywhere")
    lines = kubectl("get", "pods", "-A").splitlines()
    assert lines[0].split()[0] == "NAMESPACE"
    assert any(line.split()[:2] == [ns, "everywhere"] for line in lines[1:])


def test_get_watch_prints_changes(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    command = [
        str(kubectl.binary),
        f"--kubeconfig={kubectl.kubeconfig}",
        f"--cache-dir={kubectl.cache_dir}",
        "get",
        "configmaps",
        "-n",
        ns,
        "-w",
        "--output-watch-events",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        api.post(
            f"/api/v1/namespaces/{ns}/configmaps",
            json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"}},
        )
        time.sleep(1.0)
    finally:
        process.terminate()
    out, _ = process.communicate(timeout=10)
    assert any(line.split()[:2] == ["ADDED", "watched"] for line in out.splitlines()), out


def test_describe_pod_shows_events(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    pod = make_pod(api, ns, "web-1")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web-1.1"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": ns, "uid": pod["metadata"]["uid"]},
        "reason": "Pulled",
        "message": 'Container image "nginx:1.27" already present on machine',
        "type": "Normal",
        "source": {"component": "kubelet"},
    }
    assert api.post(f"/api/v1/namespaces/{ns}/events", json=event).status_code == 201
    out = kubectl("describe", "pod", "web-1", "-n", ns)
    assert "Name:" in out and "web-1" in out
    assert "Pulled" in out and "already present on machine" in out


def test_describe_deployment(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    out = kubectl("describe", "deployment", "web", "-n", ns)
    assert "Replicas:" in out and "RollingUpdate" in out and "nginx:1.27" in out


def test_get_events(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e1"},
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container",
        "involvedObject": {"kind": "Pod", "name": "x", "namespace": ns},
    }
    api.post(f"/api/v1/namespaces/{ns}/events", json=event)
    out = kubectl("get", "events", "-n", ns)
    assert "BackOff" in out and "Back-off restarting failed container" in out


def test_logs(kubectl: Kubectl, api: httpx2.Client, sim: SimThread, ns: str) -> None:
    make_pod(api, ns, "talker")
    now = sim.cluster.clock.now()
    sim.call(lambda: [sim.cluster.logs.append((ns, "talker", "app"), now, f"line {i}") for i in range(5)])
    assert kubectl("logs", "talker", "-n", ns).splitlines() == [f"line {i}" for i in range(5)]
    assert kubectl("logs", "talker", "-n", ns, "--tail=2").splitlines() == ["line 3", "line 4"]


def test_top_pods_and_nodes(kubectl: Kubectl, api: httpx2.Client, sim: SimThread, ns: str) -> None:
    make_node(api, "node-top")
    make_pod(api, ns, "busy")
    stamp = "2026-03-01T12:00:00Z"

    def publish() -> None:
        sim.cluster.pod_metrics[(ns, "busy")] = {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": "busy", "namespace": ns, "creationTimestamp": stamp, "labels": {"app": "busy"}},
            "timestamp": stamp,
            "window": "15s",
            "containers": [{"name": "app", "usage": {"cpu": "250m", "memory": "64Mi"}}],
        }
        sim.cluster.node_metrics["node-top"] = {
            "kind": "NodeMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": "node-top", "creationTimestamp": stamp},
            "timestamp": stamp,
            "window": "15s",
            "usage": {"cpu": "1", "memory": "4Gi"},
        }

    sim.call(publish)
    pods = kubectl("top", "pods", "-n", ns).splitlines()
    assert pods[1].split() == ["busy", "250m", "64Mi"]
    nodes = kubectl("top", "nodes").splitlines()
    assert any(line.split()[:3] == ["node-top", "1000m", "25%"] for line in nodes[1:]), nodes


def test_api_resources_and_versions(kubectl: Kubectl) -> None:
    resources = kubectl("api-resources")
    assert any(line.split()[:2] == ["deployments", "deploy"] for line in resources.splitlines())
    assert "metrics.k8s.io/v1beta1" in kubectl("api-versions").split()


def test_explain(kubectl: Kubectl) -> None:
    out = kubectl("explain", "deployment.spec.replicas")
    assert "KIND:" in out and "Deployment" in out


def test_version(kubectl: Kubectl) -> None:
    server = json.loads(kubectl("version", "-o", "json"))["serverVersion"]
    assert server["gitVersion"] == "v1.35.0"


# ----- writing -------------------------------------------------------------------------------------


def test_create_from_file(kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path) -> None:
    out = apply_file(kubectl, tmp_path, deployment_manifest("web"), "create", "-n", ns)
    assert out.strip() == "deployment.apps/web created"
    assert get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 2


def test_apply_client_side_creates_then_configures(
    kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path
) -> None:
    manifest = deployment_manifest("web")
    assert apply_file(kubectl, tmp_path, manifest, "apply", "-n", ns).strip() == "deployment.apps/web created"
    assert apply_file(kubectl, tmp_path, manifest, "apply", "-n", ns).strip() == "deployment.apps/web unchanged"
    manifest["spec"]["replicas"] = 4
    assert apply_file(kubectl, tmp_path, manifest, "apply", "-n", ns).strip() == "deployment.apps/web configured"
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert live["spec"]["replicas"] == 4
    assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]


def test_apply_server_side(kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path) -> None:
    manifest = deployment_manifest("ssa")
    assert "serverside-applied" in apply_file(kubectl, tmp_path, manifest, "apply", "--server-side", "-n", ns)
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    apply_file(kubectl, tmp_path, manifest, "apply", "--server-side", "--force-conflicts", "-n", ns)
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/ssa")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_replace(kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path) -> None:
    manifest = deployment_manifest("web")
    apply_file(kubectl, tmp_path, manifest, "create", "-n", ns)
    manifest["spec"]["replicas"] = 3
    assert apply_file(kubectl, tmp_path, manifest, "replace", "-n", ns).strip() == "deployment.apps/web replaced"
    assert get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 3


def test_create_with_server_dry_run_persists_nothing(
    kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path
) -> None:
    out = apply_file(kubectl, tmp_path, deployment_manifest("dry"), "create", "--dry-run=server", "-n", ns)
    assert "(server dry run)" in out
    assert not exists(api, f"/apis/apps/v1/namespaces/{ns}/deployments/dry")


def test_create_deployment_generator(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    kubectl("create", "deployment", "gen", "--image=nginx:1.27", "--replicas=3", "--port=80", "-n", ns)
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/gen")
    assert live["spec"]["replicas"] == 3
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27" and container["ports"][0]["containerPort"] == 80


def test_create_configmap_secret_namespace(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", ns)
    assert get(api, f"/api/v1/namespaces/{ns}/configmaps/settings")["data"] == {"mode": "fast"}
    kubectl("create", "secret", "generic", "creds", "--from-literal=password=s3cret", "-n", ns)
    assert get(api, f"/api/v1/namespaces/{ns}/secrets/creds")["data"] == {"password": "czNjcmV0"}
    kubectl("create", "namespace", f"{ns}-extra")
    assert exists(api, f"/api/v1/namespaces/{ns}-extra")


def test_create_token(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    token = kubectl("create", "token", "robot", "-n", ns).strip()
    assert token.startswith("kaido.")


def test_scale(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    assert kubectl("scale", "deployment/web", "--replicas=5", "-n", ns).strip() == "deployment.apps/web scaled"
    assert get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 5


@pytest.mark.parametrize(
    ("patch_type", "patch"),
    [
        ("strategic", '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.29"}]}}}}'),
        ("merge", '{"spec":{"replicas":4}}'),
        ("json", '[{"op":"replace","path":"/spec/replicas","value":6}]'),
    ],
)
def test_patch(kubectl: Kubectl, api: httpx2.Client, ns: str, patch_type: str, patch: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    kubectl("patch", "deployment", "web", "-n", ns, "--type", patch_type, "-p", patch)
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    if patch_type == "strategic":
        containers = live["spec"]["template"]["spec"]["containers"]
        assert [(c["name"], c["image"]) for c in containers] == [("app", "nginx:1.29")]
    else:
        assert live["spec"]["replicas"] == (4 if patch_type == "merge" else 6)


def test_set_image(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    kubectl("set", "image", "deployment/web", "app=nginx:1.30", "-n", ns)
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.30"


def test_label_and_annotate(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "tagged")
    kubectl("label", "pod", "tagged", "team=sre", "-n", ns)
    kubectl("annotate", "pod", "tagged", "owner=ops@example.com", "-n", ns)
    meta = get(api, f"/api/v1/namespaces/{ns}/pods/tagged")["metadata"]
    assert meta["labels"]["team"] == "sre" and meta["annotations"]["owner"] == "ops@example.com"
    kubectl("label", "pod", "tagged", "team-", "-n", ns)
    assert "team" not in get(api, f"/api/v1/namespaces/{ns}/pods/tagged")["metadata"]["labels"]


def _owned_replicaset(api: httpx2.Client, ns: str, deployment: dict[str, Any], revision: int, image: str) -> None:
    template = json.loads(json.dumps(deployment["spec"]["template"]))
    template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
    template["spec"]["containers"][0]["image"] = image
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{deployment['metadata']['name']}-h{revision}",
            "labels": {**deployment["spec"]["selector"]["matchLabels"], "pod-template-hash": f"h{revision}"},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": deployment["metadata"]["name"],
                    "uid": deployment["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": 0,
            "selector": {
                "matchLabels": {**deployment["spec"]["selector"]["matchLabels"], "pod-template-hash": f"h{revision}"}
            },
            "template": template,
        },
    }
    created = api.post(f"/apis/apps/v1/namespaces/{ns}/replicasets", json=rs)
    assert created.status_code == 201, created.text


def test_delete_cascades_to_owned_objects(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    deployment = api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web")).json()
    _owned_replicaset(api, ns, deployment, 1, "nginx:1.27")
    # kubectl 1.35 adds "from <namespace> namespace"; 1.32 stops after "deleted"
    assert kubectl("delete", "deployment", "web", "-n", ns).startswith('deployment.apps "web" deleted')
    assert not exists(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert not exists(api, f"/apis/apps/v1/namespaces/{ns}/replicasets/web-h1")


def test_delete_orphan_keeps_dependents(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    deployment = api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web")).json()
    _owned_replicaset(api, ns, deployment, 1, "nginx:1.27")
    kubectl("delete", "deployment", "web", "--cascade=orphan", "-n", ns)
    rs = get(api, f"/apis/apps/v1/namespaces/{ns}/replicasets/web-h1")
    assert "ownerReferences" not in rs["metadata"]


def test_delete_by_label(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "x1", group="doomed")
    make_pod(api, ns, "x2", group="doomed")
    make_pod(api, ns, "x3", group="kept")
    kubectl("delete", "pods", "-l", "group=doomed", "-n", ns)
    names = [p["metadata"]["name"] for p in get(api, f"/api/v1/namespaces/{ns}/pods")["items"]]
    assert names == ["x3"]


def test_rollout_history_and_undo(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    deployment = api.post(
        f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web", "nginx:1.28")
    ).json()
    _owned_replicaset(api, ns, deployment, 1, "nginx:1.27")
    _owned_replicaset(api, ns, deployment, 2, "nginx:1.28")
    history = kubectl("rollout", "history", "deployment/web", "-n", ns)
    assert [line.split()[0] for line in history.splitlines() if line[:1].isdigit()] == ["1", "2"]
    kubectl("rollout", "undo", "deployment/web", "--to-revision=1", "-n", ns)
    live = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "pod-template-hash" not in live["spec"]["template"]["metadata"]["labels"]


def test_rollout_restart(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    kubectl("rollout", "restart", "deployment/web", "-n", ns)
    annotations = get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert "kubectl.kubernetes.io/restartedAt" in annotations


def test_autoscale(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    kubectl("autoscale", "deployment/web", "--min=2", "--max=5", "--cpu-percent=80", "-n", ns)
    hpa = get(api, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert "web" in kubectl("get", "hpa", "-n", ns)


def test_auth_can_i(kubectl: Kubectl) -> None:
    assert kubectl("auth", "can-i", "list", "pods", "-n", "default").strip() == "yes"


def test_cordon_uncordon_and_drain(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    node = f"node-{ns}"
    make_node(api, node)
    make_pod(api, ns, "on-node", node=node)
    kubectl("cordon", node)
    assert get(api, f"/api/v1/nodes/{node}")["spec"]["unschedulable"] is True
    assert "SchedulingDisabled" in kubectl("get", "node", node)
    kubectl("uncordon", node)
    assert not get(api, f"/api/v1/nodes/{node}")["spec"].get("unschedulable")
    kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=30s")
    assert get(api, f"/api/v1/nodes/{node}")["spec"]["unschedulable"] is True
    assert not exists(api, f"/api/v1/namespaces/{ns}/pods/on-node")


def test_taint(kubectl: Kubectl, api: httpx2.Client) -> None:
    make_node(api, "node-taint")
    kubectl("taint", "nodes", "node-taint", "gpu=true:NoSchedule", "--overwrite")
    taints = get(api, "/api/v1/nodes/node-taint")["spec"]["taints"]
    assert {"key": "gpu", "value": "true", "effect": "NoSchedule"} in taints


def test_wait_for_condition_and_delete(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    created = api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web")).json()
    created["status"] = {"conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}
    assert api.put(f"/apis/apps/v1/namespaces/{ns}/deployments/web/status", json=created).status_code == 200
    out = kubectl("wait", "--for=condition=Available", "deployment/web", "-n", ns, "--timeout=20s")
    assert "condition met" in out
    api.delete(f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    kubectl("wait", "--for=delete", "deployment/web", "-n", ns, "--timeout=5s")


def test_diff_uses_server_dry_run(kubectl: Kubectl, api: httpx2.Client, ns: str, tmp_path: Path) -> None:
    manifest = deployment_manifest("web")
    apply_file(kubectl, tmp_path, manifest, "apply", "-n", ns)
    manifest["spec"]["replicas"] = 9
    path = tmp_path / "diff.yaml"
    path.write_text(yaml.safe_dump(manifest))
    diff = kubectl.run("diff", "-n", ns, "-f", str(path), check=False)
    assert diff.returncode == 1, diff.stderr  # 1 means "differences found"
    assert "+  replicas: 9" in diff.stdout
    assert get(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 2


def test_not_found_error_is_printed_like_a_real_server(kubectl: Kubectl, ns: str) -> None:
    result = kubectl.run("get", "deployment", "missing", "-n", ns, check=False)
    assert result.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "missing" not found' in result.stderr


def test_get_all_lists_the_all_category(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    make_pod(api, ns, "p")
    api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment_manifest("web"))
    out = kubectl("get", "all", "-n", ns)
    assert "pod/p" in out and "deployment.apps/web" in out


def test_logs_follow_streams_new_lines(kubectl: Kubectl, api: httpx2.Client, sim: SimThread, ns: str) -> None:
    make_pod(api, ns, "tail")
    key = (ns, "tail", "app")
    sim.call(lambda: sim.cluster.logs.append(key, sim.cluster.clock.now(), "first"))
    command = [
        str(kubectl.binary),
        f"--kubeconfig={kubectl.kubeconfig}",
        f"--cache-dir={kubectl.cache_dir}",
        "logs",
        "-f",
        "tail",
        "-n",
        ns,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        sim.call(lambda: sim.cluster.logs.append(key, sim.cluster.clock.now(), "second"))
        time.sleep(0.5)
        sim.call(lambda: sim.cluster.logs.end(key))
        out, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert out.splitlines() == ["first", "second"]


def test_create_job_and_cronjob_generators(kubectl: Kubectl, api: httpx2.Client, ns: str) -> None:
    kubectl("create", "job", "once", "--image=busybox:1.36", "-n", ns, "--", "echo", "hi")
    job = get(api, f"/apis/batch/v1/namespaces/{ns}/jobs/once")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert job["spec"]["backoffLimit"] == 6
    kubectl("create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=0 3 * * *", "-n", ns)
    cronjob = get(api, f"/apis/batch/v1/namespaces/{ns}/cronjobs/nightly")
    assert cronjob["spec"]["schedule"] == "0 3 * * *"
    assert "nightly" in kubectl("get", "cronjobs", "-n", ns)
