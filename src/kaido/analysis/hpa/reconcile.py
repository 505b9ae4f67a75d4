"""One pass of the HPA controller over one HPA, as a pure function of data and `now`.

The caller supplies what upstream reads from the cluster (the scale subresource's spec and status
replicas, the selected pods, each metric with what the metrics APIs returned for it) and the
controller's memory of this HPA (`HPAState`: recommendations and scale events). `reconcile` returns
the desired count, the conditions upstream would set, and the updated memory. Nothing is written.

Mirrors `pkg/controller/podautoscaler/horizontal.go`:

| function               | upstream                                                           |
|------------------------|--------------------------------------------------------------------|
| `reconcile`            | `reconcileAutoscaler` (the replica decision, not the API calls)    |
| `_normalize_legacy`    | `normalizeDesiredReplicas` (no `spec.behavior`)                    |
| `_normalize_behaviors` | `normalizeDesiredReplicasWithBehaviors`                            |
| `_finish`              | the rescale tail, with `storeScaleEvent`                           |
| `ambiguous_selector`, `invalid_selector` | the conditions of `validateAndParseSelector`     |

The order is upstream's: remember the first sight of an HPA (`recordInitialRecommendation`, so a
fresh controller does not scale down for one window); stop if the target is scaled to zero; clamp
into [min, max] without reading metrics; otherwise take the metrics' proposal and normalize it.
A scale event is recorded in the returned state whenever the pass rescales with a behavior set, on
the assumption that the caller's scale update succeeds; keep the old state if it fails.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from kaido.analysis.hpa.metrics import SCALING_ACTIVE, Condition, MetricReading, MetricsOutcome, replicas_for_metrics
from kaido.analysis.hpa.pods import PodInfo
from kaido.analysis.hpa.rate import (
    ScaleEvent,
    limit_with_behavior_rate,
    limit_with_rules,
    longest_policy_period,
    record_scale_event,
)
from kaido.analysis.hpa.replicas import ReplicaResult
from kaido.analysis.hpa.spec import (
    Behavior,
    ControllerSettings,
    HPASpec,
    scale_down_rules,
    scale_up_rules,
    tolerances_for,
)
from kaido.analysis.hpa.stabilization import Recommendation, stabilize_recommendation, stabilize_with_behaviors

__all__ = [
    "ABLE_TO_SCALE",
    "SCALING_LIMITED",
    "Branch",
    "HPAState",
    "ReconcileResult",
    "ambiguous_selector",
    "invalid_selector",
    "reconcile",
]

ABLE_TO_SCALE: Final = "AbleToScale"
SCALING_LIMITED: Final = "ScalingLimited"
_DEFAULT_SETTINGS: Final = ControllerSettings()


class Branch(enum.StrEnum):
    """Which path of `reconcileAutoscaler` decided the pass."""

    SCALING_DISABLED = "ScalingDisabled"  # spec.replicas is 0 and minReplicas is not
    ABOVE_MAX = "CurrentAboveMax"  # clamped to maxReplicas without reading metrics
    BELOW_MIN = "CurrentBelowMin"  # clamped to minReplicas without reading metrics
    METRICS_FAILED = "MetricsFailed"  # no usable proposal, or a bad selector: nothing changes
    NORMALIZED = "Normalized"  # the metrics' proposal, stabilized and rate limited


@dataclass(frozen=True)
class HPAState:
    """The controller's memory of one HPA. `recommendations=None`: the HPA has not been seen yet."""

    recommendations: tuple[Recommendation, ...] | None = None
    scale_up_events: tuple[ScaleEvent, ...] = ()
    scale_down_events: tuple[ScaleEvent, ...] = ()


@dataclass(frozen=True)
class ReconcileResult:
    """The outcome of one pass. `desired_replicas == current_replicas` when nothing is scaled."""

    current_replicas: int
    desired_replicas: int
    branch: Branch
    conditions: tuple[Condition, ...]
    state: HPAState
    metric_replicas: int | None = None
    metric_results: tuple[ReplicaResult, ...] = ()
    rescale_reason: str = ""
    error: str | None = None

    @property
    def rescale(self) -> bool:
        return self.desired_replicas != self.current_replicas

    def condition(self, type_: str) -> Condition | None:
        """The last condition of this type set during the pass."""
        return next((c for c in reversed(self.conditions) if c.type == type_), None)


def ambiguous_selector(selector: str, hpas: Sequence[str]) -> Condition:
    """The condition `validateAndParseSelector` sets when other HPAs select the same pods."""
    message = f"pods by selector {selector} are controlled by multiple HPAs: [{' '.join(hpas)}]"
    return Condition(SCALING_ACTIVE, "False", "AmbiguousSelector", message)


def invalid_selector(message: str = "the HPA target's scale is missing a selector") -> Condition:
    """The condition `validateAndParseSelector` sets for a missing or unparsable selector."""
    return Condition(SCALING_ACTIVE, "False", "InvalidSelector", message)


def reconcile(
    hpa: HPASpec,
    *,
    spec_replicas: int,
    status_replicas: int,
    readings: Sequence[MetricReading],
    pods: Sequence[PodInfo],
    now: datetime,
    state: HPAState | None = None,
    settings: ControllerSettings = _DEFAULT_SETTINGS,
    selector_problem: Condition | None = None,
) -> ReconcileResult:
    """`reconcileAutoscaler`: decide the replica count of one HPA for this pass.

    `spec_replicas` and `status_replicas` are the scale subresource's; `selector_problem` is the
    condition of a missing, invalid or shared selector (`invalid_selector`, `ambiguous_selector`).
    """
    state = state or HPAState()
    if state.recommendations is None:
        state = replace(state, recommendations=(Recommendation(spec_replicas, now),))
    current, min_replicas = spec_replicas, hpa.effective_min_replicas
    if current == 0 and min_replicas != 0:
        message = "scaling is disabled since the replica count of the target is zero"
        condition = Condition(SCALING_ACTIVE, "False", "ScalingDisabled", message)
        return ReconcileResult(current, current, Branch.SCALING_DISABLED, (condition,), state)
    if current > hpa.max_replicas:
        reason = "Current number of replicas above Spec.MaxReplicas"
        return _finish(hpa, state, current, hpa.max_replicas, Branch.ABOVE_MAX, (), now, rescale_reason=reason)
    if current < min_replicas:
        reason = "Current number of replicas below Spec.MinReplicas"
        return _finish(hpa, state, current, min_replicas, Branch.BELOW_MIN, (), now, rescale_reason=reason)
    if selector_problem is not None:
        failed = (selector_problem,)
        return ReconcileResult(current, current, Branch.METRICS_FAILED, failed, state, error=selector_problem.message)
    outcome = replicas_for_metrics(
        readings,
        spec_replicas=spec_replicas,
        status_replicas=status_replicas,
        pods=pods,
        now=now,
        tolerances=tolerances_for(hpa.behavior, settings),
        settings=settings,
    )
    if outcome.replicas is None:
        failed = (outcome.condition,)
        return ReconcileResult(
            current, current, Branch.METRICS_FAILED, failed, state, metric_results=outcome.results, error=outcome.error
        )
    return _normalized(hpa, state, current, outcome, now, settings)


def _normalized(
    hpa: HPASpec, state: HPAState, current: int, outcome: MetricsOutcome, now: datetime, settings: ControllerSettings
) -> ReconcileResult:
    """The metrics branch of `reconcileAutoscaler`: stabilize and limit the proposal, then finish."""
    desired = max(0, outcome.replicas or 0)  # upstream starts from 0 and takes a larger proposal
    reason = ""
    if desired > current:
        reason = f"{outcome.metric} above target"
    elif desired < current:
        reason = "All metrics below target"
    bounds = (hpa.effective_min_replicas, hpa.max_replicas)
    if hpa.behavior is None:
        replicas, state, conditions = _normalize_legacy(state, current, desired, bounds, settings, now)
    else:
        replicas, state, conditions = _normalize_behaviors(hpa.behavior, state, current, desired, bounds, settings, now)
    return _finish(
        hpa,
        state,
        current,
        replicas,
        Branch.NORMALIZED,
        (outcome.condition, *conditions),
        now,
        rescale_reason=reason,
        metric_replicas=outcome.replicas,
        metric_results=outcome.results,
        error=outcome.error,
    )


def _normalize_legacy(
    state: HPAState, current: int, desired: int, bounds: tuple[int, int], settings: ControllerSettings, now: datetime
) -> tuple[int, HPAState, tuple[Condition, ...]]:
    """`normalizeDesiredReplicas`: the downscale window, then min/max and the legacy scale-up cap."""
    stabilized = stabilize_recommendation(
        state.recommendations or (),
        desired=desired,
        window_seconds=settings.downscale_stabilization_window_seconds,
        now=now,
    )
    limited = limit_with_rules(
        current=current,
        desired=stabilized.replicas,
        min_replicas=bounds[0],
        max_replicas=bounds[1],
        factor=settings.scale_up_limit_factor,
        minimum=settings.scale_up_limit_minimum,
    )
    conditions = (
        _able_to_scale(stabilized.replicas, desired, stabilized.reason, stabilized.message),
        _scaling_limited(limited.replicas, stabilized.replicas, limited.reason, limited.message),
    )
    return limited.replicas, replace(state, recommendations=stabilized.recommendations), conditions


def _normalize_behaviors(
    behavior: Behavior,
    state: HPAState,
    current: int,
    desired: int,
    bounds: tuple[int, int],
    settings: ControllerSettings,
    now: datetime,
) -> tuple[int, HPAState, tuple[Condition, ...]]:
    """`normalizeDesiredReplicasWithBehaviors`: both windows, then the policies of the direction."""
    up, down = scale_up_rules(behavior.scale_up), scale_down_rules(behavior.scale_down)
    # maybeInitScaleDownStabilizationWindow: an unset scale-down window is the controller flag.
    down_window = down.stabilization_window_seconds
    if down_window is None:
        down_window = settings.downscale_stabilization_window_seconds
    stabilized = stabilize_with_behaviors(
        state.recommendations or (),
        current=current,
        desired=desired,
        up_window_seconds=up.stabilization_window_seconds or 0,
        down_window_seconds=down_window,
        now=now,
    )
    limited = limit_with_behavior_rate(
        current=current,
        desired=stabilized.replicas,
        min_replicas=bounds[0],
        max_replicas=bounds[1],
        scale_up=up,
        scale_down=down,
        up_events=state.scale_up_events,
        down_events=state.scale_down_events,
        now=now,
    )
    conditions = (
        _able_to_scale(stabilized.replicas, desired, stabilized.reason, stabilized.message),
        _scaling_limited(limited.replicas, stabilized.replicas, limited.reason, limited.message),
    )
    return limited.replicas, replace(state, recommendations=stabilized.recommendations), conditions


def _able_to_scale(stabilized: int, desired: int, reason: str, message: str) -> Condition:
    if stabilized != desired:
        return Condition(ABLE_TO_SCALE, "True", reason, message)
    return Condition(ABLE_TO_SCALE, "True", "ReadyForNewScale", "recommended size matches current size")


def _scaling_limited(limited: int, stabilized: int, reason: str, message: str) -> Condition:
    return Condition(SCALING_LIMITED, "False" if limited == stabilized else "True", reason, message)


def _finish(
    hpa: HPASpec,
    state: HPAState,
    current: int,
    desired: int,
    branch: Branch,
    conditions: tuple[Condition, ...],
    now: datetime,
    *,
    rescale_reason: str = "",
    metric_replicas: int | None = None,
    metric_results: tuple[ReplicaResult, ...] = (),
    error: str | None = None,
) -> ReconcileResult:
    """The rescale tail: record the scale event (`storeScaleEvent`, behavior only), build the result."""
    if desired != current and hpa.behavior is not None:
        if desired > current:
            period = longest_policy_period(scale_up_rules(hpa.behavior.scale_up))
            up = record_scale_event(
                state.scale_up_events, change=desired - current, longest_period_seconds=period, now=now
            )
            state = replace(state, scale_up_events=up)
        else:
            period = longest_policy_period(scale_down_rules(hpa.behavior.scale_down))
            down = record_scale_event(
                state.scale_down_events, change=current - desired, longest_period_seconds=period, now=now
            )
            state = replace(state, scale_down_events=down)
    return ReconcileResult(
        current_replicas=current,
        desired_replicas=desired,
        branch=branch,
        conditions=conditions,
        state=state,
        metric_replicas=metric_replicas,
        metric_results=metric_results,
        rescale_reason=rescale_reason if desired != current else "",
        error=error,
    )
