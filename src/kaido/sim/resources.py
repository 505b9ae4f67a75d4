"""The resource types the simulated API server serves, as data.

Discovery documents, the OpenAPI documents, routing and Table printing are all derived from this
one table, so adding a type is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "RESOURCES",
    "ResourceType",
    "Subresource",
    "builtin",
    "by_group_version",
    "find",
    "find_kind",
    "group_versions",
]

_RW: Final = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_RO: Final = ("get", "list")
_SUB_RW: Final = ("get", "patch", "update")


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str
    kind: str
    group: str = ""
    version: str = ""  # empty: same group/version as the parent
    verbs: tuple[str, ...] = _SUB_RW


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str  # "" is the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = _RW
    subresources: tuple[Subresource, ...] = ()
    singular: str = ""
    # Types served but with no controller behind them (RBAC, networking) are still stored faithfully.
    stored: bool = field(default=True)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored once per (group, plural); versions of a group share storage.

        events.k8s.io/v1 Events are the core Events seen through another schema.
        """
        if self.group == "events.k8s.io":
            return ("", "events")
        return (self.group, self.plural)

    def subresource(self, name: str) -> Subresource | None:
        return next((sub for sub in self.subresources if sub.name == name), None)


_STATUS = Subresource("status", "")  # kind filled from the parent when rendered
_SCALE = Subresource("scale", "Scale", group="autoscaling", version="v1")
_ALL = ("all",)

RESOURCES: Final[tuple[ResourceType, ...]] = (
    # core/v1
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",),
                 subresources=(_STATUS,)),
    ResourceType("", "v1", "nodes", "Node", namespaced=False, short_names=("no",), subresources=(_STATUS,)),
    ResourceType("", "v1", "pods", "Pod", short_names=("po",), categories=_ALL, subresources=(
        _STATUS,
        Subresource("log", "Pod", verbs=("get",)),
        Subresource("eviction", "Eviction", group="policy", version="v1", verbs=("create",)),
        Subresource("binding", "Binding", verbs=("create",)),
    )),
    ResourceType("", "v1", "services", "Service", short_names=("svc",), categories=_ALL, subresources=(_STATUS,)),
    ResourceType("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    ResourceType("", "v1", "secrets", "Secret"),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",), subresources=(
        Subresource("token", "TokenRequest", group="authentication.k8s.io", version="v1", verbs=("create",)),
    )),
    ResourceType("", "v1", "events", "Event", short_names=("ev",)),
    ResourceType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",),
                 subresources=(_STATUS,)),
    ResourceType("", "v1", "persistentvolumes", "PersistentVolume", namespaced=False, short_names=("pv",),
                 subresources=(_STATUS,)),
    ResourceType("", "v1", "resourcequotas", "ResourceQuota", short_names=("quota",), subresources=(_STATUS,)),
    ResourceType("", "v1", "limitranges", "LimitRange", short_names=("limits",)),
    # apps/v1
    ResourceType("apps", "v1", "deployments", "Deployment", short_names=("deploy",), categories=_ALL,
                 subresources=(_STATUS, _SCALE)),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), categories=_ALL,
                 subresources=(_STATUS, _SCALE)),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet", short_names=("sts",), categories=_ALL,
                 subresources=(_STATUS, _SCALE)),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", short_names=("ds",), categories=_ALL,
                 subresources=(_STATUS,)),
    ResourceType("apps", "v1", "controllerrevisions", "ControllerRevision"),
    # batch/v1
    ResourceType("batch", "v1", "jobs", "Job", categories=_ALL, subresources=(_STATUS,)),
    ResourceType("batch", "v1", "cronjobs", "CronJob", short_names=("cj",), categories=_ALL,
                 subresources=(_STATUS,)),
    # autoscaling: v2 first, so it is the preferred version
    ResourceType("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",),
                 categories=_ALL, subresources=(_STATUS,)),
    ResourceType("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",),
                 categories=_ALL, subresources=(_STATUS,)),
    # policy/v1
    ResourceType("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short_names=("pdb",),
                 subresources=(_STATUS,)),
    # coordination, events, storage
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease"),
    ResourceType("events.k8s.io", "v1", "events", "Event", short_names=("ev",)),
    ResourceType("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False, short_names=("sc",)),
    # metrics.k8s.io: read-only, values come from the simulated metrics-server
    ResourceType("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", verbs=_RO),
    ResourceType("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", namespaced=False, verbs=_RO),
    # authorization / authentication reviews: create-only, never stored
    ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
                 namespaced=False, verbs=("create",), stored=False),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
                 namespaced=False, verbs=("create",), stored=False),
    ResourceType("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview",
                 namespaced=False, verbs=("create",), stored=False),
    # stored and served without behaviour
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short_names=("netpol",)),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",), subresources=(_STATUS,)),
)  # fmt: skip

_INDEX: Final = {(r.group, r.version, r.plural): r for r in RESOURCES}


def find(group: str, version: str, plural: str) -> ResourceType | None:
    return _INDEX.get((group, version, plural))


def builtin(group: str, version: str, plural: str) -> ResourceType:
    """A resource type that must exist (for the simulator's own references to built-in types)."""
    found = _INDEX.get((group, version, plural))
    if found is None:
        raise LookupError(f"no resource {plural} in {group or 'core'}/{version}")
    return found


def find_kind(api_version: str, kind: str) -> ResourceType | None:
    group, _, version = api_version.rpartition("/")
    return next((r for r in RESOURCES if r.group == group and r.version == version and r.kind == kind), None)


def group_versions() -> list[tuple[str, list[str]]]:
    """Every group with its versions, preferred first, core group first."""
    groups: dict[str, list[str]] = {}
    for resource in RESOURCES:
        versions = groups.setdefault(resource.group, [])
        if resource.version not in versions:
            versions.append(resource.version)
    return list(groups.items())


def by_group_version(group: str, version: str) -> list[ResourceType]:
    return [r for r in RESOURCES if r.group == group and r.version == version]
