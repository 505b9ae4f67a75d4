"""References to Kubernetes objects: what kaido names in findings, actions, alerts and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kaido.core.errors import ObjectRefError

__all__ = ["ObjectRef", "parse_target"]

# kubectl's short names for the kinds kaido acts on; anything else must be spelled as the Kind.
_KIND_ALIASES: Final = {
    "po": "Pod", "pod": "Pod", "pods": "Pod",
    "deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
    "rs": "ReplicaSet", "replicaset": "ReplicaSet", "replicasets": "ReplicaSet",
    "sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
    "ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
    "job": "Job", "jobs": "Job", "cj": "CronJob", "cronjob": "CronJob", "cronjobs": "CronJob",
    "hpa": "HorizontalPodAutoscaler", "horizontalpodautoscaler": "HorizontalPodAutoscaler",
    "svc": "Service", "service": "Service", "services": "Service",
    "no": "Node", "node": "Node", "nodes": "Node",
    "ns": "Namespace", "namespace": "Namespace", "namespaces": "Namespace",
    "cm": "ConfigMap", "configmap": "ConfigMap", "configmaps": "ConfigMap",
    "secret": "Secret", "secrets": "Secret",
    "pvc": "PersistentVolumeClaim", "persistentvolumeclaim": "PersistentVolumeClaim",
}  # fmt: skip
_CLUSTER_SCOPED: Final = frozenset({"Node", "Namespace", "PersistentVolume", "StorageClass", "ClusterRole"})
# RFC 1123 subdomain, the rule for most object names.
_NAME: Final = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """Kind, namespace and name of an object; `uid` pins one incarnation when known."""

    kind: str
    name: str
    namespace: str | None = None
    uid: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def key(self) -> str:
        """`namespace/name` (or `name` when cluster-scoped), the informer cache key."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        """The reference of a Kubernetes object body (needs kind and metadata.name)."""
        meta = obj.get("metadata") or {}
        kind, name = obj.get("kind"), meta.get("name")
        if not kind or not name:
            raise ObjectRefError(f"object {meta.get('name') or '?'}: a reference needs kind and metadata.name")
        return cls(kind=str(kind), name=str(name), namespace=meta.get("namespace"), uid=meta.get("uid"))

    @classmethod
    def from_owner(cls, owner: Mapping[str, Any], namespace: str | None) -> ObjectRef:
        """The reference named by an ownerReferences entry of an object in `namespace`."""
        return cls(kind=str(owner["kind"]), name=str(owner["name"]), namespace=namespace, uid=owner.get("uid"))


def parse_target(text: str, *, namespace: str | None) -> ObjectRef:
    """Parse a kubectl-style target: `deploy/backend`, `pod/web-1`, `Deployment/backend`.

    A bare name means a Deployment, the usual unit of an application.
    """
    kind_text, sep, name = text.partition("/")
    if not sep:
        kind_text, name = "deployment", kind_text
    kind = _KIND_ALIASES.get(kind_text.lower())
    if kind is None:
        if not kind_text[:1].isupper():
            known = ", ".join(sorted({k for k in _KIND_ALIASES if len(k) <= 6}))
            raise ObjectRefError(f"target {text!r}: unknown kind {kind_text!r}; use a Kind or one of {known}")
        kind = kind_text
    if not _NAME.fullmatch(name):
        raise ObjectRefError(
            f"target {text!r}: {name!r} is not a valid object name "
            "(lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)"
        )
    return ObjectRef(kind=kind, name=name, namespace=None if kind in _CLUSTER_SCOPED else namespace)
