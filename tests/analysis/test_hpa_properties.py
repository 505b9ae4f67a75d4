"""Properties of the HPA math that hold for any input: bounds, rate limits, stabilization."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kaido.analysis.hpa import (
    Behavior,
    Branch,
    ContainerSpec,
    ContainerUsage,
    HPASpec,
    HPAState,
    MetricReading,
    MetricSpec,
    MetricTarget,
    PodInfo,
    PodUsage,
    PolicyType,
    Recommendation,
    ScaleEvent,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    limit_with_behavior_rate,
    reconcile,
    scale_up_limit,
    stabilize_with_behaviors,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)

policies = st.lists(
    st.builds(
        ScalingPolicy,
        st.sampled_from(PolicyType),
        st.integers(min_value=1, max_value=500),
        st.integers(min_value=1, max_value=1800),
    ),
    min_size=1,
    max_size=3,
).map(tuple)
rules = st.builds(
    ScalingRules,
    stabilization_window_seconds=st.none() | st.integers(min_value=0, max_value=600),
    select_policy=st.none() | st.sampled_from(SelectPolicy),
    policies=st.none() | policies,
)
scale_events = st.lists(
    st.builds(
        ScaleEvent,
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=0, max_value=3600).map(lambda age: NOW - timedelta(seconds=age)),
    ),
    max_size=4,
).map(tuple)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[HPASpec, int, list[PodInfo], list[PodUsage], HPAState]:
    min_replicas = draw(st.integers(min_value=1, max_value=10))
    max_replicas = draw(st.integers(min_value=min_replicas, max_value=60))
    current = draw(st.integers(min_value=min_replicas, max_value=max_replicas))
    behavior = draw(st.none() | st.builds(Behavior, st.none() | rules, st.none() | rules))
    levels = draw(st.lists(st.none() | st.integers(min_value=0, max_value=5000), min_size=1, max_size=12))
    pods = [
        PodInfo(
            f"p{i}",
            ready="True",
            ready_transition_time=EARLIER,
            start_time=EARLIER,
            containers=(ContainerSpec("c", {"cpu": 500}),),
        )
        for i in range(len(levels))
    ]
    usage = [
        PodUsage(f"p{i}", NOW, 30.0, (ContainerUsage("c", {"cpu": level}),))
        for i, level in enumerate(levels)
        if level is not None
    ]
    history = draw(st.lists(st.integers(min_value=0, max_value=100), max_size=4))
    recs = tuple(Recommendation(r, NOW - timedelta(seconds=30 * (i + 1))) for i, r in enumerate(history))
    state = HPAState(recs, draw(scale_events), draw(scale_events))
    return HPASpec(max_replicas, min_replicas, behavior), current, pods, usage, state


@given(scenarios(), st.integers(min_value=1, max_value=300))
def test_the_desired_count_always_lies_within_min_and_max(
    scenario: tuple[HPASpec, int, list[PodInfo], list[PodUsage], HPAState], target: int
) -> None:
    hpa, current, pods, usage, state = scenario
    cpu = MetricReading(MetricSpec("Resource", "cpu", MetricTarget.utilization(target)), pod_usage=tuple(usage))
    result = reconcile(
        hpa, spec_replicas=current, status_replicas=current, readings=[cpu], pods=pods, now=NOW, state=state
    )
    assert hpa.effective_min_replicas <= result.desired_replicas <= hpa.max_replicas
    if result.branch != Branch.NORMALIZED:
        assert result.desired_replicas == current


@given(
    current=st.integers(min_value=1, max_value=200),
    desired=st.integers(min_value=1, max_value=2000),
    up=st.none() | rules,
    up_events=scale_events,
    down_events=scale_events,
)
def test_a_scale_up_never_exceeds_what_the_policies_allow(
    current: int,
    desired: int,
    up: ScalingRules | None,
    up_events: tuple[ScaleEvent, ...],
    down_events: tuple[ScaleEvent, ...],
) -> None:
    limited = limit_with_behavior_rate(
        current=current,
        desired=desired,
        min_replicas=1,
        max_replicas=1000,
        scale_up=up,
        scale_down=None,
        up_events=up_events,
        down_events=down_events,
        now=NOW,
    )
    allowed = max(current, scale_up_limit(current, up_events=up_events, down_events=down_events, rules=up, now=NOW))
    assert limited.replicas <= max(current, min(desired, 1000, allowed))
    if desired > current:
        assert current <= limited.replicas <= desired


@given(
    current=st.integers(min_value=1, max_value=500),
    desired=st.integers(min_value=501, max_value=5000),
    pods=st.integers(min_value=1, max_value=100),
    percent=st.integers(min_value=1, max_value=900),
)
def test_without_history_max_policy_allows_the_larger_of_pods_and_percent(
    current: int, desired: int, pods: int, percent: int
) -> None:
    rules = ScalingRules(
        select_policy=SelectPolicy.MAX,
        policies=(ScalingPolicy(PolicyType.PODS, pods, 60), ScalingPolicy(PolicyType.PERCENT, percent, 60)),
    )
    limited = limit_with_behavior_rate(
        current=current,
        desired=desired,
        min_replicas=1,
        max_replicas=10_000,
        scale_up=rules,
        scale_down=None,
        now=NOW,
    )
    # Upstream computes the percent in float64, which can round up one replica past the exact value.
    by_percent = math.ceil(float(current) * (1 + float(percent) / 100))
    assert by_percent - -(-current * (100 + percent) // 100) in (0, 1)
    assert limited.replicas == min(desired, max(current + pods, by_percent))


@given(
    current=st.integers(min_value=0, max_value=100),
    desired=st.integers(min_value=0, max_value=100),
    history=st.lists(st.tuples(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=900))),
    up_window=st.integers(min_value=0, max_value=600),
    down_window=st.integers(min_value=0, max_value=600),
)
def test_stabilization_lands_between_the_current_and_the_desired_count(
    current: int, desired: int, history: list[tuple[int, int]], up_window: int, down_window: int
) -> None:
    recs = [Recommendation(value, NOW - timedelta(seconds=age)) for value, age in history]
    stabilized = stabilize_with_behaviors(
        recs, current=current, desired=desired, up_window_seconds=up_window, down_window_seconds=down_window, now=NOW
    )
    assert min(current, desired) <= stabilized.replicas <= max(current, desired)
    assert Recommendation(desired, NOW) in stabilized.recommendations
    assert len(stabilized.recommendations) in (len(recs), len(recs) + 1)
