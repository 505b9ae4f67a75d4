"""The dispatcher: per-channel lanes, retries with jittered backoff, timeouts, metrics and the outcome log.

Unit tests drive scripted channels on a ManualClock, so backoffs are exact and instant; the last tests
use real channels against local receivers (a failing one, a hanging one, a healthy one) on real time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest
from prometheus_client import CollectorRegistry
from pytest_httpserver import HTTPServer

from kaido.config.channels import SlackChannel, WebhookChannel
from kaido.core.clock import ManualClock, RealClock
from kaido.notify.channels.posting import HttpDeliveryError
from kaido.notify.channels.slack import Slack
from kaido.notify.channels.webhook import Webhook
from kaido.notify.dispatch import Dispatcher
from kaido.notify.model import DeliveryError, Notification
from tests.notify.channels.samples import START, alert, notification


class Scripted:
    """A channel that fails as told: `script` holds the error (or None for success) of each attempt."""

    def __init__(self, name: str, clock: ManualClock | RealClock, script: list[Exception | None] | None = None):
        self.name, self.kind = name, "scripted"
        self.clock = clock
        self.script = list(script or [])
        self.attempts: list[tuple[float, str]] = []  # (clock time, group key)
        self.hang = False

    async def send(self, notification: Notification) -> None:
        self.attempts.append((self.clock.monotonic(), notification.group_key))
        if self.hang:
            await asyncio.Event().wait()
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome


def count(registry: CollectorRegistry, channel: str, outcome: str, kind: str = "scripted") -> float:
    return (
        registry.get_sample_value("kaido_notifications_total", {"channel": channel, "kind": kind, "outcome": outcome})
        or 0.0
    )


def flaky(n: int) -> list[Exception | None]:
    return [DeliveryError(f"receiver down ({i})") for i in range(n)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def make(clock: ManualClock, registry: CollectorRegistry) -> Callable[..., Dispatcher]:
    def build(*channels: Scripted, **options: Any) -> Dispatcher:
        options.setdefault("rng", random.Random(7))
        return Dispatcher({c.name: c for c in channels}, clock=clock, registry=registry, **options)

    return build


async def test_retries_with_jittered_exponential_backoff_then_delivers(clock, registry, make) -> None:
    channel = Scripted("team", clock, flaky(3))
    dispatcher = make(channel, retries=4, backoff_initial=1.0, backoff_max=60.0)
    await dispatcher.start()
    dispatcher.submit(notification())
    await clock.run_for(30)
    times = [t for t, _ in channel.attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) == 4
    for gap, step in zip(gaps, (1.0, 2.0, 4.0), strict=True):
        assert step / 2 <= gap <= step  # each delay from the upper half of its doubling step
    (entry,) = dispatcher.deliveries()
    assert (entry["outcome"], entry["attempts"], entry["error"]) == ("sent", 4, None)
    assert entry["channel"] == "team"
    assert entry["group_key"] == "0:alertname=high-error-rate,namespace=chatbot-dev"
    assert entry["status"] == "firing"
    assert entry["duration"] == pytest.approx(sum(gaps), abs=0.01)
    assert (count(registry, "team", "retried"), count(registry, "team", "sent")) == (3, 1)
    await dispatcher.stop()


async def test_backoff_is_capped_and_the_same_seed_gives_the_same_delays(clock, registry) -> None:
    def delays(seed: int) -> list[float]:
        d = Dispatcher(
            {}, clock=clock, registry=CollectorRegistry(), backoff_initial=1.0, backoff_max=5.0, rng=random.Random(seed)
        )
        return [d._delay(attempt, DeliveryError("x")) for attempt in range(1, 8)]

    assert delays(3) == delays(3)
    assert all(2.5 <= d <= 5.0 for d in delays(3)[3:])


async def test_gives_up_after_the_retries_and_records_the_failure(clock, registry, make) -> None:
    channel = Scripted("team", clock, flaky(10))
    dispatcher = make(channel, retries=2, backoff_initial=0.5)
    await dispatcher.start()
    dispatcher.submit(notification())
    await clock.run_for(60)
    assert len(channel.attempts) == 3
    (entry,) = dispatcher.deliveries()
    assert (entry["outcome"], entry["attempts"], entry["error"]) == ("failed", 3, "receiver down (2)")
    assert (count(registry, "team", "retried"), count(registry, "team", "failed")) == (2, 1)
    status = dispatcher.channel_status()
    assert status[0]["failed"] == 1
    assert status[0]["last"]["outcome"] == "failed"
    await dispatcher.stop()


async def test_final_errors_are_not_retried_and_retry_after_is_honoured(clock, registry, make) -> None:
    final = Scripted("final", clock, [DeliveryError("400 invalid_payload", retryable=False)])
    throttled = Scripted("throttled", clock, [HttpDeliveryError("429", retryable=True, status=429, retry_after=7.0)])
    dispatcher = make(final, throttled, backoff_initial=1.0)
    await dispatcher.start()
    dispatcher.submit(notification(channel="final"))
    dispatcher.submit(notification(channel="throttled"))
    await clock.run_for(20)
    assert len(final.attempts) == 1
    assert dispatcher.deliveries(channel="final")[0]["outcome"] == "failed"
    (first, _), (second, _) = throttled.attempts
    assert second - first == pytest.approx(7.0)
    assert dispatcher.deliveries(channel="throttled")[0]["outcome"] == "sent"
    await dispatcher.stop()


async def test_a_hanging_attempt_times_out_and_does_not_hold_other_channels(clock, registry, make) -> None:
    stuck, healthy = Scripted("stuck", clock), Scripted("healthy", clock)
    stuck.hang = True
    dispatcher = make(stuck, healthy, timeout=10.0, retries=1, backoff_initial=1.0)
    await dispatcher.start()
    dispatcher.submit(notification(channel="stuck"))
    dispatcher.submit(notification(channel="healthy"))
    await clock.run_for(0)
    assert [e["channel"] for e in dispatcher.deliveries()] == ["healthy"]  # at once, while "stuck" hangs
    await clock.run_for(30)
    (entry,) = dispatcher.deliveries(channel="stuck")
    assert (entry["outcome"], entry["attempts"]) == ("failed", 2)
    assert entry["error"] == "channel stuck (scripted): no outcome within 10 s; is the receiver hanging or unreachable?"
    await dispatcher.stop()


async def test_one_lane_is_in_order_and_a_failure_does_not_stop_it(clock, registry, make) -> None:
    channel = Scripted("team", clock, [RuntimeError("a bug"), None, None])
    dispatcher = make(channel)
    await dispatcher.start()
    for key in ("a", "b", "c"):
        dispatcher.submit(notification(group={"alertname": key}))
    await clock.run_for(5)
    assert [key for _, key in channel.attempts] == ["0:alertname=a", "0:alertname=b", "0:alertname=c"]
    outcomes = [(e["group_key"], e["outcome"]) for e in reversed(dispatcher.deliveries())]
    assert outcomes == [("0:alertname=a", "failed"), ("0:alertname=b", "sent"), ("0:alertname=c", "sent")]
    assert "unexpected RuntimeError: a bug" in dispatcher.deliveries()[-1]["error"]
    await dispatcher.stop()


async def test_full_queue_drops_the_oldest_and_depth_is_exported(clock, registry, make) -> None:
    channel = Scripted("team", clock)
    dispatcher = make(channel, queue_limit=2)
    for key in ("old", "mid", "new"):
        dispatcher.submit(notification(group={"alertname": key}))
    assert registry.get_sample_value("kaido_notification_queue_depth", {"channel": "team"}) == 2
    (dropped,) = dispatcher.deliveries()
    assert (dropped["group_key"], dropped["outcome"]) == ("0:alertname=old", "dropped")
    assert "queue full (2)" in dropped["error"]
    await dispatcher.start()
    await clock.run_for(1)
    assert [key for _, key in channel.attempts] == ["0:alertname=mid", "0:alertname=new"]
    assert registry.get_sample_value("kaido_notification_queue_depth", {"channel": "team"}) == 0
    assert count(registry, "team", "dropped") == 1
    await dispatcher.stop()


async def test_an_unknown_channel_is_reported_not_raised(clock, registry, make) -> None:
    dispatcher = make(Scripted("team", clock))
    dispatcher.submit(notification(channel="nope"))
    (entry,) = dispatcher.deliveries()
    assert entry["outcome"] == "dropped"
    assert entry["error"] == "channel nope is not defined (channels: team); check alerts.channels"
    assert (
        registry.get_sample_value("kaido_notifications_total", {"channel": "nope", "kind": "", "outcome": "dropped"})
        == 1
    )


async def test_replace_channels_updates_adds_and_retires_lanes(clock, registry, make) -> None:
    old_team, leaving = Scripted("team", clock, flaky(1)), Scripted("leaving", clock, flaky(1))
    dispatcher = make(old_team, leaving, backoff_initial=1.0)
    await dispatcher.start()
    dispatcher.submit(notification(channel="team"))
    dispatcher.submit(notification(channel="leaving"))
    await clock.run_for(0)  # first attempts failed; both lanes are in backoff
    new_team, added = Scripted("team", clock), Scripted("added", clock)
    dispatcher.replace_channels({"team": new_team, "added": added})
    dispatcher.submit(notification(channel="added"))
    dispatcher.submit(notification(channel="leaving"))
    await clock.run_for(5)
    assert (len(old_team.attempts), len(new_team.attempts)) == (1, 1)  # the retry used the reloaded channel
    assert len(added.attempts) == 1
    assert len(leaving.attempts) == 2  # what it held was finished
    assert dispatcher.deliveries(channel="leaving")[1]["error"].startswith("channel leaving is not defined")
    assert [s["name"] for s in dispatcher.channel_status()] == ["added", "team"]
    assert registry.get_sample_value("kaido_notification_queue_depth", {"channel": "leaving"}) is None
    await dispatcher.stop()


async def test_stop_drops_what_could_not_be_sent_in_the_grace(clock, registry, make) -> None:
    channel = Scripted("team", clock, flaky(10))
    dispatcher = make(channel, backoff_initial=30.0, backoff_max=60.0)
    await dispatcher.start()
    dispatcher.submit(notification(group={"alertname": "a"}))
    dispatcher.submit(notification(group={"alertname": "b"}))
    await clock.run_for(0)
    stopping = asyncio.ensure_future(dispatcher.stop(grace=5.0))
    await clock.run_for(5)
    await stopping
    outcomes = {(e["group_key"], e["outcome"], e["error"]) for e in dispatcher.deliveries()}
    assert outcomes == {
        ("0:alertname=a", "dropped", "kaido stopped during delivery"),
        ("0:alertname=b", "dropped", "not sent before kaido stopped"),
    }
    dispatcher.submit(notification())
    assert dispatcher.deliveries()[0]["error"] == "kaido is stopping"


async def test_deliveries_are_newest_first_and_bounded(clock, registry, make) -> None:
    dispatcher = make(Scripted("team", clock), history=3)
    await dispatcher.start()
    for key in "abcde":
        dispatcher.submit(notification(group={"alertname": key}))
    assert await dispatcher.join()  # no backoff involved, so virtual time need not move
    assert [e["group_key"][-1] for e in dispatcher.deliveries()] == ["e", "d", "c"]
    assert [e["group_key"][-1] for e in dispatcher.deliveries(limit=1)] == ["e"]
    assert dispatcher.deliveries()[0]["time"] == START.isoformat()
    await dispatcher.stop()


def test_one_dispatcher_per_registry_and_sane_settings(clock, registry) -> None:
    Dispatcher({}, clock=clock, registry=registry)
    with pytest.raises(ValueError, match="make one Dispatcher per CollectorRegistry"):
        Dispatcher({}, clock=clock, registry=registry)
    with pytest.raises(ValueError, match="backoff_initial <= backoff_max"):
        Dispatcher({}, clock=clock, registry=CollectorRegistry(), backoff_initial=10, backoff_max=1)


# ----- real channels, real receivers ------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


def webhook(name: str, url: str, http: httpx2.AsyncClient) -> Webhook:
    return Webhook(name, WebhookChannel(type="webhook", url=url), http=http, environ={}, clock=RealClock())


async def wait_until(check: Callable[[], bool], *, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_a_failing_receiver_retries_while_a_healthy_one_is_served_at_once(httpserver: HTTPServer, http) -> None:
    httpserver.expect_request("/broken").respond_with_data("upstream down", status=500)
    httpserver.expect_request("/healthy").respond_with_data("ok")
    registry = CollectorRegistry()
    channels = {
        "broken": webhook("broken", httpserver.url_for("/broken"), http),
        "healthy": webhook("healthy", httpserver.url_for("/healthy"), http),
    }
    dispatcher = Dispatcher(
        channels,
        clock=RealClock(),
        registry=registry,
        retries=3,
        backoff_initial=0.2,
        backoff_max=1.0,
        rng=random.Random(1),
    )
    await dispatcher.start()
    dispatcher.submit(notification(channel="broken"))
    dispatcher.submit(notification(channel="healthy"))
    await wait_until(lambda: bool(dispatcher.deliveries(channel="healthy")))
    assert dispatcher.deliveries(channel="broken") == []  # still retrying: it did not hold the other lane
    assert await dispatcher.join(timeout=10)
    (failed,) = dispatcher.deliveries(channel="broken")
    assert (failed["outcome"], failed["attempts"]) == ("failed", 4)
    assert "answered 500" in failed["error"]
    assert "upstream down" in failed["error"]
    assert [r.path for r, _ in httpserver.log].count("/broken") == 4
    assert count(registry, "broken", "retried", "webhook") == 3
    assert count(registry, "broken", "failed", "webhook") == 1
    assert count(registry, "healthy", "sent", "webhook") == 1
    assert registry.get_sample_value("kaido_notification_duration_seconds_count", {"channel": "broken"}) == 4
    await dispatcher.stop()


async def test_a_hanging_receiver_does_not_block_the_others(httpserver: HTTPServer, http) -> None:
    release, handlers = asyncio.Event(), []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())
        await reader.read(65536)
        await release.wait()  # until the test ends
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    httpserver.expect_request("/healthy").respond_with_data("ok")
    channels = {
        "hanging": webhook("hanging", f"http://127.0.0.1:{port}/", http),
        "healthy": webhook("healthy", httpserver.url_for("/healthy"), http),
    }
    dispatcher = Dispatcher(channels, clock=RealClock(), registry=CollectorRegistry(), retries=0, timeout=0.5)
    await dispatcher.start()
    began = time.monotonic()
    dispatcher.submit(notification(channel="hanging"))
    dispatcher.submit(notification(channel="healthy"))
    await wait_until(lambda: bool(dispatcher.deliveries(channel="healthy")))
    assert time.monotonic() - began < 0.5
    await wait_until(lambda: bool(dispatcher.deliveries(channel="hanging")))
    (hung,) = dispatcher.deliveries(channel="hanging")
    assert hung["outcome"] == "failed"
    assert "no outcome within 0.5 s" in hung["error"]
    await dispatcher.stop()
    release.set()
    await asyncio.gather(*handlers)
    server.close()
    await server.wait_closed()


async def test_resolved_notifications_are_logged_as_resolved(clock, registry, make) -> None:
    dispatcher = make(Scripted("team", clock))
    await dispatcher.start()
    dispatcher.submit(notification(alert().resolved(START)))
    await clock.run_for(1)
    assert dispatcher.deliveries()[0]["status"] == "resolved"
    await dispatcher.stop()


async def test_retry_logs_and_the_outcome_log_never_show_a_secret_url(
    httpserver: HTTPServer, http, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "T0KAIDO/B0KAIDO/sl4ckS3cretT0ken"
    httpserver.expect_request(f"/services/{token}").respond_with_data("rollup_error", status=500)
    url_file = tmp_path / "slack-url"
    url_file.write_text(httpserver.url_for(f"/services/{token}"), encoding="utf-8")
    slack = Slack("team-slack", SlackChannel(type="slack", webhook_url_file=str(url_file)), http=http, environ={})
    dispatcher = Dispatcher(
        {"team-slack": slack}, clock=RealClock(), registry=CollectorRegistry(), retries=2, backoff_initial=0.01
    )
    caplog.set_level(logging.DEBUG)
    await dispatcher.start()
    dispatcher.submit(notification(channel="team-slack"))
    assert await dispatcher.join(timeout=10)
    await dispatcher.stop()
    (entry,) = dispatcher.deliveries()
    assert (entry["outcome"], entry["attempts"]) == ("failed", 3)
    retries = [r.getMessage() for r in caplog.records if r.name == "kaido.notify.dispatch"]
    assert any("attempt 2/3" in message and "rollup_error" in message for message in retries)
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")
    )  # not the receiver's
    for text in (logged, json.dumps(dispatcher.deliveries()), json.dumps(dispatcher.channel_status())):
        assert "sl4ckS3cretT0ken" not in text
