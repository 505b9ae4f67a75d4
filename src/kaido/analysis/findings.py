"""Findings: what the monitor observed that is wrong, on which object, how badly, and the evidence.

A `Finding` is a value. Its `kind` is a stable kebab-case id ("crash-loop-back-off", "pod-cpu-high")
that rules, alerts, the healer and the dashboard key on; its `id` is derived from the kind, the
target and the container only (never from the summary or the numbers), so the same problem on the
same object keeps the same id from one pass to the next while its summary and values move. That is
what lets the caller tell a new finding from one that persists, and one that cleared.

The set of kinds is open: diagnosis adds cause classes with their own kinds and evidence on top of
the health and usage kinds listed here, without changing this type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, get_args

from kaido.core.ids import stable_id
from kaido.core.refs import ObjectRef

__all__ = [
    "CONTAINER_CONFIG_ERROR",
    "CRASH_LOOP_BACK_OFF",
    "HEALTH_KINDS",
    "HIGH_RESTART_RATE",
    "IMAGE_PULL_BACK_OFF",
    "NODE_CPU_HIGH",
    "NODE_DISK_HIGH",
    "NODE_MEMORY_HIGH",
    "NODE_NOT_READY",
    "NODE_PRESSURE",
    "NODE_UNSCHEDULABLE",
    "OOM_KILLED",
    "POD_CPU_HIGH",
    "POD_FAILED",
    "POD_MEMORY_HIGH",
    "POD_NOT_READY",
    "POD_PENDING",
    "SEVERITIES",
    "USAGE_KINDS",
    "Finding",
    "Severity",
    "describe_duration",
    "finding_id",
    "severity_rank",
]

Severity = Literal["info", "warning", "critical"]
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)  # ascending: info < warning < critical

# Health of pods and nodes (kaido.analysis.health).
POD_NOT_READY: Final = "pod-not-ready"
POD_PENDING: Final = "pod-pending"
POD_FAILED: Final = "pod-failed"
CRASH_LOOP_BACK_OFF: Final = "crash-loop-back-off"
HIGH_RESTART_RATE: Final = "high-restart-rate"
OOM_KILLED: Final = "oom-killed"
IMAGE_PULL_BACK_OFF: Final = "image-pull-back-off"
CONTAINER_CONFIG_ERROR: Final = "container-config-error"
NODE_NOT_READY: Final = "node-not-ready"
NODE_PRESSURE: Final = "node-pressure"
NODE_UNSCHEDULABLE: Final = "node-unschedulable"
HEALTH_KINDS: Final = (
    POD_NOT_READY, POD_PENDING, POD_FAILED, CRASH_LOOP_BACK_OFF, HIGH_RESTART_RATE, OOM_KILLED,
    IMAGE_PULL_BACK_OFF, CONTAINER_CONFIG_ERROR, NODE_NOT_READY, NODE_PRESSURE, NODE_UNSCHEDULABLE,
)  # fmt: skip

# Resource usage against thresholds (kaido.analysis.usage).
POD_CPU_HIGH: Final = "pod-cpu-high"
POD_MEMORY_HIGH: Final = "pod-memory-high"
NODE_CPU_HIGH: Final = "node-cpu-high"
NODE_MEMORY_HIGH: Final = "node-memory-high"
NODE_DISK_HIGH: Final = "node-disk-high"
USAGE_KINDS: Final = (POD_CPU_HIGH, POD_MEMORY_HIGH, NODE_CPU_HIGH, NODE_MEMORY_HIGH, NODE_DISK_HIGH)

_KEBAB: Final = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def severity_rank(severity: Severity) -> int:
    """0 for info, 1 for warning, 2 for critical: sort by this, not by the name."""
    return SEVERITIES.index(severity)


def finding_id(kind: str, target: ObjectRef, container: str | None = None) -> str:
    """The stable id of a finding of `kind` on `target` (and `container`).

    The target's uid is left out on purpose: a StatefulSet pod or a node that is recreated under the
    same name has the same problem, and an open incident should follow it rather than start over.
    """
    return stable_id("finding", kind, target.kind, target.namespace or "", target.name, container or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One observed problem. Build it with `Finding.create`, which derives the id."""

    id: str
    kind: str
    severity: Severity
    target: ObjectRef  # the pod or node
    summary: str  # one plain sentence with the numbers
    observed_at: datetime
    evidence: tuple[str, ...] = ()  # the facts the summary rests on, one per line
    workload: ObjectRef | None = None  # the Deployment, StatefulSet, DaemonSet or Job owning a pod
    container: str | None = None
    values: tuple[tuple[str, float], ...] = ()  # the numbers, by name, for rules and charts

    def __post_init__(self) -> None:
        if not _KEBAB.fullmatch(self.kind):
            raise ValueError(f"finding kind {self.kind!r}: use a kebab-case id such as 'pod-not-ready'")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"finding {self.kind} on {self.target}: severity {self.severity!r} is not one of {SEVERITIES}"
            )
        if self.observed_at.tzinfo is None:
            raise ValueError(f"finding {self.kind} on {self.target}: observed_at must be timezone-aware")

    @classmethod
    def create(
        cls,
        kind: str,
        severity: Severity,
        target: ObjectRef,
        *,
        summary: str,
        observed_at: datetime,
        evidence: tuple[str, ...] = (),
        workload: ObjectRef | None = None,
        container: str | None = None,
        values: tuple[tuple[str, float], ...] = (),
    ) -> Finding:
        return cls(
            id=finding_id(kind, target, container),
            kind=kind,
            severity=severity,
            target=target,
            summary=summary,
            observed_at=observed_at,
            evidence=evidence,
            workload=workload,
            container=container,
            values=values,
        )

    def value(self, name: str) -> float | None:
        """The number called `name`, if this finding carries one."""
        return next((v for k, v in self.values if k == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "target": _ref_json(self.target),
            "workload": _ref_json(self.workload) if self.workload else None,
            "container": self.container,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "values": dict(self.values),
            "observed_at": self.observed_at.isoformat(),
        }


def _ref_json(ref: ObjectRef) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
    if ref.uid:
        out["uid"] = ref.uid
    return out


def describe_duration(seconds: float) -> str:
    """A duration for a sentence: "45 s", "5 min", "1 min 30 s", "2 h 5 min" (whole seconds, rounded down)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    # Seconds are noise next to hours.
    units = ((hours, "h"), (minutes, "min")) if hours else ((minutes, "min"), (secs, "s"))
    return " ".join(f"{n} {unit}" for n, unit in units if n) or "0 s"
