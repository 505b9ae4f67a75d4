"""The demo's replayed history: past days of the scenario's traffic model, as the agent would have stored them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest

from kaido.analysis.forecast import Forecast, forecast
from kaido.cli.demo import start_moment
from kaido.cli.history import REQUEST_RATE, history_samples, replayed_workloads, seed_history
from kaido.core import ManualClock
from kaido.sim.scenario import Scenario
from kaido.store import Sample, Store

CHATBOT_DEV = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "chatbot-dev.yaml"
START = datetime(2026, 3, 2, 13, 40, tzinfo=UTC)  # the spike at +20m meets the 14:00 diurnal peak
BACKEND = re.compile(r"backend-deployment-[a-z0-9]{1,10}-[a-z0-9]{5}")  # how the scaler recognises its pods


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_file(CHATBOT_DEV)


@pytest.fixture(scope="module")
def samples(scenario: Scenario) -> list[Sample]:
    return list(history_samples(scenario, start=START, days=3))


def _rates(samples: list[Sample], service: str) -> dict[datetime, float]:
    return {s.at: s.value for s in samples if s.metric == REQUEST_RATE and dict(s.labels)["service"] == service}


def _backend_cpu(samples: list[Sample]) -> dict[datetime, list[float]]:
    cpu: dict[datetime, list[float]] = defaultdict(list)
    for s in samples:
        labels = dict(s.labels)
        if s.metric == "pod_cpu_cores" and labels["pod"].startswith("backend-deployment-"):
            assert BACKEND.fullmatch(labels["pod"]) and labels == {**labels, "container": "backend"}
            cpu[s.at].append(s.value)
    return cpu


def test_the_workloads_behind_traffic_with_their_hpa_bounds(scenario: Scenario) -> None:
    found = {w.key: w for w in replayed_workloads(scenario)}
    assert set(found) == {"chatbot-dev/backend-deployment", "chatbot-dev/frontend-deployment"}
    backend, frontend = found["chatbot-dev/backend-deployment"], found["chatbot-dev/frontend-deployment"]
    assert (backend.min_replicas, backend.max_replicas, backend.cpu_target) == (2, 10, 0.7)
    assert [load.service for load in backend.loads] == ["backend-service"]
    assert (frontend.min_replicas, frontend.max_replicas, frontend.cpu_target) == (2, 2, None)  # no HPA


def test_the_past_days_have_the_daily_spike(samples: list[Sample]) -> None:
    rates = _rates(samples, "backend-service")
    assert min(rates) == START - timedelta(days=3) and max(rates) == START - timedelta(minutes=1)
    assert len(rates) == 3 * 24 * 60  # one a minute
    for day in (1, 2, 3):
        quiet = rates[START - timedelta(days=day) + timedelta(minutes=15)]
        spike = rates[START - timedelta(days=day) + timedelta(minutes=25)]
        after = rates[START - timedelta(days=day) + timedelta(minutes=36)]
        assert spike == pytest.approx(3 * quiet, rel=0.15) and after == pytest.approx(quiet, rel=0.15)
        assert 20 < quiet < 28  # near the diurnal peak of 24 rps, with 5 % noise


def test_the_pods_share_the_load_as_the_hpa_would_have_scaled_them(samples: list[Sample]) -> None:
    cpu, rates = _backend_cpu(samples), _rates(samples, "backend-service")
    counts = Counter(len(pods) for pods in cpu.values())
    assert set(counts) == {2, 5} and counts[5] == 3 * 15  # five pods for the 15 spike minutes of each day
    for at, pods in cpu.items():
        # The behaviour model: 5m idle + 4m per request, with its ±4 % jitter.
        assert sum(pods) == pytest.approx(0.005 * len(pods) + 0.004 * rates[at], rel=0.05)
        assert max(pods) / 0.1 <= 0.7 * 1.05  # the count keeps each pod near or under the 70 % target
    assert _backend_cpu(list(history_samples(Scenario.from_file(CHATBOT_DEV), start=START, days=3))) == cpu


def test_the_spike_follows_the_time_of_day_of_the_start(scenario: Scenario) -> None:
    night = START.replace(hour=2, minute=0)
    rates = _rates(list(history_samples(scenario, start=night, days=1)), "backend-service")
    before, during = rates[night - timedelta(days=1, minutes=-15)], rates[night - timedelta(days=1, minutes=-25)]
    assert during == pytest.approx(3 * before, rel=0.15) and before < 12  # the quiet hours: base 8 rps


async def test_seeded_history_lets_a_daily_forecast_see_the_spike_coming(tmp_path: Path, samples: list[Sample]) -> None:
    path = tmp_path / "kaido.db"
    assert await seed_history(path, iter(samples), now=START) == len(samples)
    now = START + timedelta(minutes=10)
    async with await Store.open(path, clock=ManualClock(now)) as store:
        labels = {"namespace": "chatbot-dev", "service": "backend-service"}
        rates = store.series(REQUEST_RATE, labels, start=now - timedelta(days=4), end=now, resolution="5m")
        assert len(rates) == 3 * 24 * 12
    predicted = forecast(rates, now=now, horizon=1800, step=300, season="auto")
    assert isinstance(predicted, Forecast) and predicted.method == "holt-winters daily season"
    peak_at, peak, _ = predicted.peak()
    assert START + timedelta(minutes=20) <= peak_at <= START + timedelta(minutes=35)
    assert peak > 2 * rates[-1][1]  # well above the quiet load of the last bucket before the start


def test_pods_whose_image_cannot_be_pulled_have_no_cpu_history(scenario: Scenario) -> None:
    text = CHATBOT_DEV.read_text().replace("image: chatbot/backend:1.4.2", "image: chatbot/backend:no-such-tag")
    broken = list(history_samples(Scenario.from_text(text, source="broken.yaml"), start=START, days=1))
    assert not _backend_cpu(broken)  # they never ran
    assert len(_rates(broken, "backend-service")) == 24 * 60  # the requests still came


def test_the_demo_starts_at_the_coming_time_of_day() -> None:
    morning, evening = datetime(2026, 3, 2, 9, 5, tzinfo=UTC), datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert start_moment("13:40", now=morning) == datetime(2026, 3, 2, 13, 40, tzinfo=UTC)
    assert start_moment("13:40", now=evening) == datetime(2026, 3, 3, 13, 40, tzinfo=UTC)
    assert start_moment("now", now=evening) == evening
    with pytest.raises(click.BadParameter, match="not a time of day"):
        start_moment("teatime", now=evening)
