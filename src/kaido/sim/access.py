"""Who is asking, and may they: the API server's authentication and authorization filters, for the simulator.

They run before dispatch when the cluster has `rbac` on. A bearer token names a user in
`cluster.tokens` (the admin token written into the kubeconfig, ServiceAccount tokens from the token
subresource); the method and URL become RBAC `Attributes` the way upstream's RequestInfo derives them
(from the path alone, so an unknown resource is forbidden before it is found missing); then
`kaido.sim.rbac` decides. Health checks and /version need no token. Without `rbac` every request
is the cluster admin's, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from kaido.sim.cluster import ADMIN_USER, SimCluster, User
from kaido.sim.errors import ApiError
from kaido.sim.rbac import Attributes, authorize, forbidden
from kaido.sim.resources import builtin

__all__ = ["ANONYMOUS_USER", "OPEN_PATHS", "admit", "authenticate", "request_attributes"]

OPEN_PATHS: Final = frozenset({"/healthz", "/livez", "/readyz", "/version"})
ANONYMOUS_USER: Final = User("system:anonymous", ("system:unauthenticated",))

_VERBS: Final = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})
_SERVICE_ACCOUNTS: Final = builtin("", "v1", "serviceaccounts")


def admit(cluster: SimCluster, *, method: str, path: str, query: Mapping[str, str], authorization: str | None) -> User:
    """The user a request runs as; raises 401 Unauthorized or 403 Forbidden as the API server would."""
    if not cluster.rbac:
        return ADMIN_USER
    if (path.rstrip("/") or "/") in OPEN_PATHS:
        return ANONYMOUS_USER
    user = authenticate(cluster, authorization)
    attributes = request_attributes(user, method, path, query)
    decision = authorize(cluster.policy(), attributes)
    if not decision.allowed:
        raise forbidden(attributes, decision.reason)
    return user


def authenticate(cluster: SimCluster, authorization: str | None) -> User:
    """The user of an `Authorization: Bearer <token>` header; a ServiceAccount's token dies with the account."""
    scheme, _, token = (authorization or "").partition(" ")
    user = cluster.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if user is None or not _account_exists(cluster, user):
        # upstream says no more than this, so a client cannot probe which tokens exist
        raise ApiError(401, "Unauthorized", "Unauthorized")
    return user


def _account_exists(cluster: SimCluster, user: User) -> bool:
    prefix = "system:serviceaccount:"
    if not user.name.startswith(prefix):
        return True
    namespace, _, name = user.name.removeprefix(prefix).partition(":")
    return cluster.store.find(_SERVICE_ACCOUNTS, namespace, name) is not None


def request_attributes(user: User, method: str, path: str, query: Mapping[str, str]) -> Attributes:
    """RBAC attributes of an HTTP request, derived from the URL alone as upstream's RequestInfoFactory does."""
    parts = [part for part in path.split("/") if part]
    prefix = {"api": 2, "apis": 3}.get(parts[0] if parts else "", 0)
    if not prefix or len(parts) <= prefix:  # /api, /apis/apps/v1, /openapi/v3, /healthz/...: non-resource URLs
        return Attributes(user.name, user.groups, method.lower(), resource_request=False, path=path)
    rest = parts[prefix:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    name = rest[1] if len(rest) > 1 else ""
    verb = _VERBS.get(method.upper(), "")
    if not name and verb == "get":
        verb = "watch" if query.get("watch") in ("true", "1") else "list"
        name = _name_from_field_selector(query.get("fieldSelector") or "")
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        user.name,
        user.groups,
        verb,
        resource_request=True,
        api_group=parts[1] if prefix == 3 else "",
        api_version=parts[prefix - 1],
        resource=rest[0],
        subresource=rest[2] if len(rest) > 2 else "",
        namespace=namespace,
        name=name,
        path=path,
    )


def _name_from_field_selector(selector: str) -> str:
    """A list or watch of one object by `metadata.name=` is authorized as a request for that name."""
    for term in selector.split(","):
        key, operator, value = term.partition("=")
        value = value.removeprefix("=")  # "==" means "=" too
        if operator and key.strip() == "metadata.name":
            value = value.strip()
            if value and value not in (".", "..") and "/" not in value and "%" not in value:
                return value
    return ""
