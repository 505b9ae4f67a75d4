"""Slack through an incoming webhook: a `text` fallback plus Block Kit blocks.

The message has a header with the title (`[FIRING:2] high-error-rate chatbot-dev`), one section
per alert (its summary, with severity, namespace, workload and state as fields), a context line
saying when and for which group, and an "Open in kaido" button when the dashboard URL is known.
Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone), so alert text is escaped.
Block Kit's limits (150 characters in a header, 3000 in a section, 50 blocks) are respected by
truncating; past `MAX_ALERTS` alerts, a context line counts the rest.

The webhook URL is the credential: it is read at send time, registered with the log redactor, and
shown only as `https://hooks.slack.com/***`. Slack answers 200 `ok`; 429 (with Retry-After) and 5xx
are retried; 400 `invalid_payload`, 403 `action_prohibited`, 404 `channel_not_found` and 410
`channel_is_archived` are final.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx2

from kaido.config.channels import SlackChannel
from kaido.notify.channels.posting import Receiver, post, show_url
from kaido.notify.channels.render import GENERATOR, alert_summary, rfc3339, title
from kaido.notify.channels.secrets import channel_secret, log_redactor
from kaido.notify.model import Alert, Notification

__all__ = ["MAX_ALERTS", "Slack", "slack_message"]

MAX_ALERTS: Final = 20  # sections; with header, context and actions well under Slack's 50 blocks
_HEADER_MAX: Final = 150
_SECTION_MAX: Final = 3000
_FIELD_MAX: Final = 2000
_TOKEN_MIN: Final = 12  # path segments this long are tokens (Slack's are 24); "services" is not
_SEVERITY_MARK: Final = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


def slack_message(notification: Notification, *, channel: str | None = None) -> dict[str, Any]:
    """The JSON body for an incoming webhook: fallback `text`, `blocks`, and `channel` when overridden."""
    heading = title(notification)
    mark = ":rotating_light:" if notification.status == "firing" else ":white_check_mark:"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(f"{mark} {heading}", _HEADER_MAX), "emoji": True},
        }
    ]
    blocks += [_alert_section(alert) for alert in notification.alerts[:MAX_ALERTS]]
    hidden = len(notification.alerts) - MAX_ALERTS
    if hidden > 0:
        blocks.append(_context(f"and {hidden} more alert{'s' if hidden > 1 else ''} in this group"))
    group = ", ".join(f"{key}={value}" for key, value in sorted(notification.group_labels.items()))
    blocks.append(
        _context(f"Sent by {GENERATOR} at {rfc3339(notification.sent_at)}" + (f" · {group}" if group else ""))
    )
    if notification.dashboard_url:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open in kaido"},
            "url": notification.dashboard_url,
            "action_id": "open-kaido",
        }
        blocks.append({"type": "actions", "elements": [button]})
    first = alert_summary(notification.alerts[0]) if notification.alerts else ""
    message: dict[str, Any] = {"text": f"{heading}: {first}" if first else heading, "blocks": blocks}
    if channel:
        message["channel"] = channel
    return message


def _alert_section(alert: Alert) -> dict[str, Any]:
    state = "Resolved" if alert.state == "resolved" else "Firing"
    mark = ":white_check_mark:" if alert.state == "resolved" else _SEVERITY_MARK.get(alert.severity, ":grey_question:")
    text = f"{mark} *{_escape(alert.name or 'alert')}*: {_escape(alert_summary(alert))}"
    fields = [("Severity", alert.severity), ("State", state)]
    fields += [(label, alert.labels[key]) for key, label in _FIELD_LABELS if alert.labels.get(key)]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut(text, _SECTION_MAX)},
        "fields": [
            {"type": "mrkdwn", "text": _cut(f"*{name}*\n{_escape(value)}", _FIELD_MAX)} for name, value in fields
        ],
    }


_FIELD_LABELS: Final = (("namespace", "Namespace"), ("workload", "Workload"), ("pod", "Pod"), ("node", "Node"))


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(_escape(text), _SECTION_MAX)}]}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Slack:
    """Posts each notification to a Slack incoming webhook."""

    kind = "slack"

    def __init__(
        self,
        name: str,
        config: SlackChannel,
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
        self._redactor = log_redactor()

    async def send(self, notification: Notification) -> None:
        label = f"channel {self.name} (slack)"
        field = "webhookUrlFile" if self._config.webhook_url_file is not None else "webhookUrlEnv"
        url = channel_secret(lambda: self._config.webhook_url(environ=self._environ), channel=label, field=field)
        secrets = _url_secrets(url)
        self._redactor.add(secrets)
        receiver = Receiver(
            channel=label,
            url=url,
            shown=show_url(url, secret=True),
            hint=f"check the webhook URL in {field} and that the Slack app is still installed",
            secrets=secrets,
        )
        body = json.dumps(slack_message(notification, channel=self._config.channel)).encode()
        await post(self._http, receiver, body, timeout=self._timeout)


def _url_secrets(url: str) -> tuple[str, ...]:
    """The URL, as written and as httpx2 prints it, and its token-like path segments: whatever could
    be quoted back (a log line, a server's error) must be masked."""
    try:
        printed = str(httpx2.URL(url))
    except (httpx2.InvalidURL, ValueError, TypeError):
        printed = url
    tokens = [part for part in urlsplit(url).path.split("/") if len(part) >= _TOKEN_MIN]
    return (url, printed, *tokens)
