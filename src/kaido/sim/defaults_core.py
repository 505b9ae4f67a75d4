"""Defaulting of core/v1 and the small API types, plus the helpers every defaulter uses.

Mirrors upstream's SetDefaults_* for Services, Namespaces, Secrets, claims, volumes, nodes, quotas,
limit ranges, endpoints, events, storage classes, network policies and RBAC bindings, and fills
the fields Go always serializes (non-pointer structs such as a Service's `status.loadBalancer`,
the zero counters of a disruption budget's status) so typed clients can decode what the simulator
returns. Quantities are canonicalized as SetDefaults_ResourceList does: rounded up to 1m and
written in canonical form, so "0.5" is stored as "500m" and "1.5Gi" as "1536Mi".
"""

from __future__ import annotations

import base64
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from kaido.core import Quantity, QuantityError, parse_quantity

__all__ = [
    "CORE_DEFAULTERS",
    "canonical_quantity",
    "canonicalize",
    "default_claim",
    "default_claim_spec",
    "entries",
    "mapping",
    "needs_cluster_ip",
    "put_default",
]

Defaulter = Callable[[dict[str, Any]], None]

_MILLI: Final = Decimal("0.001")
_CONTEXT: Final = decimal.Context(prec=1000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_CLIENT_IP_TIMEOUT: Final = 10800  # DefaultClientIPServiceAffinitySeconds: three hours
_NODE_INFO: Final = (
    "architecture",
    "bootID",
    "containerRuntimeVersion",
    "kernelVersion",
    "kubeProxyVersion",
    "kubeletVersion",
    "machineID",
    "operatingSystem",
    "osImage",
    "systemUUID",
)
_RBAC_GROUP: Final = "rbac.authorization.k8s.io"


# ----- helpers -----------------------------------------------------------------------------------


def mapping(parent: dict[str, Any], name: str) -> dict[str, Any]:
    """parent[name] as an object, created when absent; a value of another type is left to validation."""
    value = parent.get(name)
    if value is None:
        value = parent[name] = {}
    return value if isinstance(value, dict) else {}


def entries(parent: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The object entries of the list parent[name]."""
    value = parent.get(name)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def put_default(parent: dict[str, Any], name: str, value: Any, *, zero_is_unset: bool = False) -> None:
    """Set parent[name] when unset: absent, null or "" (and 0 for Go's non-pointer numbers)."""
    current = parent.get(name)
    if current is None or current == "" or (zero_is_unset and current == 0 and not isinstance(current, bool)):
        parent[name] = value


def canonical_quantity(value: Any) -> Any:
    """The API server's spelling of a quantity, rounded up to 1m; an unparsable value is kept for validation."""
    try:
        quantity = parse_quantity(value)
    except QuantityError:
        return value
    amount = quantity.value
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        amount = amount.quantize(_MILLI, rounding=decimal.ROUND_UP, context=_CONTEXT)
    return str(Quantity(amount, quantity.format))


def canonicalize(parent: dict[str, Any], *names: str) -> None:
    """Canonicalize the resource lists parent[name] (requests, limits, capacity, hard, ...)."""
    for name in names:
        resources = parent.get(name)
        if isinstance(resources, dict):
            parent[name] = {resource: canonical_quantity(amount) for resource, amount in resources.items()}


# ----- claims and volumes ------------------------------------------------------------------------


def default_claim_spec(spec: dict[str, Any]) -> None:
    put_default(spec, "volumeMode", "Filesystem")
    canonicalize(mapping(spec, "resources"), "limits", "requests")


def default_claim(claim: dict[str, Any]) -> None:
    default_claim_spec(mapping(claim, "spec"))
    status = mapping(claim, "status")
    put_default(status, "phase", "Pending")
    canonicalize(status, "capacity", "allocatedResources")


def _default_volume(volume: dict[str, Any]) -> None:
    spec = mapping(volume, "spec")
    put_default(spec, "persistentVolumeReclaimPolicy", "Retain")
    put_default(spec, "volumeMode", "Filesystem")
    canonicalize(spec, "capacity")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    put_default(mapping(volume, "status"), "phase", "Pending")


# ----- Service -----------------------------------------------------------------------------------


def needs_cluster_ip(obj: dict[str, Any]) -> bool:
    """Whether a Service still needs a cluster IP allocated (not headless, not ExternalName, none set)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return False
    return not spec.get("clusterIP") and not spec.get("clusterIPs")


def _default_service(service: dict[str, Any]) -> None:
    spec = mapping(service, "spec")
    put_default(spec, "type", "ClusterIP")
    put_default(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = mapping(mapping(spec, "sessionAffinityConfig"), "clientIP")
        put_default(client_ip, "timeoutSeconds", _CLIENT_IP_TIMEOUT)
    for port in entries(spec, "ports"):
        put_default(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    kind = spec["type"]
    if spec.get("externalTrafficPolicy") in (None, "") and (
        kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and spec.get("externalIPs"))
    ):
        spec["externalTrafficPolicy"] = "Cluster"
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        put_default(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        put_default(spec, "allocateLoadBalancerNodePorts", True)
    if kind != "ExternalName":
        _default_ip_families(spec)
    mapping(mapping(service, "status"), "loadBalancer")


def _default_ip_families(spec: dict[str, Any]) -> None:
    """What the REST layer settles on a single-stack IPv4 cluster; the address itself is allocated elsewhere."""
    put_default(spec, "ipFamilyPolicy", "SingleStack")
    put_default(spec, "ipFamilies", ["IPv4"])
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif spec.get("clusterIPs") and not spec.get("clusterIP") and isinstance(spec["clusterIPs"], list):
        spec["clusterIP"] = spec["clusterIPs"][0]


# ----- Namespace, Secret, Node, quotas, limit ranges ---------------------------------------------


def _default_namespace(namespace: dict[str, Any]) -> None:
    meta = mapping(namespace, "metadata")
    if meta.get("name"):
        mapping(meta, "labels")["kubernetes.io/metadata.name"] = meta["name"]
    status = mapping(namespace, "status")
    if not status.get("phase"):
        # Only on create (no phase yet): the finalize subresource may remove it later.
        spec = mapping(namespace, "spec")
        given = spec.get("finalizers")
        finalizers = given if isinstance(given, list) else []
        spec["finalizers"] = finalizers if "kubernetes" in finalizers else [*finalizers, "kubernetes"]
        status["phase"] = "Active"


def _default_secret(secret: dict[str, Any]) -> None:
    put_default(secret, "type", "Opaque")
    plain = secret.pop("stringData", None)
    if isinstance(plain, dict) and plain:
        data = mapping(secret, "data")
        for name, value in plain.items():
            data[name] = base64.b64encode(str(value).encode()).decode()


def _default_node(node: dict[str, Any]) -> None:
    status = mapping(node, "status")
    canonicalize(status, "capacity", "allocatable")
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])
    info = mapping(status, "nodeInfo")
    for name in _NODE_INFO:
        info.setdefault(name, "")
    mapping(mapping(status, "daemonEndpoints"), "kubeletEndpoint").setdefault("Port", 0)


def _default_quota(quota: dict[str, Any]) -> None:
    canonicalize(mapping(quota, "spec"), "hard")
    if isinstance(quota.get("status"), dict):
        canonicalize(quota["status"], "hard", "used")


def _default_limit_range(limit_range: dict[str, Any]) -> None:
    for item in entries(mapping(limit_range, "spec"), "limits"):
        canonicalize(item, "max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
        if item.get("type") != "Container":
            continue
        default, request = mapping(item, "default"), mapping(item, "defaultRequest")
        for resource, amount in mapping(item, "max").items():
            default.setdefault(resource, amount)
        for resource, amount in default.items():
            request.setdefault(resource, amount)
        for resource, amount in mapping(item, "min").items():
            request.setdefault(resource, amount)
        for name in ("max", "min", "default", "defaultRequest"):
            if item.get(name) == {}:
                del item[name]  # Go omits an empty map


# ----- small API types ---------------------------------------------------------------------------


def _default_endpoints(endpoints: dict[str, Any]) -> None:
    for subset in entries(endpoints, "subsets"):
        for port in entries(subset, "ports"):
            put_default(port, "protocol", "TCP")


def _default_event(event: dict[str, Any]) -> None:
    """core/v1 Event: Go serializes these non-pointer fields even when empty."""
    for name in ("firstTimestamp", "lastTimestamp", "eventTime"):
        event.setdefault(name, None)
    event.setdefault("reportingComponent", "")
    event.setdefault("reportingInstance", "")
    mapping(event, "source")
    mapping(event, "involvedObject")


def _default_new_event(event: dict[str, Any]) -> None:
    """events.k8s.io/v1 Event: eventTime and the deprecated timestamps are always serialized."""
    for name in ("eventTime", "deprecatedFirstTimestamp", "deprecatedLastTimestamp"):
        event.setdefault(name, None)
    mapping(event, "deprecatedSource")


def _default_storage_class(storage_class: dict[str, Any]) -> None:
    put_default(storage_class, "reclaimPolicy", "Delete")
    put_default(storage_class, "volumeBindingMode", "Immediate")


def _default_network_policy(policy: dict[str, Any]) -> None:
    spec = mapping(policy, "spec")
    for direction in ("ingress", "egress"):
        for rule in entries(spec, direction):
            for port in entries(rule, "ports"):
                put_default(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _default_binding(binding: dict[str, Any]) -> None:
    put_default(mapping(binding, "roleRef"), "apiGroup", _RBAC_GROUP)
    for subject in entries(binding, "subjects"):
        if subject.get("kind") in ("User", "Group"):
            put_default(subject, "apiGroup", _RBAC_GROUP)
        elif subject.get("kind") == "ServiceAccount" and subject.get("apiGroup") == "":
            del subject["apiGroup"]  # upstream defaults it to "", which omitempty leaves out of JSON


def _default_ingress(ingress: dict[str, Any]) -> None:
    mapping(mapping(ingress, "status"), "loadBalancer")


def _default_disruption_budget(budget: dict[str, Any]) -> None:
    status = mapping(budget, "status")
    for name in ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods"):
        status.setdefault(name, 0)


CORE_DEFAULTERS: Final[dict[tuple[str, str], Defaulter]] = {
    ("", "Service"): _default_service,
    ("", "Namespace"): _default_namespace,
    ("", "Secret"): _default_secret,
    ("", "PersistentVolumeClaim"): default_claim,
    ("", "PersistentVolume"): _default_volume,
    ("", "Node"): _default_node,
    ("", "ResourceQuota"): _default_quota,
    ("", "LimitRange"): _default_limit_range,
    ("", "Endpoints"): _default_endpoints,
    ("", "Event"): _default_event,
    ("events.k8s.io", "Event"): _default_new_event,
    ("storage.k8s.io", "StorageClass"): _default_storage_class,
    ("networking.k8s.io", "NetworkPolicy"): _default_network_policy,
    ("networking.k8s.io", "Ingress"): _default_ingress,
    (_RBAC_GROUP, "RoleBinding"): _default_binding,
    (_RBAC_GROUP, "ClusterRoleBinding"): _default_binding,
    ("policy", "PodDisruptionBudget"): _default_disruption_budget,
}
