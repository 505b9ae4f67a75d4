"""Slack: Block Kit payloads checked against a local receiver; the webhook URL never shows."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from kaido.config.channels import SlackChannel
from kaido.notify.channels.posting import HttpDeliveryError
from kaido.notify.channels.slack import MAX_ALERTS, Slack, slack_message
from kaido.notify.model import DeliveryError
from tests.notify.channels.samples import DASHBOARD, START, alert, notification, refused_port

HOOK_PATH = "/services/T0KAIDO/B0KAIDO/s3cr3tW3bh00kT0k3n"
TOKEN = "s3cr3tW3bh00kT0k3n"


def slack(url_file: str, *, channel: str | None = None) -> SlackChannel:
    return SlackChannel.model_validate({"type": "slack", "webhookUrlFile": url_file, "channel": channel})


def test_message_has_fallback_text_header_sections_context_and_button() -> None:
    message = slack_message(notification(alert(), alert(workload="deployment/frontend", severity="warning")))
    assert message["text"].startswith("[FIRING:2] high-error-rate chatbot-dev: 12 error lines")
    header, first, second, context, actions = message["blocks"]
    assert header["type"] == "header"
    assert header["text"]["type"] == "plain_text"
    assert "[FIRING:2] high-error-rate chatbot-dev" in header["text"]["text"]
    assert first["type"] == "section"
    assert first["text"]["type"] == "mrkdwn"
    assert "*high-error-rate*: 12 error lines" in first["text"]["text"]
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in first["fields"]}
    assert fields == {
        "*Severity*": "critical",
        "*State*": "Firing",
        "*Namespace*": "chatbot-dev",
        "*Workload*": "deployment/backend",
    }
    assert {f["text"] for f in second["fields"]} >= {"*Severity*\nwarning", "*Workload*\ndeployment/frontend"}
    assert context["type"] == "context"
    assert context["elements"][0]["type"] == "mrkdwn"
    assert "alertname=high-error-rate" in context["elements"][0]["text"]
    button = actions["elements"][0]
    assert (actions["type"], button["type"], button["text"]["text"], button["url"]) == (
        "actions",
        "button",
        "Open in kaido",
        DASHBOARD,
    )
    assert "channel" not in message


def test_resolved_message_says_so_and_there_is_no_button_without_a_dashboard() -> None:
    done = notification(alert(resolved_at=START + timedelta(minutes=5)), dashboard_url=None)
    message = slack_message(done, channel="#ops")
    assert message["channel"] == "#ops"
    assert message["text"].startswith("[RESOLVED] high-error-rate chatbot-dev")
    assert ":white_check_mark:" in message["blocks"][0]["text"]["text"]
    assert "*State*\nResolved" in [f["text"] for f in message["blocks"][1]["fields"]]
    assert all(block["type"] != "actions" for block in message["blocks"])


def test_markup_in_alert_text_is_escaped() -> None:
    message = slack_message(notification(alert(summary="<!channel> & <http://evil|click>")))
    text = message["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in text
    assert "<!channel>" not in json.dumps(message["blocks"])


def test_block_kit_limits_hold_for_large_groups() -> None:
    many = [alert(workload=f"deployment/w{i}", summary="x" * 5000) for i in range(MAX_ALERTS + 7)]
    message = slack_message(notification(*many, group={"alertname": "y" * 400}))
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == MAX_ALERTS
    assert all(len(s["text"]["text"]) <= 3000 and len(s["fields"]) <= 10 for s in sections)
    assert any("and 7 more alerts" in e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


async def test_posts_to_the_webhook(httpserver: HTTPServer, http, secret_file) -> None:
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    channel = Slack(
        "team-slack", slack(secret_file(httpserver.url_for(HOOK_PATH)), channel="#ops"), http=http, environ={}
    )
    await channel.send(notification())
    ((request, response),) = httpserver.log
    assert response.status_code == 200
    assert request.headers["Content-Type"] == "application/json"
    body = request.get_json()
    assert body["channel"] == "#ops"
    assert body["text"].startswith("[FIRING:1]")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context", "actions"]


async def test_the_webhook_url_never_appears_in_logs_or_errors(
    httpserver: HTTPServer, http, secret_file, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    httpserver.expect_request("/gone" + HOOK_PATH, method="POST").respond_with_data(
        f"no_service for {TOKEN}", status=404
    )
    good = Slack("team-slack", slack(secret_file(httpserver.url_for(HOOK_PATH), "good")), http=http, environ={})
    await good.send(notification())
    assert "HTTP Request: POST ***" in caplog.text  # httpx2 did log the request, masked
    bad = Slack("team-slack", slack(secret_file(httpserver.url_for("/gone" + HOOK_PATH), "bad")), http=http, environ={})
    with pytest.raises(DeliveryError) as gone:
        await bad.send(notification())
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}{HOOK_PATH}"
        refused = Slack("team-slack", slack(secret_file(url, "refused")), http=http, environ={})
        with pytest.raises(DeliveryError) as unreachable:
            await refused.send(notification())
    assert not gone.value.retryable
    assert "channel team-slack (slack)" in str(gone.value)
    assert "404" in str(gone.value)
    assert "webhookUrlFile" in str(gone.value)
    assert unreachable.value.retryable
    # everything kaido and its libraries logged; the receiver's own access log (werkzeug) is not kaido's
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    for text in (logged, str(gone.value), str(unreachable.value)):
        assert TOKEN not in text
    assert unreachable.value.__cause__ is None  # the library's exception could quote the URL


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "retry_after"),
    [(429, {"Retry-After": "3"}, True, 3.0), (500, {}, True, None), (400, {}, False, None), (403, {}, False, None)],
)
async def test_answers_are_classified(
    httpserver: HTTPServer, http, secret_file, status, headers, retryable, retry_after
):
    httpserver.expect_request(HOOK_PATH).respond_with_response(Response("invalid_payload", status, headers=headers))
    channel = Slack("team-slack", slack(secret_file(httpserver.url_for(HOOK_PATH))), http=http, environ={})
    with pytest.raises(HttpDeliveryError) as failed:
        await channel.send(notification())
    assert (failed.value.status, failed.value.retryable, failed.value.retry_after) == (status, retryable, retry_after)
    assert "invalid_payload" in str(failed.value)


async def test_a_missing_secret_names_the_channel_and_field(http, tmp_path) -> None:
    missing = Slack("team-slack", slack(str(tmp_path / "nope")), http=http, environ={})
    with pytest.raises(DeliveryError) as from_file:
        await missing.send(notification())
    unset = Slack("team-slack", SlackChannel(type="slack", webhook_url_env="SLACK_WEBHOOK_URL"), http=http, environ={})
    with pytest.raises(DeliveryError) as from_env:
        await unset.send(notification())
    assert not from_file.value.retryable
    assert str(from_file.value).startswith("channel team-slack (slack): webhookUrlFile: slack webhook URL: cannot read")
    assert "mount the Secret there" in str(from_file.value)
    assert str(from_env.value) == (
        "channel team-slack (slack): webhookUrlEnv: slack webhook URL: environment variable SLACK_WEBHOOK_URL "
        "is not set; set it in the agent's pod spec"
    )


async def test_the_url_is_read_at_send_time(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request("/first").respond_with_data("ok")
    httpserver.expect_request("/second").respond_with_data("ok")
    environ = {"SLACK_URL": httpserver.url_for("/first")}
    channel = Slack("s", SlackChannel(type="slack", webhook_url_env="SLACK_URL"), http=http, environ=environ)
    await channel.send(notification())
    environ["SLACK_URL"] = httpserver.url_for("/second")  # a rotated Secret
    await channel.send(notification())
    assert [request.path for request, _ in httpserver.log] == ["/first", "/second"]
