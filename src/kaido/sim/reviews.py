"""Answers to the review and token APIs: SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview,
and ServiceAccount TokenRequests.

Without RBAC every request is allowed, as for a cluster admin. With RBAC the reviews ask the same
evaluator that guards every request (`kaido.sim.rbac`), so `kubectl auth can-i` and the API agree.
"""

from __future__ import annotations

import copy
from typing import Final

from kaido.sim.cluster import ADMIN_USER, SimCluster, User
from kaido.sim.errors import ApiError, Cause
from kaido.sim.rbac import Attributes, authorize, rules_for, service_account_groups, service_account_username
from kaido.sim.resources import ResourceType, builtin
from kaido.sim.store import Obj

__all__ = ["answer", "token"]


def answer(cluster: SimCluster, resource: ResourceType, body: Obj, user: User = ADMIN_USER) -> Obj:
    reply = copy.deepcopy(body)
    reply["apiVersion"], reply["kind"] = resource.api_version, resource.kind
    reply.setdefault("metadata", {})["creationTimestamp"] = None
    spec = body.get("spec") or {}
    match resource.kind:
        case "SelfSubjectAccessReview":
            reply["status"] = _access_review(cluster, user, spec) if cluster.rbac else {"allowed": True}
        case "SelfSubjectRulesReview":
            reply["status"] = _rules_review(cluster, user, spec) if cluster.rbac else copy.deepcopy(_ALL_RULES)
        case "SelfSubjectReview":
            reply["status"] = {"userInfo": {"username": user.name, "groups": list(user.groups)}}
        case _:
            raise ApiError.bad_request(f"{resource.kind} cannot be created")
    return reply


_ALL_RULES: Final = {
    "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
    "incomplete": False,
}


def _access_review(cluster: SimCluster, user: User, spec: Obj) -> Obj:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        problem = "exactly one of nonResourceAttributes or resourceAttributes must be specified"
        raise ApiError.invalid(
            "SelfSubjectAccessReview", "", [Cause("spec.resourceAttributes", problem)], group="authorization.k8s.io"
        )
    if resource is not None:
        attributes = Attributes(
            user.name,
            user.groups,
            resource.get("verb", ""),
            resource_request=True,
            api_group=resource.get("group", ""),
            api_version=resource.get("version", ""),
            resource=resource.get("resource", ""),
            subresource=resource.get("subresource", ""),
            namespace=resource.get("namespace", ""),
            name=resource.get("name", ""),
        )
    else:
        assert non_resource is not None  # exactly one of the two, checked above
        verb, path = non_resource.get("verb", ""), non_resource.get("path", "")
        attributes = Attributes(user.name, user.groups, verb, resource_request=False, path=path)
    decision = authorize(cluster.policy(), attributes)
    status: Obj = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return status


def _rules_review(cluster: SimCluster, user: User, spec: Obj) -> Obj:
    rules, evaluation_error = rules_for(cluster.policy(), user.name, user.groups, spec.get("namespace") or "")
    resource_rules, non_resource_rules = [], []
    for rule in rules:
        if rule.get("resources"):
            fields = ("verbs", "apiGroups", "resources", "resourceNames")
            resource_rules.append({"verbs": rule.get("verbs") or [], **{f: rule[f] for f in fields[1:] if rule.get(f)}})
        if rule.get("nonResourceURLs"):
            non_resource_rules.append({"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]})
    status: Obj = {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}
    if evaluation_error:
        status["evaluationError"] = evaluation_error
    return status


def token(cluster: SimCluster, namespace: str, name: str, body: Obj) -> Obj:
    accounts = builtin("", "v1", "serviceaccounts")
    cluster.store.get(accounts, namespace, name)
    spec = body.get("spec") or {}
    seconds = int(spec.get("expirationSeconds") or 3600)
    user = User(service_account_username(namespace, name), service_account_groups(namespace))
    issued, expiry = cluster.issue_token(user, seconds=seconds)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "spec": {**spec, "expirationSeconds": seconds},
        "status": {"token": issued, "expirationTimestamp": expiry},
    }
