"""Sliding-window rate limits on actions: one for the whole cluster and one per workload.

A limit of N actions per `per` seconds means: in no window [t, t + per) are there more than N
recorded actions. `check` only asks (it never records), so a caller can check, decide not to act
after all, and spend nothing; `record` is called when an action is really attempted. Times are
plain seconds from a monotonic clock, passed in, so the limiter is a pure value with no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Decision", "Limit", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `actions` actions in any `per` seconds."""

    actions: int
    per: float

    def __post_init__(self) -> None:
        if self.actions < 1 or self.per <= 0:
            raise ValueError(
                f"rate limit {self.actions} actions per {self.per}s: need at least 1 action per a positive period"
            )

    def __str__(self) -> str:
        return f"{self.actions} action{'s' if self.actions != 1 else ''} per {self.per:g}s"


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an action may run now; when not, why and how many seconds until it may."""

    allowed: bool
    reason: str = ""
    retry_after: float = 0.0


class _Window:
    """The times of recent actions under one limit, oldest first."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def prune(self, now: float) -> None:
        # An action at t counts while now < t + per: the window is half-open.
        while self.times and self.times[0] <= now - self.limit.per:
            self.times.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more action fits (0 when it fits now); call after `prune`."""
        excess = len(self.times) - self.limit.actions
        if excess < 0:
            return 0.0
        # The action that must leave the window before there is room for one more.
        return self.times[excess] + self.limit.per - now


class RateLimiter:
    """A global limit and a per-workload limit (either may be None for no limit)."""

    def __init__(self, *, global_limit: Limit | None, per_workload: Limit | None) -> None:
        self.global_limit = global_limit
        self.per_workload = per_workload
        self._global = _Window(global_limit) if global_limit else None
        self._workloads: dict[str, _Window] = {}

    def check(self, workload: str, now: float) -> Decision:
        """May an action on `workload` run at `now`? Records nothing.

        When not, `retry_after` is the wait until both limits have room, and `reason` names the
        limit that holds it back longest.
        """
        self._prune(workload, now)
        window = self._workloads.get(workload)
        waits = [
            (w.wait(now), label)
            for w, label in ((self._global, "global rate limit"), (window, f"rate limit for {workload}"))
            if w is not None
        ]
        wait, label = max(waits, default=(0.0, ""))
        if wait <= 0:
            return Decision(allowed=True)
        limit = self.global_limit if label == "global rate limit" else self.per_workload
        return Decision(
            allowed=False,
            reason=f"{label} reached ({limit}); next action possible in {wait:.0f}s",
            retry_after=wait,
        )

    def record(self, workload: str, now: float) -> None:
        """Count an action on `workload` at `now` against both limits."""
        self._prune(workload, now)
        if self._global is not None:
            self._global.times.append(now)
        if self.per_workload is not None:
            self._workloads.setdefault(workload, _Window(self.per_workload)).times.append(now)

    def _prune(self, workload: str, now: float) -> None:
        if self._global is not None:
            self._global.prune(now)
        window = self._workloads.get(workload)
        if window is not None:
            window.prune(now)
            if not window.times:
                del self._workloads[workload]  # idle workloads cost no memory
