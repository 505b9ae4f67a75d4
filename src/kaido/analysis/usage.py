"""Threshold rules on resource usage: containers against their limits or requests, nodes against allocatable.

Usage comes from metrics.k8s.io (CPU in cores, memory as working-set bytes); the basis comes from
the object: a container's limit when it has one, else its request, and a node's allocatable (its
capacity when allocatable is missing). A rule fires when usage is strictly above the threshold
percentage, so exactly 80% of the basis is not above an 80% threshold. The comparison is exact:
usage and basis are read as `kaido.core.quantity` decimals and compared as `used * 100 >
threshold * basis`, so no float rounding decides a boundary.

What is skipped, on purpose: a container with neither a limit nor a request for the resource
(there is nothing to be "too high" against; the rightsizer deals with missing requests), a basis
of zero, and a usage that is negative or not a number (a broken sample says nothing).

Every container is judged on its own, because one hot sidecar is not the pod's average. The
finding targets the pod and names the container. Request-relative usage may legitimately exceed
100% on Burstable pods; the evidence says which basis was used so a reader can tell.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

from kaido.analysis.findings import (
    NODE_CPU_HIGH,
    NODE_DISK_HIGH,
    NODE_MEMORY_HIGH,
    POD_CPU_HIGH,
    POD_MEMORY_HIGH,
    Finding,
)
from kaido.analysis.status import OwnerLookup, node_ref, pod_ref, require_aware, workload_of
from kaido.core.errors import QuantityError
from kaido.core.quantity import Quantity, parse_quantity

__all__ = ["Thresholds", "node_usage_findings", "pod_usage_findings"]

Resource = Literal["cpu", "memory"]
# Wide enough that products of cluster-sized values are exact, and divisions (display only) precise.
_EXACT: Final = decimal.Context(prec=60)
_HUNDRED: Final = Decimal(100)
_MIB: Final = Decimal(2**20)
_GIB: Final = Decimal(2**30)
_WORD: Final[Mapping[Resource, str]] = {"cpu": "CPU", "memory": "memory"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Percentages above which usage is a finding (the brief's defaults)."""

    pod_cpu: float = 80.0
    pod_memory: float = 85.0
    node_cpu: float = 85.0
    node_memory: float = 90.0
    node_disk: float = 80.0

    def __post_init__(self) -> None:
        for name in ("pod_cpu", "pod_memory", "node_cpu", "node_memory", "node_disk"):
            value = getattr(self, name)
            if _amount(value) is None or value <= 0:
                raise ValueError(f"threshold {name}={value!r}: must be a positive percentage such as 80")


@dataclass(frozen=True, slots=True)
class _Ratio:
    """Usage against its basis and the threshold, all exact decimals."""

    used: Decimal
    basis: Decimal
    threshold: Decimal

    @property
    def above(self) -> bool:
        return _EXACT.multiply(self.used, _HUNDRED) > _EXACT.multiply(self.threshold, self.basis)

    @property
    def percent(self) -> Decimal:
        return _EXACT.divide(_EXACT.multiply(self.used, _HUNDRED), self.basis)

    def shown(self) -> str:
        """The percentage with as few decimals as it takes to show that it is above the threshold."""
        for digits in range(10):  # a nanocore above 80% of 500m is 80.0000002%
            text = self.percent.quantize(Decimal(1).scaleb(-digits), rounding=decimal.ROUND_DOWN, context=_EXACT)
            if text > self.threshold:
                break
        return _plain(text)

    def values(self) -> tuple[tuple[str, float], ...]:
        return (
            ("percent", float(self.percent)),
            ("threshold", float(self.threshold)),
            ("usage", float(self.used)),
            ("basis", float(self.basis)),
        )


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 92, 85.04, 0.5."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _amount(value: object) -> Decimal | None:
    """A measured or configured number as an exact decimal; None when negative or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = parse_quantity(value).value
    except QuantityError:
        return None
    return amount if amount >= 0 else None


def _quantity(value: object) -> Quantity | None:
    """A resource quantity from a spec or status, or None when absent or malformed."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def _ratio(used: float, basis: Quantity, threshold: float) -> _Ratio | None:
    """The ratio when the usage is above the threshold; None when not above or not measurable."""
    amount, limit = _amount(used), _amount(threshold)
    if amount is None or limit is None:
        return None
    ratio = _Ratio(amount, basis.value, limit)
    return ratio if ratio.above else None


def _show(resource: Resource, amount: Decimal) -> str:
    """Usage the way `kubectl top` would print it: millicores, MiB, or GiB for large memory."""
    if resource == "cpu":
        return f"{_plain(_EXACT.multiply(amount, Decimal(1000)).quantize(Decimal(1), context=_EXACT))}m"
    unit, scale = ("Gi", _GIB) if amount >= _GIB else ("Mi", _MIB)
    return f"{_plain(_EXACT.divide(amount, scale).quantize(Decimal('0.1'), context=_EXACT))}{unit}"


# ----- pods ----------------------------------------------------------------------------------------


def _containers(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The containers that run with the pod: regular ones, then sidecars (restartable init containers)."""
    spec = pod.get("spec") or {}
    yield from spec.get("containers") or []
    yield from (c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always")


def _basis(container: Mapping[str, Any], resource: Resource) -> tuple[Quantity, str] | None:
    """(the limit, "limit") when set, else (the request, "request"); None with neither (or zero)."""
    resources = container.get("resources") or {}
    for key, word in (("limits", "limit"), ("requests", "request")):
        quantity = _quantity((resources.get(key) or {}).get(resource))
        if quantity is not None and quantity.value > 0:
            return quantity, word
    return None


def pod_usage_findings(
    pod: Mapping[str, Any],
    usage: Mapping[str, tuple[float, float]],
    *,
    now: datetime,
    thresholds: Thresholds,
    owner_lookup: OwnerLookup | None = None,
) -> list[Finding]:
    """Containers of `pod` whose usage (container name -> (CPU cores, memory bytes)) is above the thresholds."""
    require_aware(now)
    ref, workload = pod_ref(pod), workload_of(pod, owner_lookup)
    findings: list[Finding] = []
    for container in _containers(pod):
        name = str(container.get("name", ""))
        if name not in usage:
            continue
        cpu, memory = usage[name]
        rules: tuple[tuple[Resource, float, float, str], ...] = (
            ("cpu", cpu, thresholds.pod_cpu, POD_CPU_HIGH),
            ("memory", memory, thresholds.pod_memory, POD_MEMORY_HIGH),
        )
        for resource, used, threshold, kind in rules:
            basis = _basis(container, resource)
            ratio = _ratio(used, basis[0], threshold) if basis is not None else None
            if basis is None or ratio is None:
                continue
            quantity, word, name_of = basis[0], basis[1], _WORD[resource]
            summary = (
                f"container {name} of pod {ref.key} uses {ratio.shown()}% of its {quantity} {name_of} {word} "
                f"(threshold {_plain(ratio.threshold)}%)"
            )
            evidence = [f"{name_of} usage {_show(resource, ratio.used)} of the {quantity} {word} ({ratio.shown()}%)"]
            if word == "request":
                evidence.append(f"no {name_of} limit is set, so usage is measured against the request")
            findings.append(
                Finding.create(
                    kind,
                    "warning",
                    ref,
                    summary=summary,
                    observed_at=now,
                    evidence=tuple(evidence),
                    workload=workload,
                    container=name,
                    values=ratio.values(),
                )
            )
    return findings


# ----- nodes ---------------------------------------------------------------------------------------


def _node_basis(node: Mapping[str, Any], resource: Resource) -> tuple[Quantity, str] | None:
    """(allocatable, "allocatable"), else (capacity, "capacity"), for `resource` of the node."""
    status = node.get("status") or {}
    for key in ("allocatable", "capacity"):
        quantity = _quantity((status.get(key) or {}).get(resource))
        if quantity is not None and quantity.value > 0:
            return quantity, key
    return None


def node_usage_findings(
    node: Mapping[str, Any],
    cpu_cores: float,
    memory_bytes: float,
    *,
    now: datetime,
    thresholds: Thresholds,
    disk_used_fraction: float | None = None,
) -> list[Finding]:
    """Node usage above the thresholds: CPU and memory against allocatable, disk as the used fraction (0..1)."""
    require_aware(now)
    ref = node_ref(node)
    findings: list[Finding] = []
    rules: tuple[tuple[Resource, float, float, str], ...] = (
        ("cpu", cpu_cores, thresholds.node_cpu, NODE_CPU_HIGH),
        ("memory", memory_bytes, thresholds.node_memory, NODE_MEMORY_HIGH),
    )
    for resource, used, threshold, kind in rules:
        basis = _node_basis(node, resource)
        ratio = _ratio(used, basis[0], threshold) if basis is not None else None
        if basis is None or ratio is None:
            continue
        quantity, word, name_of = basis[0], basis[1], _WORD[resource]
        of = f"{quantity} allocatable {name_of}" if word == "allocatable" else f"{quantity} {name_of} capacity"
        summary = f"node {ref.name} uses {ratio.shown()}% of its {of} (threshold {_plain(ratio.threshold)}%)"
        evidence = (f"{name_of} usage {_show(resource, ratio.used)} of {quantity} {word} ({ratio.shown()}%)",)
        findings.append(
            Finding.create(
                kind, "warning", ref, summary=summary, observed_at=now, evidence=evidence, values=ratio.values()
            )
        )
    disk = _disk(node, disk_used_fraction, thresholds, now)
    if disk is not None:
        findings.append(disk)
    return findings


def _disk(node: Mapping[str, Any], fraction: float | None, thresholds: Thresholds, now: datetime) -> Finding | None:
    used, limit = _amount(fraction), _amount(thresholds.node_disk)
    if used is None or limit is None:
        return None
    ratio = _Ratio(used, Decimal(1), limit)
    if not ratio.above:
        return None
    ref = node_ref(node)
    summary = f"node {ref.name} disk is {ratio.shown()}% full (threshold {_plain(limit)}%)"
    storage = ((node.get("status") or {}).get("capacity") or {}).get("ephemeral-storage")
    evidence = (f"ephemeral-storage capacity {storage}",) if storage else ()
    return Finding.create(
        NODE_DISK_HIGH, "warning", ref, summary=summary, observed_at=now, evidence=evidence, values=ratio.values()
    )


# ----- percentages for alert rules ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsagePercent:
    """Usage of one resource as a percentage of its basis (a container's limit or request, a node's allocatable)."""

    resource: Resource
    percent: float
    basis: str  # "limit", "request", "allocatable" or "capacity"
    container: str | None = None


def pod_usage_percent(pod: Mapping[str, Any], usage: Mapping[str, tuple[float, float]]) -> list[UsagePercent]:
    """Each container's CPU and memory as % of its limit (else request); containers with neither are left out."""
    found: list[UsagePercent] = []
    for container in _containers(pod):
        name = str(container.get("name", ""))
        if name not in usage:
            continue
        cpu, memory = usage[name]
        pairs: tuple[tuple[Resource, float], ...] = (("cpu", cpu), ("memory", memory))
        for resource, used in pairs:
            basis = _basis(container, resource)
            amount = _amount(used)
            if basis is not None and amount is not None:
                percent = _Ratio(amount, basis[0].value, Decimal(0)).percent
                found.append(UsagePercent(resource, float(percent), basis[1], name))
    return found


def node_usage_percent(node: Mapping[str, Any], cpu_cores: float, memory_bytes: float) -> list[UsagePercent]:
    """A node's CPU and memory as % of allocatable (else capacity)."""
    found: list[UsagePercent] = []
    pairs: tuple[tuple[Resource, float], ...] = (("cpu", cpu_cores), ("memory", memory_bytes))
    for resource, used in pairs:
        basis = _node_basis(node, resource)
        amount = _amount(used)
        if basis is not None and amount is not None:
            found.append(UsagePercent(resource, float(_Ratio(amount, basis[0].value, Decimal(0)).percent), basis[1]))
    return found
