"""Load forecasting: additive Holt-Winters with a daily season, or Holt's damped linear trend.

A forecast is a pure function of timestamped samples and `now`. The samples are bucketed into
fixed steps (mean per bucket), short gaps are filled by linear interpolation, and one of two
exponential-smoothing models is fitted:

- **Holt-Winters, additive, damped trend, daily season** (period `m = 86400 / step` buckets) when
  the history allows: two full days for `season="auto"` (one to initialise the seasonal indices, one
  to check them), a day plus two hours for `season="daily"`.
- **Holt's damped linear trend** otherwise.

The smoothing parameters come from a small fixed grid, keeping the first combination with the
lowest sum of absolute one-step-ahead errors, so the same input always gives the same output. The
reported `error` is that sum divided by the sum of the observed values (WAPE), a relative error
that, unlike MAPE, survives zeros. The prediction interval is an 80% interval from the one-step
residuals widened with the horizon as for ETS(A,Ad,A). Missing or insufficient data is an
`Unreliable` value with a reason, never an exception. The formulas are in `docs/forecasting.md`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

__all__ = ["Forecast", "Unreliable", "forecast", "resample"]

DAY: Final = 86400.0
SEASONAL_METHOD: Final = "holt-winters daily season"
TREND_METHOD: Final = "holt (trend only)"
PHI: Final = 0.98  # trend damping per step: a trend fades instead of running away
Z_80: Final = 1.2816  # two-sided 80% normal quantile for the prediction interval
ALPHAS: Final = (0.1, 0.3, 0.5, 0.7, 0.9)
BETAS: Final = (0.0, 0.05, 0.2)
GAMMAS: Final = (0.05, 0.15, 0.3)
MAX_GAP_SHARE: Final = 0.2  # more empty buckets than this and interpolation would invent the series
MAX_FIT_DAYS: Final = 4.0  # older history adds little to a daily season and costs fitting time
DAILY_MIN_EXTRA: Final = 7200.0  # season="daily" needs a day plus this much history to check the season
SEASON_SMOOTHING: Final = 1800.0  # seconds averaged into each initial seasonal index
HOLT_BURN_IN: Final = 5  # one-step errors of the first few points only reflect the initial state


@dataclass(frozen=True)
class Unreliable:
    """No usable value; `reason` says why ("not enough history: 20 min of 60 min needed")."""

    reason: str


@dataclass(frozen=True)
class Forecast:
    """Predicted mean load per step after `now`: point i is the bucket ending at `start + i * step`."""

    start: datetime
    step: float  # seconds between points
    values: tuple[float, ...]
    lower: tuple[float, ...]  # 80% prediction interval, clipped at 0
    upper: tuple[float, ...]
    error: float  # WAPE of the one-step-ahead in-sample forecasts, 0..inf
    method: str  # SEASONAL_METHOD | TREND_METHOD
    smoothing: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the fitted (alpha, beta, gamma)

    @property
    def seasonal(self) -> bool:
        """Whether a daily season shaped it (else it extends the recent level and trend)."""
        return self.method == SEASONAL_METHOD

    def at(self, index: int) -> datetime:
        """The end of the bucket that point `index` predicts."""
        return self.start + timedelta(seconds=self.step * index)

    def peak(self) -> tuple[datetime, float, float]:
        """(when, value, half-width of the interval there) at the highest predicted value (first on ties)."""
        index = max(range(len(self.values)), key=lambda i: (self.values[i], -i))
        return self.at(index), self.values[index], self.upper[index] - self.values[index]


@dataclass(frozen=True)
class _Fit:
    """One model run over a series: its one-step errors and the final smoothing state."""

    abs_error: float
    sq_error: float
    count: int
    level: float
    trend: float
    season: tuple[float, ...]  # rotated so index 0 is the season slot of the next point
    alpha: float
    beta: float
    gamma: float


def resample(samples: Sequence[tuple[datetime, float]], *, step: float, end: datetime) -> list[float | None]:
    """Mean per bucket of `step` seconds ending at `end`, oldest first; None for empty buckets.

    Buckets are half-open on the left, `(end - (k+1)*step, end - k*step]`, so a sample at `end` is in
    the last bucket. They start at the bucket of the oldest sample; samples after `end` and
    non-finite values are ignored.
    """
    if step <= 0:
        raise ValueError(f"resample step must be positive, got {step} s")
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for when, value in samples:
        age = (end - when).total_seconds()
        if age < 0 or not math.isfinite(value):
            continue
        back = math.floor(age / step)
        sums[back] = sums.get(back, 0.0) + value
        counts[back] = counts.get(back, 0) + 1
    if not counts:
        return []
    oldest = max(counts)
    return [sums[k] / counts[k] if k in counts else None for k in range(oldest, -1, -1)]


def _interpolate(buckets: Sequence[float | None]) -> list[float]:
    """Fill inner gaps linearly and a trailing gap with the last value (callers bound the gap sizes)."""
    filled: list[float] = []
    known = [(i, v) for i, v in enumerate(buckets) if v is not None]
    for (i0, v0), (i1, v1) in itertools.pairwise(known):
        filled.extend(v0 + (v1 - v0) * (i - i0) / (i1 - i0) for i in range(i0, i1))
    last_index, last_value = known[-1]
    filled.extend([last_value] * (len(buckets) - last_index))
    return filled


def _circular_mean(day: Sequence[float], width: int) -> list[float]:
    """Centred moving average around the daily cycle, so one noisy bucket does not become a seasonal index."""
    half = max(0, width // 2)
    n = len(day)
    if half == 0 or n <= 2 * half:
        return list(day)
    window = sum(day[i % n] for i in range(-half, half + 1))
    smoothed: list[float] = []
    for i in range(n):
        smoothed.append(window / (2 * half + 1))
        window += day[(i + half + 1) % n] - day[(i - half) % n]
    return smoothed


def _holt_winters(y: Sequence[float], m: int, alpha: float, beta: float, gamma: float) -> _Fit:
    """Additive damped Holt-Winters; day one initialises the state, errors are counted from day two."""
    first = sum(y[:m]) / m
    trend = (sum(y[m : 2 * m]) / m - first) / m if len(y) >= 2 * m else 0.0
    season = [v - first for v in _circular_mean(y[:m], round(SEASON_SMOOTHING / (DAY / m)))]
    level = first + trend * (m - 1) / 2  # the level at the end of day one on a trend through its middle
    abs_err = sq_err = 0.0
    for t in range(m, len(y)):
        s = season[t % m]
        error = y[t] - (level + PHI * trend + s)
        abs_err += abs(error)
        sq_err += error * error
        new_level = alpha * (y[t] - s) + (1 - alpha) * (level + PHI * trend)
        trend = beta * (new_level - level) + (1 - beta) * PHI * trend
        level = new_level
        season[t % m] = gamma * (y[t] - level) + (1 - gamma) * s
    k = len(y) % m
    return _Fit(abs_err, sq_err, len(y) - m, level, trend, (*season[k:], *season[:k]), alpha, beta, gamma)


def _holt(y: Sequence[float], alpha: float, beta: float) -> _Fit:
    """Holt's damped linear trend from the first value; errors are counted after a short burn-in."""
    level, trend = y[0], 0.0
    abs_err = sq_err = 0.0
    for t in range(1, len(y)):
        error = y[t] - (level + PHI * trend)
        if t > HOLT_BURN_IN:
            abs_err += abs(error)
            sq_err += error * error
        new_level = alpha * y[t] + (1 - alpha) * (level + PHI * trend)
        trend = beta * (new_level - level) + (1 - beta) * PHI * trend
        level = new_level
    return _Fit(abs_err, sq_err, max(0, len(y) - 1 - HOLT_BURN_IN), level, trend, (), alpha, beta, 0.0)


def _best_fit(y: Sequence[float], m: int | None) -> _Fit:
    """Grid search: the first parameter set (grid order) with the lowest absolute one-step error."""
    best: _Fit | None = None
    if m is None:
        fits = (_holt(y, a, b) for a, b in itertools.product(ALPHAS, BETAS))
    else:
        fits = (_holt_winters(y, m, a, b, g) for a, b, g in itertools.product(ALPHAS, BETAS, GAMMAS))
    for fit in fits:
        if best is None or fit.abs_error < best.abs_error:
            best = fit
    assert best is not None
    return best


def _project(fit: _Fit, points: int) -> tuple[list[float], list[float]]:
    """Point forecasts 1..points steps ahead and their interval half-widths (ETS(A,Ad,A) variance)."""
    sigma = math.sqrt(fit.sq_error / fit.count) if fit.count else 0.0
    values: list[float] = []
    widths: list[float] = []
    damped = 0.0  # phi + phi^2 + ... + phi^h
    variance_terms = 0.0  # sum of c_j^2 for j < h
    for h in range(1, points + 1):
        damped += PHI**h
        s = fit.season[(h - 1) % len(fit.season)] if fit.season else 0.0
        values.append(fit.level + damped * fit.trend + s)
        widths.append(Z_80 * sigma * math.sqrt(1 + variance_terms))
        seasonal_hit = fit.season and h % len(fit.season) == 0
        c = fit.alpha * (1 + fit.beta * damped) + (fit.gamma if seasonal_hit else 0.0)
        variance_terms += c * c
    return values, widths


def _choose_season(
    season: Literal["auto", "daily", "none"], *, buckets: int, step: float
) -> tuple[int | None, Unreliable | None]:
    """The season length in buckets (None: trend only), or why the requested daily season cannot be fitted."""
    m = round(DAY / step)
    if season == "none" or m < 2:
        return None, None
    if season == "auto":
        return (m if buckets >= 2 * m else None), None
    if buckets * step < DAY + DAILY_MIN_EXTRA:
        have = buckets * step / 3600
        return None, Unreliable(
            f"daily season needs {(DAY + DAILY_MIN_EXTRA) / 3600:.0f} h of history, have {have:.1f} h"
        )
    return m, None


def _check_history(buckets: Sequence[float | None], *, step: float, min_history: float) -> Unreliable | None:
    """Why these buckets cannot be trusted: too short, too gappy, or stale; None when usable."""
    history = len(buckets) * step
    if history < min_history or len(buckets) < 2 * HOLT_BURN_IN:
        return Unreliable(f"not enough history: {history / 60:.0f} min of {min_history / 60:.0f} min needed")
    empty = sum(1 for v in buckets if v is None)
    if empty / len(buckets) > MAX_GAP_SHARE:
        return Unreliable(f"too many gaps: {empty} of {len(buckets)} buckets of {step:.0f} s have no samples")
    trailing = next(i for i, v in enumerate(reversed(buckets)) if v is not None)
    if trailing * step > max(3 * step, 0.05 * history):
        return Unreliable(f"stale data: no samples in the last {trailing * step / 60:.0f} min")
    return None


def forecast(
    samples: Sequence[tuple[datetime, float]],
    *,
    now: datetime,
    horizon: float,
    step: float = 60.0,
    season: Literal["auto", "daily", "none"] = "auto",
    min_history: float = 3600.0,
    smoothing: tuple[float, float, float] | None = None,
) -> Forecast | Unreliable:
    """Forecast the mean load per `step` for `horizon` seconds after `now` from samples up to `now`.

    The smoothing parameters are chosen by grid search, or taken from `smoothing` (an earlier
    forecast's) so that a series refitted every few seconds pays for one run instead of the grid.
    """
    if horizon <= 0 or step <= 0:
        raise ValueError(f"forecast horizon and step must be positive, got horizon={horizon} s, step={step} s")
    buckets = resample(samples, step=step, end=now)
    if not buckets:
        return Unreliable("no samples")
    keep = round(MAX_FIT_DAYS * DAY / step)
    buckets = buckets[-keep:]
    while buckets[0] is None:  # a cut through a gap; the series starts at its first sample
        buckets = buckets[1:]
    problem = _check_history(buckets, step=step, min_history=min_history)
    if problem is not None:
        return problem
    m, refused = _choose_season(season, buckets=len(buckets), step=step)
    if refused is not None:
        return refused
    y = _interpolate(buckets)
    if smoothing is None:
        fit = _best_fit(y, m)
    else:
        alpha, beta, gamma = smoothing
        fit = _holt_winters(y, m, alpha, beta, gamma) if m else _holt(y, alpha, beta)
    points = math.ceil(horizon / step - 1e-9)
    values, widths = _project(fit, points)
    observed = sum(abs(v) for v in (y[m:] if m else y[HOLT_BURN_IN + 1 :]))
    error = fit.abs_error / observed if observed > 0 else (0.0 if fit.abs_error == 0 else math.inf)
    return Forecast(
        start=now + timedelta(seconds=step),
        step=step,
        values=tuple(max(0.0, v) for v in values),
        lower=tuple(max(0.0, v - w) for v, w in zip(values, widths, strict=True)),
        upper=tuple(max(0.0, v + w) for v, w in zip(values, widths, strict=True)),
        error=error,
        method=SEASONAL_METHOD if m else TREND_METHOD,
        smoothing=(fit.alpha, fit.beta, fit.gamma),
    )
