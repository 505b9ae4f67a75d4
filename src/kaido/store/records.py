"""The rows kaido keeps: metric samples, audited actions and incidents, as plain values.

These types are shared by the store (which persists them), the executor (which writes the audit log)
and the API (which serves them), so they carry no behaviour beyond conversion to JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ActionRecord", "ActionState", "IncidentRecord", "Sample"]

ActionState = Literal["started", "succeeded", "failed", "dry-run", "skipped"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation of a metric series: `metric` plus `labels` name the series."""

    metric: str  # e.g. "pod_cpu_cores", "pod_memory_bytes", "node_cpu_cores"
    labels: tuple[tuple[str, str], ...]  # sorted (name, value) pairs: namespace, pod, container, node, workload
    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action in the audit log; `key` is its idempotency key (the same decision, the same key)."""

    key: str
    action: str  # the action type, e.g. "RestartPod", "RolloutRestart", "Scale"
    target: str  # "Kind namespace/name", as str(ObjectRef)
    params: dict[str, Any]
    mode: Literal["dry-run", "enforce"]
    reason: str  # why kaido decided it, in words
    requested_at: datetime
    state: ActionState = "started"
    detail: str = ""  # outcome in words, or the error
    finished_at: datetime | None = None
    incident_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["requested_at"] = self.requested_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """One episode of trouble on one workload, from detection to resolution."""

    id: str
    target: str
    cause: str  # stable cause-class id, e.g. "crash-loop", "oom-killed"
    summary: str
    detected_at: datetime
    evidence: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # idempotency keys of the actions taken
    outcome: str = "open"  # open | resolved | escalated
    first_action_at: datetime | None = None
    resolved_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("detected_at", "first_action_at", "resolved_at"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return data
