"""The resource types kaido uses, and the requests, paths and bodies built from them without I/O.

A `Resource` is what discovery would say about a type (group, version, plural, kind, scope). kaido
uses a fixed set, so they are constants here rather than discovered at run time; `resource_for`
resolves a user's word ("deploy", "Deployment", "deployments.apps") to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "CONFIGMAPS",
    "CRONJOBS",
    "DAEMONSETS",
    "DEPLOYMENTS",
    "ENDPOINTS",
    "EVENTS",
    "HPAS",
    "JOBS",
    "LEASES",
    "NAMESPACES",
    "NODES",
    "NODE_METRICS",
    "PDBS",
    "PODS",
    "POD_METRICS",
    "PVCS",
    "REPLICASETS",
    "REPORTING_COMPONENT",
    "RESOURCES",
    "SERVICES",
    "STATEFULSETS",
    "ApiCall",
    "Resource",
    "event_body",
    "namespace_of",
    "resource_for",
    "with_type",
]

REPORTING_COMPONENT: Final = "kaido.io/agent"  # reportingComponent and source.component of kaido's Events


@dataclass(frozen=True, slots=True)
class Resource:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """ "apps/v1", or "v1" for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """ "deployments.apps", or "pods" for the core group: how the API server names a type in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def rbac_name(self, subresource: str | None = None) -> str:
        """ "apps/deployments", "/pods/eviction": the (group, resource) an RBAC rule must grant, in one string."""
        return f"{self.group}/{self.plural}" + (f"/{subresource}" if subresource else "")

    def path(self, *, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        """The REST path; a namespaced type without `namespace` gives the all-namespaces collection."""
        if namespace is not None and not self.namespaced:
            raise ValueError(f"{self.qualified} are cluster-scoped: do not pass a namespace ({namespace!r})")
        if self.namespaced and name is not None and not namespace:
            raise ValueError(f"{self.qualified} are namespaced: pass the namespace of {name!r}")
        if subresource is not None and name is None:
            raise ValueError(f"subresource {subresource!r} of {self.qualified} needs an object name")
        for label, part in (("namespace", namespace), ("name", name), ("subresource", subresource)):
            if part is not None and (not part or "/" in part):
                raise ValueError(f"{label} {part!r} of {self.qualified} must be a non-empty name without '/'")
        parts = ["/api/v1"] if not self.group else [f"/apis/{self.group}/{self.version}"]
        if namespace is not None:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
        if subresource is not None:
            parts.append(subresource)
        return "/".join(parts)


PODS: Final = Resource("", "v1", "pods", "Pod", True, ("po",))
NODES: Final = Resource("", "v1", "nodes", "Node", False, ("no",))
NAMESPACES: Final = Resource("", "v1", "namespaces", "Namespace", False, ("ns",))
EVENTS: Final = Resource("", "v1", "events", "Event", True, ("ev",))
CONFIGMAPS: Final = Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",))
SERVICES: Final = Resource("", "v1", "services", "Service", True, ("svc",))
ENDPOINTS: Final = Resource("", "v1", "endpoints", "Endpoints", True, ("ep",))
PVCS: Final = Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",))
DEPLOYMENTS: Final = Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",))
REPLICASETS: Final = Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",))
STATEFULSETS: Final = Resource("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",))
DAEMONSETS: Final = Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",))
JOBS: Final = Resource("batch", "v1", "jobs", "Job", True)
CRONJOBS: Final = Resource("batch", "v1", "cronjobs", "CronJob", True, ("cj",))
HPAS: Final = Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",))
PDBS: Final = Resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",))
LEASES: Final = Resource("coordination.k8s.io", "v1", "leases", "Lease", True)
POD_METRICS: Final = Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True)
NODE_METRICS: Final = Resource("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False)

# In lookup order: a bare "pods" or "nodes" means the core type, not its metrics.
RESOURCES: Final[tuple[Resource, ...]] = (
    PODS,
    NODES,
    NAMESPACES,
    EVENTS,
    CONFIGMAPS,
    SERVICES,
    ENDPOINTS,
    PVCS,
    DEPLOYMENTS,
    REPLICASETS,
    STATEFULSETS,
    DAEMONSETS,
    JOBS,
    CRONJOBS,
    HPAS,
    PDBS,
    LEASES,
    POD_METRICS,
    NODE_METRICS,
)


def resource_for(name: str) -> Resource:
    """The resource named by kind ("Deployment"), plural ("deployments"), short name ("deploy") or
    group-qualified plural ("deployments.apps"), case-insensitively."""
    word = name.strip().lower()
    for resource in RESOURCES:
        names = {resource.kind.lower(), resource.plural, resource.qualified, *resource.short_names}
        if word in names:
            return resource
    known = ", ".join(sorted({r.plural for r in RESOURCES} | {s for r in RESOURCES for s in r.short_names}))
    raise ValueError(f"unknown resource type {name!r}: kaido knows {known}")


def with_type(body: dict[str, Any], res: Resource) -> dict[str, Any]:
    """`body` with apiVersion and kind filled in when missing (list items and watch objects omit them)."""
    if body.get("apiVersion") and body.get("kind"):
        return body
    rest = {key: value for key, value in body.items() if key not in ("apiVersion", "kind")}
    return {"apiVersion": body.get("apiVersion") or res.api_version, "kind": body.get("kind") or res.kind, **rest}


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request described without I/O: HTTP method, RBAC verb, object and query."""

    method: str  # GET, POST, PUT, PATCH, DELETE
    verb: str  # the RBAC verb: get, list, watch, create, update, patch, delete
    resource: Resource
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.resource.path(namespace=self.namespace, name=self.name, subresource=self.subresource)

    @property
    def rbac(self) -> tuple[str, str]:
        """(verb, "group/plural[/subresource]"), "" being the core group: what an RBAC rule must grant."""
        return self.verb, self.resource.rbac_name(self.subresource)

    @property
    def target(self) -> str:
        """How messages name the request: "GET deployments chatbot-dev/backend", "WATCH pods in default"."""
        res = self.resource
        # the plural alone is unambiguous for the built-in groups; dotted groups reuse core plurals ("pods")
        kind = res.qualified if "." in res.group else res.plural
        if self.subresource:
            kind = f"{kind}/{self.subresource}"
        method = "WATCH" if self.verb == "watch" else self.method
        if self.name is not None:
            where = f"{self.namespace}/{self.name}" if self.namespace else self.name
            return f"{method} {kind} {where}"
        if not res.namespaced:
            return f"{method} {kind}"
        return f"{method} {kind} in " + (f"namespace {self.namespace}" if self.namespace else "all namespaces")


def namespace_of(res: Resource, body: dict[str, Any], namespace: str | None) -> str | None:
    """The namespace to write `body` to: the argument or metadata.namespace, which must agree."""
    in_body = (body.get("metadata") or {}).get("namespace")
    if not res.namespaced:
        return None
    if namespace and in_body and namespace != in_body:
        raise ValueError(f"{res.qualified}: namespace {namespace!r} differs from the body's {in_body!r}")
    found = namespace or in_body
    if not found:
        raise ValueError(f"{res.qualified} are namespaced: pass namespace= or set metadata.namespace")
    return str(found)


def event_body(
    *,
    regarding: dict[str, Any],
    reason: str,
    message: str,
    type: str,  # the Event field's name
    action: str,
    reporting_instance: str,
    now: datetime,
    sequence: int = 0,
) -> dict[str, Any]:
    """A core/v1 Event in client-go's recorder style: named "<object>.<unix nanos in hex>", counted once.

    `sequence` (the sender's count of Events) fills the nanoseconds below the clock's microseconds,
    so two Events about one object in the same microsecond (a virtual clock) get different names.
    """
    meta = regarding.get("metadata") or {}
    name = meta.get("name")
    if not name or not regarding.get("kind"):
        raise ValueError("post_event: `regarding` needs kind and metadata.name (pass the object as read)")
    involved = {
        "apiVersion": regarding.get("apiVersion"),
        "kind": regarding.get("kind"),
        "name": name,
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    stamp = now.astimezone(UTC)
    seconds = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    nanos = int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000 + sequence % 1000
    return {
        "apiVersion": "v1",
        "kind": "Event",
        # cluster-scoped objects (nodes) get their events in "default", as the API server expects
        "metadata": {"name": f"{name}.{nanos:x}", "namespace": meta.get("namespace") or "default"},
        "involvedObject": {key: value for key, value in involved.items() if value},
        "reason": reason,
        "message": message,
        "type": type,
        "action": action,
        "source": {"component": REPORTING_COMPONENT},
        "reportingComponent": REPORTING_COMPONENT,
        "reportingInstance": reporting_instance,
        "firstTimestamp": seconds,
        "lastTimestamp": seconds,
        "count": 1,
    }
