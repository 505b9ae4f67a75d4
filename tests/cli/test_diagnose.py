"""`kaido diagnose` as a process against simulated clusters: every failure class of the simulator, named right.

Two ways in, as a person would meet them: the example scenarios (`kaido sim --scenario`), and the
same failures as plain manifests applied with kubectl, plus the classes the scenarios leave out
(crash loops with a log line, OOM kills, bad releases, probes, placement, Jobs, HPAs, lost nodes).
The clusters run on a manual clock that the tests move, so a back-off or the chatbot-dev scenario's
bad release one hour in takes a second, and `kaido diagnose` reads them over TCP with a kubeconfig.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster, User
from kaido.sim.nodes import NodeLifecycleController
from tests.support.agent import KAIDO
from tests.support.sim import Kubectl, SimThread, kubectl_binaries

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
BINARIES = kubectl_binaries()


def virtual_start() -> datetime:
    """Noon UTC tomorrow: the same time of day (diurnal traffic) on every run, and ahead of this machine's
    clock, so `kaido diagnose` takes its `now` from the cluster's timestamps."""
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(12, 0), tzinfo=UTC)


def start(tmp: Path, *, scenario: Path | None = None) -> SimThread:
    cluster = SimCluster(clock=ManualClock(virtual_start()), seed=5)
    return SimThread(kubeconfig=tmp / "kubeconfig", cluster=cluster, runtime=True, scenario=scenario).start()


def advance(sim: SimThread, seconds: float, *, step: float = 1.0) -> None:
    """Move the simulator's clock `seconds` forward, reconciling at every step, in the simulator's thread."""
    clock, runtime = sim.cluster.clock, sim._runtime
    assert isinstance(clock, ManualClock) and runtime is not None
    for chunk in range(0, round(seconds / step), 600):
        steps = min(600, round(seconds / step) - chunk)

        def run(steps: int = steps) -> None:
            for _ in range(steps):
                clock.advance(step)
                runtime.reconcile()

        sim.call(run)


def kaido(sim: SimThread, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAIDO), "diagnose", "--kubeconfig", str(sim.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def diagnosed(sim: SimThread, *args: str) -> list[dict[str, Any]]:
    completed = kaido(sim, "-o", "json", *args)
    assert completed.returncode in (0, 3), completed.stderr
    found: list[dict[str, Any]] = json.loads(completed.stdout)
    assert completed.returncode == (3 if found else 0)
    return found


def causes(found: list[dict[str, Any]], namespace: str | None = None) -> dict[tuple[str, str], str]:
    """(kind, name) -> cause of each diagnosis (in `namespace`); one diagnosis per target is expected here."""
    chosen = [d for d in found if namespace is None or d["target"]["namespace"] == namespace]
    named = {(d["target"]["kind"], d["target"]["name"]): d["cause"] for d in chosen}
    assert len(named) == len(chosen), [(d["target"], d["cause"]) for d in chosen]
    return named


# ----- the example scenarios ---------------------------------------------------------------------------------

EXPECTED = {
    "image-pull": {("Deployment", "web"): "image-pull"},
    "config": {
        ("Pod", "env-from-missing-configmap"): "missing-config",
        ("Pod", "volume-from-missing-configmap"): "missing-config",
    },
    "quota": {("Deployment", "web"): "quota-exceeded"},
    "scheduling": {("Pod", "trainer"): "unschedulable-resources"},
    "storage": {("Pod", "database"): "mount-failure"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_failure_scenario_is_named(name: str, tmp_path: Path) -> None:
    sim = start(tmp_path, scenario=SCENARIOS / f"{name}.yaml")
    try:
        advance(sim, 60)
        found = diagnosed(sim, "-n", "failures")
    finally:
        sim.stop()
    assert causes(found) == EXPECTED[name]
    for item in found:
        assert item["summary"] and item["evidence"] and item["suggestion"]
        assert item["target"]["namespace"] == "failures"
    if name == "scheduling":
        assert "0/2 nodes have nvidia.com/gpu" in found[0]["summary"]
    if name == "config":
        assert {f["summary"].split(": ")[1] for f in found} == {
            "ConfigMap app-config not found",
            "ConfigMap app-settings not found",
        }


@pytest.fixture(scope="module")
def chatbot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    sim = start(tmp_path_factory.mktemp("chatbot"), scenario=SCENARIOS / "chatbot-dev.yaml")
    advance(sim, 3600 + 120, step=5.0)  # the bad backend release lands at 1h
    yield sim
    sim.stop()


def test_chatbot_dev_the_crash_loop_test_pod_and_the_bad_backend_release(chatbot: SimThread) -> None:
    found = diagnosed(chatbot, "-n", "chatbot-dev")
    assert causes(found) == {
        ("Deployment", "backend-deployment"): "bad-release",
        ("Pod", "test-crash-loop"): "crash-loop",
    }
    release = next(d for d in found if d["cause"] == "bad-release")
    assert release["revision"]["images"] == ["chatbot/backend:1.5.0-bad"]
    assert release["previous_revision"]["images"] == ["chatbot/backend:1.4.2"]
    assert "'panic: runtime error: invalid memory address or nil pointer dereference'" in release["summary"]
    assert release["suggestion"].startswith(
        "roll back: kubectl rollout undo deployment/backend-deployment -n chatbot-dev"
    )
    crash = next(d for d in found if d["cause"] == "crash-loop")
    assert "container crasher: exit 1 after 5 s with no log output (CrashLoopBackOff" in crash["summary"]
    assert "command of container crasher: /bin/sh -c sleep 5 && exit 1" in crash["evidence"]


def test_text_output_and_targets(chatbot: SimThread) -> None:
    text = kaido(chatbot, "-n", "chatbot-dev")
    assert text.returncode == 3, text.stderr
    blocks = text.stdout.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "bad-release (critical): deployment chatbot-dev/backend-deployment",
        "crash-loop (critical): pod chatbot-dev/test-crash-loop",
    ]
    assert "  evidence:\n    - failing: revision 2" in blocks[0]
    assert "\n  fix: roll back: kubectl rollout undo deployment/backend-deployment" in blocks[0]
    only_pod = diagnosed(chatbot, "pod/test-crash-loop", "-n", "chatbot-dev")
    assert [d["cause"] for d in only_pod] == ["crash-loop"]
    healthy = kaido(chatbot, "deploy/frontend-deployment", "-n", "chatbot-dev")
    assert (healthy.returncode, healthy.stdout) == (0, "deployment chatbot-dev/frontend-deployment: no problem found\n")
    assert diagnosed(chatbot, "hpa/backend-hpa", "-n", "chatbot-dev") == []
    everywhere = kaido(chatbot, "-n", "kube-system")
    assert (everywhere.returncode, everywhere.stdout) == (0, "no unhealthy workloads found in namespace kube-system\n")


def test_errors_are_one_line(chatbot: SimThread, tmp_path: Path) -> None:
    missing = kaido(chatbot, "deploy/nope", "-n", "chatbot-dev")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert (
        missing.stderr
        == "Error: deployment nope not found in namespace chatbot-dev; check the name, or pass -n NAMESPACE\n"
    )
    bad = kaido(chatbot, "svc/backend-service", "-n", "chatbot-dev")
    assert bad.returncode == 2 and "kaido diagnose cannot diagnose a Service" in bad.stderr
    unreachable = tmp_path / "unreachable"
    chatbot.write_kubeconfig(unreachable)
    text = unreachable.read_text().replace(chatbot.url, "http://127.0.0.1:9")
    unreachable.write_text(text)
    down = subprocess.run(
        [str(KAIDO), "diagnose", "--kubeconfig", str(unreachable)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert down.returncode == 1
    assert down.stderr.splitlines() == [down.stderr.strip()] and "cannot reach the API server" in down.stderr
    nofile = subprocess.run(
        [str(KAIDO), "diagnose", "--kubeconfig", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert nofile.returncode == 1 and nofile.stderr.startswith("Error: cannot use kubeconfig")
    usage = subprocess.run(
        [str(KAIDO), "diagnose", "-A", "-n", "x"], capture_output=True, text=True, timeout=60, check=False
    )
    assert usage.returncode == 2 and "-A/--all-namespaces" in usage.stderr


# ----- plain manifests through kubectl ----------------------------------------------------------------------------


def scenario_manifests(name: str, namespace: str) -> list[dict[str, Any]]:
    """A scenario file's plain manifests, moved to `namespace` (the Scenario document and Namespaces left out)."""
    documents = yaml.safe_load_all((SCENARIOS / f"{name}.yaml").read_text())
    plain = [d for d in documents if d and d.get("kind") not in ("Scenario", "Namespace")]
    for document in plain:
        document["metadata"]["namespace"] = namespace
    return plain


def deployment(name: str, namespace: str, pod_spec: dict[str, Any], replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def extra_manifests() -> list[dict[str, Any]]:
    """Failure classes beyond the scenario files, as plain manifests."""
    one = [{"name": "app", "image": "kaido/crasher:1.0"}]
    leak = [{"name": "app", "image": "kaido/leak:1.0", "resources": {"limits": {"memory": "64Mi"}}}]
    nginx = {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
    spread = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "spread"}}}
            ]
        }
    }
    half_cpu = {"type": "Utilization", "averageUtilization": 50}
    job_command = ["sh", "-c", "echo migrating; echo 'ERROR: relation users does not exist'; exit 1"]
    return [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-crash-loop", "namespace": "k-crash"},
         "spec": {"containers": [{"name": "crasher", "image": "busybox",
                                  "command": ["/bin/sh", "-c", "sleep 5 && exit 1"]}]}},
        deployment("needs-env", "k-crash", {"containers": one}),
        deployment("leaky", "k-oom", {"containers": leak}),
        deployment("wrong-port", "k-probes",
                   {"containers": [{**nginx, "livenessProbe": {"httpGet": {"path": "/", "port": 8080}}}]}),
        deployment("never-ready", "k-probes",
                   {"containers": [{**nginx, "readinessProbe": {"httpGet": {"path": "/ready", "port": 80}}}]}),
        deployment("ssd-only", "k-place", {"nodeSelector": {"disktype": "ssd"}, "containers": [nginx]}),
        deployment("spread", "k-place", {"affinity": spread, "containers": [nginx]}, replicas=4),
        deployment("gated", "k-gated", {"schedulingGates": [{"name": "example.com/approval"}], "containers": [nginx]}),
        deployment("web", "k-hpa", {"containers": [{"name": "web", "image": "kaido/web:1.0"}]}),
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
         "metadata": {"name": "web", "namespace": "k-hpa"},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                  "minReplicas": 1, "maxReplicas": 3,
                  "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": half_cpu}}]}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "k-job"},
         "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never",
                  "containers": [{"name": "migrate", "image": "busybox", "command": job_command}]}}}},
        deployment("backend", "k-release", {"containers": [{"name": "backend", "image": "acme/backend:1.0",
                                                             "ports": [{"containerPort": 8080}]}]}, replicas=2),
    ]  # fmt: skip


PLAIN = {
    "k-image": ("image-pull", {("Deployment", "web"): "image-pull"}),
    "k-config": (
        "config",
        {
            ("Pod", "env-from-missing-configmap"): "missing-config",
            ("Pod", "volume-from-missing-configmap"): "missing-config",
        },
    ),
    "k-quota": ("quota", {("Deployment", "web"): "quota-exceeded"}),
    "k-sched": ("scheduling", {("Pod", "trainer"): "unschedulable-resources"}),
    "k-storage": ("storage", {("Pod", "database"): "mount-failure"}),
}
EXTRA = {
    "k-crash": {("Pod", "test-crash-loop"): "crash-loop", ("Deployment", "needs-env"): "crash-loop"},
    "k-oom": {("Deployment", "leaky"): "oom-killed"},
    "k-probes": {("Deployment", "wrong-port"): "liveness-probe", ("Deployment", "never-ready"): "readiness-probe"},
    "k-place": {
        ("Deployment", "ssd-only"): "unschedulable-placement",
        ("Deployment", "spread"): "unschedulable-placement",
    },
    "k-gated": {("Deployment", "gated"): "deployment-unavailable"},
    "k-hpa": {("Deployment", "web"): "hpa-metrics-unavailable"},
    "k-job": {("Job", "migrate"): "job-failed"},
    "k-release": {("Deployment", "backend"): "bad-release"},
}


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    if not BINARIES:
        pytest.skip("no kubectl binary (make tools)")
    tmp = tmp_path_factory.mktemp("plain")
    sim = start(tmp)
    kubectl = Kubectl(binary=BINARIES[0][1], kubeconfig=sim.kubeconfig, cache_dir=tmp / "cache")
    try:
        namespaces = [*PLAIN, *EXTRA]
        documents = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in namespaces]
        for namespace, (scenario, _) in PLAIN.items():
            documents += scenario_manifests(scenario, namespace)
        documents += extra_manifests()
        manifest = tmp / "failures.yaml"
        manifest.write_text(yaml.safe_dump_all(documents))
        kubectl("apply", "-f", str(manifest))
        advance(sim, 90, step=2.0)
        kubectl("set", "image", "deployment/backend", "backend=acme/backend:1.1-bad", "-n", "k-release")
        advance(sim, 90, step=2.0)
        yield diagnosed(sim, "-A")
    finally:
        sim.stop()


@pytest.mark.kubectl
@pytest.mark.slow
@pytest.mark.parametrize("namespace", [*PLAIN, *EXTRA])
def test_plain_manifests_applied_with_kubectl(applied: list[dict[str, Any]], namespace: str) -> None:
    expected = PLAIN[namespace][1] if namespace in PLAIN else EXTRA[namespace]
    assert causes(applied, namespace) == expected


@pytest.mark.kubectl
@pytest.mark.slow
def test_what_the_plain_diagnoses_say(applied: list[dict[str, Any]]) -> None:
    by_target = {(d["target"]["namespace"], d["target"]["name"]): d for d in applied}
    assert "exit 1 after log line 'DEPLOY_ENV is not set'" in by_target["k-crash", "needs-env"]["summary"]
    assert (
        "kubectl set env deployment/needs-env -n k-crash -c app DEPLOY_ENV=<value>"
        in (by_target["k-crash", "needs-env"]["suggestion"])
    )
    assert "OOMKilled: container app reached its 64Mi memory limit" in by_target["k-oom", "leaky"]["summary"]
    assert (
        "liveness probe http :8080/ of container web failed: connection refused; the container listens on 80"
        in (by_target["k-probes", "wrong-port"]["summary"])
    )
    assert "nodeSelector disktype=ssd matches none of the 3 nodes" in by_target["k-place", "ssd-only"]["summary"]
    assert "missing request for cpu" in by_target["k-hpa", "web"]["summary"]
    assert "exit 1 after log line 'relation users does not exist'" in by_target["k-job", "migrate"]["summary"]
    assert "rollout undo deployment/backend -n k-release" in by_target["k-release", "backend"]["suggestion"]


# ----- a node that stops reporting --------------------------------------------------------------------------------


def test_a_lost_node(tmp_path: Path) -> None:
    sim = start(tmp_path)
    try:
        spec = {"nodeName": "kaido-worker-2", "containers": [{"name": "web", "image": "nginx:1.27"}]}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned", "namespace": "default"}, "spec": spec}
        sim.call(lambda: sim.cluster.apply_manifests([pod]))
        advance(sim, 20)
        assert sim._runtime is not None
        lifecycle = next(c for c in sim._runtime.controllers if isinstance(c, NodeLifecycleController))
        sim.call(lambda: lifecycle.lose("kaido-worker-2"))
        advance(sim, 90)
        found = diagnosed(sim)
        targeted = diagnosed(sim, "node/kaido-worker-2")
    finally:
        sim.stop()
    assert causes(found) == {("Node", "kaido-worker-2"): "node-not-ready"}
    assert found[0]["pods"] == ["default/pinned"]
    assert "Kubelet stopped posting node status." in found[0]["summary"]
    assert targeted == found


# ----- less than cluster-admin -------------------------------------------------------------------------------------


def test_a_reader_without_configmaps_or_apps_still_diagnoses_and_says_what_it_missed(tmp_path: Path) -> None:
    cluster = SimCluster(clock=ManualClock(virtual_start()), seed=5, rbac=True)
    sim = SimThread(kubeconfig=tmp_path / "admin", cluster=cluster, tls=True, runtime=True).start()
    rbac = "rbac.authorization.k8s.io/v1"
    reader = [
        {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": "pod-reader"},
         "rules": [{"apiGroups": [""], "resources": ["pods", "events", "nodes"], "verbs": ["list"]},
                   {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}]},
        {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": "pod-reader"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}]},
    ]  # fmt: skip
    crasher = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crasher", "namespace": "failures"},
               "spec": {"containers": [{"name": "app", "image": "kaido/crasher:1.0"}]}}  # fmt: skip
    try:
        documents = [*reader, *scenario_manifests("config", "failures"), crasher]
        sim.call(lambda: cluster.apply_manifests(documents))
        advance(sim, 60)
        token = sim.call(lambda: cluster.issue_token(User("viewer"))[0])
        viewer = sim.write_kubeconfig(tmp_path / "viewer", token=token, user_name="viewer")
        completed = subprocess.run(
            [str(KAIDO), "diagnose", "--kubeconfig", str(viewer), "-n", "failures", "-o", "json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        sim.stop()
    assert completed.returncode == 3, completed.stderr
    found = json.loads(completed.stdout)
    assert causes(found) == {
        ("Pod", "env-from-missing-configmap"): "missing-config",
        ("Pod", "volume-from-missing-configmap"): "missing-config",
        ("Pod", "crasher"): "crash-loop",
    }
    crash = next(d for d in found if d["target"]["name"] == "crasher")
    assert "exit 1 after log line 'DEPLOY_ENV is not set'" in crash["summary"]  # pods/log was granted
    notes = completed.stderr.splitlines()
    assert (
        "note: configmaps in namespace failures not read (403 forbidden): "
        "the nearest existing ConfigMap name is not suggested"
    ) in notes
    assert any(
        line.startswith("note: replicasets.apps in namespace failures not read (403 forbidden)") for line in notes
    )
    assert not any("nodes" in line for line in notes)
