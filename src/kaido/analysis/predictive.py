"""Predictive scaling decisions: how many replicas the forecast load needs, and how to get there safely.

Two planners share one estimate. From a `Forecast` and a `Capacity`, the replicas needed over the
horizon are `ceil(highest point forecast / per-pod capacity)`. Then:

- `plan_min_replicas` (a workload with an HPA) raises the HPA's `minReplicas` ahead of a predicted
  peak, by at most `max_step` per decision, never above `maxReplicas` or the cluster capacity guard,
  and lowers it only once the need has dropped by more than `hysteresis` and the peak it was raised
  for has passed, never below the HPA's own minimum. The HPA still scales on live metrics above it,
  so kaido never fights the HPA; it only keeps a floor under it.
- `plan_direct_replicas` (a Deployment without an HPA) moves `spec.replicas` toward the larger of
  the predicted need and the live usage-based count, through the HPA's own stabilization window and
  `behavior` rate limits from `kaido.analysis.hpa`.

An unreliable forecast or capacity, or a forecast whose error exceeds `max_error`, falls back: the
HPA's own minimum is restored (the plain HPA decides) or, without an HPA, only the usage-based count
is used. Every decision says why in one line, with its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kaido.analysis.capacity import Capacity, format_amount
from kaido.analysis.forecast import Forecast, Unreliable
from kaido.analysis.hpa.rate import (
    Limited,
    ScaleEvent,
    limit_with_behavior_rate,
    longest_policy_period,
    record_scale_event,
)
from kaido.analysis.hpa.spec import Behavior, scale_down_rules, scale_up_rules
from kaido.analysis.hpa.stabilization import Recommendation, Stabilized, stabilize_with_behaviors

__all__ = ["Decision", "DirectDecision", "Need", "needed_replicas", "plan_direct_replicas", "plan_min_replicas"]

ROUNDING_SLACK: Final = 1e-9  # 4.0000000001 pods of load is 4 pods, not 5
DEFAULT_DOWNSCALE_WINDOW: Final = 300  # kube-controller-manager's --horizontal-pod-autoscaler-downscale-stabilization


@dataclass(frozen=True)
class Decision:
    """What kaido wants the HPA's minReplicas to be, and why."""

    workload: str  # "deployment/backend"
    current_min: int  # the HPA's minReplicas now
    desired_min: int  # what kaido wants
    baseline_min: int  # the policy's/HPA's own minReplicas that kaido returns to
    max_replicas: int
    reliable: bool
    explanation: str
    predicted_peak: float | None
    peak_at: datetime | None

    @property
    def changed(self) -> bool:
        return self.desired_min != self.current_min


@dataclass(frozen=True)
class Need:
    """The replicas the forecast needs, with the peak that sets it and the sentence saying so."""

    replicas: int
    peak: float
    peak_at: datetime
    half_width: float
    text: str  # "predicted 340 rps at 14:05 ± 30; 70 rps per pod at 70% CPU"


def needed_replicas(
    forecast: Forecast | Unreliable, capacity: Capacity | Unreliable, *, max_error: float, unit: str = "rps"
) -> Need | Unreliable:
    """`ceil(highest predicted value over the horizon / per-pod capacity)`, or why it cannot be trusted."""
    if isinstance(forecast, Unreliable):
        return Unreliable(f"forecast unreliable ({forecast.reason})")
    if not forecast.values:
        return Unreliable("forecast unreliable (empty horizon)")
    if not forecast.error <= max_error:
        return Unreliable(f"forecast unreliable (error {forecast.error:.0%} > {max_error:.0%})")
    if isinstance(capacity, Unreliable):
        return Unreliable(f"capacity unknown ({capacity.reason})")
    if not capacity.per_pod > 0:
        return Unreliable(f"capacity unknown ({format_amount(capacity.per_pod)} {unit} per pod)")
    # The point forecast sets the need: capacity is measured at the HPA's target utilization, whose
    # headroom already absorbs the forecast's error; sizing for the interval's top would pay twice.
    index = max(range(len(forecast.values)), key=lambda i: (forecast.values[i], -i))
    when, value = forecast.at(index), forecast.values[index]
    half_width = forecast.upper[index] - value
    replicas = max(0, math.ceil(value / capacity.per_pod - ROUNDING_SLACK))
    text = (
        f"predicted {format_amount(value)} {unit} at {when:%H:%M} ± {format_amount(half_width)}; "
        f"{format_amount(capacity.per_pod)} {unit} per pod at {capacity.target_utilization:.0%} CPU"
    )
    return Need(replicas, value, when, half_width, text)


def _ceiling(max_replicas: int, capacity_guard: int | None) -> tuple[int, str]:
    if capacity_guard is not None and capacity_guard < max_replicas:
        return capacity_guard, f"cluster capacity guard {capacity_guard}"
    return max_replicas, f"maxReplicas {max_replicas}"


def plan_min_replicas(
    forecast: Forecast | Unreliable,
    capacity: Capacity | Unreliable,
    *,
    now: datetime,
    workload: str,
    current_min: int,
    baseline_min: int,
    max_replicas: int,
    max_error: float,
    hysteresis: float,
    max_step: int,
    capacity_guard: int | None = None,
    raised_until: datetime | None = None,
    unit: str = "rps",
) -> Decision:
    """The HPA's next minReplicas; `raised_until` is the peak a previous raise was made for (no lowering before it)."""
    ceiling, ceiling_name = _ceiling(max_replicas, capacity_guard)
    floor = min(baseline_min, max_replicas)  # the HPA's own minimum, which kaido never goes under
    need = needed_replicas(forecast, capacity, max_error=max_error, unit=unit)
    if isinstance(need, Unreliable):
        desired = floor
        if desired == current_min:
            action = "leaving the HPA alone"
        else:
            action = f"falling back to the plain HPA, minReplicas {current_min} → {desired}"
        return Decision(
            workload, current_min, desired, baseline_min, max_replicas, False,
            f"{need.reason}; {action}", None, None,
        )  # fmt: skip
    target = max(floor, min(need.replicas, ceiling))
    notes: list[str] = []
    if need.replicas > ceiling:
        notes.append(f"capped at {ceiling_name}")
    desired = current_min
    if current_min > ceiling:  # the bounds shrank: obey them now, hysteresis or not
        desired = max(floor, ceiling)
        notes.append(f"above {ceiling_name}")
    elif target > current_min:
        desired = min(target, current_min + max_step)
        if desired < target:
            notes.append(f"step limited to +{max_step}, {target} needed")
    elif target < current_min:
        if raised_until is not None and now < raised_until:
            notes.append(f"holding until the peak at {raised_until:%H:%M} has passed")
        elif target >= current_min * (1 - hysteresis):
            notes.append(f"holding: {target} needed is within the {hysteresis:.0%} hysteresis")
        else:
            desired = target
    suffix = f" ({'; '.join(notes)})" if notes else ""
    return Decision(
        workload, current_min, desired, baseline_min, max_replicas, True,
        f"{need.text}; minReplicas {current_min} → {desired}{suffix}", need.peak, need.peak_at,
    )  # fmt: skip


@dataclass(frozen=True)
class DirectDecision:
    """The next `spec.replicas` of a Deployment scaled without an HPA, and the state to keep for the next pass."""

    workload: str
    current_replicas: int
    desired_replicas: int
    min_replicas: int
    max_replicas: int
    reliable: bool  # False when the forecast was not used
    explanation: str
    predicted_peak: float | None
    peak_at: datetime | None
    recommendations: tuple[Recommendation, ...]  # pass back in next time (stabilization window)
    up_events: tuple[ScaleEvent, ...]  # pass back in next time (rate limits)
    down_events: tuple[ScaleEvent, ...]

    @property
    def changed(self) -> bool:
        return self.desired_replicas != self.current_replicas


def _through_behavior(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    behavior: Behavior | None,
    recommendations: Sequence[Recommendation],
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    downscale_window_seconds: int,
    now: datetime,
) -> tuple[Stabilized, Limited, tuple[ScaleEvent, ...], tuple[ScaleEvent, ...]]:
    """The HPA's stabilization and rate limits (defaulted behavior), and the scale events to remember."""
    up = scale_up_rules(behavior.scale_up if behavior else None)
    down = scale_down_rules(behavior.scale_down if behavior else None)
    down_window = down.stabilization_window_seconds
    stabilized = stabilize_with_behaviors(
        recommendations,
        current=current,
        desired=desired,
        up_window_seconds=up.stabilization_window_seconds or 0,
        down_window_seconds=downscale_window_seconds if down_window is None else down_window,
        now=now,
    )
    limited = limit_with_behavior_rate(
        current=current, desired=stabilized.replicas, min_replicas=min_replicas, max_replicas=max_replicas,
        scale_up=up, scale_down=down, up_events=up_events, down_events=down_events, now=now,
    )  # fmt: skip
    new_up, new_down, final = tuple(up_events), tuple(down_events), limited.replicas
    if final > current:
        new_up = record_scale_event(
            up_events, change=final - current, longest_period_seconds=longest_policy_period(up), now=now
        )
    elif final < current:
        new_down = record_scale_event(
            down_events, change=current - final, longest_period_seconds=longest_policy_period(down), now=now
        )
    return stabilized, limited, new_up, new_down


def plan_direct_replicas(
    forecast: Forecast | Unreliable,
    capacity: Capacity | Unreliable,
    *,
    now: datetime,
    workload: str,
    current_replicas: int,
    usage_replicas: int | None,
    min_replicas: int,
    max_replicas: int,
    max_error: float,
    behavior: Behavior | None = None,
    recommendations: Sequence[Recommendation] = (),
    up_events: Sequence[ScaleEvent] = (),
    down_events: Sequence[ScaleEvent] = (),
    capacity_guard: int | None = None,
    downscale_window_seconds: int = DEFAULT_DOWNSCALE_WINDOW,
    unit: str = "rps",
) -> DirectDecision:
    """Replicas for max(predicted need, `usage_replicas`), through HPA stabilization and rate limits.

    `usage_replicas` is the reactive count (what the HPA algorithm computes from live usage); None
    when unknown. With neither a trusted forecast nor usage, the replica count is kept.
    """
    ceiling, ceiling_name = _ceiling(max_replicas, capacity_guard)
    need = needed_replicas(forecast, capacity, max_error=max_error, unit=unit)
    wanted = [n for n in (None if isinstance(need, Unreliable) else need.replicas, usage_replicas) if n is not None]
    reason = need.reason + "; using live usage only" if isinstance(need, Unreliable) else need.text
    if not wanted:
        reason = f"{reason}; no usage either, keeping {current_replicas}"
    desired = max(wanted, default=current_replicas)
    clamped = max(min_replicas, min(desired, ceiling))
    stabilized, limited, new_up, new_down = _through_behavior(
        current=current_replicas, desired=clamped, min_replicas=min_replicas, max_replicas=ceiling,
        behavior=behavior, recommendations=recommendations, up_events=up_events, down_events=down_events,
        downscale_window_seconds=downscale_window_seconds, now=now,
    )  # fmt: skip
    final = limited.replicas
    notes = [f"usage needs {usage_replicas}"] if usage_replicas is not None else []
    if desired > ceiling:
        notes.append(f"capped at {ceiling_name}")
    if final != clamped:
        notes.append(f"{limited.reason if final != stabilized.replicas else stabilized.reason} holds it at {final}")
    explanation = f"{reason}; replicas {current_replicas} → {final}" + (f" ({'; '.join(notes)})" if notes else "")
    return DirectDecision(
        workload, current_replicas, final, min_replicas, max_replicas, not isinstance(need, Unreliable),
        explanation, None if isinstance(need, Unreliable) else need.peak,
        None if isinstance(need, Unreliable) else need.peak_at,
        stabilized.recommendations, new_up, new_down,
    )  # fmt: skip
