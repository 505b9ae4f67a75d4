"""Channels from the policy: one delivery object per entry of `alerts.channels`, plus `events`.

Building reads no secret and opens no connection; channels read their secrets when they send, so
a rotated Secret takes effect without a reload and a missing one fails only that channel, with the
field to fix. The built-in `events` channel needs a Kubernetes client; without one (a command that
runs with no cluster) it is left out, and the dispatcher reports notifications for it as undeliverable.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Final

import httpx2

from kaido.config.alerts import AlertSettings
from kaido.config.channels import (
    AlertmanagerChannel,
    EmailChannel,
    KubernetesEventsChannel,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
)
from kaido.core.clock import Clock
from kaido.notify.channels.alertmanager import DEFAULT_HOLD, Alertmanager
from kaido.notify.channels.email import Email
from kaido.notify.channels.events import EventWriter, KubernetesEvents
from kaido.notify.channels.pagerduty import PagerDuty
from kaido.notify.channels.slack import Slack
from kaido.notify.channels.webhook import Webhook
from kaido.notify.model import Channel

__all__ = ["alertmanager_hold", "build_channels"]

_HOLD_FACTOR: Final = 2.0  # a firing alert outlives one missed repeat in Alertmanager, not two


def alertmanager_hold(settings: AlertSettings) -> float:
    """How long Alertmanager keeps a firing alert kaido does not resend: twice the longest repeat interval."""
    longest = max((route.repeat_interval for route in settings.routes), default=0.0)
    return max(DEFAULT_HOLD, _HOLD_FACTOR * longest)


def build_channels(
    settings: AlertSettings,
    *,
    environ: Mapping[str, str],
    http: httpx2.AsyncClient,
    clock: Clock,
    kube: EventWriter | None,
    reporting_instance: str,
    smtp_tls_context: ssl.SSLContext | None = None,
) -> dict[str, Channel]:
    """Name -> channel for every channel of `settings` (the built-in `events` included when `kube` is given).

    `environ` is where `…Env` secrets are looked up; `http` is shared by the HTTP channels;
    `reporting_instance` names this agent in Events; `smtp_tls_context` replaces the system's CAs
    for SMTP relays with a private certificate authority.
    """
    hold = alertmanager_hold(settings)
    channels: dict[str, Channel] = {}
    for name, config in settings.all_channels().items():
        match config:
            case SlackChannel():
                channels[name] = Slack(name, config, http=http, environ=environ)
            case EmailChannel():
                channels[name] = Email(name, config, environ=environ, tls_context=smtp_tls_context)
            case PagerDutyChannel():
                channels[name] = PagerDuty(name, config, http=http, environ=environ)
            case WebhookChannel():
                channels[name] = Webhook(name, config, http=http, environ=environ, clock=clock)
            case AlertmanagerChannel():
                channels[name] = Alertmanager(name, config, http=http, clock=clock, hold=hold)
            case KubernetesEventsChannel():
                if kube is not None:
                    channels[name] = KubernetesEvents(name, kube=kube, reporting_instance=reporting_instance)
    return channels
