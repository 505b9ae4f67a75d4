"""Prometheus Alertmanager as a receiver: kaido posts its alerts to `POST /api/v2/alerts`.

Teams that already route, silence and inhibit with Alertmanager can use kaido as one more alert
source, as Prometheus is one: each alert becomes a postableAlert with its labels (the identity
Alertmanager groups and deduplicates by), annotations, startsAt, endsAt and generatorURL (the
dashboard). Alertmanager learns that an alert is resolved from an endsAt in the past, so a resolved
alert is posted with endsAt = the time it resolved.

A firing alert is posted with endsAt = now + `hold`. Alertmanager resolves by itself an alert whose
endsAt has passed, which is what a source that stops sending (kaido stopped, or lost its lead)
should look like; kaido resends firing alerts at the route's repeat interval, so `hold` must be
longer than that (build_channels passes twice the longest repeat interval of the policy). Prometheus
does the same with four evaluation intervals.

Alertmanager's label names are `[a-zA-Z_][a-zA-Z0-9_]*`; other characters become `_`, and empty
values are left out (Alertmanager treats them as absent). It answers 200; 400 (an invalid alert) is
final; 5xx and no answer are retried, which is harmless because Alertmanager merges by labels.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, Final

import httpx2

from kaido.config.channels import AlertmanagerChannel
from kaido.core.clock import Clock
from kaido.notify.channels.posting import Receiver, post, show_url
from kaido.notify.channels.render import rfc3339
from kaido.notify.model import Alert, Notification

__all__ = ["DEFAULT_HOLD", "Alertmanager", "alertmanager_alerts"]

DEFAULT_HOLD: Final = 8 * 3600.0  # twice the default repeat interval (4h)
_INVALID: Final = re.compile(r"[^a-zA-Z0-9_]")


def alertmanager_alerts(
    notification: Notification, *, now: datetime, hold: float = DEFAULT_HOLD
) -> list[dict[str, Any]]:
    """The postableAlerts for `notification`: firing ones end at now + hold, resolved ones when they resolved."""
    return [
        _postable(alert, now=now, hold=hold, generator_url=notification.dashboard_url) for alert in notification.alerts
    ]


def _postable(alert: Alert, *, now: datetime, hold: float, generator_url: str | None) -> dict[str, Any]:
    starts = alert.active_at or alert.starts_at
    if alert.state == "resolved":
        ends = max(alert.ends_at or now, starts)  # Alertmanager rejects an end before the start
    else:
        ends = max(now, starts) + timedelta(seconds=hold)
    body: dict[str, Any] = {
        "labels": _labels(alert.labels),
        "annotations": {key: value for key, value in alert.annotations.items() if value},
        "startsAt": rfc3339(starts),
        "endsAt": rfc3339(ends),
    }
    if generator_url:
        body["generatorURL"] = generator_url
    return body


def _labels(labels: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in sorted(labels.items()):
        if not value:
            continue
        clean = _INVALID.sub("_", name)
        out["_" + clean if clean[:1].isdigit() else clean] = value
    return out


class Alertmanager:
    """Posts each notification's alerts to an Alertmanager, which routes them itself."""

    kind = "alertmanager"

    def __init__(
        self,
        name: str,
        config: AlertmanagerChannel,
        *,
        http: httpx2.AsyncClient,
        clock: Clock,
        hold: float = DEFAULT_HOLD,
        timeout: float = 10.0,
    ) -> None:
        if hold <= 0:
            raise ValueError(f"channel {name} (alertmanager): hold must be positive, not {hold}")
        self.name = name
        self._url = config.url.rstrip("/") + "/api/v2/alerts"
        self._http = http
        self._clock = clock
        self._hold = hold
        self._timeout = timeout

    async def send(self, notification: Notification) -> None:
        receiver = Receiver(
            channel=f"channel {self.name} (alertmanager)",
            url=self._url,
            shown=show_url(self._url, secret=False),
            hint="check url (the Alertmanager's base URL, with its --web.route-prefix if any)",
        )
        alerts = alertmanager_alerts(notification, now=self._clock.now(), hold=self._hold)
        await post(self._http, receiver, json.dumps(alerts).encode(), timeout=self._timeout)
