"""Validation of core/v1 objects other than workloads: Services, ConfigMaps, Secrets, claims, quotas.

Follows pkg/apis/core/validation: a Service needs ports (unless headless or ExternalName) with
valid numbers, names when there are several, and a known type; ConfigMap and Secret keys are config
keys and typed Secrets carry their keys; a claim asks for storage with an access mode. On update
a Service keeps its cluster IP, an `immutable` ConfigMap or Secret keeps its data, and a claim's
spec is frozen but for its storage request once bound.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import (
    GoRepr,
    as_dict,
    as_dicts,
    as_list,
    child,
    duplicate,
    forbidden,
    go_value,
    index,
    invalid,
    key,
    nonnegative,
    not_supported,
    required,
    semantically_equal,
    too_long,
)
from kaido.sim.validation_meta import (
    is_config_map_key,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_port_number,
    is_qualified_name,
    validate_label_selector,
    validate_labels,
)
from kaido.sim.validation_pod import port_number_or_name
from kaido.sim.validation_resources import resource_list_causes, validate_quantity

__all__ = [
    "validate_claim",
    "validate_claim_update",
    "validate_config_map",
    "validate_data_update",
    "validate_event",
    "validate_lease",
    "validate_limit_range",
    "validate_quota",
    "validate_secret",
    "validate_service",
    "validate_service_update",
]

_SERVICE_TYPES: Final = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_PROTOCOLS: Final = ("SCTP", "TCP", "UDP")
_ACCESS_MODES: Final = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_MAX_DATA_BYTES: Final = 1024 * 1024
_SECRET_KEYS: Final = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}
_IMMUTABLE_DATA: Final = "field is immutable when `immutable` is set"
_CLAIM_FROZEN: Final = (
    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
)


# ----- Service -----------------------------------------------------------------------------------


def validate_service(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    kind, ports = spec.get("type"), as_dicts(spec.get("ports"))
    headless = spec.get("clusterIP") == "None"
    causes: list[Cause] = []
    if not ports and not headless and kind != "ExternalName":
        causes.append(required("spec.ports"))
    if kind == "ExternalName":
        causes += _external_name(spec)
    else:
        causes += _cluster_ips(spec)
    names: set[str] = set()
    for position, port in enumerate(ports):
        causes += _service_port(port, index("spec.ports", position), names, require_name=len(ports) > 1)
    if spec.get("selector") is not None:
        causes += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity")
    if not affinity:
        causes.append(required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        causes.append(not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    if not kind:
        causes.append(required("spec.type"))
    elif kind not in _SERVICE_TYPES:
        causes.append(not_supported("spec.type", kind, _SERVICE_TYPES))
    for position, port in enumerate(ports):
        if kind == "ClusterIP" and port.get("nodePort"):
            causes.append(
                forbidden(
                    child(index("spec.ports", position), "nodePort"), "may not be used when `type` is 'ClusterIP'"
                )
            )
    return causes + _duplicate_ports(ports)


def _external_name(spec: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for field in ("clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if spec.get(field):
            causes.append(forbidden(child("spec", field), "may not be set for ExternalName services"))
    name = str(spec.get("externalName") or "").removesuffix(".")
    if not name:
        return [*causes, required("spec.externalName")]
    return causes + [invalid("spec.externalName", name, message) for message in is_dns1123_subdomain(name)]


def _cluster_ips(spec: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for position, address in enumerate(as_list(spec.get("clusterIPs")) or [spec.get("clusterIP")]):
        if not address or address == "None":
            continue
        try:
            ipaddress.ip_address(str(address))
        except ValueError:
            detail = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            causes.append(invalid(index("spec.clusterIPs", position), address, detail))
    return causes


def _service_port(port: dict[str, Any], path: str, names: set[str], *, require_name: bool) -> list[Cause]:
    causes: list[Cause] = []
    name = port.get("name") or ""
    if require_name and not name:
        causes.append(required(child(path, "name")))
    elif name:
        causes += [invalid(child(path, "name"), name, message) for message in is_dns1123_label(str(name))]
        if name in names:
            causes.append(duplicate(child(path, "name"), name))
        names.add(str(name))
    given = port.get("port")
    number = given if isinstance(given, int) else 0
    causes += [invalid(child(path, "port"), number, message) for message in is_port_number(number)]
    protocol = port.get("protocol")
    if not protocol:
        causes.append(required(child(path, "protocol")))
    elif protocol not in _PROTOCOLS:
        causes.append(not_supported(child(path, "protocol"), protocol, _PROTOCOLS))
    return causes + port_number_or_name(port.get("targetPort"), child(path, "targetPort"))


def _duplicate_ports(ports: list[dict[str, Any]]) -> list[Cause]:
    seen: set[tuple[str, Any]] = set()
    causes: list[Cause] = []
    for position, port in enumerate(ports):
        identity = (str(port.get("protocol") or ""), port.get("port"))
        if identity in seen:
            shown = GoRepr(
                f'core.ServicePort{{Name:"", Protocol:{go_value(identity[0])}, AppProtocol:(*string)(nil), '
                f"Port:{go_value(identity[1] or 0)}, "
                'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
            )
            causes.append(duplicate(index("spec.ports", position), shown))
        seen.add(identity)
    return causes


def validate_service_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """A Service keeps the cluster IP it was given (unless it becomes an ExternalName)."""
    spec, old_spec = as_dict(obj.get("spec")), as_dict(old.get("spec"))
    address, old_address = spec.get("clusterIP"), old_spec.get("clusterIP")
    if spec.get("type") == "ExternalName" or not address or not old_address or address == old_address:
        return []
    shown = as_list(spec.get("clusterIPs")) or [address]
    return [invalid("spec.clusterIPs[0]", [str(a) for a in shown], "may not change once set")]


# ----- ConfigMap and Secret ----------------------------------------------------------------------


def _data_keys(obj: dict[str, Any], fields: tuple[str, ...]) -> list[Cause]:
    causes: list[Cause] = []
    size = 0
    for field in fields:
        for data_key, value in as_dict(obj.get(field)).items():
            causes += [invalid(key(field, data_key), data_key, message) for message in is_config_map_key(data_key)]
            size += len(data_key.encode()) + len(str(value).encode())
    if size > _MAX_DATA_BYTES:
        causes.append(too_long("", _MAX_DATA_BYTES))
    return causes


def validate_config_map(obj: dict[str, Any]) -> list[Cause]:
    causes = _data_keys(obj, ("data", "binaryData"))
    data = as_dict(obj.get("data"))
    for data_key in as_dict(obj.get("binaryData")):
        if data_key in data:
            causes.append(invalid(key("binaryData", data_key), data_key, "duplicate of key present in data"))
    return causes


def validate_secret(obj: dict[str, Any]) -> list[Cause]:
    causes = _data_keys(obj, ("data",))
    kind, data = obj.get("type"), as_dict(obj.get("data"))
    if kind == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            causes.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    if kind == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        causes += [required("data[username]"), required("data[password]")]
    for data_key in _SECRET_KEYS.get(str(kind), ()):
        if data_key not in data:
            causes.append(required(key("data", data_key)))
    return causes


def validate_data_update(obj: dict[str, Any], old: dict[str, Any], fields: tuple[str, ...]) -> list[Cause]:
    """An `immutable: true` ConfigMap or Secret keeps its data, and a Secret its type."""
    causes: list[Cause] = []
    if "type" in fields and obj.get("type") != old.get("type"):
        causes.append(invalid("type", obj.get("type") or "", "field is immutable"))
    if old.get("immutable") is not True:
        return causes
    if obj.get("immutable") is not True:
        causes.append(forbidden("immutable", _IMMUTABLE_DATA))
    for field in fields:
        if field != "type" and not semantically_equal(obj.get(field), old.get(field)):
            causes.append(forbidden(field, _IMMUTABLE_DATA))
    return causes


# ----- PersistentVolumeClaim ---------------------------------------------------------------------


def validate_claim(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    modes = as_list(spec.get("accessModes"))
    if not modes:
        causes.append(required("spec.accessModes", "at least 1 access mode is required"))
    causes += validate_label_selector(spec.get("selector"), "spec.selector")
    for mode in modes:
        if mode not in _ACCESS_MODES:
            causes.append(not_supported("spec.accessModes", mode, _ACCESS_MODES))
    requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    storage_path = "spec.resources[storage]"  # sic: upstream's path
    if "storage" not in requests:
        causes.append(required(storage_path))
    else:
        quantity, problems = validate_quantity(requests["storage"], storage_path)
        causes += problems
        if quantity is not None and quantity.value <= 0 and not problems:
            causes.append(invalid(storage_path, str(quantity), "must be greater than zero"))
    if class_name := spec.get("storageClassName"):
        causes += [invalid("spec.storageClassName", class_name, m) for m in is_dns1123_subdomain(str(class_name))]
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        causes.append(not_supported("spec.volumeMode", mode, ("Block", "Filesystem")))
    return causes


def validate_claim_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    spec, old_spec = copy.deepcopy(as_dict(obj.get("spec"))), copy.deepcopy(as_dict(old.get("spec")))
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = spec.get("volumeName")
        if not old_spec.get("storageClassName"):  # RetroactiveDefaultStorageClass: an unbound claim gets one
            old_spec["storageClassName"] = spec.get("storageClassName")
    old_spec["volumeAttributesClassName"] = spec.get("volumeAttributesClassName")
    bound = as_dict(obj.get("status")).get("phase") == "Bound"
    new_requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    if bound and "storage" in new_requests:
        as_dict(old_spec.setdefault("resources", {})).setdefault("requests", {})["storage"] = new_requests["storage"]
    if not semantically_equal(spec, old_spec):
        return [forbidden("spec", _CLAIM_FROZEN)]
    return []


# ----- quotas, limit ranges, leases --------------------------------------------------------------


def validate_quota(obj: dict[str, Any]) -> list[Cause]:
    spec, status = as_dict(obj.get("spec")), as_dict(obj.get("status"))
    causes = resource_list_causes(spec.get("hard"), "spec.hard")
    causes += resource_list_causes(status.get("hard"), "status.hard")
    return causes + resource_list_causes(status.get("used"), "status.used")


def validate_limit_range(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for position, limit in enumerate(as_dicts(as_dict(obj.get("spec")).get("limits"))):
        path = index("spec.limits", position)
        if not limit.get("type"):
            causes.append(required(child(path, "type")))
        for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            causes += resource_list_causes(limit.get(field), child(path, field))
    return causes


def validate_lease(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    duration = spec.get("leaseDurationSeconds")
    causes: list[Cause] = []
    if isinstance(duration, int) and duration <= 0:
        causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    return causes + nonnegative(spec.get("leaseTransitions"), "spec.leaseTransitions")


def validate_event(obj: dict[str, Any], *, new_api: bool) -> list[Cause]:
    """An Event's namespace matches its object's; a new-style Event (with eventTime) says who reported it.

    Paths use the core names (`involvedObject.namespace`) for both APIs, as upstream validates the
    internal object; events.k8s.io/v1 creations are always new-style.
    """
    namespace = str(as_dict(obj.get("metadata")).get("namespace") or "")
    involved = str(as_dict(obj.get("regarding" if new_api else "involvedObject")).get("namespace") or "")
    controller_field = "reportingController" if new_api else "reportingComponent"
    causes: list[Cause] = []
    if new_api and not obj.get("eventTime"):
        causes.append(required("eventTime"))
    if not obj.get("eventTime") and not new_api:
        if (involved or namespace not in ("", "default")) and involved != namespace:
            causes.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))
        return causes
    if not involved and namespace not in ("default", "kube-system"):
        causes.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))
    if new_api and obj.get("type") not in ("Normal", "Warning"):
        causes.append(invalid("type", "", f"has invalid value: {obj.get('type') or ''}"))
    controller = str(obj.get(controller_field) or "")
    if not controller:
        causes.append(required(controller_field))
    causes += [invalid(controller_field, controller, message) for message in is_qualified_name(controller)]
    for field in ("reportingInstance", "action", "reason"):
        if not obj.get(field):
            causes.append(required(field))
    return causes
