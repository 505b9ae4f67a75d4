"""Delivery channels: Slack, e-mail, PagerDuty, a signed webhook, Alertmanager and Kubernetes Events.

Each implements `kaido.notify.model.Channel` (`name`, `kind`, `async send(notification)`), sends
once and raises DeliveryError on failure; retries and queues are the dispatcher's. `build_channels`
makes them from the policy's `alerts.channels`.
"""

from kaido.notify.channels.alertmanager import Alertmanager, alertmanager_alerts
from kaido.notify.channels.build import alertmanager_hold, build_channels
from kaido.notify.channels.email import Email, email_message
from kaido.notify.channels.events import EventWriter, KubernetesEvents
from kaido.notify.channels.pagerduty import PagerDuty, pagerduty_event
from kaido.notify.channels.posting import HttpDeliveryError
from kaido.notify.channels.slack import Slack, slack_message
from kaido.notify.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook, sign, webhook_payload

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Alertmanager",
    "Email",
    "EventWriter",
    "HttpDeliveryError",
    "KubernetesEvents",
    "PagerDuty",
    "Slack",
    "Webhook",
    "alertmanager_alerts",
    "alertmanager_hold",
    "build_channels",
    "email_message",
    "pagerduty_event",
    "sign",
    "slack_message",
    "webhook_payload",
]
