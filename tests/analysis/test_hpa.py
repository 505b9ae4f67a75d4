"""Focused tests of kaido.analysis.hpa: behavior defaults, selectPolicy Disabled, per-direction
tolerance, missing data as values, and the time edges of windows and periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kaido.analysis.hpa import (
    DEFAULT_SCALE_DOWN_RULES,
    DEFAULT_SCALE_UP_RULES,
    Behavior,
    Branch,
    ContainerSpec,
    ContainerUsage,
    ControllerSettings,
    HPASpec,
    HPAState,
    MetricFailure,
    MetricReading,
    MetricSpec,
    MetricTarget,
    PodInfo,
    PodUsage,
    PolicyType,
    Recommendation,
    ReplicaProposal,
    ScaleEvent,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    Tolerances,
    default_behavior,
    default_metrics,
    limit_with_behavior_rate,
    pod_requests,
    reconcile,
    record_scale_event,
    resource_replicas,
    scale_down_limit,
    scale_down_rules,
    scale_up_limit,
    scale_up_rules,
    stabilize_recommendation,
    tolerances_for,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(hours=1)
CPU = MetricSpec("Resource", "cpu", MetricTarget.utilization(50))


def web_pod(name: str, request: int = 500, *, ready: bool = True) -> PodInfo:
    return PodInfo(
        name=name,
        phase="Running",
        ready="True" if ready else "False",
        ready_transition_time=LONG_AGO,
        start_time=LONG_AGO,
        containers=(ContainerSpec("web", {"cpu": request}),),
    )


def usage(name: str, milli: int) -> PodUsage:
    return PodUsage(name, NOW, 30.0, (ContainerUsage("web", {"cpu": milli}),))


def fleet(*usages: int) -> tuple[tuple[PodInfo, ...], tuple[PodUsage, ...]]:
    pods = tuple(web_pod(f"web-{i}") for i in range(len(usages)))
    return pods, tuple(usage(p.name, u) for p, u in zip(pods, usages, strict=True))


# -- behavior defaults -----------------------------------------------------------------------------


def test_unset_rules_take_every_default() -> None:
    assert scale_up_rules(None) == DEFAULT_SCALE_UP_RULES
    assert scale_down_rules(None) == DEFAULT_SCALE_DOWN_RULES
    assert DEFAULT_SCALE_DOWN_RULES.stabilization_window_seconds is None  # the controller flag decides


def test_rules_are_defaulted_field_by_field() -> None:
    rules = scale_up_rules(ScalingRules(select_policy=SelectPolicy.MIN, tolerance=0.02))
    assert rules.select_policy == SelectPolicy.MIN
    assert rules.tolerance == 0.02
    assert rules.policies == DEFAULT_SCALE_UP_RULES.policies
    assert rules.stabilization_window_seconds == 0


def test_an_empty_policy_list_is_kept_not_defaulted() -> None:
    assert scale_down_rules(ScalingRules(policies=())).policies == ()


def test_no_behavior_stays_none_so_the_legacy_rules_apply() -> None:
    assert default_behavior(None) is None
    assert default_behavior(Behavior()) == Behavior(DEFAULT_SCALE_UP_RULES, DEFAULT_SCALE_DOWN_RULES)


def test_no_metrics_means_cpu_at_80_percent() -> None:
    (metric,) = default_metrics(())
    assert (metric.type, metric.name, metric.target) == ("Resource", "cpu", MetricTarget.utilization(80))


@pytest.mark.parametrize(
    ("current", "expected"),
    [(3, 7), (6, 12), (40, 80)],  # max(current + 4 pods, double) per 15 s
)
def test_default_scale_up_allows_four_pods_or_doubling(current: int, expected: int) -> None:
    limited = limit_with_behavior_rate(
        current=current, desired=10_000, min_replicas=1, max_replicas=10_000, scale_up=None, scale_down=None, now=NOW
    )
    assert (limited.replicas, limited.reason) == (expected, "ScaleUpLimit")


def test_default_scale_down_is_not_rate_limited() -> None:
    limited = limit_with_behavior_rate(
        current=37, desired=2, min_replicas=1, max_replicas=100, scale_up=None, scale_down=None, now=NOW
    )
    assert (limited.replicas, limited.reason) == (2, "DesiredWithinRange")


@pytest.mark.parametrize(("age", "expected"), [(119, 10), (120, 4)])
def test_unset_scale_down_window_is_the_controller_flag(age: int, expected: int) -> None:
    pods, samples = fleet(100, 100, 100, 100, 100, 100, 100, 100, 100, 100)  # 20% of request vs 50% target
    result = reconcile(
        HPASpec(max_replicas=20, min_replicas=1, behavior=Behavior()),
        spec_replicas=10,
        status_replicas=10,
        readings=[MetricReading(CPU, pod_usage=samples)],
        pods=pods,
        now=NOW,
        state=HPAState(recommendations=(Recommendation(10, NOW - timedelta(seconds=age)),)),
        settings=ControllerSettings(downscale_stabilization_window_seconds=120),
    )
    assert result.desired_replicas == expected


def test_first_sight_of_an_hpa_holds_a_scale_down_for_one_window() -> None:
    pods, samples = fleet(50, 50, 50, 50)
    hpa = HPASpec(max_replicas=10, min_replicas=1)
    first = reconcile(
        hpa, spec_replicas=4, status_replicas=4, readings=[MetricReading(CPU, pod_usage=samples)], pods=pods, now=NOW
    )
    assert (first.desired_replicas, first.branch) == (4, Branch.NORMALIZED)
    later = reconcile(
        hpa,
        spec_replicas=4,
        status_replicas=4,
        readings=[MetricReading(CPU, pod_usage=samples)],
        pods=pods,
        now=NOW + timedelta(seconds=300),
        state=first.state,
    )
    assert later.desired_replicas == 1


# -- selectPolicy Disabled -------------------------------------------------------------------------

DISABLED = ScalingRules(select_policy=SelectPolicy.DISABLED)


def test_disabled_scale_up_keeps_the_current_count() -> None:
    assert scale_up_limit(5, up_events=(), down_events=(), rules=DISABLED, now=NOW) == 5
    limited = limit_with_behavior_rate(
        current=5, desired=9, min_replicas=1, max_replicas=20, scale_up=DISABLED, scale_down=None, now=NOW
    )
    assert (limited.replicas, limited.reason) == (5, "ScaleUpLimit")


def test_disabled_scale_down_keeps_the_current_count_but_not_the_other_direction() -> None:
    assert scale_down_limit(5, up_events=(), down_events=(), rules=DISABLED, now=NOW) == 5
    down = limit_with_behavior_rate(
        current=5, desired=2, min_replicas=1, max_replicas=20, scale_up=None, scale_down=DISABLED, now=NOW
    )
    up = limit_with_behavior_rate(
        current=5, desired=8, min_replicas=1, max_replicas=20, scale_up=None, scale_down=DISABLED, now=NOW
    )
    assert (down.replicas, down.reason) == (5, "ScaleDownLimit")
    assert (up.replicas, up.reason) == (8, "DesiredWithinRange")


def test_disabled_scale_down_below_min_still_reports_the_min() -> None:
    limited = limit_with_behavior_rate(
        current=3, desired=1, min_replicas=3, max_replicas=20, scale_up=None, scale_down=DISABLED, now=NOW
    )
    assert (limited.replicas, limited.reason) == (3, "TooFewReplicas")


def test_min_and_max_select_policies_pick_the_smallest_and_biggest_change() -> None:
    policies = (ScalingPolicy(PolicyType.PODS, 3, 60), ScalingPolicy(PolicyType.PERCENT, 50, 60))
    for select, up, down in [(SelectPolicy.MAX, 15, 5), (SelectPolicy.MIN, 13, 7)]:
        rules = ScalingRules(select_policy=select, policies=policies)
        assert scale_up_limit(10, up_events=(), down_events=(), rules=rules, now=NOW) == up
        assert scale_down_limit(10, up_events=(), down_events=(), rules=rules, now=NOW) == down


def test_a_period_counts_events_strictly_younger_than_it() -> None:
    rules = ScalingRules(policies=(ScalingPolicy(PolicyType.PODS, 2, 60),))
    inside = (ScaleEvent(3, NOW - timedelta(seconds=59)),)
    at_edge = (ScaleEvent(3, NOW - timedelta(seconds=60)),)
    assert scale_up_limit(10, up_events=inside, down_events=(), rules=rules, now=NOW) == 9
    assert scale_up_limit(10, up_events=at_edge, down_events=(), rules=rules, now=NOW) == 12


def test_recording_a_scale_event_reuses_the_last_outdated_slot() -> None:
    ages = (100, 90, 70)
    events = tuple(ScaleEvent(i + 1, NOW - timedelta(seconds=age)) for i, age in enumerate(ages))
    stored = record_scale_event(events, change=4, longest_period_seconds=80, now=NOW)
    assert stored == (ScaleEvent(1, NOW - timedelta(seconds=100), outdated=True), ScaleEvent(4, NOW), events[2])


# -- tolerance per direction -----------------------------------------------------------------------


def test_the_no_scale_band_is_inclusive_and_asymmetric() -> None:
    band = Tolerances(scale_down=0.25, scale_up=0.5)
    assert band.is_within(0.75) and band.is_within(1.5)
    assert not band.is_within(0.74) and not band.is_within(1.51)


def test_behavior_tolerance_overrides_the_flag_for_its_direction_only() -> None:
    behavior = Behavior(scale_up=ScalingRules(tolerance=0.0))
    assert tolerances_for(behavior, ControllerSettings(tolerance=0.2)) == Tolerances(scale_down=0.2, scale_up=0.0)
    assert tolerances_for(None, ControllerSettings(tolerance=0.2)) == Tolerances(0.2, 0.2)
    gate_off = ControllerSettings(tolerance=0.2, configurable_tolerance=False)
    assert tolerances_for(behavior, gate_off) == Tolerances(0.2, 0.2)


@pytest.mark.parametrize(
    ("level", "expected"),
    [(330, 4), (270, 3), (225, 3), (180, 2)],  # 60% of 500m targeted: ratios 1.1, 0.9, 0.75, 0.6
)
def test_each_direction_uses_its_own_tolerance(level: int, expected: int) -> None:
    pods, samples = fleet(level, level, level)
    result = resource_replicas(
        current_replicas=3,
        target_utilization=60,
        resource="cpu",
        usage=samples,
        pods=pods,
        now=NOW,
        tolerances=Tolerances(scale_down=0.3, scale_up=0.05),
    )
    assert isinstance(result, ReplicaProposal)
    assert result.replicas == expected


def test_a_per_direction_tolerance_reaches_the_calculation_through_reconcile() -> None:
    pods, samples = fleet(270, 270, 270, 270)  # 54% of request against 50%: ratio 1.08
    loose = HPASpec(max_replicas=10, behavior=Behavior(scale_up=ScalingRules(tolerance=0.1)))
    tight = HPASpec(max_replicas=10, behavior=Behavior(scale_up=ScalingRules(tolerance=0.05)))
    for hpa, expected in [(loose, 4), (tight, 5)]:
        result = reconcile(
            hpa,
            spec_replicas=4,
            status_replicas=4,
            readings=[MetricReading(CPU, pod_usage=samples)],
            pods=pods,
            now=NOW,
        )
        assert result.desired_replicas == expected


# -- missing data is a value -----------------------------------------------------------------------


def test_a_missing_request_names_the_container_and_the_pod() -> None:
    pods = (web_pod("web-0"), PodInfo("web-1", ready="True", start_time=LONG_AGO, containers=(ContainerSpec("log"),)))
    result = resource_replicas(
        current_replicas=2,
        target_utilization=50,
        resource="cpu",
        usage=[usage("web-0", 100), usage("web-1", 100)],
        pods=pods,
        now=NOW,
    )
    assert result == MetricFailure("FailedGetResourceMetric", "missing request for cpu in container log of Pod web-1")


def test_a_named_container_absent_from_a_pod_is_reported() -> None:
    assert pod_requests([web_pod("web-0")], "cpu", "sidecar") == "container sidecar not found in Pod web-0"


def test_sidecars_count_and_plain_init_containers_do_not() -> None:
    pod = PodInfo(
        "web-0",
        containers=(ContainerSpec("web", {"cpu": 400}),),
        init_containers=(
            ContainerSpec("migrate", {"cpu": 900}),
            ContainerSpec("proxy", {"cpu": 100}, restartable=True),
        ),
    )
    assert pod_requests([pod], "cpu", None) == {"web-0": 500}


def test_pod_level_requests_win_unless_a_container_is_named() -> None:
    pod = PodInfo(
        "web-0", containers=(ContainerSpec("web"), ContainerSpec("proxy", {"cpu": 100})), requests={"cpu": 2000}
    )
    assert pod_requests([pod], "cpu", None) == {"web-0": 2000}
    assert pod_requests([pod], "cpu", "proxy") == {"web-0": 100}
    assert isinstance(pod_requests([pod], "cpu", None, pod_level_resources=False), str)


def test_empty_answers_no_pods_and_only_unready_pods_are_failures_not_errors() -> None:
    def calculate(samples: list[PodUsage], pods: list[PodInfo]) -> str:
        result = resource_replicas(
            current_replicas=1, target_utilization=50, resource="cpu", usage=samples, pods=pods, now=NOW
        )
        assert isinstance(result, MetricFailure)
        return result.message

    pending = PodInfo("web-0", phase="Pending", containers=(ContainerSpec("web", {"cpu": 500}),))
    assert "no metrics returned from resource metrics API" in calculate([], [pending])
    assert "no pods returned by selector" in calculate([usage("web-0", 400)], [])
    assert "pods might be unready" in calculate([usage("web-0", 400)], [pending])


def test_a_failing_metric_blocks_a_scale_down_but_not_a_scale_up() -> None:
    broken = MetricReading(MetricSpec("External", "queue", MetricTarget.value(100)), error="adapter unavailable")
    hpa = HPASpec(max_replicas=10, min_replicas=1)
    for level, expected, branch in [(100, 4, Branch.METRICS_FAILED), (400, 7, Branch.NORMALIZED)]:
        pods, samples = fleet(level, level, level, level)
        result = reconcile(
            hpa,
            spec_replicas=4,
            status_replicas=4,
            pods=pods,
            now=NOW,
            state=HPAState(()),
            readings=[MetricReading(CPU, pod_usage=samples), broken],
        )
        assert (result.desired_replicas, result.branch) == (expected, branch)
        assert result.error is not None and "adapter unavailable" in result.error


def test_an_unknown_metric_source_type_is_reported_as_upstream_does() -> None:
    pods, _ = fleet(100)
    result = reconcile(
        HPASpec(max_replicas=3),
        spec_replicas=1,
        status_replicas=1,
        pods=pods,
        now=NOW,
        readings=[MetricReading(MetricSpec("Cheese", "gouda", MetricTarget.value(1)))],
    )
    condition = result.condition("ScalingActive")
    assert condition is not None
    assert (condition.status, condition.reason) == ("False", "InvalidMetricSourceType")


def test_a_recommendation_exactly_at_the_window_edge_is_old_and_replaced() -> None:
    history = (Recommendation(9, NOW - timedelta(seconds=300)), Recommendation(6, NOW - timedelta(seconds=299)))
    stabilized = stabilize_recommendation(history, desired=2, window_seconds=300, now=NOW)
    assert stabilized.replicas == 6
    assert stabilized.recommendations == (Recommendation(2, NOW), history[1])
