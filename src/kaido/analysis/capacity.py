"""Per-pod capacity: how much load one pod carries at the target utilization, learned from history.

Three series are joined on the load samples' timestamps: the load (requests per second, or CPU
when no request rate exists), the number of ready pods, and the pods' average utilization as a
fraction of their request (0.7 = 70%). Each aligned sample gives an estimate

    per_pod = (load / pods) * target / utilization

on the assumption that utilization grows in proportion to load per pod. The estimate is the median
of these, so a few samples taken during a rollout or a cold start do not move it. Samples with
utilization below a quarter of the target are left out: an idle pod's baseline CPU would make the
estimate far too low. Without a utilization series there is no way to tell how loaded the pods
were, so the result is `Unreliable` rather than a guess from the highest load ever seen.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kaido.analysis.forecast import Unreliable

__all__ = ["Capacity", "per_pod_capacity"]

MIN_SAMPLES: Final = 10  # fewer aligned samples and one odd minute could decide the estimate
MAX_SKEW: Final = 180.0  # seconds between a load sample and the pod/utilization reading used with it
MIN_UTILIZATION_SHARE: Final = 0.25  # of the target; below it baseline CPU dominates the ratio


@dataclass(frozen=True)
class Capacity:
    """Load units one pod carries at `target_utilization`, and from how many aligned samples."""

    per_pod: float
    target_utilization: float
    samples: int
    explanation: str


def _as_of(series: Sequence[tuple[datetime, float]]) -> tuple[list[datetime], list[float]]:
    ordered = sorted((t, v) for t, v in series if math.isfinite(v))
    return [t for t, _ in ordered], [v for _, v in ordered]


def _reading(times: list[datetime], values: list[float], when: datetime) -> float | None:
    """The latest reading at or before `when`, if it is recent enough to describe that moment."""
    index = bisect.bisect_right(times, when) - 1
    if index < 0 or (when - times[index]).total_seconds() > MAX_SKEW:
        return None
    return values[index]


def per_pod_capacity(
    load: Sequence[tuple[datetime, float]],
    pods: Sequence[tuple[datetime, float]],
    utilization: Sequence[tuple[datetime, float]] | None,
    *,
    target_utilization: float,
    unit: str = "rps",
) -> Capacity | Unreliable:
    """The median over aligned samples of `(load / pods) * target / utilization`; see the module docstring."""
    if not target_utilization > 0:
        raise ValueError(f"target utilization must be a positive fraction of the request, got {target_utilization}")
    if utilization is None:
        return Unreliable("no utilization series: cannot tell how loaded the pods were")
    pod_times, pod_values = _as_of(pods)
    util_times, util_values = _as_of(utilization)
    floor = MIN_UTILIZATION_SHARE * target_utilization
    estimates: list[float] = []
    for when, value in load:
        count = _reading(pod_times, pod_values, when)
        util = _reading(util_times, util_values, when)
        if count is None or util is None or not math.isfinite(value):
            continue
        if count < 1 or value <= 0 or util < floor:
            continue
        estimates.append(value / count * target_utilization / util)
    if len(estimates) < MIN_SAMPLES:
        return Unreliable(
            f"only {len(estimates)} aligned samples of load, pods and utilization "
            f"(utilization at least {floor:.0%}); {MIN_SAMPLES} needed"
        )
    per_pod = statistics.median(estimates)
    return Capacity(
        per_pod=per_pod,
        target_utilization=target_utilization,
        samples=len(estimates),
        explanation=f"{format_amount(per_pod)} {unit} per pod at {target_utilization:.0%} CPU "
        f"(median of {len(estimates)} samples)",
    )


def format_amount(value: float) -> str:
    """A load figure as people write it: 340, 70, 2.5, 0.125."""
    if abs(value) >= 10 or value == 0:
        return f"{value:.0f}"
    return f"{value:.3g}"
