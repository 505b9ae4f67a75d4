"""Per-object serial delivery of cache deltas to one subscriber.

Deltas for one object are delivered in order, one at a time, while different objects are handled
concurrently by a few workers (the queueing pattern of client-go's workqueue). A failing handler
is logged and never stops delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from kaido.kube.cache import Delta, Key

__all__ = ["Handler", "Subscription"]

log = logging.getLogger(__name__)

Handler = Callable[[Delta], Awaitable[None]]


class Subscription:
    """One subscriber's queues: deltas per object key, handed to a small pool of workers.

    A key is handed to at most one worker at a time and its deltas are taken in order, so one
    object's changes never overtake each other; a slow object holds up only itself.
    """

    def __init__(self, handler: Handler, *, name: str, workers: int, on_close: Callable[[Subscription], None]) -> None:
        if workers < 1:
            raise ValueError(f"subscription {name!r} needs at least one worker, not {workers}")
        self.name = name
        self._handler = handler
        self._workers = workers
        self._on_close = on_close
        self._pending: dict[Key, deque[Delta]] = {}  # a key is here while queued for or held by a worker
        self._ready: asyncio.Queue[Key] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    @property
    def pending(self) -> int:
        """Deltas not yet handed to the handler."""
        return sum(len(queue) for queue in self._pending.values())

    def push(self, delta: Delta) -> None:
        """Queue `delta` behind any earlier delta for the same object."""
        if self._closed:
            return
        queue = self._pending.get(delta.key)
        if queue is not None:
            queue.append(delta)  # the key is already queued or being handled; its worker will come back
            return
        self._pending[delta.key] = deque([delta])
        self._idle.clear()
        self._ready.put_nowait(delta.key)
        if not self._tasks:
            loop = asyncio.get_running_loop()
            for number in range(self._workers):
                task = loop.create_task(self._work(), name=f"kaido-subscriber-{self.name}-{number}")
                self._tasks.add(task)

    async def join(self) -> None:
        """Wait until every queued delta has been handled."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop delivering: unsubscribe, drop what is queued and cancel the workers."""
        if self._closed:
            return
        self._closed = True
        self._on_close(self)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._pending.clear()
        self._idle.set()

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            queue = self._pending[key]
            delta = queue.popleft()
            try:
                await self._handler(delta)
            except Exception:
                log.exception(
                    "subscriber %s failed on %s %s; continuing with the next change",
                    self.name,
                    delta.type,
                    "/".join(part for part in key if part),
                )
            if queue:
                self._ready.put_nowait(key)  # to the back: other objects get their turn
            else:
                del self._pending[key]
                if not self._pending:
                    self._idle.set()
