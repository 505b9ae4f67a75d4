"""PagerDuty Events API v2: trigger and resolve by dedup_key, checked at a local receiver."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kaido.config.channels import PagerDutyChannel
from kaido.notify.channels.pagerduty import PagerDuty, pagerduty_event, pagerduty_severity
from kaido.notify.model import DeliveryError
from tests.notify.channels.samples import DASHBOARD, START, alert, notification

KEY = "R0UT1NGK3Y0123456789abcdef012345"
ENQUEUE = "/v2/enqueue"


def accepted(request: Request) -> Response:
    event = request.get_json()
    answer = {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
    return Response(json.dumps(answer), status=202, content_type="application/json")


def channel(httpserver: HTTPServer, http, environ) -> PagerDuty:
    config = PagerDutyChannel(type="pagerduty", routing_key_env="PD_ROUTING_KEY", url=httpserver.url_for(ENQUEUE))
    return PagerDuty("oncall", config, http=http, environ=environ)


def test_severities_map_onto_pagerdutys_four() -> None:
    assert [pagerduty_severity(s) for s in ("critical", "warning", "info", "page-me")] == [
        "critical",
        "warning",
        "info",
        "error",
    ]


def test_trigger_event_shape() -> None:
    event = pagerduty_event(alert(), routing_key=KEY, dashboard_url=DASHBOARD)
    assert event["routing_key"] == KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == alert().fingerprint
    assert event["client"] == "kaido"
    assert event["client_url"] == DASHBOARD
    assert event["links"] == [{"href": DASHBOARD, "text": "Open in kaido"}]
    payload = event["payload"]
    assert payload["summary"].startswith("high-error-rate (critical) on deployment chatbot-dev/backend: 12 error")
    assert payload["source"] == "deployment chatbot-dev/backend"
    assert (payload["severity"], payload["component"], payload["group"], payload["class"]) == (
        "critical",
        "backend",
        "chatbot-dev",
        "high-error-rate",
    )
    assert payload["timestamp"] == "2026-03-01T12:00:30Z"
    assert payload["custom_details"]["labels"]["workload"] == "deployment/backend"
    assert "summary" in payload["custom_details"]["annotations"]


def test_summary_is_cut_to_1024_characters() -> None:
    event = pagerduty_event(alert(summary="x" * 3000), routing_key=KEY, dashboard_url=None)
    assert len(event["payload"]["summary"]) == 1024
    assert "links" not in event


async def test_trigger_then_resolve_with_the_same_dedup_key(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request(ENQUEUE, method="POST").respond_with_handler(accepted)
    pd = channel(httpserver, http, {"PD_ROUTING_KEY": KEY})
    firing = [alert(), alert(workload="deployment/frontend", severity="warning")]
    await pd.send(notification(*firing))
    await pd.send(notification(firing[0].resolved(START + timedelta(minutes=9))))
    events = [request.get_json() for request, _ in httpserver.log]
    assert [(e["event_action"], e["dedup_key"]) for e in events] == [
        ("trigger", firing[0].fingerprint),
        ("trigger", firing[1].fingerprint),
        ("resolve", firing[0].fingerprint),
    ]
    assert all(e["routing_key"] == KEY for e in events)
    assert events[1]["payload"]["severity"] == "warning"
    assert set(events[2]) == {"routing_key", "event_action", "dedup_key"}
    assert all(response.status_code == 202 for _, response in httpserver.log)


async def test_an_invalid_event_is_final_and_the_key_is_not_quoted(httpserver: HTTPServer, http) -> None:
    refusal = {"status": "invalid event", "message": "Event object is invalid", "errors": [f"bad key {KEY}"]}
    httpserver.expect_request(ENQUEUE).respond_with_json(refusal, status=400)
    with pytest.raises(DeliveryError) as failed:
        await channel(httpserver, http, {"PD_ROUTING_KEY": KEY}).send(notification())
    assert not failed.value.retryable
    assert "channel oncall (pagerduty)" in str(failed.value)
    assert "400" in str(failed.value)
    assert "Event object is invalid" in str(failed.value)
    assert "routingKeyEnv" in str(failed.value)
    assert KEY not in str(failed.value)


async def test_throttling_is_retryable(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request(ENQUEUE).respond_with_json({"status": "throttle event"}, status=429)
    with pytest.raises(DeliveryError) as failed:
        await channel(httpserver, http, {"PD_ROUTING_KEY": KEY}).send(notification())
    assert failed.value.retryable


async def test_a_missing_key_names_the_field(httpserver: HTTPServer, http) -> None:
    with pytest.raises(
        DeliveryError, match=r"^channel oncall \(pagerduty\): routingKeyEnv: .*PD_ROUTING_KEY is not set"
    ):
        await channel(httpserver, http, {}).send(notification())
    assert httpserver.log == []
