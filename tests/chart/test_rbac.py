"""The rendered RBAC grants exactly the permissions kaido uses, where it uses them, and nothing risky."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.chart.helm import CHART, NAMESPACE, Helm, Manifest, of_kind, one

Grants = dict[tuple[str, str], set[str]]

# The tables follow what the agent sends (test_agent_rbac.py runs it against these roles and checks both ways).
# Cluster-scoped: only a ClusterRole can grant them, so single-namespace mode goes without.
CLUSTER: Grants = {
    ("", "nodes"): {"list", "watch"},
    ("metrics.k8s.io", "nodes"): {"list"},
}
# Namespaced objects kaido watches and acts on.
WATCHED: Grants = {
    ("", "pods"): {"list", "watch", "delete"},
    ("", "pods/eviction"): {"create"},
    ("", "events"): {"list", "watch", "create"},
    ("", "services"): {"list", "watch"},
    ("apps", "deployments"): {"get", "list", "watch", "patch"},
    ("apps", "deployments/scale"): {"patch"},
    ("apps", "replicasets"): {"list", "watch", "patch"},
    ("apps", "replicasets/scale"): {"patch"},
    ("apps", "statefulsets"): {"get", "patch"},
    ("apps", "statefulsets/scale"): {"patch"},
    ("apps", "daemonsets"): {"get", "patch"},
    ("autoscaling", "horizontalpodautoscalers"): {"get", "list", "watch", "create", "patch"},
    ("metrics.k8s.io", "pods"): {"list"},
}
# The agent's own policy ConfigMap and leader Lease, in the release namespace only.
OWN: Grants = {
    ("", "configmaps"): {"list", "watch"},
    ("coordination.k8s.io", "leases"): {"get", "create", "update"},
}


def grants(role: Manifest) -> Grants:
    found: Grants = {}
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, f"{role['metadata']['name']}: unexpected {rule}"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    [found] = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    return found


def binds_service_account(binding: Manifest, role: Manifest) -> bool:
    subject = {"kind": "ServiceAccount", "name": "kaido", "namespace": NAMESPACE}
    ref = binding["roleRef"]
    return (
        binding["subjects"] == [subject]
        and (ref["apiGroup"], ref["kind"], ref["name"])
        == ("rbac.authorization.k8s.io", role["kind"], role["metadata"]["name"])
        and binding["metadata"].get("namespace") == role["metadata"].get("namespace")
    )


def test_cluster_mode_grants(cluster_mode: list[Manifest]) -> None:
    cluster_role = one(cluster_mode, "ClusterRole")
    assert grants(cluster_role) == CLUSTER | WATCHED
    assert binds_service_account(one(cluster_mode, "ClusterRoleBinding"), cluster_role)
    own = one(cluster_mode, "Role")
    assert own["metadata"]["namespace"] == NAMESPACE
    assert grants(own) == OWN
    assert binds_service_account(one(cluster_mode, "RoleBinding"), own)


@pytest.mark.parametrize("watched", ["apps", NAMESPACE])
def test_single_namespace_mode_grants_roles_only(helm: Helm, watched: str) -> None:
    manifests = helm.template({"watchNamespace": watched})
    assert of_kind(manifests, "ClusterRole") == []
    assert of_kind(manifests, "ClusterRoleBinding") == []
    workload_role = named(manifests, "Role", "kaido")
    assert workload_role["metadata"]["namespace"] == watched
    assert grants(workload_role) == WATCHED
    own = named(manifests, "Role", "kaido-self")
    assert own["metadata"]["namespace"] == NAMESPACE
    assert grants(own) == OWN
    assert binds_service_account(named(manifests, "RoleBinding", "kaido"), workload_role)
    assert binds_service_account(named(manifests, "RoleBinding", "kaido-self"), own)


def test_the_lease_is_granted_in_the_release_namespace_only(cluster_mode: list[Manifest]) -> None:
    holders = [
        r
        for r in of_kind(cluster_mode, "Role") + of_kind(cluster_mode, "ClusterRole")
        if any("leases" in rule["resources"] for rule in r["rules"])
    ]
    assert [(r["kind"], r["metadata"].get("namespace")) for r in holders] == [("Role", NAMESPACE)]
    policy = yaml.safe_load(one(cluster_mode, "ConfigMap")["data"]["policy.yaml"])
    assert policy["agent"]["leaseName"] == "kaido"
    assert "leaseNamespace" not in policy["agent"]  # kaido's default: the namespace it runs in


RISKY_VERBS = {"*", "escalate", "bind", "impersonate", "update", "deletecollection"}
RISKY_RESOURCES = {"secrets", "pods/exec", "pods/attach", "pods/portforward", "nodes/proxy", "serviceaccounts/token"}
MODES: dict[str, dict[str, Any] | None] = {
    "cluster": None,
    "single-namespace": {"watchNamespace": "apps"},
    "everything-on": {"serviceMonitor": {"enabled": True}, "writeToken": {"existingSecret": "token"}},
}


@pytest.mark.parametrize("values", MODES.values(), ids=MODES.keys())
def test_nothing_risky_is_granted(helm: Helm, values: dict[str, Any] | None) -> None:
    roles = [m for m in helm.template(values) if m["kind"] in {"Role", "ClusterRole"}]
    assert roles
    for role in roles:
        for rule in role["rules"]:
            words = {*rule["apiGroups"], *rule["resources"], *rule["verbs"]}
            assert not any("*" in word for word in words), f"wildcard in {role['metadata']['name']}: {rule}"
            assert not RISKY_RESOURCES & set(rule["resources"]), rule
            # update is granted on the Lease alone (renewal carries its resourceVersion); elsewhere kaido patches.
            if rule["resources"] != ["leases"]:
                assert not RISKY_VERBS & set(rule["verbs"]), rule
            assert "resourceNames" not in rule and "nonResourceURLs" not in rule


def test_every_rule_says_which_component_uses_it(cluster_mode: list[Manifest]) -> None:
    source = (CHART / "templates/_rbac.tpl").read_text().splitlines()
    rule_lines = [i for i, line in enumerate(source) if re.match(r"^- scope: ", line)]
    rendered = sum(len(role["rules"]) for role in of_kind(cluster_mode, "ClusterRole") + of_kind(cluster_mode, "Role"))
    assert len(rule_lines) == rendered
    for i in rule_lines:
        assert source[i - 1].startswith("# "), f"_rbac.tpl line {i + 1}: a rule without a comment above it"
