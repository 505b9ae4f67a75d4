"""The simulated cluster as one object: store, verbs, logs, metrics, tokens, and manifest loading.

The HTTP app serves it; the in-process API (tests, scenarios, later the controllers) uses it
directly. Nothing here knows about HTTP. With `rbac=True` the cluster starts with the bootstrap
ClusterRoles and bindings, and the app authenticates and authorizes every request against them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import yaml

from kaido.core import Clock, RealClock
from kaido.sim.errors import ApiError
from kaido.sim.faults import Faults
from kaido.sim.logs import PodLogs
from kaido.sim.operations import Operations
from kaido.sim.rbac import Policy, bootstrap_policy
from kaido.sim.resources import RESOURCES, ResourceType, builtin, find_kind
from kaido.sim.store import Obj, ObjectStore, rfc3339

__all__ = ["ADMIN_USER", "SimCluster", "User", "load_manifest_text"]

KUBERNETES_VERSION: Final = {"major": "1", "minor": "35", "gitVersion": "v1.35.0"}


@dataclass(frozen=True, slots=True)
class User:
    name: str
    groups: tuple[str, ...] = ("system:authenticated",)


ADMIN_USER: Final = User("kubernetes-admin", ("system:masters", "system:authenticated"))


@dataclass
class SimCluster:
    """A Kubernetes API's state and verbs; `seed` makes every generated name and uid reproducible."""

    clock: Clock = field(default_factory=RealClock)
    seed: int = 0
    history_limit: int = 5000
    bookmark_interval: float = 5.0
    store: ObjectStore = field(init=False)
    ops: Operations = field(init=False)
    logs: PodLogs = field(default_factory=PodLogs)
    pod_metrics: dict[tuple[str, str], Obj] = field(default_factory=dict)
    node_metrics: dict[str, Obj] = field(default_factory=dict)
    tokens: dict[str, User] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    # recorder aggregation: (uid, type, reason, message, component, fieldPath) -> Event name
    event_index: dict[tuple[object, ...], str] = field(default_factory=dict)
    rbac: bool = False  # require a bearer token and authorize every request with the stored RBAC objects

    def __post_init__(self) -> None:
        self.store = ObjectStore(clock=self.clock, seed=self.seed, history_limit=self.history_limit)
        self.ops = Operations(self.store)
        if self.rbac:
            for obj in bootstrap_policy():
                self.ops.create(self.resource_for(obj["apiVersion"], obj["kind"]), None, obj)

    @property
    def version(self) -> dict[str, str]:
        return {
            **KUBERNETES_VERSION,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.25.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    # ----- in-process API ----------------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str) -> ResourceType:
        resource = find_kind(api_version, kind)
        if resource is None:
            raise ApiError.bad_request(
                f'no matches for kind "{kind}" in version "{api_version}"; the simulator serves: '
                + ", ".join(sorted({f"{r.api_version}/{r.kind}" for r in RESOURCES}))
            )
        return resource

    def apply_manifests(self, documents: Iterable[Obj]) -> list[Obj]:
        """Create each object (namespaces first); a missing namespace is created, as `kubectl apply` would need."""
        docs = [d for d in documents if d]
        docs.sort(key=lambda d: 0 if d.get("kind") == "Namespace" else 1)
        created = []
        for doc in docs:
            resource = self.resource_for(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
            namespace = (doc.get("metadata") or {}).get("namespace") or ("default" if resource.namespaced else None)
            if namespace and self.store.find(_NAMESPACES, None, namespace) is None:
                self.ops.create(_NAMESPACES, None, {"metadata": {"name": namespace}})
            created.append(self.ops.create(resource, namespace, doc))
        return created

    def issue_token(self, user: User, *, seconds: int = 3600) -> tuple[str, str]:
        """A bearer token for `user` and its expiry timestamp."""
        token = "kaido." + secrets.token_urlsafe(24)
        self.tokens[token] = user
        return token, rfc3339(self.clock.now() + timedelta(seconds=seconds))

    def policy(self) -> Policy:
        """A snapshot of the stored Roles, ClusterRoles and bindings, for the RBAC evaluator."""
        listed = {plural: self.store.list_objects(resource, None) for plural, resource in _RBAC.items()}
        return Policy(
            roles={(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in listed["roles"]},
            cluster_roles={r["metadata"]["name"]: r for r in listed["clusterroles"]},
            role_bindings=listed["rolebindings"],
            cluster_role_bindings=listed["clusterrolebindings"],
        )

    def close(self) -> None:
        self.store.close_watchers()


_NAMESPACES: Final = builtin("", "v1", "namespaces")
_RBAC: Final = {
    plural: builtin("rbac.authorization.k8s.io", "v1", plural)
    for plural in ("roles", "clusterroles", "rolebindings", "clusterrolebindings")
}


def load_manifest_text(text: str, *, source: str) -> list[Obj]:
    """Parse a multi-document YAML manifest; errors name the source and the document."""
    try:
        documents: list[Any] = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise ValueError(f"{source}: not valid YAML: {error}") from error
    out: list[Obj] = []
    for index, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise ValueError(f"{source}: document {index} is not a Kubernetes object (needs apiVersion and kind)")
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            out.extend(doc["items"])
        else:
            out.append(doc)
    return out
