"""PagerDuty Events API v2: one event per alert, triggered while firing and resolved by its dedup_key.

The dedup_key is the alert's fingerprint (a hash of its labels), so repeats of a firing alert
update one PagerDuty alert instead of opening new ones, and the resolve event closes exactly it;
this also makes a retried notification harmless. A trigger carries `payload` (summary up to 1024
characters, source, severity, timestamp, component, group, class, custom_details), a link to the
dashboard and `client`/`client_url`; a resolve carries only the routing key, action and dedup_key.

kaido's severities map onto PagerDuty's four (critical, error, warning, info); an unknown one
becomes `error`. PagerDuty answers 202; 429 and 5xx are retried, 400 (an invalid event, a wrong
routing key) is final. The routing key is read at send time and scrubbed from every message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import httpx2

from kaido.config.channels import PagerDutyChannel
from kaido.notify.channels.posting import URL_OR_CREDENTIALS, Receiver, post, show_url
from kaido.notify.channels.render import GENERATOR, alert_headline, alert_target, object_name, rfc3339
from kaido.notify.channels.secrets import channel_secret
from kaido.notify.model import Alert, Notification

__all__ = ["PagerDuty", "pagerduty_event", "pagerduty_severity"]

_SUMMARY_MAX: Final = 1024
_SEVERITIES: Final = frozenset({"critical", "error", "warning", "info"})


def pagerduty_severity(severity: str) -> str:
    return severity if severity in _SEVERITIES else "error"


def pagerduty_event(alert: Alert, *, routing_key: str, dashboard_url: str | None) -> dict[str, Any]:
    """The Events API v2 body for one alert: `trigger` while firing, `resolve` once resolved."""
    if alert.state == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.fingerprint}
    labels = alert.labels
    summary = alert_headline(alert)
    payload: dict[str, Any] = {
        "summary": summary if len(summary) <= _SUMMARY_MAX else summary[: _SUMMARY_MAX - 1] + "…",
        "source": alert_target(alert) or GENERATOR,
        "severity": pagerduty_severity(alert.severity),
        "timestamp": rfc3339(alert.active_at or alert.starts_at),
        "class": alert.name or "alert",
        "custom_details": {"labels": dict(labels), "annotations": dict(alert.annotations)},
    }
    component = object_name(alert)
    if component:
        payload["component"] = component
    if labels.get("namespace"):
        payload["group"] = labels["namespace"]
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.fingerprint,
        "payload": payload,
        "client": GENERATOR,
    }
    if dashboard_url:
        event["client_url"] = dashboard_url
        event["links"] = [{"href": dashboard_url, "text": "Open in kaido"}]
    return event


class PagerDuty:
    """Sends each alert of a notification to PagerDuty as its own event."""

    kind = "pagerduty"

    def __init__(
        self,
        name: str,
        config: PagerDutyChannel,
        *,
        http: httpx2.AsyncClient,
        environ: Mapping[str, str],
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._config = config
        self._http = http
        self._environ = environ
        self._timeout = timeout

    async def send(self, notification: Notification) -> None:
        config = self._config
        label = f"channel {self.name} (pagerduty)"
        field = "routingKeyFile" if config.routing_key_file is not None else "routingKeyEnv"
        key = channel_secret(lambda: config.routing_key(environ=self._environ), channel=label, field=field)
        receiver = Receiver(
            channel=label,
            url=config.url,
            shown=show_url(config.url, secret=False),
            hint=f"check the routing key in {field} (an Events API v2 integration key) and url",
            secrets=(key,),
            hint_on=URL_OR_CREDENTIALS | {400},  # PagerDuty answers a wrong routing key with 400
        )
        # One by one, in order; on a failure the retry resends all, which the dedup_key makes harmless.
        for alert in notification.alerts:
            event = pagerduty_event(alert, routing_key=key, dashboard_url=notification.dashboard_url)
            await post(self._http, receiver, json.dumps(event).encode(), timeout=self._timeout)
