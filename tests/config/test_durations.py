"""Durations as the policy writes them: units, plain seconds, exact round trips, clear errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaido.config import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15s", 15.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("7d", 604800.0),
        ("1.5h", 5400.0),
        ("2m0.5s", 120.5),
        (" 30s ", 30.0),
        ("15", 15.0),
        ("0.25", 0.25),
        (15, 15.0),
        (0.5, 0.5),
        ("0", 0.0),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "m5", "1h 30m", "-5s", "-5", "5s-", True, None, [1]])
def test_bad_durations_say_how_to_write_one(text: object) -> None:
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(text)  # type: ignore[arg-type]


def test_infinite_and_overlong_durations_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_duration(math.inf)
    with pytest.raises(ValueError, match="too long"):
        parse_duration("1e400s")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (15, "15s"), (300, "5m"), (5400, "1h30m"), (0.5, "500ms"), (604800, "7d"), (90061.001, "1d1h1m1s1ms")],
)
def test_format_duration_uses_the_largest_units(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_sub_millisecond_durations_print_as_exact_seconds() -> None:
    assert format_duration(1e-05) == "1e-05s"
    assert parse_duration("1e-05s") == 1e-05


@given(st.integers(min_value=0, max_value=10**13))
def test_millisecond_durations_round_trip_exactly(millis: int) -> None:
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_any_duration_round_trips_exactly(seconds: float) -> None:
    text = format_duration(seconds)
    assert parse_duration(text) == seconds
    assert text == format_duration(parse_duration(text))
