"""Channels built from a policy, and policies whose channels are wrong failing with a clear message."""

from __future__ import annotations

import pytest

from kaido.config.alerts import AlertSettings
from kaido.config.errors import PolicyError
from kaido.config.loader import parse_policy
from kaido.core.clock import RealClock
from kaido.notify.channels import (
    Alertmanager,
    Email,
    KubernetesEvents,
    PagerDuty,
    Slack,
    Webhook,
    alertmanager_hold,
    build_channels,
)
from kaido.notify.model import DeliveryError
from tests.notify.channels.samples import notification

POLICY = """
alerts:
  routes:
    - channels: [events, team-slack]
      repeatInterval: 12h
  channels:
    team-slack: {type: slack, webhookUrlEnv: SLACK_WEBHOOK_URL}
    mail: {type: email, smtpHost: relay.example.com, from: kaido@example.com, to: [sre@example.com]}
    oncall: {type: pagerduty, routingKeyFile: /etc/kaido/secrets/pagerduty}
    hook: {type: webhook, url: "https://hooks.example.com/kaido", hmacSecretEnv: HOOK_SECRET}
    am: {type: alertmanager, url: "http://alertmanager:9093"}
"""


class NoKube:
    """Stands in for kaido.kube.Kube; building a channel never calls it."""

    async def get(self, *args, **kwargs):
        raise AssertionError("not called")

    async def post_event(self, **kwargs):
        raise AssertionError("not called")


async def test_every_channel_of_the_policy_is_built(http) -> None:
    settings = parse_policy(POLICY, source="policy.yaml").alerts
    channels = build_channels(
        settings, environ={}, http=http, clock=RealClock(), kube=NoKube(), reporting_instance="kaido-0"
    )
    types = {name: type(channel) for name, channel in channels.items()}
    assert types == {
        "events": KubernetesEvents,
        "team-slack": Slack,
        "mail": Email,
        "oncall": PagerDuty,
        "hook": Webhook,
        "am": Alertmanager,
    }
    assert {name: channel.kind for name, channel in channels.items()} == {
        "events": "kubernetes-events",
        "team-slack": "slack",
        "mail": "email",
        "oncall": "pagerduty",
        "hook": "webhook",
        "am": "alertmanager",
    }
    assert all(channel.name == name for name, channel in channels.items())


async def test_without_a_cluster_there_is_no_events_channel(http) -> None:
    channels = build_channels(
        AlertSettings(), environ={}, http=http, clock=RealClock(), kube=None, reporting_instance="kaido-0"
    )
    assert channels == {}


def test_alertmanager_keeps_firing_alerts_past_the_longest_repeat() -> None:
    assert alertmanager_hold(AlertSettings()) == 8 * 3600
    assert alertmanager_hold(parse_policy(POLICY, source="p").alerts) == 24 * 3600


async def test_building_reads_no_secret_and_sending_names_the_missing_one(http) -> None:
    settings = parse_policy(POLICY, source="policy.yaml").alerts
    channels = build_channels(settings, environ={}, http=http, clock=RealClock(), kube=None, reporting_instance="k")
    with pytest.raises(DeliveryError) as failed:
        await channels["oncall"].send(notification(channel="oncall"))
    assert str(failed.value) == (
        "channel oncall (pagerduty): routingKeyFile: PagerDuty routing key: cannot read "
        "/etc/kaido/secrets/pagerduty (No such file or directory); mount the Secret there"
    )


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            '{type: slack, webhookUrl: "https://hooks.slack.com/services/T/B/X"}',
            "alerts.channels.bad.webhookUrl: secrets are not written in the policy; put it in a mounted Secret "
            "and set webhookUrlFile to its path, or in an environment variable and set webhookUrlEnv to its name",
        ),
        ("{type: slack}", "alerts.channels.bad: set webhookUrlFile (a mounted Secret) or webhookUrlEnv"),
        ("{type: pagerduty, routingKey: abc}", "alerts.channels.bad.routingKey: secrets are not written"),
        ('{type: webhook, url: "http://x", secret: abc}', "alerts.channels.bad.secret: secrets are not written"),
        (
            "{type: email, smtpHost: relay, from: kaido, to: [a@b.c]}",
            "alerts.channels.bad.from: 'kaido' is not a mail address",
        ),
        ("{type: email, smtpHost: relay, from: a@b.c, to: [a@b.c], tls: ssl}", "alerts.channels.bad.tls"),
        ("{type: webhok, url: http://x}", "did you mean 'webhook'?"),
        ("{type: slack, webhookUrlEnv: KAIDO_SLACK}", "KAIDO_ variables are policy overrides"),
    ],
)
def test_bad_channels_fail_validation_naming_the_channel_and_field(channel: str, message: str) -> None:
    with pytest.raises(PolicyError) as failed:
        parse_policy(f"alerts:\n  channels:\n    bad: {channel}\n", source="policy.yaml")
    assert message in str(failed.value)
    assert "policy.yaml" in str(failed.value)
    assert "services/T/B/X" not in str(failed.value)  # an inline secret is not repeated back
    assert "abc" not in str(failed.value)
