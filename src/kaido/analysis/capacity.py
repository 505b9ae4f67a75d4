"""Per-pod capacity: how much load one pod carries at the target utilization, learned from history.

Three series are joined on the load samples' timestamps: the load (requests per second, or CPU
when no request rate exists), the number of pods, and the pods' average utilization as a fraction
of their request (0.7 = 70%). Each aligned sample is a point (x, u): load per pod and utilization.

A pod's CPU is a baseline (idle, runtime, probes) plus a share per unit of load, so the points lie
near a line u = a + b·x, and the capacity at the target is the x where that line reaches it:
(target − a) / b. The line is fitted with the Theil–Sen estimator (the median of the slopes
between pairs of points, then the median intercept), so samples taken during a rollout or a cold
start do not move it, over the most recent `MAX_FIT_POINTS` points. When the points do not spread
enough along x to show a slope (a steady load), or the fit is implausible (no positive slope, a
negative baseline or one above the target), the estimate falls back to the median of
`x · target / u`: proportional growth through zero, which is exact without a baseline and
otherwise errs low (more pods, never fewer). Samples with utilization below a quarter of the target
are left out. Without a utilization series there is no way to tell how loaded the pods were, so
the result is `Unreliable` rather than a guess from the highest load ever seen.
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
MAX_FIT_POINTS: Final = 200  # the most recent points the line is fitted to (pairs grow as the square)
MIN_SPREAD: Final = 0.2  # (max x - min x) / median x below this shows no slope


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
    """Load one pod carries at `target_utilization`, from aligned samples; see the module docstring."""
    if not target_utilization > 0:
        raise ValueError(f"target utilization must be a positive fraction of the request, got {target_utilization}")
    if utilization is None:
        return Unreliable("no utilization series: cannot tell how loaded the pods were")
    pod_times, pod_values = _as_of(pods)
    util_times, util_values = _as_of(utilization)
    floor = MIN_UTILIZATION_SHARE * target_utilization
    points: list[tuple[float, float]] = []
    for when, value in load:
        count = _reading(pod_times, pod_values, when)
        util = _reading(util_times, util_values, when)
        if count is None or util is None or not math.isfinite(value):
            continue
        if count < 1 or value <= 0 or util < floor:
            continue
        points.append((value / count, util))
    if len(points) < MIN_SAMPLES:
        return Unreliable(
            f"only {len(points)} aligned samples of load, pods and utilization "
            f"(utilization at least {floor:.0%}); {MIN_SAMPLES} needed"
        )
    per_pod = _line_capacity(points[-MAX_FIT_POINTS:], target_utilization)
    how = "line through"
    if per_pod is None:
        per_pod = statistics.median(x * target_utilization / u for x, u in points)
        how = "median of"
    return Capacity(
        per_pod=per_pod,
        target_utilization=target_utilization,
        samples=len(points),
        explanation=f"{format_amount(per_pod)} {unit} per pod at {target_utilization:.0%} CPU "
        f"({how} {len(points)} samples)",
    )


def _line_capacity(points: Sequence[tuple[float, float]], target: float) -> float | None:
    """Where the Theil–Sen line u = a + b·x reaches `target`; None when the points show no usable slope."""
    xs = sorted(x for x, _ in points)
    if xs[-1] - xs[0] < MIN_SPREAD * statistics.median(xs):
        return None
    slopes = [(u2 - u1) / (x2 - x1) for i, (x1, u1) in enumerate(points) for x2, u2 in points[i + 1 :] if x2 != x1]
    if not slopes:
        return None
    slope = statistics.median(slopes)
    if slope <= 0:
        return None
    intercept = statistics.median(u - slope * x for x, u in points)
    if not 0 <= intercept < target:
        return None
    return (target - intercept) / slope


def format_amount(value: float) -> str:
    """A load figure as people write it: 340, 70, 2.5, 0.125."""
    if abs(value) >= 10 or value == 0:
        return f"{value:.0f}"
    return f"{value:.3g}"
