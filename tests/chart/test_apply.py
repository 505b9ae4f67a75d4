"""The rendered chart applies cleanly to `kaido sim` with kubectl, and its RBAC works as intended there.

The ServiceMonitor is left out: it needs the Prometheus Operator's CRD, which the simulator does not
serve (test_lint.py renders and lints it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaido.sim.cluster import SimCluster
from tests.chart.helm import NAMESPACE, Helm, Manifest, as_yaml
from tests.support.sim import KUBECTL_135, Kubectl, SimThread

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]


@pytest.fixture(scope="module")
def kubectl_binary() -> Path:
    if not KUBECTL_135.exists():
        pytest.fail("kubectl is not in .cache/tools/bin: run the tests through `make test`, which fetches it")
    return KUBECTL_135


def start(path: Path, *, rbac: bool) -> SimThread:
    return SimThread(kubeconfig=path / "kubeconfig", cluster=SimCluster(seed=5, rbac=rbac), tls=rbac).start()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    thread = start(tmp_path, rbac=False)
    yield thread
    thread.stop()


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[SimThread]:
    thread = start(tmp_path, rbac=True)
    yield thread
    thread.stop()


def admin(sim: SimThread, binary: Path, tmp_path: Path) -> Kubectl:
    kubectl = Kubectl(binary=binary, kubeconfig=sim.kubeconfig, cache_dir=tmp_path / "admin-cache")
    for namespace in (NAMESPACE, "apps"):
        kubectl("create", "namespace", namespace)
    return kubectl


def install(kubectl: Kubectl, manifests: list[Manifest]) -> str:
    return kubectl("apply", "-f", "-", stdin=as_yaml(manifests))


CONFIGS: dict[str, dict[str, Any] | None] = {
    "cluster": None,
    "single-namespace": {"watchNamespace": "apps", "writeToken": {"existingSecret": "kaido-write-token"}},
}


@pytest.mark.parametrize("values", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_chart_applies_cleanly(
    helm: Helm, sim: SimThread, kubectl_binary: Path, tmp_path: Path, values: dict[str, Any] | None
) -> None:
    kubectl = admin(sim, kubectl_binary, tmp_path)
    manifests = helm.template(values)
    completed = kubectl.run("apply", "-f", "-", stdin=as_yaml(manifests))
    assert completed.stderr == ""
    assert len(completed.stdout.splitlines()) == len(manifests)
    assert all(line.endswith(" created") for line in completed.stdout.splitlines()), completed.stdout
    for manifest in manifests:
        kind, name = manifest["kind"].lower(), manifest["metadata"]["name"]
        namespace = manifest["metadata"].get("namespace")
        scope = ["-n", namespace] if namespace else []
        assert kubectl("get", f"{kind}/{name}", *scope, "-o", "jsonpath={.metadata.name}") == name


def test_applying_again_changes_nothing(helm: Helm, sim: SimThread, kubectl_binary: Path, tmp_path: Path) -> None:
    kubectl = admin(sim, kubectl_binary, tmp_path)
    manifests = helm.template()
    install(kubectl, manifests)
    again = install(kubectl, manifests).splitlines()
    assert [line for line in again if not line.endswith(" unchanged")] == []


def service_account(sim: SimThread, kubectl: Kubectl, tmp_path: Path) -> Kubectl:
    """kubectl authenticated as the chart's ServiceAccount, with a token the simulator issued."""
    token = kubectl("create", "token", "kaido", "-n", NAMESPACE).strip()
    config = sim.write_kubeconfig(tmp_path / "agent-kubeconfig", token=token, user_name="kaido-agent")
    return Kubectl(binary=kubectl.binary, kubeconfig=config, cache_dir=tmp_path / "agent-cache")


def can(kubectl: Kubectl, *request: str) -> bool:
    # A subresource goes in --subresource: `can-i create pods/exec` would ask about a pod named "exec".
    answer = kubectl.run("auth", "can-i", *request, check=False).stdout.strip()
    assert answer in {"yes", "no"}, answer
    return answer == "yes"


def test_cluster_mode_permissions_hold_on_a_cluster_with_rbac(
    helm: Helm, secured: SimThread, kubectl_binary: Path, tmp_path: Path
) -> None:
    kubectl = admin(secured, kubectl_binary, tmp_path)
    install(kubectl, helm.template())
    agent = service_account(secured, kubectl, tmp_path)
    assert can(agent, "list", "pods", "--all-namespaces")
    assert can(agent, "delete", "pods", "-n", "apps")
    assert can(agent, "create", "pods", "--subresource=eviction", "-n", "apps")
    assert can(agent, "patch", "deployments", "--subresource=scale", "-n", "apps")
    assert can(agent, "list", "nodes")
    assert can(agent, "update", "leases", "-n", NAMESPACE)
    assert can(agent, "watch", "configmaps", "-n", NAMESPACE)
    assert not can(agent, "update", "leases", "-n", "apps")
    assert not can(agent, "list", "configmaps", "-n", "apps")
    assert not can(agent, "get", "secrets", "-n", NAMESPACE)
    assert not can(agent, "create", "pods", "--subresource=exec", "-n", "apps")
    assert not can(agent, "patch", "deployments", "--subresource=status", "-n", "apps")
    assert not can(agent, "update", "deployments", "-n", "apps")
    refused = agent.run("get", "secrets", "-n", NAMESPACE, check=False)
    assert refused.returncode == 1
    assert 'User "system:serviceaccount:ops:kaido" cannot list resource "secrets"' in refused.stderr
    assert agent.run("get", "pods", "-A", check=False).returncode == 0


def test_single_namespace_mode_stays_in_its_namespace_on_a_cluster_with_rbac(
    helm: Helm, secured: SimThread, kubectl_binary: Path, tmp_path: Path
) -> None:
    kubectl = admin(secured, kubectl_binary, tmp_path)
    install(kubectl, helm.template({"watchNamespace": "apps"}))
    agent = service_account(secured, kubectl, tmp_path)
    assert can(agent, "list", "pods", "-n", "apps")
    assert can(agent, "patch", "deployments", "-n", "apps")
    assert can(agent, "update", "leases", "-n", NAMESPACE)
    assert not can(agent, "list", "pods", "--all-namespaces")
    assert not can(agent, "list", "pods", "-n", NAMESPACE)
    assert not can(agent, "list", "nodes")
    assert not can(agent, "list", "namespaces")
