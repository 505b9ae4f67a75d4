"""kaido as an alert source for a real Alertmanager: it shows kaido's alerts, routes them, and resolves them.

Alertmanager (Debian's prometheus-alertmanager) runs with a webhook receiver pointing at a local
HTTP server, so the test sees not only Alertmanager's API but also Alertmanager notifying, first
"firing" and then "resolved" once kaido posts the alert with its end time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pytest_httpserver import HTTPServer

from kaido.config.channels import AlertmanagerChannel
from kaido.core.clock import RealClock
from kaido.notify.channels.alertmanager import Alertmanager, alertmanager_alerts
from kaido.notify.model import DeliveryError
from tests.notify.channels.samples import DASHBOARD, alert, notification
from tests.support.alertmanager import AlertmanagerProcess, running_alertmanager

pytestmark = pytest.mark.slow
QUERY = 'alertname="high-error-rate"'


@pytest.fixture
def alertmanager(tmp_path: Path, httpserver: HTTPServer) -> Iterator[AlertmanagerProcess]:
    httpserver.expect_request("/alertmanager-webhook", method="POST").respond_with_data("ok")
    with running_alertmanager(tmp_path, webhook_url=httpserver.url_for("/alertmanager-webhook")) as am:
        yield am


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


async def eventually(probe: Callable[[], Any], *, within: float = 10.0, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within} s")


def webhook_posts(httpserver: HTTPServer, status: str) -> list[dict[str, Any]]:
    bodies = [request.get_json() for request, _ in httpserver.log if request.path == "/alertmanager-webhook"]
    return [body for body in bodies if body["status"] == status]


def test_postable_alerts_shape() -> None:
    now = datetime(2026, 3, 1, 12, 10, tzinfo=UTC)
    odd = alert(extra={"app.kubernetes.io/name": "backend", "empty": ""})
    firing, resolved = alertmanager_alerts(
        notification(odd, alert(workload="deployment/x").resolved(now - timedelta(minutes=1))), now=now, hold=3600
    )
    assert firing["labels"]["app_kubernetes_io_name"] == "backend"
    assert "empty" not in firing["labels"]
    assert firing["startsAt"] == "2026-03-01T12:00:30Z"  # when it became active
    assert firing["endsAt"] == "2026-03-01T13:10:00Z"  # now + hold
    assert firing["generatorURL"] == DASHBOARD
    assert resolved["endsAt"] == "2026-03-01T12:09:00Z"


async def test_alertmanager_shows_routes_and_resolves_kaidos_alerts(
    alertmanager: AlertmanagerProcess, httpserver: HTTPServer, http: httpx2.AsyncClient
) -> None:
    channel = Alertmanager(
        "am", AlertmanagerChannel(type="alertmanager", url=alertmanager.url), http=http, clock=RealClock()
    )
    began = datetime.now(UTC)
    firing = alert(starts_at=began - timedelta(minutes=2))
    await channel.send(notification(firing))

    (shown,) = await eventually(lambda: alertmanager.alerts(filter=QUERY), what="the alert showing in Alertmanager")
    assert shown["labels"] == dict(firing.labels)
    assert shown["annotations"] == dict(firing.annotations)
    assert shown["status"]["state"] == "active"
    assert shown["generatorURL"] == DASHBOARD
    assert datetime.fromisoformat(shown["endsAt"]) > began + timedelta(hours=7)  # held between kaido's repeats
    assert shown["receivers"] == [{"name": "test"}]

    (notified,) = await eventually(lambda: webhook_posts(httpserver, "firing"), what="Alertmanager notifying 'firing'")
    assert notified["alerts"][0]["labels"]["workload"] == "deployment/backend"

    ended = datetime.now(UTC).replace(microsecond=0)
    await channel.send(notification(firing.resolved(ended)))
    (resolved,) = await eventually(
        lambda: webhook_posts(httpserver, "resolved"), what="Alertmanager notifying 'resolved'"
    )
    (gone,) = resolved["alerts"]
    assert gone["status"] == "resolved"
    assert gone["labels"] == dict(firing.labels)
    assert datetime.fromisoformat(gone["endsAt"]) == ended
    assert alertmanager.alerts(filter=QUERY) == []  # no longer active


async def test_an_invalid_alert_is_refused_with_alertmanagers_reason(
    alertmanager: AlertmanagerProcess, http: httpx2.AsyncClient
) -> None:
    channel = Alertmanager(
        "am", AlertmanagerChannel(type="alertmanager", url=alertmanager.url), http=http, clock=RealClock()
    )
    nameless = alert()
    bad = notification(type(nameless)(labels={}, state="firing", starts_at=nameless.starts_at))
    with pytest.raises(DeliveryError) as refused:
        await channel.send(bad)
    assert not refused.value.retryable
    assert f"channel am (alertmanager): POST {alertmanager.url}/api/v2/alerts answered 400" in str(refused.value)
