"""Forecasting: Holt-Winters on synthetic days, trend only on short history, gaps, reliability, a real trace."""

from __future__ import annotations

import csv
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaido.analysis.forecast import Forecast, Unreliable, forecast, resample

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[2].parent / "shared/data"
TRACE = DATA / "traces/twitter_stream_2021_08/twitter_stream_2021_08_events_per_minute.csv"


def daily(t: float) -> float:
    """A daily sine peaking at 06:00 on a slow upward trend."""
    return 100 + 0.5 * t / 3600 + 50 * math.sin(2 * math.pi * t / 86400)


def series(minutes: int, *, noise: float = 3.0, seed: int = 1, shape=daily) -> list[tuple[datetime, float]]:
    rng = random.Random(seed)
    return [(T0 + timedelta(minutes=i), shape(60.0 * i) + rng.gauss(0, noise)) for i in range(minutes)]


def reliable(result: Forecast | Unreliable) -> Forecast:
    assert isinstance(result, Forecast), result
    return result


def test_resample_means_per_bucket_and_marks_empty_buckets():
    end = T0 + timedelta(minutes=5)
    samples = [
        (T0 + timedelta(seconds=30), 1.0),
        (T0 + timedelta(seconds=50), 3.0),  # same bucket as the first: mean 2
        (T0 + timedelta(minutes=3), 7.0),  # exactly on a bucket's end: belongs to the bucket it ends
        (end, 9.0),  # at `end`: the last bucket
        (end + timedelta(seconds=1), 100.0),  # the future is ignored
        (T0 + timedelta(minutes=4, seconds=10), math.nan),  # not a number: ignored
    ]
    assert resample(samples, step=60, end=end) == [2.0, None, 7.0, None, 9.0]
    assert resample([], step=60, end=end) == []


def test_holt_winters_recovers_a_noisy_daily_sine_with_trend():
    samples = series(3 * 1440)
    now = samples[-1][0]
    result = reliable(forecast(samples, now=now, horizon=600))
    assert result.method == "holt-winters daily season"
    assert result.error < 0.03  # noise alone is about 0.018 of the mean
    assert len(result.values) == 10
    assert result.start == now + timedelta(minutes=1)
    elapsed = (now - T0).total_seconds()
    for i, value in enumerate(result.values):
        truth = daily(elapsed + 60 * (i + 1))
        assert abs(value - truth) < 0.06 * truth
        assert result.lower[i] <= value <= result.upper[i]


def test_forecasts_the_next_daily_peak_before_it_happens():
    samples = series(3 * 1440 - 360)  # now is 6 h before the third day's 06:00 peak
    now = samples[-1][0]
    result = reliable(forecast(samples, now=now, horizon=12 * 3600, step=300))
    when, value, half_width = result.peak()
    true_peak = T0 + timedelta(days=3, hours=6)
    assert abs((when - true_peak).total_seconds()) <= 1800
    assert abs(value - daily((true_peak - T0).total_seconds())) < 0.1 * value
    assert half_width > 0


def test_trend_only_below_a_day_of_history():
    samples = series(12 * 60, noise=1.0, shape=lambda t: 50 + t / 360)  # +10 per hour
    now = samples[-1][0]
    result = reliable(forecast(samples, now=now, horizon=600))
    assert result.method == "holt (trend only)"
    assert list(result.values) == sorted(result.values)  # still rising
    assert abs(result.values[-1] - (50 + (12 * 3600 + 540) / 360)) < 3
    short_daily = forecast(samples, now=now, horizon=600, season="daily")
    assert isinstance(short_daily, Unreliable)
    assert "daily season needs 26 h of history" in short_daily.reason


def test_auto_waits_for_two_days_before_using_the_season():
    samples = series(36 * 60)
    assert reliable(forecast(samples, now=samples[-1][0], horizon=600)).method == "holt (trend only)"
    forced = reliable(forecast(samples, now=samples[-1][0], horizon=600, season="daily"))
    assert forced.method == "holt-winters daily season"


@pytest.mark.parametrize(("minutes", "season"), [(6 * 60, "auto"), (3 * 1440, "auto"), (3 * 1440, "none")])
def test_a_flat_series_gives_a_flat_forecast(minutes: int, season: str):
    samples = [(T0 + timedelta(minutes=i), 42.0) for i in range(minutes)]
    result = reliable(forecast(samples, now=samples[-1][0], horizon=3600, season=season))  # type: ignore[arg-type]
    assert set(result.values) == {42.0}
    assert result.lower == result.upper == result.values
    assert result.error == 0.0


def test_short_gaps_are_interpolated():
    full = series(6 * 60, noise=0.5, shape=lambda t: 80 + t / 720)
    rng = random.Random(7)
    holed = [s for s in full[:-1] if rng.random() > 0.1] + [full[-1]]
    now = full[-1][0]
    with_gaps = reliable(forecast(holed, now=now, horizon=600))
    without = reliable(forecast(full, now=now, horizon=600))
    assert all(abs(a - b) < 1.5 for a, b in zip(with_gaps.values, without.values, strict=True))


def test_too_many_gaps_or_stale_data_is_unreliable():
    full = series(6 * 60)
    now = full[-1][0]
    sparse = full[::2]  # every other minute missing: half the buckets empty
    result = forecast([*sparse, full[-1]], now=now, horizon=600)
    assert isinstance(result, Unreliable)
    assert result.reason.startswith("too many gaps: ")
    stale = forecast(full[:-60], now=now, horizon=600)
    assert stale == Unreliable("stale data: no samples in the last 60 min")


def test_too_little_history_is_unreliable():
    samples = series(30)
    result = forecast(samples, now=samples[-1][0], horizon=600, min_history=3600)
    assert result == Unreliable("not enough history: 30 min of 60 min needed")
    assert forecast([], now=T0, horizon=600) == Unreliable("no samples")


def test_same_input_same_output():
    samples = series(2 * 1440 + 200, noise=8.0, seed=3)
    now = samples[-1][0]
    first = forecast(samples, now=now, horizon=600)
    assert first == forecast(list(samples), now=now, horizon=600)
    assert isinstance(first, Forecast)


@pytest.mark.parametrize(("minutes", "season"), [(3 * 60, "none"), (2 * 1440 + 200, "auto")])
def test_given_smoothing_is_used_instead_of_the_grid_search(minutes: int, season: str):
    samples = series(minutes, noise=8.0, seed=4)
    now = samples[-1][0]
    searched = reliable(forecast(samples, now=now, horizon=600, season=season))  # type: ignore[arg-type]
    assert searched.smoothing[0] > 0
    # The parameters the search chose reproduce its forecast exactly; others give another one.
    again = forecast(samples, now=now, horizon=600, season=season, smoothing=searched.smoothing)  # type: ignore[arg-type]
    assert again == searched
    alpha, beta, gamma = searched.smoothing
    other = reliable(
        forecast(samples, now=now, horizon=600, season=season, smoothing=(1 - alpha, beta, gamma))  # type: ignore[arg-type]
    )
    assert other.smoothing == (1 - alpha, beta, gamma)
    assert other.values != searched.values and other.error > searched.error


def test_values_are_never_negative():
    samples = series(3 * 60, noise=0.2, shape=lambda t: max(0.0, 30 - t / 300))  # falling to zero
    result = reliable(forecast(samples, now=samples[-1][0], horizon=3600))
    assert min(result.values) >= 0
    assert min(result.lower) >= 0


def _twitter() -> list[tuple[datetime, float]]:
    if not TRACE.exists():
        pytest.skip(f"the Twitter request-rate trace is not at {TRACE}; it lives in the shared data folder")
    start = datetime(2021, 8, 1, tzinfo=UTC)  # the trace records relative minutes only
    with TRACE.open() as f:
        return [(start + timedelta(minutes=int(r["minute_index"])), int(r["events"]) / 60) for r in csv.DictReader(f)]


def test_twitter_trace_daily_season_beats_trend_only_on_the_last_day(record_property: pytest.RecordProperty):
    trace = _twitter()[: 9 * 1440]  # eight days of history and the day to predict
    history, last_day = trace[4 * 1440 : 8 * 1440], trace[8 * 1440 :]
    now = history[-1][0]
    actual = resample(last_day, step=300, end=now + timedelta(days=1))
    seasonal = reliable(forecast(history, now=now, horizon=86400, step=300))
    trend = reliable(forecast(history, now=now, horizon=86400, step=300, season="none"))
    assert seasonal.method == "holt-winters daily season"
    record_property("one_step_error_seasonal", round(seasonal.error, 4))
    record_property("one_step_error_trend", round(trend.error, 4))
    seasonal_miss = sum(abs(p - a) for p, a in zip(seasonal.values, actual, strict=True) if a is not None)
    trend_miss = sum(abs(p - a) for p, a in zip(trend.values, actual, strict=True) if a is not None)
    assert seasonal_miss < trend_miss
    assert 0 < seasonal.error < 1
