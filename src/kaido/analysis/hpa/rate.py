"""Rate limits on scaling: `spec.behavior` policies, and the legacy rules when no behavior is set.

A scale event records how many replicas one rescale added or removed, and when. A policy with a
period P limits the change relative to the count at the start of the period, which is the current
count minus what was added in the last P seconds plus what was removed. `selectPolicy` Max picks the
policy allowing the biggest change, Min the smallest, Disabled forbids scaling in that direction.
Without a behavior, the legacy rule caps a scale-up at `max(factor * current, minimum)`.

Functions mirror `pkg/controller/podautoscaler/horizontal.go`:

| function                   | upstream                                      |
|----------------------------|-----------------------------------------------|
| `replicas_change_in_period`| `getReplicasChangePerPeriod`                  |
| `scale_up_limit`           | `calculateScaleUpLimitWithScalingRules`       |
| `scale_down_limit`         | `calculateScaleDownLimitWithBehaviors`        |
| `limit_with_behavior_rate` | `convertDesiredReplicasWithBehaviorRate`      |
| `legacy_scale_up_limit`    | `calculateScaleUpLimit`                       |
| `limit_with_rules`         | `convertDesiredReplicasWithRules`             |
| `longest_policy_period`    | `getLongestPolicyPeriod`                      |
| `record_scale_event`       | `storeScaleEvent` (one direction) with `markScaleEventsOutdated` |

Rules are defaulted on entry (`scale_up_rules` / `scale_down_rules`), so raw `spec.behavior` rules
can be passed. Percent proposals round as upstream: up with `ceil`, down by truncation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kaido.analysis.hpa.gomath import INT32_MAX, INT32_MIN, ceil_int32, trunc_int32
from kaido.analysis.hpa.spec import (
    PolicyType,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    scale_down_rules,
    scale_up_rules,
)

__all__ = [
    "Limited",
    "ScaleEvent",
    "legacy_scale_up_limit",
    "limit_with_behavior_rate",
    "limit_with_rules",
    "longest_policy_period",
    "record_scale_event",
    "replicas_change_in_period",
    "scale_down_limit",
    "scale_up_limit",
]


@dataclass(frozen=True)
class ScaleEvent:
    """`timestampedScaleEvent`: a rescale by `change` replicas (a magnitude) at `timestamp`."""

    change: int
    timestamp: datetime
    # Older than the longest policy period when last checked; the slot may be reused.
    outdated: bool = False


@dataclass(frozen=True)
class Limited:
    """A count after the limits, with the ScalingLimited reason and message upstream reports."""

    replicas: int
    reason: str
    message: str


_WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
_SCALE_UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
_TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
_SCALE_DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
_TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")


def replicas_change_in_period(events: Sequence[ScaleEvent], period_seconds: int, now: datetime) -> int:
    """`getReplicasChangePerPeriod`: the total change of the events inside the last period."""
    cutoff = now - timedelta(seconds=period_seconds)
    return sum(e.change for e in events if e.timestamp > cutoff)


def _period_start(
    current: int, policy: ScalingPolicy, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent], now: datetime
) -> int:
    added = replicas_change_in_period(up, policy.period_seconds, now)
    removed = replicas_change_in_period(down, policy.period_seconds, now)
    return current - added + removed


def _select(
    rules: ScalingRules, *, smallest_change: Callable[[int, int], int], biggest_change: Callable[[int, int], int]
) -> tuple[Callable[[int, int], int], int]:
    """The combining function of `selectPolicy` and its neutral start (upstream's int32 sentinels)."""
    pick = smallest_change if rules.select_policy == SelectPolicy.MIN else biggest_change
    return pick, (INT32_MAX if pick is min else INT32_MIN)


def scale_up_limit(
    current: int,
    *,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules | None,
    now: datetime,
) -> int:
    """`calculateScaleUpLimitWithScalingRules`: the most replicas the scale-up policies allow now."""
    rules = scale_up_rules(rules)
    if rules.select_policy == SelectPolicy.DISABLED:
        return current
    pick, result = _select(rules, smallest_change=min, biggest_change=max)
    proposed = 0  # upstream declares it outside the loop: an unknown policy type repeats the last
    for policy in rules.policies or ():
        start = _period_start(current, policy, up_events, down_events, now)
        if policy.type == PolicyType.PODS:
            proposed = start + policy.value
        elif policy.type == PolicyType.PERCENT:
            # Rounded up: a small percent of a small count must still allow one more replica.
            proposed = ceil_int32(float(start) * (1 + float(policy.value) / 100))
        result = pick(result, proposed)
    return result


def scale_down_limit(
    current: int,
    *,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules | None,
    now: datetime,
) -> int:
    """`calculateScaleDownLimitWithBehaviors`: the fewest replicas the scale-down policies allow now."""
    rules = scale_down_rules(rules)
    if rules.select_policy == SelectPolicy.DISABLED:
        return current
    pick, result = _select(rules, smallest_change=max, biggest_change=min)
    proposed = 0
    for policy in rules.policies or ():
        start = _period_start(current, policy, up_events, down_events, now)
        if policy.type == PolicyType.PODS:
            proposed = start - policy.value
        elif policy.type == PolicyType.PERCENT:
            proposed = trunc_int32(float(start) * (1 - float(policy.value) / 100))
        result = pick(result, proposed)
    return result


def limit_with_behavior_rate(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    scale_up: ScalingRules | None,
    scale_down: ScalingRules | None,
    up_events: Sequence[ScaleEvent] = (),
    down_events: Sequence[ScaleEvent] = (),
    now: datetime,
) -> Limited:
    """`convertDesiredReplicasWithBehaviorRate`: apply the policies of the direction, then min/max."""
    if desired > current:
        limit = scale_up_limit(current, up_events=up_events, down_events=down_events, rules=scale_up, now=now)
        limit = max(limit, current)  # never scale down because earlier events used up the budget
        if max_replicas > limit:
            allowed, (reason, message) = limit, _SCALE_UP_LIMIT
        else:
            allowed, (reason, message) = max_replicas, _TOO_MANY
        if desired > allowed:
            return Limited(allowed, reason, message)
    elif desired < current:
        limit = scale_down_limit(current, up_events=up_events, down_events=down_events, rules=scale_down, now=now)
        limit = min(limit, current)
        if min_replicas < limit:
            allowed, (reason, message) = limit, _SCALE_DOWN_LIMIT
        else:
            allowed, (reason, message) = min_replicas, _TOO_FEW
        if desired < allowed:
            return Limited(allowed, reason, message)
    return Limited(desired, *_WITHIN_RANGE)


def legacy_scale_up_limit(current: int, *, factor: float = 2.0, minimum: float = 4.0) -> int:
    """`calculateScaleUpLimit`: `int32(max(factor * current, minimum))` (issue #32304)."""
    return trunc_int32(max(factor * float(current), minimum))


def limit_with_rules(
    *, current: int, desired: int, min_replicas: int, max_replicas: int, factor: float = 2.0, minimum: float = 4.0
) -> Limited:
    """`convertDesiredReplicasWithRules`: min/max and the legacy scale-up cap (no behavior set)."""
    cap = legacy_scale_up_limit(current, factor=factor, minimum=minimum)
    if max_replicas > cap:
        allowed, (reason, message) = cap, _SCALE_UP_LIMIT
    else:
        allowed, (reason, message) = max_replicas, _TOO_MANY
    if desired < min_replicas:
        return Limited(min_replicas, *_TOO_FEW)
    if desired > allowed:
        return Limited(allowed, reason, message)
    return Limited(desired, *_WITHIN_RANGE)


def longest_policy_period(rules: ScalingRules) -> int:
    """`getLongestPolicyPeriod`."""
    return max((p.period_seconds for p in rules.policies or ()), default=0)


def record_scale_event(
    events: Sequence[ScaleEvent], *, change: int, longest_period_seconds: int, now: datetime
) -> tuple[ScaleEvent, ...]:
    """`storeScaleEvent` for one direction: mark events older than the longest period outdated, then
    put the new event in the last outdated slot, or append it."""
    cutoff = now - timedelta(seconds=longest_period_seconds)
    marked = [replace(e, outdated=True) if e.timestamp <= cutoff else e for e in events]
    event = ScaleEvent(change, now)
    slots = [i for i, e in enumerate(marked) if e.outdated]
    if slots:
        marked[slots[-1]] = event
    else:
        marked.append(event)
    return tuple(marked)
