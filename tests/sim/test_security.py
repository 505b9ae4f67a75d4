"""`kaido sim --rbac` as kubectl and the official client see it: HTTPS with a generated CA, tokens, RBAC.

A least-privilege ServiceAccount is set up with kubectl exactly as a user would (serviceaccount, role,
rolebinding, `create token`), then used through a second kubeconfig.
"""

from __future__ import annotations

import itertools
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from kaido.sim.cluster import SimCluster
from tests.support.sim import KUBECTL_135, Kubectl, SimThread, kubectl_binaries

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]
_names = itertools.count()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    kubeconfig = tmp_path_factory.mktemp("secure") / "admin"
    thread = SimThread(kubeconfig=kubeconfig, cluster=SimCluster(seed=5, rbac=True), tls=True).start()
    yield thread
    thread.stop()


@pytest.fixture(params=[b[1] for b in kubectl_binaries()], ids=[b[0] for b in kubectl_binaries()])
def admin(request: pytest.FixtureRequest, sim: SimThread, tmp_path: Path) -> Kubectl:
    return Kubectl(binary=request.param, kubeconfig=sim.kubeconfig, cache_dir=tmp_path / "cache")


@pytest.fixture
def ns(admin: Kubectl) -> str:
    name = f"sec{next(_names)}"
    admin("create", "namespace", name)
    return name


@pytest.fixture
def robot(admin: Kubectl, sim: SimThread, ns: str, tmp_path: Path) -> Kubectl:
    """kubectl as ServiceAccount `robot`, allowed to get and list pods in `ns` and nothing else of its own."""
    admin("-n", ns, "create", "serviceaccount", "robot")
    admin("-n", ns, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    admin("-n", ns, "create", "rolebinding", "robot-reads", "--role=pod-reader", f"--serviceaccount={ns}:robot")
    token = admin("-n", ns, "create", "token", "robot").strip()
    kubeconfig = sim.write_kubeconfig(tmp_path / "robot", token=token, user_name="robot", namespace=ns)
    return Kubectl(binary=admin.binary, kubeconfig=kubeconfig, cache_dir=tmp_path / "robot-cache")


def test_the_admin_kubeconfig_works_over_https(admin: Kubectl, sim: SimThread) -> None:
    assert sim.url.startswith("https://127.0.0.1:")
    document = yaml.safe_load(sim.kubeconfig.read_text())
    assert document["clusters"][0]["cluster"]["certificate-authority-data"]
    assert "default" in admin("get", "ns", "-o", "name")


def test_a_service_account_gets_exactly_what_its_role_grants(robot: Kubectl, admin: Kubectl, ns: str) -> None:
    assert "No resources found" in robot.run("get", "pods").stderr
    denied = robot.run("get", "secrets", check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        f'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:{ns}:robot" '
        f'cannot list resource "secrets" in API group "" in the namespace "{ns}"'
    )
    nodes = robot.run("get", "nodes", check=False)
    assert nodes.stderr.strip() == (
        f'Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:{ns}:robot" '
        'cannot list resource "nodes" in API group "" at the cluster scope'
    )
    other = robot.run("get", "pods", "-n", "default", check=False)
    assert 'cannot list resource "pods" in API group "" in the namespace "default"' in other.stderr


def test_subresources_need_their_own_grant(robot: Kubectl, admin: Kubectl, ns: str) -> None:
    admin("-n", ns, "run", "web", "--image=nginx:1.27")
    assert "web" in robot("get", "pod", "web", "-o", "name")
    logs = robot.run("logs", "web", check=False)
    assert logs.returncode == 1
    assert (
        f'pods "web" is forbidden: User "system:serviceaccount:{ns}:robot" cannot get resource "pods/log" '
        f'in API group "" in the namespace "{ns}"'
    ) in logs.stderr


def test_auth_can_i_answers_with_the_same_evaluator(robot: Kubectl, ns: str) -> None:
    assert robot("auth", "can-i", "list", "pods").strip() == "yes"
    refused = robot.run("auth", "can-i", "delete", "pods", check=False)
    assert (refused.returncode, refused.stdout.strip()) == (1, "no")
    assert robot.run("auth", "can-i", "list", "pods", "-n", "default", check=False).stdout.strip() == "no"
    listed = robot("auth", "can-i", "--list")
    assert re.search(r"^pods\s+\[\]\s+\[\]\s+\[get list\]$", listed, re.MULTILINE), listed
    whoami = robot("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert whoami == f"system:serviceaccount:{ns}:robot"


def test_an_unknown_token_is_unauthorized(admin: Kubectl, sim: SimThread, tmp_path: Path) -> None:
    kubeconfig = sim.write_kubeconfig(tmp_path / "stranger", token="kaido.not-issued", user_name="stranger")
    stranger = Kubectl(binary=admin.binary, kubeconfig=kubeconfig, cache_dir=tmp_path / "stranger-cache")
    result = stranger.run("get", "pods", check=False)
    assert result.returncode == 1
    # discovery fails first, so kubectl words it as it does against a real API server
    assert result.stderr.strip().endswith(
        "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
    )


def test_a_token_stops_working_when_its_service_account_is_deleted(robot: Kubectl, admin: Kubectl, ns: str) -> None:
    robot("get", "pods")  # also caches discovery, so the next failure is the list request's own 401
    admin("-n", ns, "delete", "serviceaccount", "robot")
    result = robot.run("get", "pods", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: You must be logged in to the server (Unauthorized)"


def test_the_official_client_verifies_the_generated_ca(sim: SimThread) -> None:
    api_client = k8s_config.new_client_from_config(str(sim.kubeconfig))
    assert api_client.configuration.verify_ssl
    names = [n.metadata.name for n in k8s_client.CoreV1Api(api_client).list_namespace().items]
    assert "kube-system" in names
    review = k8s_client.AuthenticationV1Api(api_client).create_self_subject_review({"metadata": {}})
    assert review.status.user_info.username == "kubernetes-admin"


def test_the_certificate_is_trusted_only_through_the_ca(sim: SimThread) -> None:
    assert sim.tls_material is not None
    with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx2.get(sim.url + "/healthz")
    context = ssl.create_default_context(cadata=sim.tls_material.ca_pem.decode())
    assert httpx2.get(sim.url + "/healthz", verify=context).text == "ok"
    for host in ("127.0.0.1", "localhost"):
        url = sim.url.replace("127.0.0.1", host)
        assert httpx2.get(url + "/version", verify=context).json()["minor"] == "35"


def test_kaido_sim_rbac_serves_https_with_an_admin_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "kaido", "sim", "--rbac", "--port", "0", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.search(r"Kubernetes API on https://127\.0\.0\.1:\d+;", line), line
        kubectl = Kubectl(binary=KUBECTL_135, kubeconfig=kubeconfig, cache_dir=tmp_path / "cache")
        assert kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}") == (
            '["system:masters","system:authenticated"]'
        )
        assert kubectl("get", "clusterrolebinding", "system:discovery", "-o", "name") == (
            "clusterrolebinding.rbac.authorization.k8s.io/system:discovery\n"
        )
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_rbac_without_tls_is_one_clear_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaido", "sim", "--rbac", "--no-tls", "--kubeconfig", str(tmp_path / "k")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--rbac needs TLS, because kubectl sends bearer tokens only over HTTPS; drop --no-tls" in result.stderr
