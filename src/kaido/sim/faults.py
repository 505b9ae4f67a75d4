"""Fault switches for reliability tests: dropped watches, error answers, early expiry, latency.

Off by default. Set from `kaido sim --faults SPEC` or in-process by assigning `cluster.faults`:

    drop-watch=30s         end every watch stream after 30 s
    error-rate=0.05        answer 5 % of API requests with an error ...
    error-codes=500/503/429  ... chosen from these codes (429 and 503 carry Retry-After)
    expire-rv=60s          forget the watch history every 60 s, so resumes get 410 Expired
    latency=50ms           delay every API request

Health endpoints are never faulted, so a probe can tell the simulator is alive.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Final

from kaido.sim.errors import ApiError

__all__ = ["Faults", "parse_faults"]

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)?")
_REASONS: Final = {500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests", 504: "Timeout"}
_UNFAULTED: Final = frozenset({"/healthz", "/livez", "/readyz", "/version"})


@dataclass
class Faults:
    drop_watch_after: float | None = None
    error_rate: float = 0.0
    error_codes: tuple[int, ...] = (500, 503, 429)
    expire_every: float | None = None
    latency: float = 0.0
    random: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311 - reproducible faults
    last_expiry: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.drop_watch_after or self.error_rate or self.expire_every or self.latency)

    def applies_to(self, path: str) -> bool:
        return path.rstrip("/") not in _UNFAULTED

    def maybe_error(self) -> ApiError | None:
        """An injected error for this request, or None."""
        if self.error_rate <= 0 or self.random.random() >= self.error_rate:
            return None
        code = self.random.choice(self.error_codes)
        retry_after = 1 if code in (429, 503) else None
        message = f"injected fault: the simulator answered {code} on purpose (--faults error-rate)"
        return ApiError(code, _REASONS.get(code, "InternalError"), message, retry_after=retry_after)

    def due_for_expiry(self, now: float) -> bool:
        if self.expire_every is None or now - self.last_expiry < self.expire_every:
            return False
        self.last_expiry = now
        return True


def parse_faults(spec: str | None, *, seed: int = 0) -> Faults:
    """Parse a `--faults` spec; a ValueError names the switch and the accepted forms."""
    faults = Faults(random=random.Random(seed))  # noqa: S311 - reproducible faults
    if not spec:
        return faults
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise ValueError(f"--faults: {part!r} needs a value, e.g. 'drop-watch=30s'")
        match name:
            case "drop-watch":
                faults.drop_watch_after = _duration(name, value)
            case "expire-rv":
                faults.expire_every = _duration(name, value)
            case "latency":
                faults.latency = _duration(name, value)
            case "error-rate":
                faults.error_rate = _rate(value)
            case "error-codes":
                faults.error_codes = _codes(value)
            case _:
                raise ValueError(
                    f"--faults: unknown switch {name!r}; use drop-watch, error-rate, error-codes, expire-rv or latency"
                )
    return faults


def _duration(name: str, value: str) -> float:
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"--faults: {name}={value!r} is not a duration such as 30s, 500ms or 2m")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"--faults: error-rate={value!r} must be a fraction between 0 and 1")
    return rate


def _codes(value: str) -> tuple[int, ...]:
    codes = []
    for text in value.split("/"):
        if not text.isdigit() or int(text) not in _REASONS:
            raise ValueError(f"--faults: error-codes={value!r}: each code must be one of 500, 503, 429, 504")
        codes.append(int(text))
    return tuple(codes)
