"""Groups of alerts and when they are notified: Alertmanager's group_wait, group_interval, repeat_interval.

Firing alerts with the same destination (`kaido.notify.routing`) form a group. A group is flushed
on a timer: first `group_wait` after it was created, so alerts that start together are sent
together; then every `group_interval`. At each flush the group decides whether to notify by
comparing what it would send with what it last sent (the de-duplication log of one entry):

- nothing sent yet: notify if anything is firing;
- an alert is firing that was not in the last notification: notify (a new problem);
- everything that was firing has resolved: notify (the resolved notification);
- an alert has resolved that the last notification did not report as resolved: notify;
- otherwise notify only when `repeat_interval` has passed since the last notification.

So a changed group is notified at most once per `group_interval`, an unchanged one once per
`repeat_interval`, and the same alerts in the same states are never sent twice within it. Muted
alerts (silenced or inhibited) are left out of what a flush sees, so they neither cause nor appear
in a notification; if nothing is left, nothing is sent and the log is unchanged, so an alert whose
silence expires is notified at the next flush. Resolved alerts leave the group after the flush that
saw them; a group with no alerts left is removed, and a problem that comes back starts a new group.

A resolved alert only updates a group that already holds it: resolution never creates a group.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kaido.config.alerts import Route
from kaido.notify.model import Alert, Notification
from kaido.notify.routing import Destination

__all__ = ["Group", "Sent", "flush_due", "needs_update", "sync_groups"]


@dataclass(frozen=True, slots=True)
class Sent:
    """What a group last notified: fingerprints firing and resolved, and when."""

    firing: frozenset[str]
    resolved: frozenset[str]
    at: datetime


@dataclass(slots=True, kw_only=True)
class Group:
    """One group's alerts (the last state seen of each) and its notification timer and log."""

    key: str
    labels: Mapping[str, str]
    route_id: str
    route: Route
    channels: tuple[str, ...]
    created_at: datetime
    next_flush: datetime
    alerts: dict[str, Alert] = field(default_factory=dict)
    last_sent: Sent | None = None

    @classmethod
    def start(cls, destination: Destination, *, now: datetime) -> Group:
        return cls(
            key=destination.group_key,
            labels=dict(destination.group_labels),
            route_id=destination.route_id,
            route=destination.route,
            channels=destination.channels,
            created_at=now,
            next_flush=now + timedelta(seconds=destination.route.group_wait),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "group_key": self.key,
            "labels": dict(self.labels),
            "route": self.route_id,
            "channels": list(self.channels),
            "alerts": [{"fingerprint": fp, "state": a.state} for fp, a in sorted(self.alerts.items())],
            "created_at": self.created_at.isoformat(),
            "next_flush": self.next_flush.isoformat(),
            "last_notified_at": self.last_sent.at.isoformat() if self.last_sent else None,
        }


def needs_update(
    last: Sent | None, firing: frozenset[str], resolved: frozenset[str], *, now: datetime, repeat_interval: float
) -> bool:
    """Whether a flush that sees `firing` and `resolved` (unmuted fingerprints) must notify."""
    if not firing and not resolved:
        return False
    if last is None:
        return bool(firing)
    if not firing <= last.firing:
        return True
    if last.firing and not firing:
        return True
    if not resolved <= last.resolved:
        return True
    # ">=": a repeat interval that is a multiple of the group interval repeats on that flush, not one later.
    return bool(firing) and now - last.at >= timedelta(seconds=repeat_interval)


def sync_groups(
    groups: dict[str, Group],
    alerts: Mapping[str, Alert],
    destinations: Mapping[str, Iterable[Destination]],
    *,
    now: datetime,
) -> None:
    """Bring every group up to date with the alerts after an evaluation.

    `destinations` gives, for each firing alert, where it is routed now. A group's copy of an alert
    follows the alert; a firing alert routed elsewhere (the policy changed) leaves the group quietly.
    """
    routed: dict[str, set[str]] = {fp: {d.group_key for d in ds} for fp, ds in destinations.items()}
    for group in groups.values():
        for fp, copy in list(group.alerts.items()):
            current = alerts.get(fp)
            if current is None or current.state == "pending":
                # Vanished or pending again: the group keeps it as resolved until a flush reports that.
                if copy.state == "firing":
                    group.alerts[fp] = copy.resolved(now)
            elif current.state == "resolved" or group.key in routed.get(fp, ()):
                group.alerts[fp] = current
            else:
                del group.alerts[fp]
    for fp, targets in destinations.items():
        alert = alerts[fp]
        for destination in targets:
            if destination.group_key not in groups:
                groups[destination.group_key] = Group.start(destination, now=now)
            group = groups[destination.group_key]
            # Timings and channels follow the policy as it is now (it may have been reloaded).
            group.route, group.channels = destination.route, destination.channels
            group.alerts[fp] = alert
    for key in [key for key, group in groups.items() if not group.alerts]:
        del groups[key]


def _order(alert: Alert) -> tuple[datetime, str]:
    return (alert.active_at or alert.starts_at, alert.fingerprint)


def _flush(group: Group, *, now: datetime, muted: Collection[str], dashboard_url: str | None) -> list[Notification]:
    visible = [a for fp, a in group.alerts.items() if fp not in muted]
    firing = sorted((a for a in visible if a.state == "firing"), key=_order)
    resolved = sorted((a for a in visible if a.state == "resolved"), key=_order)
    firing_fps = frozenset(a.fingerprint for a in firing)
    resolved_fps = frozenset(a.fingerprint for a in resolved)
    notify = needs_update(
        group.last_sent, firing_fps, resolved_fps, now=now, repeat_interval=group.route.repeat_interval
    )
    notifications: list[Notification] = []
    if notify:
        group.last_sent = Sent(firing_fps, resolved_fps, now)
        notifications = [
            Notification(
                channel=channel,
                group_key=group.key,
                group_labels=dict(group.labels),
                alerts=(*firing, *resolved),
                sent_at=now,
                dashboard_url=dashboard_url,
            )
            for channel in group.channels
        ]
    for fp in [fp for fp, a in group.alerts.items() if a.state == "resolved"]:
        del group.alerts[fp]  # reported (or muted): a resolved alert is told once
    group.next_flush = now + timedelta(seconds=group.route.group_interval)
    return notifications


def flush_due(
    groups: dict[str, Group], *, now: datetime, muted: Collection[str], dashboard_url: str | None
) -> list[Notification]:
    """Flush every group whose timer has come; the notifications due, ordered by group creation."""
    notifications: list[Notification] = []
    for key, group in sorted(groups.items(), key=lambda item: (item[1].created_at, item[0])):
        if now >= group.next_flush:
            notifications += _flush(group, now=now, muted=muted, dashboard_url=dashboard_url)
            if not group.alerts:
                del groups[key]
    return notifications
