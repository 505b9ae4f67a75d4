"""The load signal read from the store: what the recent request-rate forecast does with a surge.

The horizon is 60 s; the samples come every 5 s, as the collector writes them in benchmarks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kaido.analysis.forecast import Forecast
from kaido.config.scaling import PredictiveSettings
from kaido.controllers.load_signal import SURGE_HEADROOM, predict_load
from kaido.store import Sample, Store

NS, SERVICE = "shop", "web"


def deployment() -> dict[str, Any]:
    container = {"name": "web", "image": "web:1", "resources": {"requests": {"cpu": "500m"}}}
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}
    return {"metadata": {"name": "web", "namespace": NS}, "spec": {"replicas": 4, "template": template}}


async def write_rates(store: Store, now: datetime, rate_at: Any) -> None:
    """Three hours of request-rate samples every 5 s up to `now`, as the collector writes them."""
    labels = (("namespace", NS), ("service", SERVICE))
    samples, at = [], now - timedelta(hours=3)
    while at <= now:
        samples.append(Sample("service_requests_per_second", labels, at, rate_at(at)))
        at += timedelta(seconds=5)
    await store.add_samples(samples)
    await store.flush()


def recent_forecast(store: Store, now: datetime) -> Forecast:
    settings = PredictiveSettings.model_validate(
        {"horizon": "60s", "signal": "requests", "requestRate": {"source": "simulator", "interval": "5s"}}
    )
    signal = predict_load(
        store, settings=settings, namespace=NS, deployment=deployment(), cpu_target=0.7, service=SERVICE,
        services=None, now=now,
    )  # fmt: skip
    assert isinstance(signal.forecast, Forecast), signal.forecast
    return signal.forecast


async def test_a_step_up_is_met_at_once_and_not_extrapolated(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    surge = now - timedelta(seconds=20)  # 50 rps for hours, then 220 rps for the last 20 s
    await write_rates(store, now, lambda at: 220.0 if at > surge else 50.0)
    predicted = recent_forecast(store, now)
    # Smoothing alone would still be near 50; its trend would read the jump as a climb past 400.
    assert min(predicted.values) >= 220.0
    assert max(predicted.values) <= 220.0 * (1 + SURGE_HEADROOM) + 1e-9


async def test_a_surge_that_starts_is_met_as_high_as_the_last_surges_went(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = (now - timedelta(hours=2), now - timedelta(hours=2) + timedelta(minutes=10))  # 300 rps then
    start = now - timedelta(seconds=20)  # 50 rps, and since 20 s 150 rps: half a minute of a burst
    await write_rates(
        store, now, lambda at: 300.0 if earlier[0] <= at < earlier[1] else (150.0 if at > start else 50.0)
    )
    predicted = recent_forecast(store, now)
    # The rise of 100 rps is taken to go on for one more horizon: 250 rps, below the 300 seen before.
    assert max(predicted.values) == 250.0
    assert min(predicted.values) >= 150.0


async def test_a_surge_is_not_expected_higher_than_the_last_day_went(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = (now - timedelta(hours=2), now - timedelta(hours=2) + timedelta(minutes=10))  # 180 rps then
    start = now - timedelta(seconds=20)
    await write_rates(
        store, now, lambda at: 180.0 if earlier[0] <= at < earlier[1] else (150.0 if at > start else 50.0)
    )
    assert max(recent_forecast(store, now).values) == pytest.approx(180.0, abs=1.0)


async def test_a_second_step_of_a_climb_is_not_extrapolated_again(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = (now - timedelta(hours=2), now - timedelta(hours=2) + timedelta(minutes=10))  # 300 rps then
    first, second = now - timedelta(seconds=80), now - timedelta(seconds=20)  # 50 -> 120 -> 200 rps

    def load(at: datetime) -> float:
        if earlier[0] <= at < earlier[1]:
            return 300.0
        return 200.0 if at > second else 120.0 if at > first else 50.0

    await write_rates(store, now, load)
    assert max(recent_forecast(store, now).values) <= 200.0 * (1 + SURGE_HEADROOM) + 1e-9


async def test_a_drop_is_followed_without_waiting_for_the_smoothing(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    calm = now - timedelta(seconds=20)  # a 220 rps burst for ten minutes ends 20 s ago
    await write_rates(store, now, lambda at: 220.0 if calm - timedelta(minutes=10) < at <= calm else 50.0)
    predicted = recent_forecast(store, now)
    assert max(predicted.values) <= 50.0 * (1 + SURGE_HEADROOM) + 1e-9


async def test_one_outlying_sample_is_not_a_surge(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await write_rates(store, now, lambda at: 120.0 if at == now else 50.0)  # the latest sample only
    assert max(recent_forecast(store, now).values) <= 50.0 * (1 + SURGE_HEADROOM) + 1e-9
