"""How a web service degrades under load: one pure function of the offered load and the capacity.

A pod serves up to `capacity` requests per second. For an offered `load` the utilisation is
load / capacity; the pod serves min(load, capacity) and, past capacity, sheds the share
1 - capacity / load, half answered 503 at once and half timing out as 504 after `TIMEOUT_MS`.
Latency follows the M/M/1 shape, latency_ms / (1 - utilisation), with the utilisation held at 0.95
so it stays finite, and is capped at the timeout. The base error rate (500) applies to the served
requests, so the error share is shed + error_rate * (1 - shed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

__all__ = ["TIMEOUT_MS", "Overload", "overload"]

TIMEOUT_MS: Final = 10_000.0  # a client gives up (504) after this long
_MAX_UTILISATION: Final = 0.95


@dataclass(frozen=True, slots=True)
class Overload:
    utilisation: float  # load / capacity (0 when the capacity is unbounded)
    served: float  # requests per second the pod actually serves: min(load, capacity)
    latency_ms: float  # the duration of a served request
    shed: float  # share of the offered requests answered 503 or 504 (0 below capacity)
    error_share: float  # share of the offered requests answered 5xx: shed + error_rate * (1 - shed)


def overload(load: float, capacity: float, *, latency_ms: float = 20.0, error_rate: float = 0.0) -> Overload:
    """The state of a pod offered `load` requests/s with `capacity` requests/s (math.inf: unbounded)."""
    load = max(load, 0.0)
    if capacity <= 0:  # serves nothing: every request is shed
        lost = 1.0 if load > 0 else 0.0
        return Overload(math.inf if load > 0 else 0.0, 0.0, TIMEOUT_MS, lost, lost)
    utilisation = load / capacity if math.isfinite(capacity) else 0.0
    served = min(load, capacity)
    shed = 1.0 - capacity / load if utilisation > 1.0 else 0.0
    latency = min(latency_ms / (1.0 - min(utilisation, _MAX_UTILISATION)), TIMEOUT_MS)
    error_share = shed + error_rate * (1.0 - shed)
    return Overload(utilisation, served, latency, shed, error_share)
