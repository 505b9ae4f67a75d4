"""The RBAC evaluator against upstream's semantics and wording, and request attributes derived from URLs."""

from __future__ import annotations

from typing import Any

import pytest

from kaido.sim.access import request_attributes
from kaido.sim.cluster import User
from kaido.sim.rbac import (
    Attributes,
    Policy,
    authorize,
    bootstrap_policy,
    forbidden,
    rules_for,
    service_account_groups,
    service_account_username,
)

ROBOT = User(service_account_username("team", "robot"), service_account_groups("team"))
ALICE = User("alice", ("devs", "system:authenticated"))
RBAC = "rbac.authorization.k8s.io"


def role(name: str, namespace: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Role", "metadata": {"name": name, "namespace": namespace}, "rules": list(rules)}


def cluster_role(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ClusterRole", "metadata": {"name": name}, "rules": list(rules)}


def binding(
    name: str, namespace: str | None, ref: str, *subjects: dict[str, Any], kind: str = "Role"
) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": RBAC, "kind": kind, "name": ref},
        "subjects": list(subjects),
    }


def sa(name: str, namespace: str | None = None) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "name": name, **({"namespace": namespace} if namespace else {})}


def group(name: str) -> dict[str, Any]:
    return {"kind": "Group", "apiGroup": RBAC, "name": name}


def user(name: str) -> dict[str, Any]:
    return {"kind": "User", "apiGroup": RBAC, "name": name}


def policy(*objects: dict[str, Any]) -> Policy:
    kinds: dict[str, list[dict[str, Any]]] = {}
    for obj in [*bootstrap_policy(), *objects]:
        kinds.setdefault(obj["kind"], []).append(obj)
    return Policy(
        roles={(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in kinds.get("Role", [])},
        cluster_roles={r["metadata"]["name"]: r for r in kinds.get("ClusterRole", [])},
        role_bindings=kinds.get("RoleBinding", []),
        cluster_role_bindings=kinds.get("ClusterRoleBinding", []),
    )


def ask(
    who: User, verb: str, resource: str, namespace: str = "", name: str = "", group: str = "", sub: str = ""
) -> Attributes:
    return Attributes(
        who.name,
        who.groups,
        verb,
        resource_request=True,
        api_group=group,
        resource=resource,
        subresource=sub,
        namespace=namespace,
        name=name,
    )


def path(who: User, url: str, verb: str = "get") -> Attributes:
    return Attributes(who.name, who.groups, verb, resource_request=False, path=url)


POD_READER = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}


def allowed(rules: Policy, attributes: Attributes) -> bool:
    return authorize(rules, attributes).allowed


# ----- bindings and scope --------------------------------------------------------------------------------


def test_a_role_grants_only_in_its_namespace_through_a_rolebinding() -> None:
    rules = policy(role("pod-reader", "team", POD_READER), binding("reads", "team", "pod-reader", sa("robot")))
    assert allowed(rules, ask(ROBOT, "list", "pods", "team"))
    assert allowed(rules, ask(ROBOT, "get", "pods", "team", "web"))
    assert not allowed(rules, ask(ROBOT, "list", "pods", "other"))
    assert not allowed(rules, ask(ROBOT, "list", "pods"))  # across namespaces needs cluster scope
    assert not allowed(rules, ask(ROBOT, "delete", "pods", "team", "web"))
    assert not allowed(rules, ask(ROBOT, "list", "secrets", "team"))


def test_a_rolebinding_to_a_clusterrole_grants_only_in_the_binding_namespace() -> None:
    rules = policy(
        cluster_role("reader", POD_READER), binding("reads", "team", "reader", sa("robot"), kind="ClusterRole")
    )
    assert allowed(rules, ask(ROBOT, "list", "pods", "team"))
    assert not allowed(rules, ask(ROBOT, "list", "pods", "other"))
    assert not allowed(rules, ask(ROBOT, "list", "pods"))


def test_a_clusterrolebinding_grants_in_every_namespace_and_at_cluster_scope() -> None:
    nodes = {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["list"]}
    rules = policy(cluster_role("lister", nodes), binding("lists", None, "lister", user("alice"), kind="ClusterRole"))
    assert allowed(rules, ask(ALICE, "list", "nodes"))
    assert allowed(rules, ask(ALICE, "list", "pods", "anywhere"))
    assert not allowed(rules, ask(ROBOT, "list", "nodes"))


def test_a_rolebinding_cannot_reference_a_role_of_another_namespace() -> None:
    rules = policy(role("pod-reader", "other", POD_READER), binding("reads", "team", "pod-reader", sa("robot")))
    decision = authorize(rules, ask(ROBOT, "list", "pods", "team"))
    assert not decision.allowed
    assert decision.reason == 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found'


def test_several_missing_roles_are_aggregated_as_upstream() -> None:
    rules = policy(
        binding("a", "team", "gone", sa("robot")),
        binding("b", None, "vanished", group("system:serviceaccounts"), kind="ClusterRole"),
    )
    assert authorize(rules, ask(ROBOT, "list", "pods", "team")).reason == (
        'RBAC: [clusterrole.rbac.authorization.k8s.io "vanished" not found, '
        'role.rbac.authorization.k8s.io "gone" not found]'
    )


# ----- subjects --------------------------------------------------------------------------------------------


def test_service_account_subjects_default_to_the_binding_namespace() -> None:
    rules = policy(role("pod-reader", "team", POD_READER), binding("reads", "team", "pod-reader", sa("robot")))
    other_robot = User(service_account_username("other", "robot"), service_account_groups("other"))
    assert not allowed(rules, ask(other_robot, "list", "pods", "team"))


def test_a_service_account_subject_in_a_clusterrolebinding_needs_its_namespace() -> None:
    rules = policy(
        cluster_role("reader", POD_READER),
        binding("without", None, "reader", sa("robot"), kind="ClusterRole"),
    )
    assert not allowed(rules, ask(ROBOT, "list", "pods", "team"))
    rules = policy(
        cluster_role("reader", POD_READER), binding("with", None, "reader", sa("robot", "team"), kind="ClusterRole")
    )
    assert allowed(rules, ask(ROBOT, "list", "pods", "team"))


def test_groups_bind_users_and_service_accounts() -> None:
    rules = policy(
        role("pod-reader", "team", POD_READER),
        binding("devs", "team", "pod-reader", group("devs")),
        binding("robots", "team", "pod-reader", group("system:serviceaccounts:team")),
    )
    assert allowed(rules, ask(ALICE, "get", "pods", "team", "web"))
    assert allowed(rules, ask(ROBOT, "get", "pods", "team", "web"))
    assert not allowed(rules, ask(User("bob"), "get", "pods", "team", "web"))


def test_system_masters_is_always_allowed_even_without_bindings() -> None:
    admin = User("root", ("system:masters", "system:authenticated"))
    empty = Policy(roles={}, cluster_roles={}, role_bindings=[], cluster_role_bindings=[])
    assert allowed(empty, ask(admin, "delete", "nodes", name="n1"))
    assert allowed(empty, path(admin, "/metrics"))


# ----- rules ------------------------------------------------------------------------------------------------


def test_resource_names_limit_named_requests_only() -> None:
    one = {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["settings"], "verbs": ["get", "list"]}
    rules = policy(role("one", "team", one), binding("one", "team", "one", user("alice")))
    assert allowed(rules, ask(ALICE, "get", "configmaps", "team", "settings"))
    assert not allowed(rules, ask(ALICE, "get", "configmaps", "team", "other"))
    assert not allowed(rules, ask(ALICE, "list", "configmaps", "team"))  # a list names nothing


@pytest.mark.parametrize(
    ("rule_resources", "resource", "sub", "expected"),
    [
        (["pods"], "pods", "log", False),
        (["pods/log"], "pods", "log", True),
        (["pods/log"], "pods", "", False),
        (["*/scale"], "deployments", "scale", True),
        (["*/scale"], "deployments", "status", False),
        (["*/scale"], "deployments", "", False),
        (["*"], "pods", "log", True),
        (["deployments", "deployments/scale"], "deployments", "scale", True),
    ],
)
def test_subresources_need_their_own_rule(rule_resources: list[str], resource: str, sub: str, expected: bool) -> None:
    rule = {"apiGroups": ["*"], "resources": rule_resources, "verbs": ["get"]}
    rules = policy(role("r", "team", rule), binding("r", "team", "r", user("alice")))
    assert allowed(rules, ask(ALICE, "get", resource, "team", "x", sub=sub)) is expected


def test_wildcards_cover_verbs_groups_and_resources() -> None:
    everything = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    apps_only = {"apiGroups": ["apps"], "resources": ["*"], "verbs": ["*"]}
    rules = policy(
        role("all", "team", everything),
        binding("all", "team", "all", user("alice")),
        role("apps", "lab", apps_only),
        binding("apps", "lab", "apps", user("alice")),
    )
    assert allowed(rules, ask(ALICE, "deletecollection", "widgets", "team", group="example.com"))
    assert allowed(rules, ask(ALICE, "patch", "deployments", "lab", "web", group="apps"))
    assert not allowed(rules, ask(ALICE, "get", "pods", "lab", "web"))


def test_non_resource_urls_match_exactly_or_by_trailing_star() -> None:
    rules = policy(
        cluster_role("metrics", {"nonResourceURLs": ["/metrics", "/logs/*"], "verbs": ["get"]}),
        binding("metrics", None, "metrics", user("alice"), kind="ClusterRole"),
    )
    assert allowed(rules, path(ALICE, "/metrics"))
    assert allowed(rules, path(ALICE, "/logs/kubelet.log"))
    assert not allowed(rules, path(ALICE, "/metrics/slis"))
    assert not allowed(rules, path(ALICE, "/metrics", verb="post"))
    assert not allowed(rules, path(ALICE, "/debug/pprof"))


def test_non_resource_rules_never_grant_resources() -> None:
    rules = policy(
        cluster_role("odd", {"nonResourceURLs": ["*"], "resources": ["pods"], "apiGroups": [""], "verbs": ["get"]}),
        binding("odd", None, "odd", user("alice"), kind="ClusterRole"),
    )
    assert allowed(rules, ask(ALICE, "get", "pods", "team", "web"))
    assert not allowed(rules, ask(ALICE, "get", "secrets", "team", "web"))


def test_every_authenticated_user_may_discover_and_review_itself() -> None:
    rules = policy()
    assert allowed(rules, path(ROBOT, "/apis"))
    assert allowed(rules, path(ROBOT, "/openapi/v3/apis/apps/v1"))
    assert allowed(rules, path(ROBOT, "/version"))
    assert allowed(rules, ask(ROBOT, "create", "selfsubjectaccessreviews", group="authorization.k8s.io"))
    assert allowed(rules, ask(ROBOT, "create", "selfsubjectreviews", group="authentication.k8s.io"))
    assert not allowed(rules, path(ROBOT, "/metrics"))
    assert not allowed(rules, ask(ROBOT, "list", "namespaces"))


def test_an_allowed_decision_names_the_binding_as_upstream() -> None:
    rules = policy(role("pod-reader", "team", POD_READER), binding("reads", "team", "pod-reader", sa("robot")))
    assert authorize(rules, ask(ROBOT, "list", "pods", "team")).reason == (
        'RBAC: allowed by RoleBinding "reads/team" of Role "pod-reader" to ServiceAccount "robot/team"'
    )
    assert authorize(rules, path(ROBOT, "/api")).reason == (
        'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" '
        'to Group "system:authenticated"'
    )


def test_rules_for_lists_cluster_then_namespace_rules() -> None:
    rules = policy(role("pod-reader", "team", POD_READER), binding("reads", "team", "pod-reader", sa("robot")))
    held, error = rules_for(rules, ROBOT.name, ROBOT.groups, "team")
    assert held[-1] == POD_READER and error == ""
    assert POD_READER not in rules_for(rules, ROBOT.name, ROBOT.groups, "other")[0]


# ----- denial messages, word for word ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            ask(ROBOT, "list", "pods", "default"),
            'pods is forbidden: User "system:serviceaccount:team:robot" cannot list resource "pods" '
            'in API group "" in the namespace "default"',
        ),
        (
            ask(ROBOT, "list", "nodes"),
            'nodes is forbidden: User "system:serviceaccount:team:robot" cannot list resource "nodes" '
            'in API group "" at the cluster scope',
        ),
        (
            ask(ROBOT, "get", "pods", "team", "web", sub="log"),
            'pods "web" is forbidden: User "system:serviceaccount:team:robot" cannot get resource "pods/log" '
            'in API group "" in the namespace "team"',
        ),
        (
            ask(ALICE, "patch", "deployments", "team", "web", group="apps", sub="scale"),
            'deployments.apps "web" is forbidden: User "alice" cannot patch resource "deployments/scale" '
            'in API group "apps" in the namespace "team"',
        ),
        (path(ALICE, "/metrics"), 'forbidden: User "alice" cannot get path "/metrics"'),
    ],
)
def test_forbidden_messages_are_upstream_word_for_word(attributes: Attributes, message: str) -> None:
    decision = authorize(policy(), attributes)
    assert not decision.allowed
    error = forbidden(attributes, decision.reason)
    assert (error.code, error.reason, error.message) == (403, "Forbidden", message)


def test_forbidden_details_name_the_resource_and_group() -> None:
    body = forbidden(ask(ALICE, "get", "deployments", "team", "web", group="apps")).body()
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_the_reason_follows_the_message_after_a_colon() -> None:
    rules = policy(binding("reads", "team", "gone", user("alice")))
    attributes = ask(ALICE, "list", "pods", "team")
    assert forbidden(attributes, authorize(rules, attributes).reason).message == (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team": '
        'RBAC: role.rbac.authorization.k8s.io "gone" not found'
    )


# ----- request attributes from URLs ------------------------------------------------------------------------


# expected: verb, API group, resource, subresource, namespace, name ("-" for empty)
@pytest.mark.parametrize(
    ("method", "url", "query", "expected"),
    [
        ("GET", "/api/v1/namespaces/ns/pods", {}, "list - pods - ns -"),
        ("GET", "/api/v1/namespaces/ns/pods", {"watch": "true"}, "watch - pods - ns -"),
        ("GET", "/api/v1/pods", {"fieldSelector": "metadata.name=web"}, "list - pods - - web"),
        ("GET", "/api/v1/namespaces/ns/pods/web", {}, "get - pods - ns web"),
        ("GET", "/api/v1/namespaces/ns/pods/web/log", {}, "get - pods log ns web"),
        ("POST", "/api/v1/namespaces/ns/serviceaccounts/robot/token", {}, "create - serviceaccounts token ns robot"),
        ("PUT", "/apis/apps/v1/namespaces/ns/deployments/web/scale", {}, "update apps deployments scale ns web"),
        ("PATCH", "/apis/apps/v1/namespaces/ns/deployments/web", {}, "patch apps deployments - ns web"),
        ("DELETE", "/api/v1/namespaces/ns/pods/web", {}, "delete - pods - ns web"),
        ("DELETE", "/api/v1/namespaces/ns/pods", {}, "deletecollection - pods - ns -"),
        ("GET", "/api/v1/namespaces", {}, "list - namespaces - - -"),
        ("GET", "/api/v1/namespaces/ns", {}, "get - namespaces - ns ns"),
        ("PUT", "/api/v1/namespaces/ns/finalize", {}, "update - namespaces finalize ns ns"),
        ("GET", "/api/v1/nodes/n1", {}, "get - nodes - - n1"),
        ("POST", "/apis/batch/v1/namespaces/ns/jobs", {}, "create batch jobs - ns -"),
    ],
)  # fmt: skip
def test_request_attributes_follow_upstream_request_info(
    method: str, url: str, query: dict[str, str], expected: str
) -> None:
    a = request_attributes(ALICE, method, url, query)
    assert a.resource_request
    got = [a.verb, a.api_group, a.resource, a.subresource, a.namespace, a.name]
    assert " ".join(value or "-" for value in got) == expected


@pytest.mark.parametrize("url", ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/openapi/v3", "/metrics"])
def test_discovery_documents_are_non_resource_urls(url: str) -> None:
    attributes = request_attributes(ALICE, "GET", url, {})
    assert not attributes.resource_request
    assert (attributes.verb, attributes.path) == ("get", url)
