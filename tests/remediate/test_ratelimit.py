"""The sliding-window rate limiter: the global and per-workload limits, retry hints, and the window property."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaido.remediate.ratelimit import Limit, RateLimiter


def test_the_per_workload_limit_stops_the_fourth_action_in_the_window() -> None:
    limiter = RateLimiter(global_limit=None, per_workload=Limit(3, 60))
    for now in (0.0, 10.0, 20.0):
        assert limiter.check("Deployment shop/web", now).allowed
        limiter.record("Deployment shop/web", now)
    refused = limiter.check("Deployment shop/web", 30.0)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30.0)  # the action at 0 leaves the window at 60
    assert "Deployment shop/web" in refused.reason and "3 actions per 60s" in refused.reason
    assert limiter.check("Deployment shop/api", 30.0).allowed, "another workload has its own budget"
    assert limiter.check("Deployment shop/web", 60.0).allowed, "the first action left the window"


def test_the_global_limit_counts_every_workload() -> None:
    limiter = RateLimiter(global_limit=Limit(2, 100), per_workload=Limit(5, 100))
    limiter.record("a", 0.0)
    limiter.record("b", 1.0)
    refused = limiter.check("c", 2.0)
    assert not refused.allowed
    assert refused.reason.startswith("global rate limit reached (2 actions per 100s)")
    assert refused.retry_after == pytest.approx(98.0)


def test_check_records_nothing() -> None:
    limiter = RateLimiter(global_limit=Limit(1, 10), per_workload=None)
    for _ in range(5):
        assert limiter.check("a", 0.0).allowed


def test_a_limit_needs_a_positive_budget_and_period() -> None:
    with pytest.raises(ValueError, match="at least 1 action"):
        Limit(0, 10)
    with pytest.raises(ValueError, match="positive period"):
        Limit(1, 0)


@settings(max_examples=200, deadline=None)
@given(
    actions=st.integers(1, 5),
    per=st.floats(0.5, 50, allow_nan=False),
    gaps=st.lists(st.floats(0, 20, allow_nan=False), min_size=1, max_size=60),
    workloads=st.lists(st.sampled_from("abc"), min_size=60, max_size=60),
)
def test_never_more_than_n_actions_in_any_window(
    actions: int, per: float, gaps: list[float], workloads: list[str]
) -> None:
    """A caller that acts whenever `check` allows never exceeds either limit in any window [t, t + per)."""
    limiter = RateLimiter(global_limit=Limit(actions + 1, per), per_workload=Limit(actions, per))
    now, done = 0.0, []
    for gap, workload in zip(gaps, workloads, strict=False):
        now += gap
        decision = limiter.check(workload, now)
        if decision.allowed:
            limiter.record(workload, now)
            done.append((now, workload))
        else:
            assert decision.retry_after > 0
            probe = copy.deepcopy(limiter)  # checking the future prunes; keep the real limiter in the present
            assert probe.check(workload, now + decision.retry_after + 1e-9).allowed
    for start, _ in done:
        window = [w for t, w in done if start <= t < start + per]
        assert len(window) <= actions + 1
        for workload in "abc":
            assert window.count(workload) <= actions
