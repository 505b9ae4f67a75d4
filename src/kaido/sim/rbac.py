"""RBAC as the API server's authorizer evaluates it: request attributes in, allow or deny with a reason out.

A request is described by `Attributes` (who, which verb, which resource or non-resource path, where).
`authorize` walks the grants that apply to the user, ClusterRoleBindings first (cluster-wide), then
the RoleBindings of the request's namespace (which may reference a Role there or a ClusterRole, and
grant only in their namespace), and allows on the first rule that matches. Nothing denies explicitly:
no matching rule means "forbidden", with the real message kubectl prints. Members of `system:masters`
are always allowed, like upstream's privileged-group authorizer in front of RBAC.

Pure: a `Policy` is a snapshot of the stored Roles, ClusterRoles and bindings; no I/O, no clock.
Aggregated ClusterRoles are read as stored (their `aggregationRule` is not expanded).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kaido.sim.errors import ApiError

__all__ = [
    "MASTERS_GROUP",
    "Attributes",
    "Decision",
    "Grant",
    "Policy",
    "authorize",
    "bootstrap_policy",
    "forbidden",
    "forbidden_message",
    "grants",
    "rule_allows",
    "rules_for",
    "service_account_groups",
    "service_account_username",
]

Obj = dict[str, Any]

MASTERS_GROUP: Final = "system:masters"
_SA_PREFIX: Final = "system:serviceaccount:"


def service_account_username(namespace: str, name: str) -> str:
    return f"{_SA_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated")


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a request asks to do. A resource request names a resource; otherwise `path` is the non-resource URL."""

    user: str
    groups: tuple[str, ...]
    verb: str
    resource_request: bool
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    """The RBAC objects the authorizer reads: Roles by (namespace, name), ClusterRoles by name, all bindings."""

    roles: Mapping[tuple[str, str], Obj]
    cluster_roles: Mapping[str, Obj]
    role_bindings: Sequence[Obj]
    cluster_role_bindings: Sequence[Obj]


@dataclass(frozen=True, slots=True)
class Grant:
    """The rules one binding gives the user, described as upstream does; `error` when its role is missing."""

    source: str
    rules: tuple[Obj, ...]
    error: str = ""


# ----- rule matching ---------------------------------------------------------------------------------


def rule_allows(attributes: Attributes, rule: Obj) -> bool:
    """Whether one PolicyRule covers the request (upstream's RuleAllows)."""
    if not _any_matches(rule.get("verbs"), attributes.verb):
        return False
    if not attributes.resource_request:
        return _non_resource_url_matches(rule.get("nonResourceURLs") or [], attributes.path)
    combined = attributes.resource
    if attributes.subresource:
        combined += "/" + attributes.subresource
    names = rule.get("resourceNames") or []
    return (
        _any_matches(rule.get("apiGroups"), attributes.api_group)
        and _resource_matches(rule.get("resources") or [], combined, attributes.subresource)
        and (not names or attributes.name in names)
    )


def _any_matches(values: list[str] | None, wanted: str) -> bool:
    return any(value in ("*", wanted) for value in values or [])


def _resource_matches(rule_resources: list[str], combined: str, subresource: str) -> bool:
    for resource in rule_resources:
        if resource in ("*", combined):
            return True
        # "*/scale" covers the scale subresource of every resource
        if subresource and resource == "*/" + subresource:
            return True
    return False


def _non_resource_url_matches(rule_urls: list[str], path: str) -> bool:
    for url in rule_urls:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


# ----- who is bound to what ----------------------------------------------------------------------------


def _applies(subject: Obj, user: str, groups: tuple[str, ...], namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return bool(user == name)
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        # a RoleBinding's ServiceAccount subject without a namespace means one in the binding's namespace
        account_namespace = subject.get("namespace") or namespace
        return bool(account_namespace) and user == service_account_username(account_namespace, name)
    return False


def _describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind", ""), subject.get("name", "")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


def _role_rules(policy: Policy, role_ref: Obj, namespace: str) -> tuple[tuple[Obj, ...], str]:
    kind, name = role_ref.get("kind"), role_ref.get("name", "")
    if kind == "Role":
        role = policy.roles.get((namespace, name))
        if role is None:
            return (), f'role.rbac.authorization.k8s.io "{name}" not found'
    elif kind == "ClusterRole":
        role = policy.cluster_roles.get(name)
        if role is None:
            return (), f'clusterrole.rbac.authorization.k8s.io "{name}" not found'
    else:
        return (), f'unsupported role reference kind: "{kind}"'
    return tuple(role.get("rules") or []), ""


def grants(policy: Policy, user: str, groups: tuple[str, ...], namespace: str) -> Iterator[Grant]:
    """The bindings that apply to the user for a request in `namespace` ("" at cluster scope), in upstream's order."""
    for binding in policy.cluster_role_bindings:
        subject = _first_applying(binding, user, groups, "")
        if subject is None:
            continue
        ref = binding.get("roleRef") or {}
        rules, error = _role_rules(policy, ref, "")
        source = (
            f'ClusterRoleBinding "{binding["metadata"]["name"]}" of {ref.get("kind")} "{ref.get("name")}" '
            f"to {_describe_subject(subject, '')}"
        )
        yield Grant(source, rules, error)
    if not namespace:
        return
    for binding in policy.role_bindings:
        if binding["metadata"].get("namespace") != namespace:
            continue
        subject = _first_applying(binding, user, groups, namespace)
        if subject is None:
            continue
        ref = binding.get("roleRef") or {}
        rules, error = _role_rules(policy, ref, namespace)
        source = (
            f'RoleBinding "{binding["metadata"]["name"]}/{namespace}" of {ref.get("kind")} "{ref.get("name")}" '
            f"to {_describe_subject(subject, namespace)}"
        )
        yield Grant(source, rules, error)


def _first_applying(binding: Obj, user: str, groups: tuple[str, ...], namespace: str) -> Obj | None:
    return next((s for s in binding.get("subjects") or [] if _applies(s, user, groups, namespace)), None)


# ----- decisions -------------------------------------------------------------------------------------


def authorize(policy: Policy, attributes: Attributes) -> Decision:
    """Allowed with "RBAC: allowed by ..." on the first matching rule; otherwise denied, naming missing roles."""
    if MASTERS_GROUP in attributes.groups:
        return Decision(allowed=True)
    errors: list[str] = []
    for grant in grants(policy, attributes.user, attributes.groups, attributes.namespace):
        if grant.error:
            errors.append(grant.error)
        if any(rule_allows(attributes, rule) for rule in grant.rules):
            return Decision(allowed=True, reason=f"RBAC: allowed by {grant.source}")
    return Decision(allowed=False, reason=f"RBAC: {_aggregate(errors)}" if errors else "")


def rules_for(policy: Policy, user: str, groups: tuple[str, ...], namespace: str) -> tuple[list[Obj], str]:
    """Every rule the user holds in `namespace`, and the errors met on the way ("" if none), for a
    SelfSubjectRulesReview."""
    rules: list[Obj] = []
    errors: list[str] = []
    for grant in grants(policy, user, groups, namespace):
        rules.extend(grant.rules)
        if grant.error:
            errors.append(grant.error)
    return rules, _aggregate(errors) if errors else ""


def _aggregate(errors: list[str]) -> str:
    """Upstream's error aggregate: one message alone, several (deduplicated) in brackets."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def forbidden_message(attributes: Attributes) -> str:
    """The sentence after "is forbidden:" in the API server's 403, word for word."""
    user = attributes.user
    if not attributes.resource_request:
        return f'User "{user}" cannot {attributes.verb} path "{attributes.path}"'
    resource = attributes.resource
    if attributes.subresource:
        resource += "/" + attributes.subresource
    where = f'in the namespace "{attributes.namespace}"' if attributes.namespace else "at the cluster scope"
    return f'User "{user}" cannot {attributes.verb} resource "{resource}" in API group "{attributes.api_group}" {where}'


def forbidden(attributes: Attributes, reason: str = "") -> ApiError:
    """The 403 Forbidden Status the API server answers when no authorizer allows the request."""
    detail = forbidden_message(attributes) + (f": {reason}" if reason else "")
    if not attributes.resource_request or not attributes.resource:
        return ApiError(403, "Forbidden", f"forbidden: {detail}")
    group = attributes.api_group
    qualified = f"{attributes.resource}.{group}" if group else attributes.resource
    name = attributes.name
    subject = f'{qualified} "{name}"' if name else qualified
    return ApiError(
        403,
        "Forbidden",
        f"{subject} is forbidden: {detail}",
        name=name or None,
        kind=attributes.resource,
        group=group or None,
    )


# ----- the policy every cluster starts with --------------------------------------------------------------

_DISCOVERY_URLS: Final = (
    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version",
    "/version/",
)  # fmt: skip
_PUBLIC_INFO_URLS: Final = ("/healthz", "/livez", "/readyz", "/version", "/version/")


def bootstrap_policy() -> list[Obj]:
    """The bootstrap ClusterRoles and bindings kubectl relies on: discovery and self-reviews for every
    authenticated user, and cluster-admin for `system:masters`."""
    roles = {
        "cluster-admin": [
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
            {"nonResourceURLs": ["*"], "verbs": ["*"]},
        ],
        "system:discovery": [{"nonResourceURLs": list(_DISCOVERY_URLS), "verbs": ["get"]}],
        "system:public-info-viewer": [{"nonResourceURLs": list(_PUBLIC_INFO_URLS), "verbs": ["get"]}],
        "system:basic-user": [
            {
                "apiGroups": ["authorization.k8s.io"],
                "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                "verbs": ["create"],
            },
            {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]},
        ],
    }
    bound_groups = {
        "cluster-admin": [MASTERS_GROUP],
        "system:discovery": ["system:authenticated"],
        "system:public-info-viewer": ["system:authenticated", "system:unauthenticated"],
        "system:basic-user": ["system:authenticated"],
    }
    objects: list[Obj] = []
    for name, rules in roles.items():
        objects.append(_bootstrap_object("ClusterRole", name, rules=rules))
    for name, groups in bound_groups.items():
        subjects = [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group} for group in groups]
        role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
        objects.append(_bootstrap_object("ClusterRoleBinding", name, roleRef=role_ref, subjects=subjects))
    return objects


def _bootstrap_object(kind: str, name: str, **fields: Any) -> Obj:
    metadata = {
        "name": name,
        "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    }
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": metadata, **fields}
