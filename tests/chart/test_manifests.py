"""The rendered manifests are valid Kubernetes 1.35 objects and wire the agent the way it runs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.chart.helm import NAMESPACE, Helm, Manifest, of_kind, one

try:
    import kubernetes_validate
except ImportError:  # pragma: no cover - the dev extra installs it
    kubernetes_validate = None

KUBERNETES_VERSION = "1.35.0"
CONFIGS: dict[str, dict[str, Any] | None] = {
    "defaults": None,
    "single-namespace": {"watchNamespace": "apps"},
    "everything-set": {
        "writeToken": {"existingSecret": "kaido-write-token"},
        "imagePullSecrets": [{"name": "registry"}],
        "priorityClassName": "system-cluster-critical",
        "podAnnotations": {"example.com/team": "sre"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ops", "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}
                            ]
                        }
                    ]
                }
            }
        },
        "service": {"type": "NodePort"},
    },
}


def container(deployment: Manifest) -> dict[str, Any]:
    [found] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(found)


@pytest.mark.parametrize("values", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_manifest_validates_against_the_kubernetes_schema(helm: Helm, values: dict[str, Any] | None) -> None:
    if kubernetes_validate is None:
        pytest.fail("kubernetes-validate is missing: install the dev extra (pip install -e '.[dev]')")
    manifests = helm.template(values)
    assert {m["kind"] for m in manifests} >= {"Deployment", "Service", "ServiceAccount", "ConfigMap", "Role"}
    for manifest in manifests:
        try:
            checked = kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']}: {path}: {error.message}")
        assert checked == "1.35"


def test_the_deployment_runs_the_agent_safely(cluster_mode: list[Manifest]) -> None:
    deployment = one(cluster_mode, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    agent = container(deployment)
    assert deployment["spec"]["replicas"] == 2
    assert agent["image"] == "kaido:0.1.0"
    assert agent["args"] == [
        "run",
        "--config",
        "/etc/kaido/policy.yaml",
        "--port",
        "8080",
        "--policy-configmap",
        "kaido-policy",
    ]
    assert agent["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    probes = {
        kind: (agent[kind]["httpGet"]["path"], agent[kind]["httpGet"]["port"])
        for kind in ("livenessProbe", "readinessProbe", "startupProbe")
    }
    assert probes == {
        "livenessProbe": ("/healthz", "http"),
        "readinessProbe": ("/readyz", "http"),
        "startupProbe": ("/healthz", "http"),
    }
    assert agent["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert agent["securityContext"]["readOnlyRootFilesystem"] is True
    assert agent["securityContext"]["allowPrivilegeEscalation"] is False
    assert agent["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["serviceAccountName"] == one(cluster_mode, "ServiceAccount")["metadata"]["name"]


def test_writable_paths_are_volumes_and_the_policy_is_mounted(cluster_mode: list[Manifest]) -> None:
    deployment = one(cluster_mode, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m for m in container(deployment)["volumeMounts"]}
    assert set(mounts) == {"/etc/kaido", "/var/lib/kaido", "/tmp"}
    assert "emptyDir" in volumes[mounts["/var/lib/kaido"]["name"]]
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert mounts["/etc/kaido"]["readOnly"] is True
    policy = one(cluster_mode, "ConfigMap")
    assert volumes[mounts["/etc/kaido"]["name"]]["configMap"]["name"] == policy["metadata"]["name"]
    env = {e["name"]: e for e in container(deployment)["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert set(env) == {"POD_NAMESPACE", "POD_NAME"}  # KAIDO_* variables would override the policy
    assert container(deployment)["args"][-2:] == ["--policy-configmap", policy["metadata"]["name"]]


def test_the_policy_defaults_follow_the_design(cluster_mode: list[Manifest]) -> None:
    policy = yaml.safe_load(one(cluster_mode, "ConfigMap")["data"]["policy.yaml"])
    modes = {name: policy["modes"][name] for name in ("healing", "rollback", "scaling", "predictive", "rightsizing")}
    assert modes == {
        "healing": "enforce",
        "rollback": "enforce",
        "scaling": "enforce",
        "predictive": "recommend",
        "rightsizing": "recommend",
    }
    assert policy["paused"] is False


def test_the_pods_roll_when_the_policy_changes_and_only_then(helm: Helm, cluster_mode: list[Manifest]) -> None:
    def checksum(manifests: list[Manifest]) -> str:
        return str(one(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/policy"])

    before = checksum(cluster_mode)
    assert len(before) == 64
    assert checksum(helm.template({"policy": {"modes": {"healing": "observe"}}})) != before
    assert checksum(helm.template({"replicas": 3, "podAnnotations": {"a": "b"}})) == before


def test_single_namespace_mode_tells_the_agent(namespace_mode: list[Manifest]) -> None:
    args = container(one(namespace_mode, "Deployment"))["args"]
    assert args[args.index("--namespace") + 1] == "apps"


def test_the_write_token_is_a_mounted_file(helm: Helm) -> None:
    manifests = helm.template({"writeToken": {"existingSecret": "kaido-write-token", "key": "api"}})
    deployment = one(manifests, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    [mount] = [m for m in container(deployment)["volumeMounts"] if "secret" in volumes[m["name"]]]
    assert volumes[mount["name"]]["secret"]["secretName"] == "kaido-write-token"
    assert mount["readOnly"] is True
    policy = yaml.safe_load(one(manifests, "ConfigMap")["data"]["policy.yaml"])
    assert policy["api"]["writeTokenFile"] == f"{mount['mountPath']}/api"


def test_the_service_and_the_budget_select_the_pods(cluster_mode: list[Manifest]) -> None:
    pod_labels = one(cluster_mode, "Deployment")["spec"]["template"]["metadata"]["labels"]
    service = one(cluster_mode, "Service")
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    budget = one(cluster_mode, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for manifest in cluster_mode:
        if manifest["kind"] not in {"ClusterRole", "ClusterRoleBinding"}:
            assert manifest["metadata"]["namespace"] == NAMESPACE, manifest["kind"]


def test_one_replica_gets_no_budget_that_would_block_drains(helm: Helm) -> None:
    assert of_kind(helm.template({"replicas": 1}), "PodDisruptionBudget") == []
    assert of_kind(helm.template({"pdb": {"enabled": False}}), "PodDisruptionBudget") == []
