"""The alert model, after Prometheus and Alertmanager: labels identify, annotations explain.

An alert's identity is its label set; its fingerprint is a hash of the sorted labels only, never of
generated text, so the same condition on the same workload is the same alert across evaluations and
agent restarts. A Notification is what one channel receives for one group of alerts at one time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from kaido.core.ids import stable_id

__all__ = ["Alert", "AlertState", "Channel", "DeliveryError", "Notification", "fingerprint"]

AlertState = Literal["pending", "firing", "resolved"]


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable hash of a label set (names and values, sorted)."""
    return stable_id(*(f"{k}={v}" for k, v in sorted(labels.items())), length=16)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One alert instance. `labels` must include alertname and severity; namespace and workload when known."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)  # summary, description, runbook, evidence
    state: AlertState
    starts_at: datetime  # when the condition started to hold (pending) or was first seen firing
    ends_at: datetime | None = None  # set when resolved
    active_at: datetime | None = None  # when it became firing (after `for`)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "warning")

    def resolved(self, at: datetime) -> Alert:
        return replace(self, state="resolved", ends_at=at)

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "state": self.state,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": self.starts_at.isoformat(),
            "active_at": self.active_at.isoformat() if self.active_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """What one channel is sent for one group: the group's alerts, firing and newly resolved."""

    channel: str  # the channel's name in the policy
    group_key: str  # stable: route index + group label values
    group_labels: Mapping[str, str]  # the values of the route's group_by labels
    alerts: tuple[Alert, ...]
    sent_at: datetime
    dashboard_url: str | None = None  # link back to kaido's dashboard/API, when configured

    @property
    def status(self) -> Literal["firing", "resolved"]:
        return "firing" if any(a.state == "firing" for a in self.alerts) else "resolved"

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.state == "firing")

    @property
    def resolved(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.state == "resolved")


class DeliveryError(Exception):
    """A channel could not deliver; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    """A delivery channel: Slack, e-mail, PagerDuty, webhook, Alertmanager, Kubernetes Events."""

    name: str
    kind: str  # "slack", "email", ...

    async def send(self, notification: Notification) -> None:
        """Deliver once; raise DeliveryError on failure. Retries are the dispatcher's job."""
        ...
