"""One supervisor for the agent's long-running tasks.

Each task is a named coroutine factory. A task that crashes is logged and restarted with a growing
delay, so one failing controller never takes the agent down; `stop()` cancels everything and waits
a bounded time, which is how SIGTERM drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kaido.core.clock import Clock

__all__ = ["Supervisor"]

log = logging.getLogger(__name__)


@dataclass
class _Child:
    name: str
    factory: Callable[[], Awaitable[None]]
    task: asyncio.Task[None] | None = None
    crashes: int = 0


@dataclass
class Supervisor:
    clock: Clock
    restart_initial: float = 1.0
    restart_max: float = 60.0
    _children: list[_Child] = field(default_factory=list)

    def start(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        child = _Child(name, factory)
        child.task = asyncio.create_task(self._keep(child), name=f"kaido-{name}")
        self._children.append(child)

    async def _keep(self, child: _Child) -> None:
        delay = self.restart_initial
        while True:
            try:
                await child.factory()
            except asyncio.CancelledError:
                raise
            except Exception:
                child.crashes += 1
                log.exception("%s crashed (%d so far); restarting in %.1f s", child.name, child.crashes, delay)
            else:
                return  # a task that returns has finished its work
            await self.clock.sleep(delay)
            delay = min(delay * 2, self.restart_max)

    @property
    def crashes(self) -> dict[str, int]:
        return {c.name: c.crashes for c in self._children}

    async def stop(self, *, grace: float) -> list[str]:
        """Cancel every task, newest first; return the names of those that did not stop in time."""
        tasks = [c.task for c in reversed(self._children) if c.task is not None]
        for task in tasks:
            task.cancel()
        if not tasks:
            return []
        done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in done:
            with contextlib.suppress(asyncio.CancelledError):
                exc = task.exception()
                if exc is not None:
                    log.error("%s ended with %r", task.get_name(), exc)
        self._children.clear()
        return [t.get_name() for t in pending]
