"""The words of a notification, shared by every channel: title, per-alert lines, common labels, times.

Pure functions of the notification, so each channel's payload reads the same and is tested without I/O.
The title follows Alertmanager's default (`[FIRING:2] high-error-rate chatbot-dev`): the status, the
number of firing alerts, and the values of the group's labels, so people who know Alertmanager's
mails read kaido's at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from kaido.notify.model import Alert, Notification

__all__ = [
    "GENERATOR",
    "alert_headline",
    "alert_summary",
    "alert_target",
    "common",
    "object_name",
    "rfc3339",
    "scrub",
    "title",
]

GENERATOR: Final = "kaido"  # the name channels give as the source of alerts
_MASK: Final = "***"


def title(notification: Notification) -> str:
    """`[FIRING:2] high-error-rate chatbot-dev`, or `[RESOLVED] ...` when nothing fires any more."""
    firing = len(notification.firing)
    status = f"FIRING:{firing}" if firing else "RESOLVED"
    values = [value for _, value in sorted(notification.group_labels.items()) if value]
    if not values:
        values = sorted({alert.name for alert in notification.alerts if alert.name})
    return f"[{status}] {' '.join(values)}".rstrip()


def alert_summary(alert: Alert) -> str:
    """One sentence about the alert: its summary annotation, else its description, else its name."""
    for key in ("summary", "description"):
        text = alert.annotations.get(key, "").strip()
        if text:
            return text
    return alert.name or "alert"


def alert_target(alert: Alert) -> str:
    """What the alert is about, as the alert engine labels it: `deployment chatbot-dev/backend`,
    `pod chatbot-dev/web-1`, `node worker-1`, `namespace chatbot-dev`, or "" when it names nothing."""
    labels = alert.labels
    namespace = labels.get("namespace", "")
    where = f"{namespace}/" if namespace else ""
    if labels.get("workload"):
        kind, _, name = labels["workload"].rpartition("/")
        return f"{kind or 'workload'} {where}{name}"
    if labels.get("pod"):
        return f"pod {where}{labels['pod']}"
    if labels.get("node"):
        return f"node {labels['node']}"
    return f"namespace {namespace}" if namespace else ""


def object_name(alert: Alert) -> str:
    """The bare name of the alert's object (`backend`, `web-1`, `worker-1`), or ""."""
    labels = alert.labels
    if labels.get("workload"):
        return labels["workload"].rpartition("/")[2]
    return labels.get("pod") or labels.get("node") or ""


def alert_headline(alert: Alert) -> str:
    """`high-error-rate (critical) on chatbot-dev/backend: <summary>`; resolved alerts say so first."""
    where = alert_target(alert)
    head = f"{alert.name or 'alert'} ({alert.severity})" + (f" on {where}" if where else "")
    prefix = "resolved: " if alert.state == "resolved" else ""
    return f"{prefix}{head}: {alert_summary(alert)}"


def common(mappings: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The key/value pairs every mapping shares (Alertmanager's commonLabels/commonAnnotations)."""
    items = list(mappings)
    if not items:
        return {}
    shared = dict(items[0])
    for mapping in items[1:]:
        shared = {key: value for key, value in shared.items() if mapping.get(key) == value}
    return shared


def rfc3339(moment: datetime) -> str:
    """UTC with a `Z`, as Alertmanager, PagerDuty and Kubernetes write times."""
    stamp = moment.astimezone(UTC)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if stamp.microsecond:
        text += f".{stamp.microsecond:06d}".rstrip("0")
    return text + "Z"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret replaced by `***`, for error messages that quote a server or a library."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    return text
