"""What the users of the replayed service got, minute by minute, and what it cost.

The meter listens to the requests the simulator's kubelet records for the service's pods (each
batch is a status, a count and the duration every request in it took) and keeps, per minute of
virtual time, the answered requests by status and the exact latency distribution. A minute
violates the SLO when its p95 latency is above the target or more than 1 % of its requests failed.
Failed means answered 5xx, or offered by the trace but answered by nobody (no ready pod): the
offered count comes from the trace, and a shortfall over 10 % of it counts as failed (smaller
gaps are the simulator's rounding of fractional requests per tick, not lost requests).

Cost is sampled by the replay loop: pod-minutes integrate the pods that exist (scheduled or
starting, not yet finished) over time, and every change of the Deployment's replicas is a scaling
action; kaido's own writes (minReplicas) are counted from its audit log.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaido.sim.behaviour import Requests

__all__ = ["PolicyResult", "SloMeter", "SloTarget"]

UNANSWERED_SLACK = 0.10  # a shortfall below this share of the offered requests is rounding


@dataclass(frozen=True)
class SloTarget:
    p95_seconds: float = 0.25
    error_share: float = 0.01


@dataclass
class _Minute:
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    latencies: dict[float, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def p95(self) -> float:
        total = self.answered
        if total == 0:
            return 0.0
        rank, seen = math.ceil(0.95 * total), 0
        for seconds in sorted(self.latencies):
            seen += self.latencies[seconds]
            if seen >= rank:
                return seconds
        return max(self.latencies)


@dataclass
class PolicyResult:
    policy: str
    slo_violation_minutes: int
    minutes: int
    pod_minutes: float
    max_replicas: int
    scaling_actions: int
    kaido_actions: int
    requests: int
    failed_requests: int
    p95_seconds_worst: float
    wall_seconds: float
    virtual_seconds: float
    timeline: list[str] = field(default_factory=list)
    violations: list[int] = field(default_factory=list)  # the violating minutes, counted from the window's start

    def to_json(self) -> dict[str, Any]:
        return {
            "slo_violation_minutes": self.slo_violation_minutes,
            "pod_minutes": round(self.pod_minutes, 1),
            "max_replicas": self.max_replicas,
            "scaling_actions": self.scaling_actions,
            "kaido_actions": self.kaido_actions,
            "minutes": self.minutes,
            "requests": self.requests,
            "failed_requests": self.failed_requests,
            "worst_p95_seconds": round(self.p95_seconds_worst, 3),
            "virtual_seconds": round(self.virtual_seconds),
            "wall_seconds": round(self.wall_seconds, 1),
            "violations": self.violations,
        }


class SloMeter:
    """Per-minute SLO verdicts for the pods of one Service (selected by `labels` in `namespace`)."""

    def __init__(
        self, *, namespace: str, labels: Mapping[str, str], origin: datetime, now: Any, target: SloTarget
    ) -> None:
        self._namespace, self._labels = namespace, dict(labels)
        self._origin, self._now, self.target = origin, now, target
        self._minutes: dict[int, _Minute] = defaultdict(_Minute)

    def observe(self, namespace: str, labels: Mapping[str, str], batches: Sequence[Requests]) -> None:
        if namespace != self._namespace or any(labels.get(k) != v for k, v in self._labels.items()):
            return
        # The kubelet records the requests of the tick that just ended: they belong to the minute before `now`.
        elapsed = (self._now() - self._origin).total_seconds()
        if elapsed <= 0:
            return  # the warm-up before the window
        minute = self._minutes[math.floor((elapsed - 1e-6) / 60)]
        for batch in batches:
            minute.statuses[batch.status] += batch.count
            minute.latencies[batch.seconds] += batch.count

    def verdicts(self, offered: Sequence[float]) -> tuple[list[int], int, int, float]:
        """(the violating minutes, requests, failed requests, worst p95) over the minutes of `offered`."""
        violations: list[int] = []
        requests = failed = 0
        worst = 0.0
        for index, wanted in enumerate(offered):
            minute = self._minutes.get(index, _Minute())
            answered = minute.answered
            errors = sum(n for status, n in minute.statuses.items() if status >= 500)
            shortfall = wanted - answered
            if shortfall > UNANSWERED_SLACK * wanted:
                errors += math.floor(shortfall)
            total = max(answered, math.floor(wanted))
            requests += total
            failed += errors
            p95 = minute.p95()
            worst = max(worst, p95)
            if total and (p95 > self.target.p95_seconds or errors / total > self.target.error_share):
                violations.append(index)
        return violations, requests, failed, worst


def offered_per_minute(counts: Sequence[float], resolution: float) -> list[float]:
    """Requests the trace offers in each whole minute (a partial last minute is dropped)."""
    minutes = math.floor(len(counts) * resolution / 60)
    out = [0.0] * minutes
    for index, count in enumerate(counts):
        start, end = index * resolution, (index + 1) * resolution
        first, last = math.floor(start / 60), math.ceil(end / 60)
        for minute in range(first, min(last, minutes)):
            overlap = min(end, (minute + 1) * 60) - max(start, minute * 60)
            if overlap > 0:
                out[minute] += count * overlap / resolution
    return out
