"""Stabilization: damp flapping by looking back over the recent unstabilized recommendations.

The controller remembers each pass's recommendation with its time. Two variants, mirroring
`pkg/controller/podautoscaler/horizontal.go`:

- `stabilize_recommendation` (`stabilizeRecommendation`, no `spec.behavior`): the highest of the
  desired count and every recommendation inside the downscale window, so scale-downs wait for
  the window while scale-ups are immediate.
- `stabilize_with_behaviors` (`stabilizeRecommendationWithBehaviors`): clamp the current count
  between the lowest recommendation of the scale-up window and the highest of the scale-down window.
  The count only rises if every recent recommendation is above it, and only falls if every one is
  below it.

Both store the new desired value by overwriting the last entry that has aged out of every window,
or by appending one. An entry is inside a window of W seconds iff `timestamp > now - W`; an entry
exactly at the cutoff is old, as it is upstream, where the clock has moved on since it was stored.
The recommendation history is returned, never mutated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["Recommendation", "Stabilized", "stabilize_recommendation", "stabilize_with_behaviors"]

_UP_MESSAGE: Final = "recent recommendations were lower than current one, applying the lowest recent recommendation"
_DOWN_MESSAGE: Final = "recent recommendations were higher than current one, applying the highest recent recommendation"


@dataclass(frozen=True)
class Recommendation:
    """`timestampedRecommendation`: one unstabilized desired count and when it was made."""

    replicas: int
    timestamp: datetime


@dataclass(frozen=True)
class Stabilized:
    """The stabilized count, the updated history, and the AbleToScale reason upstream reports for it."""

    replicas: int
    recommendations: tuple[Recommendation, ...]
    reason: str
    message: str


def _store(
    recommendations: Sequence[Recommendation], old_index: int | None, desired: int, now: datetime
) -> tuple[Recommendation, ...]:
    entry = Recommendation(desired, now)
    if old_index is None:
        return (*recommendations, entry)
    return (*recommendations[:old_index], entry, *recommendations[old_index + 1 :])


def stabilize_recommendation(
    recommendations: Sequence[Recommendation], *, desired: int, window_seconds: float, now: datetime
) -> Stabilized:
    """`stabilizeRecommendation`: max of `desired` and the recommendations inside the window."""
    cutoff = now - timedelta(seconds=window_seconds)
    highest = desired
    old_index: int | None = None
    for i, rec in enumerate(recommendations):
        if rec.timestamp <= cutoff:
            old_index = i
        elif rec.replicas > highest:
            highest = rec.replicas
    stored = _store(recommendations, old_index, desired, now)
    return Stabilized(highest, stored, "ScaleDownStabilized", _DOWN_MESSAGE)


def stabilize_with_behaviors(
    recommendations: Sequence[Recommendation],
    *,
    current: int,
    desired: int,
    up_window_seconds: float,
    down_window_seconds: float,
    now: datetime,
) -> Stabilized:
    """`stabilizeRecommendationWithBehaviors`: clamp `current` into [min over up window, max over down window]."""
    up_cutoff = now - timedelta(seconds=up_window_seconds)
    down_cutoff = now - timedelta(seconds=down_window_seconds)
    up_limit = down_limit = desired
    old_index: int | None = None
    for i, rec in enumerate(recommendations):
        if rec.timestamp > up_cutoff:
            up_limit = min(up_limit, rec.replicas)
        if rec.timestamp > down_cutoff:
            down_limit = max(down_limit, rec.replicas)
        if rec.timestamp <= up_cutoff and rec.timestamp <= down_cutoff:
            old_index = i
    # Raise to the up limit first, then cap at the down limit (the order matters if they cross).
    replicas = min(max(current, up_limit), down_limit)
    stored = _store(recommendations, old_index, desired, now)
    if desired >= current:
        return Stabilized(replicas, stored, "ScaleUpStabilized", _UP_MESSAGE)
    return Stabilized(replicas, stored, "ScaleDownStabilized", _DOWN_MESSAGE)
