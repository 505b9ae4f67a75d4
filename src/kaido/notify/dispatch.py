"""Delivery: each channel has its own queue and worker, so a slow or failing channel never delays another.

`submit(notification)` only enqueues, on the lane of `notification.channel`; the lane's worker sends
one notification at a time, in order. An attempt that raises a retryable DeliveryError, or gives
no outcome within `timeout`, is retried after a jittered exponential backoff (`backoff_initial`
doubling up to `backoff_max`, each delay drawn from its upper half; a receiver's Retry-After is
honoured up to `backoff_max`); after `retries` retries, or on a final error, the notification is
recorded as failed and the lane moves on. A full lane drops its oldest notification: the newest
one carries the group's latest state.

Every outcome is counted (`kaido_notifications_total{channel,kind,outcome}` with outcome sent,
failed, retried or dropped), every attempt timed (`kaido_notification_duration_seconds{channel}`),
queues measured (`kaido_notification_queue_depth{channel}`), and final outcomes kept in a bounded
log that the API shows (`deliveries()`, `channel_status()`). Error texts come from the channels,
which keep secrets out of them.

`replace_channels` applies a policy reload: a changed channel is used from its next attempt on, a
new one gets a lane, and a removed one finishes what it has queued, then its lane closes.
All waiting (backoff and attempt timeouts) is on the injected clock, so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kaido.core.clock import Clock
from kaido.notify.model import Channel, DeliveryError, Notification

__all__ = ["Dispatcher", "Outcome"]

log = logging.getLogger(__name__)
Outcome = Literal["sent", "failed", "dropped"]
_STOP: Final = None  # the sentinel that closes a lane's worker


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            "kaido_notifications_total",
            "Notifications by channel and outcome: sent, failed (gave up), retried (per retry), dropped.",
            ["channel", "kind", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "kaido_notification_duration_seconds",
            "Time of one delivery attempt, successful or not.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.queue_depth = Gauge(
            "kaido_notification_queue_depth",
            "Notifications waiting in a channel's queue (the one being sent not included).",
            ["channel"],
            registry=registry,
        )


@dataclass(eq=False)
class _Lane:
    """One channel's queue, worker and tallies."""

    name: str
    channel: Channel
    queue: asyncio.Queue[Notification | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    waiting: int = 0  # notifications queued, sentinel excluded
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    last: dict[str, Any] | None = None  # the latest final outcome


class Dispatcher:
    """Delivers notifications to channels with per-channel queues, retries, metrics and an outcome log.

    `retries` is the number of retries after the first attempt. The metrics are registered on
    `registry` when the dispatcher is made: one dispatcher per registry.
    """

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        clock: Clock,
        registry: CollectorRegistry,
        retries: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        timeout: float = 60.0,
        queue_limit: int = 1000,
        history: int = 500,
        rng: random.Random | None = None,
    ) -> None:
        if retries < 0 or backoff_initial <= 0 or backoff_max < backoff_initial or timeout <= 0 or queue_limit < 1:
            raise ValueError(
                f"Dispatcher: need retries >= 0, 0 < backoff_initial <= backoff_max, timeout > 0 and queue_limit >= 1 "
                f"(got retries={retries}, backoff_initial={backoff_initial}, backoff_max={backoff_max}, "
                f"timeout={timeout}, queue_limit={queue_limit})"
            )
        try:
            self._metrics = _Metrics(registry)
        except ValueError as error:  # prometheus_client's duplicated timeseries
            raise ValueError(
                f"the notification metrics are already registered on this registry ({error}); "
                "make one Dispatcher per CollectorRegistry"
            ) from error
        self._clock = clock
        self._retries = retries
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._timeout = timeout
        self._queue_limit = queue_limit
        self._rng = rng or random.Random()  # jitter only; not security-relevant  # noqa: S311
        self._log: deque[dict[str, Any]] = deque(maxlen=history)
        self._lanes: dict[str, _Lane] = {}
        self._closing: set[_Lane] = set()  # retired lanes still sending what they had queued
        self._running = False
        self._stopping = False
        for name, channel in channels.items():
            self._lanes[name] = _Lane(name, channel)

    # ----- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start a worker per channel; notifications submitted before are sent now."""
        if self._running:
            return
        self._running = True
        self._stopping = False
        for lane in self._lanes.values():
            self._launch(lane)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting; give queued notifications up to `grace` seconds, then drop what is left."""
        self._stopping = True
        await self.join(timeout=grace)
        lanes = [*self._lanes.values(), *self._closing]
        tasks = [lane.task for lane in lanes if lane.task is not None and not lane.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in lanes:
            lane.task = None
            while not lane.queue.empty():
                left = lane.queue.get_nowait()
                lane.queue.task_done()
                if left is not None:
                    lane.waiting -= 1
                    self._record(lane, left, "dropped", attempts=0, error="not sent before kaido stopped")
            if lane.name in self._lanes:
                self._metrics.queue_depth.labels(lane.name).set(0)
        self._closing.clear()
        self._running = False

    async def join(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109 - waited on the clock
        """Wait until every queue is empty and nothing is being sent; False if `timeout` passed first."""
        lanes = [lane for lane in (*self._lanes.values(), *self._closing) if lane.task is not None]
        if not lanes:
            return all(lane.queue.empty() for lane in self._lanes.values())
        done = asyncio.ensure_future(asyncio.gather(*(lane.queue.join() for lane in lanes)))
        if timeout is None:
            await done
            return True
        return await self._race(done, timeout)

    # ----- submitting -----------------------------------------------------------------------------

    def submit(self, notification: Notification) -> None:
        """Queue `notification` on its channel's lane; never blocks and never raises for delivery problems.

        Call it from the event loop's thread (the queues are asyncio's).
        """
        lane = self._lanes.get(notification.channel)
        if lane is None:
            known = ", ".join(sorted(self._lanes)) or "none"
            error = f"channel {notification.channel} is not defined (channels: {known}); check alerts.channels"
            self._drop_unknown(notification, error)
            return
        if self._stopping:
            self._record(lane, notification, "dropped", attempts=0, error="kaido is stopping")
            return
        if lane.waiting >= self._queue_limit:
            self._drop_oldest(lane)
        lane.waiting += 1
        lane.queue.put_nowait(notification)
        self._metrics.queue_depth.labels(lane.name).set(lane.waiting)

    def replace_channels(self, channels: Mapping[str, Channel]) -> None:
        """Apply a policy reload: update, add and retire lanes (a retired lane first sends what it holds)."""
        for name, channel in channels.items():
            lane = self._lanes.get(name)
            if lane is None:
                lane = self._lanes[name] = _Lane(name, channel)
                if self._running:
                    self._launch(lane)
            else:
                lane.channel = channel  # the worker picks it up at its next attempt
        for name in [name for name in self._lanes if name not in channels]:
            lane = self._lanes.pop(name)
            if lane.task is not None:
                self._closing.add(lane)
                lane.queue.put_nowait(_STOP)
            else:  # not started: nothing will send what it holds
                while not lane.queue.empty():
                    left = lane.queue.get_nowait()
                    lane.queue.task_done()
                    if left is not None:
                        self._record(lane, left, "dropped", attempts=0, error="channel removed from the policy")
                lane.waiting = 0
                with contextlib.suppress(KeyError):
                    self._metrics.queue_depth.remove(name)

    # ----- reading --------------------------------------------------------------------------------

    def deliveries(self, limit: int = 100, *, channel: str | None = None) -> list[dict[str, Any]]:
        """The latest final outcomes, newest first: time, channel, kind, group_key, status, alerts,
        attempts, outcome (sent, failed, dropped), error (None when sent) and duration in seconds."""
        found = [entry for entry in reversed(self._log) if channel is None or entry["channel"] == channel]
        return [dict(entry) for entry in found[: max(0, limit)]]

    def channel_status(self) -> list[dict[str, Any]]:
        """Per channel: name, kind, queued, sent, failed, dropped and the latest outcome (or None)."""
        return [
            {
                "name": lane.name,
                "kind": lane.channel.kind,
                "queued": lane.waiting,
                "sent": lane.sent,
                "failed": lane.failed,
                "dropped": lane.dropped,
                "last": dict(lane.last) if lane.last else None,
            }
            for lane in sorted(self._lanes.values(), key=lambda lane: lane.name)
        ]

    # ----- the workers ----------------------------------------------------------------------------

    def _launch(self, lane: _Lane) -> None:
        lane.task = asyncio.get_running_loop().create_task(self._work(lane), name=f"kaido-notify-{lane.name}")

    async def _work(self, lane: _Lane) -> None:
        while True:
            notification = await lane.queue.get()
            try:
                if notification is _STOP:
                    self._closing.discard(lane)
                    if lane.name not in self._lanes:  # not re-added by a later reload
                        with contextlib.suppress(KeyError):
                            self._metrics.queue_depth.remove(lane.name)
                    return
                lane.waiting -= 1
                self._metrics.queue_depth.labels(lane.name).set(lane.waiting)
                await self._deliver(lane, notification)
            finally:
                lane.queue.task_done()

    async def _deliver(self, lane: _Lane, notification: Notification) -> None:
        started = self._clock.monotonic()
        attempt = 0
        try:
            while True:
                attempt += 1
                channel = lane.channel
                error = await self._attempt(lane.name, channel, notification)
                if error is None:
                    self._record(lane, notification, "sent", attempts=attempt, started=started)
                    return
                if not error.retryable or attempt > self._retries:
                    why = "final error" if not error.retryable else f"{attempt} attempts"
                    log.warning(
                        "channel %s: giving up on group %s after %s: %s", lane.name, notification.group_key, why, error
                    )
                    self._record(lane, notification, "failed", attempts=attempt, error=str(error), started=started)
                    return
                delay = self._delay(attempt, error)
                self._metrics.notifications.labels(lane.name, channel.kind, "retried").inc()
                log.warning(
                    "channel %s: attempt %d/%d for group %s failed (%s); retrying in %.2f s",
                    lane.name,
                    attempt,
                    self._retries + 1,
                    notification.group_key,
                    error,
                    delay,
                )
                await self._clock.sleep(delay)
        except asyncio.CancelledError:
            self._record(lane, notification, "dropped", attempts=attempt, error="kaido stopped during delivery")
            raise

    async def _attempt(self, name: str, channel: Channel, notification: Notification) -> DeliveryError | None:
        """One send under the attempt timeout: None when delivered, else the error to act on."""
        began = self._clock.monotonic()
        send = asyncio.ensure_future(channel.send(notification))
        try:
            if not await self._race(send, self._timeout):
                return DeliveryError(
                    f"channel {name} ({channel.kind}): no outcome within {self._timeout:g} s; "
                    "is the receiver hanging or unreachable?"
                )
            send.result()
            return None
        except DeliveryError as error:
            return error
        except Exception as error:  # a bug in a channel must not stop its lane
            log.error("channel %s: unexpected error while sending", name, exc_info=True)
            return DeliveryError(
                f"channel {name} ({channel.kind}): unexpected {type(error).__name__}: {error}", retryable=False
            )
        finally:
            self._metrics.duration.labels(name).observe(max(0.0, self._clock.monotonic() - began))

    async def _race(self, work: asyncio.Future[Any], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait for `work` at most `timeout` seconds of the clock; cancel it and return False if it is late."""
        timer = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        return not work.cancelled()

    def _delay(self, attempt: int, error: DeliveryError) -> float:
        base = min(self._backoff_max, self._backoff_initial * 2.0 ** (attempt - 1))
        delay = base * (0.5 + 0.5 * self._rng.random())  # "equal jitter": never less than half the step
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > delay:
            delay = min(float(retry_after), self._backoff_max)
        return delay

    # ----- outcomes -------------------------------------------------------------------------------

    def _record(
        self,
        lane: _Lane,
        notification: Notification,
        outcome: Outcome,
        *,
        attempts: int,
        error: str | None = None,
        started: float | None = None,
    ) -> None:
        duration = self._clock.monotonic() - started if started is not None else 0.0
        entry = _entry(notification, lane.channel.kind, outcome, attempts=attempts, error=error, duration=duration)
        entry["time"] = self._clock.now().isoformat()
        self._log.append(entry)
        self._metrics.notifications.labels(lane.name, lane.channel.kind, outcome).inc()
        lane.last = entry
        if outcome == "sent":
            lane.sent += 1
        elif outcome == "failed":
            lane.failed += 1
        else:
            lane.dropped += 1

    def _drop_oldest(self, lane: _Lane) -> None:
        kept: list[Notification | None] = []
        oldest: Notification | None = None
        while not lane.queue.empty():
            item = lane.queue.get_nowait()
            lane.queue.task_done()
            if oldest is None and item is not None:
                oldest = item
            else:
                kept.append(item)
        for item in kept:
            lane.queue.put_nowait(item)
        if oldest is not None:
            lane.waiting -= 1
            log.warning("channel %s: queue full (%d); dropping the oldest notification", lane.name, self._queue_limit)
            self._record(
                lane, oldest, "dropped", attempts=0, error=f"queue full ({self._queue_limit}); newer ones kept"
            )

    def _drop_unknown(self, notification: Notification, error: str) -> None:
        log.warning("%s; notification for group %s dropped", error, notification.group_key)
        entry = _entry(notification, "", "dropped", attempts=0, error=error, duration=0.0)
        entry["time"] = self._clock.now().isoformat()
        self._log.append(entry)
        self._metrics.notifications.labels(notification.channel, "", "dropped").inc()


def _entry(
    notification: Notification, kind: str, outcome: Outcome, *, attempts: int, error: str | None, duration: float
) -> dict[str, Any]:
    return {
        "time": "",
        "channel": notification.channel,
        "kind": kind,
        "group_key": notification.group_key,
        "status": notification.status,
        "alerts": len(notification.alerts),
        "attempts": attempts,
        "outcome": outcome,
        "error": error,
        "duration": round(duration, 3),
    }
