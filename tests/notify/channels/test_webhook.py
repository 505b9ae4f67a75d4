"""The generic webhook: Alertmanager-shaped JSON with an HMAC signature the receiver can verify."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer

from kaido.config.channels import WebhookChannel
from kaido.core.clock import ManualClock, RealClock
from kaido.notify.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook, sign
from kaido.notify.model import DeliveryError
from tests.notify.channels.samples import DASHBOARD, START, alert, notification

SECRET = "wh-s3cret-value-for-hmac"


def webhook(url: str, **kwargs) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url": url, **kwargs})


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does, written from the documented scheme and not from kaido's code."""
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


async def test_signed_alertmanager_shaped_body(httpserver: HTTPServer, http, secret_file) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    channel = Webhook(
        "ops-hook",
        webhook(httpserver.url_for("/hook"), hmacSecretFile=secret_file(SECRET)),
        http=http,
        environ={},
        clock=RealClock(),
    )
    resolved = alert(workload="deployment/frontend", summary="7 error lines", resolved_at=START + timedelta(minutes=4))
    await channel.send(notification(alert(), resolved))
    ((request, _),) = httpserver.log
    raw = request.get_data()
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert abs(int(timestamp) - time.time()) < 60
    assert verify(SECRET, timestamp, raw, request.headers[SIGNATURE_HEADER])
    assert not verify("another-secret", timestamp, raw, request.headers[SIGNATURE_HEADER])
    assert not verify(SECRET, str(int(timestamp) - 600), raw, request.headers[SIGNATURE_HEADER])  # replay
    body = request.get_json()
    assert body["version"] == "4"
    assert body["receiver"] == "ops-hook"
    assert body["status"] == "firing"
    assert body["groupKey"] == "0:alertname=high-error-rate,namespace=chatbot-dev"
    assert body["groupLabels"] == {"alertname": "high-error-rate", "namespace": "chatbot-dev"}
    assert body["commonLabels"] == {"alertname": "high-error-rate", "severity": "critical", "namespace": "chatbot-dev"}
    assert body["commonAnnotations"] == {"description": "More than 5 error lines per minute in a workload's logs"}
    assert body["externalURL"] == DASHBOARD
    assert body["truncatedAlerts"] == 0
    first, second = body["alerts"]
    assert first == {
        "status": "firing",
        "labels": dict(alert().labels),
        "annotations": dict(alert().annotations),
        "startsAt": "2026-03-01T12:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": DASHBOARD,
        "fingerprint": alert().fingerprint,
    }
    assert (second["status"], second["endsAt"]) == ("resolved", "2026-03-01T12:04:00Z")


async def test_each_attempt_is_signed_with_its_own_time(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    clock = ManualClock(START)
    channel = Webhook(
        "h",
        webhook(httpserver.url_for("/hook"), hmacSecretEnv="HOOK_SECRET"),
        http=http,
        environ={"HOOK_SECRET": SECRET},
        clock=clock,
    )
    same = notification()
    await channel.send(same)
    clock.advance(90)
    await channel.send(same)
    stamps = [int(request.headers[TIMESTAMP_HEADER]) for request, _ in httpserver.log]
    assert stamps == [int(START.timestamp()), int(START.timestamp()) + 90]
    for request, _ in httpserver.log:
        expected = sign(request.get_data(), secret=SECRET, timestamp=int(request.headers[TIMESTAMP_HEADER]))
        assert request.headers[SIGNATURE_HEADER] == expected


async def test_without_a_secret_there_is_no_signature(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    await Webhook("h", webhook(httpserver.url_for("/hook")), http=http, environ={}, clock=RealClock()).send(
        notification()
    )
    ((request, _),) = httpserver.log
    assert SIGNATURE_HEADER not in request.headers
    assert TIMESTAMP_HEADER not in request.headers


async def test_failures_keep_the_secret_out_and_hide_query_tokens(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request("/hook").respond_with_data(f"upstream down {SECRET}", status=503)
    url = httpserver.url_for("/hook") + "?token=qu3ryT0ken"
    channel = Webhook("h", webhook(url, hmacSecretEnv="S"), http=http, environ={"S": SECRET}, clock=RealClock())
    with pytest.raises(DeliveryError) as failed:
        await channel.send(notification())
    text = str(failed.value)
    assert failed.value.retryable
    assert text.startswith(f"channel h (webhook): POST {httpserver.url_for('/hook')}?*** answered 503")
    assert SECRET not in text
    assert "qu3ryT0ken" not in text


async def test_the_configured_timeout_applies(http) -> None:
    release, handlers = asyncio.Event(), []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())
        await release.wait()  # answer nothing until the test ends
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    channel = Webhook(
        "slow", webhook(f"http://127.0.0.1:{port}/", timeout="200ms"), http=http, environ={}, clock=RealClock()
    )
    with pytest.raises(DeliveryError, match=r"no answer within 0\.2 s") as failed:
        await channel.send(notification())
    assert failed.value.retryable
    release.set()
    await asyncio.gather(*handlers)
    server.close()
    await server.wait_closed()
