"""A generic webhook: Alertmanager's webhook JSON, signed with HMAC-SHA256 when a secret is set.

The body has the shape of Alertmanager's webhook (version "4"), so receivers written for
Alertmanager read kaido's as they are: `receiver`, `status`, `groupKey`, `groupLabels`,
`commonLabels`, `commonAnnotations`, `externalURL`, `truncatedAlerts`, and `alerts`, each with
`status`, `labels`, `annotations`, `startsAt`, `endsAt` (`0001-01-01T00:00:00Z` while firing, as
Alertmanager writes it), `generatorURL` and `fingerprint`.

Signature scheme, with the channel's `hmacSecretFile`/`hmacSecretEnv`:

    X-Kaido-Timestamp: <unix seconds when this attempt was sent>
    X-Kaido-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + raw body bytes)>

A receiver recomputes the HMAC over the timestamp header, a dot and the body exactly as received,
compares it in constant time (`hmac.compare_digest`), and rejects timestamps more than five
minutes from its own clock, so a captured request cannot be replayed later. Each retry is signed
afresh with its own timestamp. Without a secret, neither header is sent.

2xx is delivered; 408, 425, 429 and 5xx are retried; other answers are final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

import httpx2

from kaido.config.channels import WebhookChannel
from kaido.core.clock import Clock
from kaido.notify.channels.posting import Receiver, post, show_url
from kaido.notify.channels.render import common, rfc3339
from kaido.notify.channels.secrets import channel_secret
from kaido.notify.model import Alert, Notification

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Webhook", "sign", "webhook_payload"]

SIGNATURE_HEADER: Final = "X-Kaido-Signature"
TIMESTAMP_HEADER: Final = "X-Kaido-Timestamp"
ZERO_TIME: Final = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert that has not ended


def webhook_payload(notification: Notification, *, receiver: str) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) for `notification`, sent to the channel named `receiver`."""
    alerts = notification.alerts
    return {
        "version": "4",
        "receiver": receiver,
        "status": notification.status,
        "groupKey": notification.group_key,
        "truncatedAlerts": 0,
        "groupLabels": dict(notification.group_labels),
        "commonLabels": common(alert.labels for alert in alerts),
        "commonAnnotations": common(alert.annotations for alert in alerts),
        "externalURL": notification.dashboard_url or "",
        "alerts": [_alert(alert, generator_url=notification.dashboard_url or "") for alert in alerts],
    }


def _alert(alert: Alert, *, generator_url: str) -> dict[str, Any]:
    return {
        "status": "resolved" if alert.state == "resolved" else "firing",
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": rfc3339(alert.starts_at),
        "endsAt": rfc3339(alert.ends_at) if alert.ends_at else ZERO_TIME,
        "generatorURL": generator_url,
        "fingerprint": alert.fingerprint,
    }


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The X-Kaido-Signature value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Webhook:
    """POSTs each notification as JSON to a URL, signed when the channel has a secret."""

    kind = "webhook"

    def __init__(
        self, name: str, config: WebhookChannel, *, http: httpx2.AsyncClient, environ: Mapping[str, str], clock: Clock
    ) -> None:
        self.name = name
        self._config = config
        self._http = http
        self._environ = environ
        self._clock = clock

    async def send(self, notification: Notification) -> None:
        config = self._config
        label = f"channel {self.name} (webhook)"
        field = "hmacSecretFile" if config.hmac_secret_file is not None else "hmacSecretEnv"
        secret = channel_secret(lambda: config.hmac_secret(environ=self._environ), channel=label, field=field)
        body = json.dumps(webhook_payload(notification, receiver=self.name)).encode()
        headers: dict[str, str] = {}
        if secret is not None:
            # The time of this attempt, not of the notification: a retry must pass the receiver's replay window.
            timestamp = int(self._clock.now().timestamp())
            headers = {
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(body, secret=secret, timestamp=timestamp),
            }
        receiver = Receiver(
            channel=label,
            url=config.url,
            shown=show_url(config.url, secret=False),
            hint="check url" + (" and that the receiver uses the same HMAC secret" if secret else ""),
            secrets=(secret,) if secret else (),
        )
        await post(self._http, receiver, body, headers=headers, timeout=config.timeout)
