"""Answers to the review and token APIs: SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview,
and ServiceAccount TokenRequests. Without RBAC every request is allowed, as for a cluster admin."""

from __future__ import annotations

import copy

from kaido.sim.cluster import ADMIN_USER, SimCluster, User
from kaido.sim.errors import ApiError
from kaido.sim.resources import ResourceType, builtin
from kaido.sim.store import Obj

__all__ = ["answer", "token"]


def answer(cluster: SimCluster, resource: ResourceType, body: Obj, user: User = ADMIN_USER) -> Obj:
    reply = copy.deepcopy(body)
    reply["apiVersion"], reply["kind"] = resource.api_version, resource.kind
    reply.setdefault("metadata", {})["creationTimestamp"] = None
    match resource.kind:
        case "SelfSubjectAccessReview":
            reply["status"] = {"allowed": True}
        case "SelfSubjectRulesReview":
            reply["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        case "SelfSubjectReview":
            reply["status"] = {"userInfo": {"username": user.name, "groups": list(user.groups)}}
        case _:
            raise ApiError.bad_request(f"{resource.kind} cannot be created")
    return reply


def token(cluster: SimCluster, namespace: str, name: str, body: Obj) -> Obj:
    accounts = builtin("", "v1", "serviceaccounts")
    cluster.store.get(accounts, namespace, name)
    spec = body.get("spec") or {}
    seconds = int(spec.get("expirationSeconds") or 3600)
    user = User(
        f"system:serviceaccount:{namespace}:{name}",
        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
    )
    issued, expiry = cluster.issue_token(user, seconds=seconds)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "spec": {**spec, "expirationSeconds": seconds},
        "status": {"token": issued, "expirationTimestamp": expiry},
    }
