"""Predictive minReplicas and direct scaling: raise ahead of peaks, caps, hysteresis, fallback."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from kaido.analysis.capacity import Capacity
from kaido.analysis.forecast import Forecast, Unreliable, forecast
from kaido.analysis.predictive import Decision, plan_direct_replicas, plan_min_replicas

NOW = datetime(2026, 3, 1, 13, 55, tzinfo=UTC)
CAP = Capacity(per_pod=70.0, target_utilization=0.7, samples=100, explanation="70 rps per pod at 70% CPU")
LIMITS = {"max_error": 0.3, "hysteresis": 0.2, "max_step": 4}


def fc(values: list[float], *, half_width: float = 0.0, error: float = 0.05) -> Forecast:
    return Forecast(
        start=NOW + timedelta(minutes=1),
        step=60.0,
        values=tuple(values),
        lower=tuple(max(0.0, v - half_width) for v in values),
        upper=tuple(v + half_width for v in values),
        error=error,
        method="holt-winters daily season",
    )


PEAK = fc([200, 250, 300, 320, 335, 340, 330, 310, 300, 290], half_width=30)  # 340 at 14:01 +5 min = 14:01


def plan(forecast_=PEAK, capacity=CAP, **overrides) -> Decision:
    args = {"now": NOW, "workload": "deployment/backend", "current_min": 2, "baseline_min": 2, "max_replicas": 10}
    args |= LIMITS | overrides
    return plan_min_replicas(forecast_, capacity, **args)  # type: ignore[arg-type]


def test_raises_min_replicas_ahead_of_a_predicted_peak():
    decision = plan(max_step=10)
    assert decision.desired_min == 5  # ceil(340 / 70): the issue's own example
    assert decision.changed
    assert decision.reliable
    assert decision.predicted_peak == 340
    assert decision.peak_at == datetime(2026, 3, 1, 14, 1, tzinfo=UTC)
    assert decision.explanation == "predicted 340 rps at 14:01 ± 30; 70 rps per pod at 70% CPU; minReplicas 2 → 5"


def test_raise_is_capped_by_max_replicas_guard_and_step():
    assert plan(max_replicas=4, max_step=10).desired_min == 4
    assert "(capped at maxReplicas 4)" in plan(max_replicas=4, max_step=10).explanation
    guarded = plan(capacity_guard=3, max_step=10)
    assert guarded.desired_min == 3
    assert guarded.explanation.endswith("minReplicas 2 → 3 (capped at cluster capacity guard 3)")
    stepped = plan(max_step=2)
    assert stepped.desired_min == 4
    assert stepped.explanation.endswith("minReplicas 2 → 4 (step limited to +2, 5 needed)")


def test_lowers_only_past_the_hysteresis_and_after_the_peak():
    five = fc([300] * 10, half_width=20)  # ceil(320 / 70) = 5
    held = plan(five, current_min=6)
    assert held.desired_min == 6
    assert not held.changed
    assert "within the 20% hysteresis" in held.explanation
    four = fc([250] * 10, half_width=10)  # 4 < 6 * 0.8
    assert plan(four, current_min=6).desired_min == 4
    waiting = plan(four, current_min=6, raised_until=NOW + timedelta(minutes=3))
    assert waiting.desired_min == 6
    assert "holding until the peak at 13:58 has passed" in waiting.explanation


def test_returns_to_baseline_and_never_below_it():
    quiet = fc([10] * 10, half_width=2)
    decision = plan(quiet, current_min=6, baseline_min=2)
    assert decision.desired_min == 2
    assert decision.explanation.endswith("minReplicas 6 → 2")


def test_bounds_that_shrank_are_obeyed_at_once():
    decision = plan(fc([300] * 10), current_min=8, max_replicas=10, capacity_guard=5)
    assert decision.desired_min == 5


def test_unreliable_inputs_fall_back_to_the_plain_hpa():
    history = plan(Unreliable("not enough history: 20 min of 60 min needed"), current_min=5)
    assert not history.reliable
    assert history.desired_min == 2
    assert history.predicted_peak is None
    assert history.explanation == (
        "forecast unreliable (not enough history: 20 min of 60 min needed); "
        "falling back to the plain HPA, minReplicas 5 → 2"
    )
    noisy = plan(fc([300] * 10, error=0.45))
    assert noisy.explanation == "forecast unreliable (error 45% > 30%); leaving the HPA alone"
    assert not noisy.changed
    no_capacity = plan(capacity=Unreliable("no utilization series"))
    assert no_capacity.explanation.startswith("capacity unknown (no utilization series)")
    assert no_capacity.desired_min == 2


def test_a_flat_day_changes_nothing():
    rng = random.Random(11)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    samples = [(start + timedelta(minutes=i), 100 * (1 + rng.gauss(0, 0.02))) for i in range(25 * 60)]
    current, changes = 2, 0
    for minute in range(60, 25 * 60):
        now = samples[minute][0]
        window = samples[max(0, minute - 180) : minute + 1]  # the last 3 h, as a store query would return
        result = forecast(window, now=now, horizon=600)
        decision = plan(result, now=now, current_min=current)
        assert decision.reliable, decision.explanation
        changes += decision.changed
        current = decision.desired_min
    assert current == 2  # 100 rps fit in 2 pods of 70
    assert changes == 0


def test_a_daily_peak_is_met_ahead_and_released_after():
    """Three days of a daily peak: minReplicas must be raised before the peak and fall back at night."""
    rng = random.Random(5)
    start = datetime(2026, 3, 1, tzinfo=UTC)

    def load(t: float) -> float:  # 60 rps at night, 400 rps at 12:00
        return 60 + 340 * max(0.0, math.sin(math.pi * ((t % 86400) / 86400 * 2 - 0.5))) ** 2

    samples = [(start + timedelta(minutes=i), load(60.0 * i) * (1 + rng.gauss(0, 0.03))) for i in range(3 * 1440)]
    current, raised_until, seen = 2, None, {}
    for minute in range(2 * 1440, 3 * 1440, 5):
        now = samples[minute][0]
        result = forecast(samples[minute - 2 * 1440 : minute + 1], now=now, horizon=600, step=300)
        decision = plan(result, now=now, current_min=current, raised_until=raised_until, max_replicas=8)
        assert decision.reliable, decision.explanation
        assert decision.desired_min <= 8
        if decision.desired_min > current:
            raised_until = decision.peak_at
        current = decision.desired_min
        seen[now.strftime("%H:%M")] = current
    need_at_peak = math.ceil(400 / 70)
    assert all(seen[t] >= need_at_peak for t in ("11:30", "11:50", "11:55", "12:00"))  # ready before noon
    assert seen["03:00"] == seen["16:55"] == seen["23:55"] == 2  # released after the peak


def test_direct_scaling_follows_the_forecast_within_behaviour_limits():
    decision = plan_direct_replicas(
        fc([900] * 10), CAP, now=NOW, workload="deployment/web", current_replicas=2, usage_replicas=3,
        min_replicas=1, max_replicas=20, max_error=0.3,
    )  # fmt: skip
    # ceil(900 / 70) = 13, but the default scale-up policy allows max(2 + 4, 2 * 2) = 6 per 15 s.
    assert decision.desired_replicas == 6
    assert decision.reliable
    assert decision.up_events[-1].change == 4
    assert "replicas 2 → 6" in decision.explanation
    assert "ScaleUpLimit holds it at 6" in decision.explanation
    later = plan_direct_replicas(
        fc([900] * 10), CAP, now=NOW + timedelta(seconds=5), workload="deployment/web", current_replicas=6,
        usage_replicas=3, min_replicas=1, max_replicas=20, max_error=0.3,
        recommendations=decision.recommendations, up_events=decision.up_events,
    )  # fmt: skip
    assert later.desired_replicas == 6  # the 15 s period's budget is spent


def test_direct_scaling_down_waits_for_the_stabilization_window():
    high = plan_direct_replicas(
        fc([600] * 10), CAP, now=NOW, workload="deployment/web", current_replicas=9, usage_replicas=None,
        min_replicas=1, max_replicas=20, max_error=0.3,
    )  # fmt: skip
    assert high.desired_replicas == 9
    low = plan_direct_replicas(
        fc([100] * 10), CAP, now=NOW + timedelta(seconds=60), workload="deployment/web", current_replicas=9,
        usage_replicas=None, min_replicas=1, max_replicas=20, max_error=0.3, recommendations=high.recommendations,
    )  # fmt: skip
    assert low.desired_replicas == 9
    later = plan_direct_replicas(
        fc([100] * 10), CAP, now=NOW + timedelta(seconds=400), workload="deployment/web", current_replicas=9,
        usage_replicas=None, min_replicas=1, max_replicas=20, max_error=0.3, recommendations=low.recommendations,
    )  # fmt: skip
    assert later.desired_replicas == 2
    assert later.down_events[-1].change == 7


def test_direct_scaling_without_a_trusted_forecast_uses_usage_only():
    decision = plan_direct_replicas(
        Unreliable("too many gaps: 90 of 300 buckets of 60 s have no samples"), CAP, now=NOW,
        workload="deployment/web", current_replicas=3, usage_replicas=5, min_replicas=1, max_replicas=4,
        max_error=0.3, capacity_guard=10,
    )  # fmt: skip
    assert not decision.reliable
    assert decision.desired_replicas == 4
    assert decision.explanation.startswith("forecast unreliable (too many gaps")
    assert "using live usage only" in decision.explanation
    assert "capped at maxReplicas 4" in decision.explanation
    idle = plan_direct_replicas(
        Unreliable("no samples"), CAP, now=NOW, workload="deployment/web", current_replicas=3, usage_replicas=None,
        min_replicas=1, max_replicas=4, max_error=0.3,
    )  # fmt: skip
    assert idle.desired_replicas == 3
    assert not idle.changed
    assert "keeping 3" in idle.explanation
