"""The simulator's control loop: controllers reconcile the whole cluster on one clock.

Every controller is a synchronous `reconcile(cluster, now)` over the store, writing through the
same verbs the API uses. The runtime runs all of them in a fixed order, repeatedly, until a
round writes nothing; it starts a pass on every tick of the cluster's clock and whenever
something else (kubectl, the agent) changed the store. A fixed order, a seeded random source and
one clock make runs reproducible; on a `ManualClock`, `advance()` fast-forwards virtual time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from kaido.core import ManualClock
from kaido.core.clock import sleep_or_wake
from kaido.sim.cluster import SimCluster
from kaido.sim.store import WatchEvent

__all__ = ["Controller", "Runtime"]


class Controller(Protocol):
    name: str

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        """Move the cluster one step towards the desired state; write only through `cluster.ops`."""
        ...


class Runtime:
    def __init__(self, cluster: SimCluster, controllers: Sequence[Controller], *, tick: float = 1.0) -> None:
        self.cluster = cluster
        self.controllers = list(controllers)
        self.tick = tick
        self.max_rounds = 25
        self._changed = asyncio.Event()
        self._stopped = False
        cluster.store.listeners.append(self._on_change)

    def _on_change(self, event: WatchEvent) -> None:
        self._changed.set()

    def reconcile(self) -> int:
        """Run every controller until a round writes nothing; returns the number of rounds."""
        for rounds in range(1, self.max_rounds + 1):
            before = self.cluster.store.resource_version
            now = self.cluster.clock.now()
            for controller in self.controllers:
                controller.reconcile(self.cluster, now)
            if self.cluster.store.resource_version == before:
                return rounds
        return self.max_rounds

    async def run(self) -> None:
        """Reconcile on every tick and on every outside change, until `stop()`."""
        while not self._stopped:
            self.reconcile()
            self._changed.clear()
            await sleep_or_wake(self.cluster.clock, self.tick, self._changed)

    def stop(self) -> None:
        self._stopped = True
        self._changed.set()

    async def advance(self, seconds: float) -> None:
        """Fast-forward a ManualClock by `seconds`, one tick at a time, letting other tasks run."""
        clock = self.cluster.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("Runtime.advance needs the cluster to run on a ManualClock (virtual time)")
        steps = max(1, round(seconds / self.tick))
        for _ in range(steps):
            clock.advance(self.tick)
            self.reconcile()
            await asyncio.sleep(0)
