"""A spike can recur (`every`), before the start too, so a scenario's past days follow from its model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.scenario import Scenario, ScenarioError
from kaido.sim.traffic import Combined, Constant, Diurnal, ServiceLoad, Spike, TrafficModel

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = 86_400.0
MINUTE = 60.0


def test_a_one_off_spike_has_one_window() -> None:
    spike = Spike(start=20 * MINUTE, duration=15 * MINUTE, multiplier=3)
    assert [spike.active(t * MINUTE) for t in (19, 20, 34, 35)] == [False, True, True, False]
    assert not spike.active(20 * MINUTE - DAY) and not spike.active(20 * MINUTE + DAY)
    assert spike.next_start(0) == 20 * MINUTE
    assert spike.next_start(21 * MINUTE) is None


def test_a_daily_spike_recurs_forwards_and_backwards() -> None:
    spike = Spike(start=20 * MINUTE, duration=15 * MINUTE, multiplier=3, every=DAY)
    for day in (-3, -1, 0, 1, 2):
        base = day * DAY
        assert not spike.active(base + 19 * MINUTE)
        assert spike.active(base + 20 * MINUTE) and spike.active(base + 34.9 * MINUTE)
        assert not spike.active(base + 35 * MINUTE)
    assert not spike.active(0)  # the first window of the run is still the one at +20m
    assert spike.next_start(0) == 20 * MINUTE
    assert spike.next_start(20 * MINUTE) == 20 * MINUTE
    assert spike.next_start(21 * MINUTE) == DAY + 20 * MINUTE
    assert spike.next_start(-DAY) == -DAY + 20 * MINUTE


def test_a_profile_with_a_daily_spike_gives_the_rate_of_past_days() -> None:
    profile = Combined((Constant(10),), (Spike(start=20 * MINUTE, duration=15 * MINUTE, multiplier=3, every=DAY),))
    two_days_ago = -2 * DAY
    assert profile.rate(two_days_ago + 25 * MINUTE, NOON) == pytest.approx(30)
    assert profile.rate(two_days_ago + 40 * MINUTE, NOON) == pytest.approx(10)


def test_the_model_answers_for_moments_before_the_start() -> None:
    cluster = SimCluster(clock=ManualClock(NOON), seed=3)
    profile = Combined(
        (Diurnal(base=8, peak=24, peak_hour=14),),
        (Spike(start=20 * MINUTE, duration=15 * MINUTE, multiplier=3, every=DAY),),
    )
    model = TrafficModel(cluster, [ServiceLoad("shop", "api", profile)], NOON, seed=3)
    yesterday_spike = NOON - timedelta(days=1) + timedelta(minutes=25)
    today_spike = NOON + timedelta(minutes=25)
    assert model.rate("shop", "api", yesterday_spike) == pytest.approx(model.rate("shop", "api", today_spike))
    quiet = NOON - timedelta(days=1) + timedelta(minutes=40)
    assert model.rate("shop", "api", yesterday_spike) == pytest.approx(3 * model.rate("shop", "api", quiet), rel=0.02)


def test_noise_is_seeded_for_past_seconds_too() -> None:
    load = ServiceLoad("shop", "api", Constant(100), noise=0.1)
    past = [load.rate(-t - 0.5, NOON, seed=1) for t in range(50)]
    assert all(90 <= r <= 110 for r in past) and len(set(past)) > 40
    assert past == [load.rate(-t - 0.5, NOON, seed=1) for t in range(50)]
    assert load.rate(-0.5, NOON, seed=1) != load.rate(0.5, NOON, seed=1)  # -1 s and 0 s are different seconds


def _scenario(spike: str) -> str:
    return (
        "apiVersion: kaido.io/v1alpha1\nkind: Scenario\nspec:\n  traffic:\n"
        f"    - service: api\n      profile: {{constant: 5, spike: {spike}}}\n"
    )


def test_every_is_parsed_as_a_duration() -> None:
    scenario = Scenario.from_text(_scenario("{start: 20m, duration: 15m, multiplier: 3, every: 24h}"), source="s.yaml")
    profile = scenario.traffic[0].profile
    assert isinstance(profile, Combined)
    assert profile.spikes == (Spike(start=1200, duration=900, multiplier=3, every=DAY),)


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("daily", r"spec.traffic\[0\].profile.spike.every: 'daily' is not a duration"),
        ("10m", r"spec.traffic\[0\].profile.spike.every: '10m' must be longer than the duration \('15m'\)"),
        ("15m", r"spec.traffic\[0\].profile.spike.every: '15m' must be longer than the duration"),
    ],
)
def test_a_bad_every_is_an_error_naming_its_path(every: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=rf"^s.yaml: {message}"):
        Scenario.from_text(_scenario(f"{{start: 20m, duration: 15m, every: {every}}}"), source="s.yaml")


def test_a_spike_that_never_ends_is_refused_in_code_too() -> None:
    with pytest.raises(ValueError, match="must be longer than its duration"):
        Spike(start=0, duration=DAY, every=DAY)


def test_chatbot_dev_spikes_daily() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "chatbot-dev.yaml"
    backend = next(t for t in Scenario.from_file(path).traffic if t.service == "backend-service")
    assert isinstance(backend.profile, Combined)
    (spike,) = backend.profile.spikes
    assert (spike.start, spike.duration, spike.multiplier, spike.every) == (1200, 900, 3, DAY)
