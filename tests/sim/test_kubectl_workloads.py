"""Real kubectl against a simulated cluster whose workloads run: rollouts, crash loops, scheduling, top.

The cluster runs ten times faster than real time, so back-offs and pulls take seconds here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from kaido.core import ScaledClock
from kaido.sim.cluster import SimCluster
from tests.support.sim import Kubectl, SimThread, kubectl_binaries

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]
BINARIES = kubectl_binaries()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    cluster = SimCluster(clock=ScaledClock(10), seed=11)
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("workloads") / "kubeconfig", cluster=cluster, runtime=True)
    yield thread.start()
    thread.stop()


@pytest.fixture(scope="module")
def api(sim: SimThread) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=sim.url, timeout=10) as client:
        yield client


@pytest.fixture(params=[b[1] for b in BINARIES], ids=[b[0] for b in BINARIES])
def kubectl(request: pytest.FixtureRequest, sim: SimThread, tmp_path: Path) -> Kubectl:
    return Kubectl(binary=request.param, kubeconfig=sim.kubeconfig, cache_dir=tmp_path / "cache")


@pytest.fixture
def ns(kubectl: Kubectl, request: pytest.FixtureRequest) -> str:
    name = f"w{abs(hash(request.node.nodeid)) % 10**8}"
    kubectl("create", "namespace", name)
    return name


def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_rollout_status_undo_and_a_bad_image(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    out = kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in out
    rows = [line.split() for line in kubectl("get", "pods", "-n", ns).splitlines()[1:]]
    assert [(r[1], r[2]) for r in rows] == [("1/1", "Running")] * 2
    kubectl("set", "image", "deployment/web", "nginx=nginx:no-such-tag", "-n", ns)
    stuck = kubectl.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=3s", check=False)
    assert stuck.returncode != 0
    eventually(
        lambda: (
            "ImagePullBackOff" in kubectl("get", "pods", "-n", ns) or "ErrImagePull" in kubectl("get", "pods", "-n", ns)
        )
    )
    kubectl("rollout", "undo", "deployment/web", "-n", ns)
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")


def test_a_crashing_pod_goes_into_crash_loop_back_off(kubectl: Kubectl, ns: str) -> None:
    kubectl("run", "crasher", "--image=busybox:1.36", "-n", ns, "--", "sh", "-c", "echo starting; sleep 5 && exit 1")
    eventually(lambda: "CrashLoopBackOff" in kubectl("get", "pod", "crasher", "-n", ns), timeout=60)
    assert kubectl("logs", "crasher", "-n", ns, "--previous").strip() == "starting"
    described = kubectl("describe", "pod", "crasher", "-n", ns)
    assert "Back-off restarting failed container" in described
    assert "Exit Code:    1" in described


def test_an_unschedulable_gpu_pod_explains_why(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    manifest = tmp_path / "gpu.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: trainer}\nspec:\n  containers:\n"
        "  - name: t\n    image: nginx:1.27\n    resources: {limits: {nvidia.com/gpu: 1}}\n"
    )
    kubectl("apply", "-f", str(manifest), "-n", ns)
    eventually(lambda: "FailedScheduling" in kubectl("describe", "pod", "trainer", "-n", ns))
    described = kubectl("describe", "pod", "trainer", "-n", ns)
    assert "0/3 nodes are available: 3 Insufficient nvidia.com/gpu." in described
    assert "Pending" in kubectl("get", "pod", "trainer", "-n", ns)


def test_top_shows_simulated_usage(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "cache", "--image=redis:7", "-n", ns)
    kubectl("rollout", "status", "deployment/cache", "-n", ns, "--timeout=60s")

    def has_metrics() -> bool:
        result = kubectl.run("top", "pods", "-n", ns, check=False)
        return result.returncode == 0 and "cache-" in result.stdout

    eventually(has_metrics)
    nodes = kubectl("top", "nodes").splitlines()
    assert nodes[0].split()[0] == "NAME" and len(nodes) == 4


def apply(kubectl: Kubectl, tmp_path: Path, ns: str, manifest: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(manifest)
    kubectl("apply", "-n", ns, "-f", str(path))


def test_rollout_restart_replaces_the_pods(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    before = set(kubectl("get", "pods", "-n", ns, "-o", "name").split())
    kubectl("rollout", "restart", "deployment/web", "-n", ns)
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    eventually(lambda: not before & set(kubectl("get", "pods", "-n", ns, "-o", "name").split()))
    assert "2" in kubectl("rollout", "history", "deployment/web", "-n", ns).split()


def test_missing_config_map_in_env_and_in_a_volume(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        ns,
        """
apiVersion: v1
kind: Pod
metadata: {name: env-user}
spec:
  containers:
  - name: app
    image: nginx:1.27
    env: [{name: MODE, valueFrom: {configMapKeyRef: {name: app-config, key: mode}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: volume-user}
spec:
  containers: [{name: app, image: nginx:1.27, volumeMounts: [{name: cfg, mountPath: /etc/app}]}]
  volumes: [{name: cfg, configMap: {name: app-config}}]
""",
    )
    eventually(lambda: "CreateContainerConfigError" in kubectl("get", "pod", "env-user", "-n", ns))
    assert 'configmap "app-config" not found' in kubectl("describe", "pod", "env-user", "-n", ns)
    eventually(lambda: "FailedMount" in kubectl("describe", "pod", "volume-user", "-n", ns))
    assert "ContainerCreating" in kubectl("get", "pod", "volume-user", "-n", ns)


def test_quota_blocks_a_replicaset(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        ns,
        """
apiVersion: v1
kind: ResourceQuota
metadata: {name: pod-limit}
spec: {hard: {pods: "1"}}
""",
    )
    kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    eventually(lambda: "exceeded quota: pod-limit" in kubectl("get", "events", "-n", ns))
    events = kubectl("get", "events", "-n", ns)
    assert "FailedCreate" in events
    assert "requested: pods=1, used: pods=1, limited: pods=1" in events


def test_unknown_storage_class_leaves_claim_and_pod_pending(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    apply(
        kubectl,
        tmp_path,
        ns,
        """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: fast-ssd, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers: [{name: db, image: postgres:16, volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
""",
    )
    eventually(lambda: "ProvisioningFailed" in kubectl("describe", "pvc", "data", "-n", ns))
    assert 'storageclass.storage.k8s.io "fast-ssd" not found' in kubectl("describe", "pvc", "data", "-n", ns)
    assert "Pending" in kubectl("get", "pvc", "data", "-n", ns)
    eventually(lambda: "unbound immediate PersistentVolumeClaims" in kubectl("describe", "pod", "db", "-n", ns))
