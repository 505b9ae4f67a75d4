"""Informers: one list+watch per resource and scope, a local cache, and per-object serial delivery.

An `Informer` lists a resource (paged), then watches from the list's resourceVersion. When a watch
ends (server timeout, dropped connection) it resumes from the last resourceVersion it saw,
bookmarks included; when the server answers 410 Gone it lists again, and the pure reducer in
`kaido.kube.cache` synthesizes DELETED for whatever vanished meanwhile. Other failures back off
exponentially with jitter, reset once a watch delivers again. The informer is ready (`synced`)
only after its first complete list.

Subscribers get `Delta`s through a `Subscription` (`kaido.kube.queueing`): deltas for one object
are delivered in order, one at a time, while different objects are handled concurrently.

`Informers` holds one informer per (resource, namespace scope, label selector), so every
controller and the API read the same cache.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from kaido.core.clock import Clock
from kaido.kube.cache import CacheState, Delta, apply_event, compact, replace_all, strip_bulky_fields
from kaido.kube.client import Kube, WatchEvent
from kaido.kube.errors import Gone, KubeError
from kaido.kube.queueing import Handler, Subscription
from kaido.kube.resources import Resource

__all__ = ["Handler", "Informer", "InformerStats", "Informers", "MergedInformers", "Subscription", "Transform"]

log = logging.getLogger(__name__)

Transform = Callable[[dict[str, Any]], dict[str, Any]]
_SHORT_WATCH: Final = 1.0  # s: a watch that ends sooner with nothing received counts as a failure


@dataclass(frozen=True, slots=True)
class InformerStats:
    """A snapshot of one informer's counters, exported by the agent as Prometheus metrics."""

    objects: int  # cached now
    events: int  # ADDED/MODIFIED/DELETED watch events applied
    bookmarks: int
    lists: int  # complete lists, the first included
    relists: int  # lists after the first (410 Gone)
    restarts: int  # watches resumed from the last resourceVersion after one ended or failed
    errors: int  # failed lists and watches (each one backed off)
    last_event_at: datetime | None  # clock time of the last watch event or bookmark
    resource_version: str  # where the next watch resumes
    queue_depth: int  # deltas waiting for subscribers, across subscriptions


class _Backoff:
    """Exponential backoff with jitter: each delay is half to all of min(max, initial * 2^n)."""

    def __init__(self, *, initial: float, maximum: float, rng: random.Random) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f"backoff needs 0 < initial <= max, not initial={initial}, max={maximum}")
        self.initial, self.maximum, self._rng, self._failures = initial, maximum, rng, 0

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * 2.0 ** min(self._failures, 60))
        self._failures += 1
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def reset(self) -> None:
        self._failures = 0


class Informer:
    """A cached, watched view of one resource in one scope; `run()` keeps it current until cancelled.

    `transform` shapes each object before it is cached (default: `kaido.kube.cache.compact`).
    Objects returned by `get` and `list` are the cached dicts, shared with every reader: treat them
    as read-only and copy before changing one.
    """

    def __init__(
        self,
        kube: Kube,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        clock: Clock,
        rng: random.Random | None = None,
        watch_timeout: int = 300,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        transform: Transform | None = None,
    ) -> None:
        if namespace is not None and not resource.namespaced:
            raise ValueError(f"{resource.plural} are cluster-scoped: an informer on them takes no namespace")
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.synced = asyncio.Event()
        self._kube = kube
        self._clock = clock
        self._watch_timeout = watch_timeout
        # A listed page shares its keys already (one json.loads per page); copying it to intern them
        # only fragments the heap. A watch event is parsed on its own, so its keys are interned.
        self._list_transform = transform or strip_bulky_fields
        self._transform = transform or compact
        rng = rng or random.Random()  # noqa: S311 - jitter spreads reconnects; not security-relevant
        self._backoff = _Backoff(initial=backoff_initial, maximum=backoff_max, rng=rng)
        self._state = CacheState()
        self._subscriptions: list[Subscription] = []
        self._counts = dict.fromkeys(("events", "bookmarks", "lists", "restarts", "errors"), 0)
        self._last_event_at: datetime | None = None
        self._listed_at = 0  # events and bookmarks seen when the last list completed
        self._running = False

    @property
    def description(self) -> str:
        """ "pods (all namespaces)", "configmaps in namespace shop", "nodes": for logs and errors."""
        if not self.resource.namespaced:
            scope = self.resource.plural
        elif self.namespace is None:
            scope = f"{self.resource.plural} (all namespaces)"
        else:
            scope = f"{self.resource.plural} in namespace {self.namespace}"
        return scope + (f" with labels {self.label_selector}" if self.label_selector else "")

    @property
    def has_synced(self) -> bool:
        return self.synced.is_set()

    @property
    def stats(self) -> InformerStats:
        counts = self._counts
        return InformerStats(
            objects=len(self._state.objects),
            events=counts["events"],
            bookmarks=counts["bookmarks"],
            lists=counts["lists"],
            relists=max(0, counts["lists"] - 1),
            restarts=counts["restarts"],
            errors=counts["errors"],
            last_event_at=self._last_event_at,
            resource_version=self._state.resource_version,
            queue_depth=sum(s.pending for s in self._subscriptions),
        )

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The cached object, or None; `namespace` defaults to the informer's own namespace."""
        if not self.resource.namespaced:
            return self._state.objects.get(("", name))
        return self._state.objects.get((namespace or self.namespace or "", name))

    def list(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Cached objects, all of them or those in `namespace`."""
        if namespace is None:
            return list(self._state.objects.values())
        return [obj for key, obj in self._state.objects.items() if key[0] == namespace]

    def __len__(self) -> int:
        return len(self._state.objects)

    def subscribe(self, handler: Handler, *, name: str, workers: int = 8) -> Subscription:
        """Deliver every future delta to `handler`, after ADDED for each object already cached."""
        subscription = Subscription(handler, name=name, workers=workers, on_close=self._subscriptions.remove)
        self._subscriptions.append(subscription)
        for key, obj in self._state.objects.items():
            subscription.push(Delta("ADDED", key, obj))
        return subscription

    async def close(self) -> None:
        """Close every subscription (cancelling their workers); `run()` is cancelled separately."""
        for subscription in list(self._subscriptions):
            await subscription.close()

    async def run(self) -> None:
        """List, then watch and resume forever; returns only by cancellation."""
        if self._running:
            raise RuntimeError(f"informer {self.description} is already running")
        self._running = True
        try:
            await self._loop()
        finally:
            self._running = False

    async def _loop(self) -> None:
        need_list, resumed = True, False
        while True:
            if need_list:
                if not await self._try_list():
                    continue
                need_list, resumed = False, False
            if resumed:
                self._counts["restarts"] += 1
            resumed = True
            need_list = await self._try_watch()

    async def _try_list(self) -> bool:
        """One complete list; on failure, back off and say so."""
        try:
            await self._list()
        except KubeError as error:
            await self._retry_later("list", _reason(error), retry_after=error.retry_after)
            return False
        # the backoff is reset by a watch that delivers, not here: list-then-410 loops must slow down
        self._listed_at = self._progress()
        return True

    async def _try_watch(self) -> bool:
        """One watch until it ends; whether a list must come next (the server answered 410 Gone)."""
        mark, started = self._progress(), self._clock.monotonic()
        try:
            await self._watch()
        except Gone as error:
            if self._progress() == self._listed_at:
                # expired again before anything arrived since the list: relisting at once would spin
                await self._retry_later("watch", _reason(error))
            else:
                log.info("watch %s: resourceVersion expired; listing again", self.description)
            return True
        except KubeError as error:
            if self._progress() != mark:
                self._backoff.reset()  # the watch worked for a while: this is a fresh failure
            await self._retry_later("watch", _reason(error), retry_after=error.retry_after)
            return False
        if self._progress() != mark:
            self._backoff.reset()
        elif self._clock.monotonic() - started < _SHORT_WATCH:
            await self._retry_later("watch", "the stream ended at once without any event")
        return False

    def _progress(self) -> int:
        return self._counts["events"] + self._counts["bookmarks"]

    async def _retry_later(self, phase: str, reason: str, *, retry_after: float | None = None) -> None:
        self._counts["errors"] += 1
        delay = self._backoff.next()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff.maximum))
        log.warning("%s %s failed: %s; retrying in %.1f s", phase, self.description, reason, delay)
        await self._clock.sleep(delay)

    async def _list(self) -> None:
        listed = await self._kube.list(self.resource, namespace=self.namespace, label_selector=self.label_selector)
        items = [self._list_transform(item) for item in listed.items]
        deltas = replace_all(self._state, items, listed.resource_version)
        self._counts["lists"] += 1
        self._dispatch(deltas)
        if not self.synced.is_set():
            log.info(
                "informer %s synced: %d objects at resourceVersion %s",
                self.description,
                len(self._state.objects),
                listed.resource_version,
            )
            self.synced.set()

    async def _watch(self) -> bool:
        """One watch from the cached resourceVersion until the server ends it; whether anything arrived."""
        received = False
        stream = self._kube.watch(
            self.resource,
            namespace=self.namespace,
            resource_version=self._state.resource_version,
            timeout_seconds=self._watch_timeout,
            allow_bookmarks=True,
            label_selector=self.label_selector,
        )
        try:
            async for event in stream:
                received = True
                self._apply(event)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()  # close the HTTP response now, not when the generator is collected
        return received

    def _apply(self, event: WatchEvent) -> None:
        if event.type == "BOOKMARK":
            self._counts["bookmarks"] += 1
        else:
            event = WatchEvent(event.type, self._transform(event.object))
            self._counts["events"] += 1
        self._last_event_at = self._clock.now()
        self._dispatch(apply_event(self._state, event))

    def _dispatch(self, deltas: Iterable[Delta]) -> None:
        for delta in deltas:
            for subscription in self._subscriptions:
                subscription.push(delta)


ScopeKey = tuple[Resource, str | None, str | None]


class Informers:
    """One informer per (resource, namespace scope, label selector), started and stopped together."""

    def __init__(
        self,
        kube: Kube,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        watch_timeout: int = 300,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        transform: Transform | None = None,
    ) -> None:
        self._kube = kube
        self._clock = clock
        self._rng = rng
        self._settings: dict[str, Any] = {
            "watch_timeout": watch_timeout,
            "backoff_initial": backoff_initial,
            "backoff_max": backoff_max,
            "transform": transform,
        }
        self._informers: dict[ScopeKey, Informer] = {}
        self._tasks: dict[ScopeKey, asyncio.Task[None]] = {}
        self._started = False

    def add(self, resource: Resource, *, namespace: str | None = None, label_selector: str | None = None) -> Informer:
        """The informer for this scope, created (and started, if the set runs) on first use."""
        key = (resource, namespace, label_selector)
        informer = self._informers.get(key)
        if informer is None:
            # each informer gets its own jitter source, derived from ours so a seeded set stays reproducible
            rng = random.Random(self._rng.random()) if self._rng else None  # noqa: S311 - jitter only
            informer = Informer(
                self._kube,
                resource,
                namespace=namespace,
                label_selector=label_selector,
                clock=self._clock,
                rng=rng,
                **self._settings,
            )
            self._informers[key] = informer
            if self._started:
                self._start(key, informer)
        return informer

    def get(
        self, resource: Resource, namespace: str | None = None, label_selector: str | None = None
    ) -> Informer | None:
        return self._informers.get((resource, namespace, label_selector))

    def __iter__(self) -> Iterator[Informer]:
        return iter(list(self._informers.values()))

    def __len__(self) -> int:
        return len(self._informers)

    @property
    def synced(self) -> bool:
        """Whether every informer has completed its first list (True for an empty set)."""
        return all(informer.has_synced for informer in self._informers.values())

    async def start(self) -> None:
        """Run every informer in its own task; informers added later start at once."""
        self._started = True
        for key, informer in self._informers.items():
            if key not in self._tasks:
                self._start(key, informer)

    async def stop(self) -> None:
        """Cancel the informers and their subscriptions' workers, and wait for them to finish."""
        self._started = False
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for informer in self._informers.values():
            await informer.close()

    async def wait_synced(self, timeout: float) -> bool:  # noqa: ASYNC109 - measured on the injected clock
        """Wait up to `timeout` seconds of the clock for every informer's first list; whether they all synced."""
        if self.synced:
            return True
        synced: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.gather(*(i.synced.wait() for i in self._informers.values()))
        )
        expired: asyncio.Future[Any] = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait({synced, expired}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (synced, expired):
                waiter.cancel()
            await asyncio.gather(synced, expired, return_exceptions=True)
        return self.synced

    def _start(self, key: ScopeKey, informer: Informer) -> None:
        task = asyncio.get_running_loop().create_task(informer.run(), name=f"kaido-informer-{informer.description}")
        task.add_done_callback(lambda done: _report_end(informer, done))
        self._tasks[key] = task


def _reason(error: KubeError) -> str:
    """The error's message without its leading "GET pods failed: ", which the log line already says."""
    text = str(error)
    prefix = f"{error.target} failed: "
    return text.removeprefix(prefix) if error.target else text


def _report_end(informer: Informer, task: asyncio.Task[None]) -> None:
    """An informer returns only by cancellation; anything else is a bug worth an error in the log."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error(
            "informer %s stopped: %r; its cache is no longer updated", informer.description, error, exc_info=error
        )


class MergedInformers:
    """Several informers of one resource (one per namespace) read as one cache."""

    def __init__(self, informers: list[Informer]) -> None:
        self._informers = informers

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        for informer in self._informers:
            if informer.namespace in (None, namespace):
                found = informer.get(name, namespace)
                if found is not None:
                    return found
        return None

    def list(self) -> list[dict[str, Any]]:
        return [o for i in self._informers for o in i.list()]

    def subscribe(self, handler: Any, *, name: str) -> None:
        for informer in self._informers:
            informer.subscribe(handler, name=name)

    @property
    def resource(self) -> Resource:
        return self._informers[0].resource
