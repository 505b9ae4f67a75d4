"""Durations and percentages as the policy spells them, and the pydantic types that read them.

A duration is written "15s", "5m", "1h30m", "500ms", "7d" or as a number of seconds (15, 0.5,
"15"), and is exposed to Python as float seconds. Parsing is exact (fractions), so printing a
value with `format_duration` and parsing it again gives back the same float: the policy can be
dumped and reloaded without drift. A percentage is a number from 0 to 100, optionally written
with a trailing "%" ("90%").
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Final

from pydantic import BeforeValidator, Field, PlainSerializer

__all__ = ["Duration", "Percent", "format_duration", "parse_duration", "strip_percent"]

_UNITS: Final = {
    "d": Fraction(86400),
    "h": Fraction(3600),
    "m": Fraction(60),
    "s": Fraction(1),
    "ms": Fraction(1, 1000),
}
_NUMBER: Final = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PART: Final = re.compile(rf"({_NUMBER})(ms|[dhms])")
_PLAIN: Final = re.compile(rf"[+-]?{_NUMBER}")
_HINT: Final = "write it like 30s, 5m, 1h30m, 500ms, 7d or a number of seconds"


def parse_duration(value: str | float) -> float:
    """Seconds in `value`; raise ValueError saying how to write a duration."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a duration; {_HINT}")
    if isinstance(value, (int, float)):
        return _checked(Fraction(value) if math.isfinite(value) else None, value)
    text = value.strip()
    if _PLAIN.fullmatch(text):
        return _checked(_exact(text), value)
    total, position = Fraction(0), 0
    for part in _PART.finditer(text):
        if part.start() != position:
            break
        total += _exact(part.group(1)) * _UNITS[part.group(2)]
        position = part.end()
    if not text or position != len(text):
        raise ValueError(f"{value!r} is not a duration; {_HINT}")
    return _checked(total, value)


def _exact(number: str) -> Fraction:
    try:
        return Fraction(Decimal(number))
    except (InvalidOperation, ValueError) as e:  # defensive: the patterns only pass decimal numbers
        raise ValueError(f"{number!r} is not a number") from e


def _checked(seconds: Fraction | None, original: object) -> float:
    if seconds is None:
        raise ValueError(f"{original!r} is not a finite duration; {_HINT}")
    if seconds < 0:
        raise ValueError(f"{original!r} is negative; durations are zero or more")
    try:
        return float(seconds)
    except OverflowError as e:
        raise ValueError(f"{original!r} is too long a duration") from e


def format_duration(seconds: float) -> str:
    """The shortest spelling of `seconds` that `parse_duration` reads back as the same float."""
    if seconds == 0:
        return "0s"
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{seconds!r} is not a duration (zero or more finite seconds)")
    millis = round(Fraction(seconds) * 1000)
    if float(Fraction(millis, 1000)) != seconds:
        return f"{seconds!r}s"  # finer than a millisecond: repr is exact and parses back
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = int(_UNITS[unit] * 1000)
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def strip_percent(value: object) -> object:
    """ "90%" as "90", for a number validator; anything else unchanged."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return value.strip()[:-1].strip()
    return value


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Seconds, written "15s", "5m", "1h30m" or as a number of seconds."""

Percent = Annotated[float, BeforeValidator(strip_percent), Field(ge=0, le=100)]
"""A percentage from 0 to 100, written 80 or "80%"."""
