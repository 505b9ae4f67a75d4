"""Alerts and notifications as the alert engine makes them, for the channel and dispatcher tests."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from kaido.notify.model import Alert, Notification

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DASHBOARD = "https://kaido.example.com/dashboard"


def alert(
    name: str = "high-error-rate",
    *,
    severity: str = "critical",
    namespace: str = "chatbot-dev",
    workload: str | None = "deployment/backend",
    summary: str = "12 error lines in the last minute (more than 5)",
    extra: Mapping[str, str] | None = None,
    resolved_at: datetime | None = None,
    starts_at: datetime = START,
) -> Alert:
    labels = {"alertname": name, "severity": severity, "namespace": namespace}
    if workload:
        labels["workload"] = workload
    labels.update(extra or {})
    made = Alert(
        labels=labels,
        annotations={"summary": summary, "description": "More than 5 error lines per minute in a workload's logs"},
        state="firing",
        starts_at=starts_at,
        active_at=starts_at + timedelta(seconds=30),
    )
    return made.resolved(resolved_at) if resolved_at else made


def notification(
    *alerts: Alert,
    channel: str = "team",
    group: Mapping[str, str] | None = None,
    dashboard_url: str | None = DASHBOARD,
    sent_at: datetime | None = None,
) -> Notification:
    chosen = alerts or (alert(),)
    labels = dict(group) if group is not None else {"alertname": chosen[0].name, "namespace": "chatbot-dev"}
    return Notification(
        channel=channel,
        group_key="0:" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        group_labels=labels,
        alerts=tuple(chosen),
        sent_at=sent_at or START + timedelta(minutes=1),
        dashboard_url=dashboard_url,
    )


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (so no one else takes it) but not listening."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])
