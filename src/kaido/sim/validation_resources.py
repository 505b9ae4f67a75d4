"""Resource names and quantities: container requests and limits, quota and limit-range amounts.

A container may ask for cpu, memory, ephemeral-storage, hugepages-* or an extended resource with a
domain (`example.com/gpu`); its requests may not exceed its limits, and resources that cannot be
overcommitted (extended ones) need requests equal to limits. Quantities must parse with the
Kubernetes grammar and be non-negative. Upstream rejects an unparsable quantity while decoding
the body (a 400); here it is a cause like the others, worded with upstream's regular expression.
"""

from __future__ import annotations

from typing import Any, Final

from kaido.core import Quantity, QuantityError, parse_quantity
from kaido.sim.errors import Cause
from kaido.sim.field_errors import as_dict, child, go_value, invalid, key, required
from kaido.sim.validation_meta import is_qualified_name

__all__ = [
    "QUANTITY_FORMAT",
    "is_overcommit_allowed",
    "resource_list_causes",
    "validate_quantity",
    "validate_resource_requirements",
]

QUANTITY_FORMAT: Final = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_CONTAINER_RESOURCES: Final = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_RESOURCES: Final = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    if _is_native(name) or name.startswith("requests."):
        return False
    return not is_qualified_name(f"requests.{name}")


def is_overcommit_allowed(name: str) -> bool:
    """Native resources other than hugepages may be requested below their limit."""
    return _is_native(name) and not _is_hugepages(name)


def _is_standard(name: str) -> bool:
    return name in _STANDARD_RESOURCES or _is_hugepages(name) or name.startswith("requests.hugepages-")


def _resource_name_causes(name: str, path: str, *, container: bool) -> list[Cause]:
    causes = [invalid(path, name, message) for message in is_qualified_name(name)]
    if not causes and "/" not in name and not _is_standard(name):
        causes.append(invalid(path, name, "must be a standard resource type or fully qualified"))
    if not container:
        return causes
    if "/" not in name:
        if name not in _CONTAINER_RESOURCES and not _is_hugepages(name):
            causes.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        causes.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return causes


def validate_quantity(value: Any, path: str, *, name: str = "") -> tuple[Quantity | None, list[Cause]]:
    """The parsed quantity and what is wrong with it: unparsable, negative, or fractional where whole."""
    try:
        quantity = parse_quantity(value)
    except QuantityError:
        text = value if isinstance(value, str) else go_value(value)
        return None, [invalid(path, text, QUANTITY_FORMAT)]
    causes: list[Cause] = []
    if quantity.value < 0:
        causes.append(invalid(path, str(quantity), "must be greater than or equal to 0"))
    if name and _is_extended(name) and quantity.value != quantity.value.to_integral_value():
        causes.append(invalid(path, str(quantity), "must be an integer"))
    return quantity, causes


def _resource_list(resources: Any, path: str, *, container: bool) -> tuple[dict[str, Quantity], list[Cause]]:
    parsed: dict[str, Quantity] = {}
    causes: list[Cause] = []
    for name, value in as_dict(resources).items():
        entry = key(path, name)
        causes += _resource_name_causes(name, entry, container=container)
        quantity, problems = validate_quantity(value, entry, name=name)
        causes += problems
        if quantity is not None:
            parsed[name] = quantity
    return parsed, causes


def resource_list_causes(resources: Any, path: str, *, container: bool = False) -> list[Cause]:
    """Names and quantities of a resource list (quota `hard`, limit-range bounds, ...)."""
    return _resource_list(resources, path, container=container)[1]


def validate_resource_requirements(resources: Any, path: str) -> list[Cause]:
    """ValidateResourceRequirements for a container: names, quantities, requests within limits."""
    resources = as_dict(resources)
    limits_path, requests_path = child(path, "limits"), child(path, "requests")
    limit_names = set(as_dict(resources.get("limits")))
    limits, causes = _resource_list(resources.get("limits"), limits_path, container=True)
    requests, request_causes = _resource_list(resources.get("requests"), requests_path, container=True)
    causes += request_causes
    for name, request in requests.items():
        limit = limits.get(name)
        if name not in limit_names:
            if not is_overcommit_allowed(name):
                causes.append(required(limits_path, "Limit must be set for non overcommitable resources"))
        elif limit is None:
            continue
        elif request != limit and not is_overcommit_allowed(name):
            causes.append(invalid(requests_path, str(request), f"must be equal to {name} limit of {limit}"))
        elif request > limit:
            causes.append(
                invalid(requests_path, str(request), f"must be less than or equal to {name} limit of {limit}")
            )
    return causes
