"""Quantities against exact rational arithmetic, plus the API server's canonical spellings."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaido.core import Format, Quantity, QuantityError, parse_quantity

DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
CANONICAL = re.compile(r"-?(0|[1-9]\d*)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e-?\d+)?")

digits = st.text(alphabet="0123456789", max_size=12)
exponents = st.integers(min_value=-40, max_value=40)


@st.composite
def quantity_strings(draw: st.DrawFn) -> tuple[str, Fraction]:
    """A string in the Kubernetes grammar and its exact value before rounding to 1n."""
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole, fraction = draw(digits), draw(digits)
    if not whole and not fraction:
        whole = draw(st.text(alphabet="0123456789", min_size=1, max_size=6))
    dot = "." if fraction else draw(st.sampled_from(["", "."]))
    if dot == "." and not whole and not fraction:
        fraction = "5"
    kind = draw(st.sampled_from(["decimal", "binary", "exponent"]))
    if kind == "decimal":
        suffix = draw(st.sampled_from(sorted(DECIMAL_SUFFIXES)))
        multiplier = Fraction(10) ** DECIMAL_SUFFIXES[suffix]
    elif kind == "binary":
        suffix = draw(st.sampled_from(sorted(BINARY_SUFFIXES)))
        multiplier = Fraction(2) ** BINARY_SUFFIXES[suffix]
    else:
        power = draw(exponents)
        letter = draw(st.sampled_from(["e", "E"]))
        plus = "+" if power >= 0 and draw(st.booleans()) else ""
        suffix = f"{letter}{plus}{power}"
        multiplier = Fraction(10) ** power
    number = Fraction(int(whole or "0")) + Fraction(int(fraction or "0"), 10 ** len(fraction))
    value = (-number if sign == "-" else number) * multiplier
    return f"{sign}{whole}{dot}{fraction}{suffix}", value


def round_up_to_nano(value: Fraction) -> Fraction:
    if value == 0:
        return value
    nanos = math.ceil(abs(value) * 10**9)
    return Fraction(nanos if value > 0 else -nanos, 10**9)


@given(quantity_strings())
def test_parsed_value_is_exact_and_rounded_up_to_one_nano(case: tuple[str, Fraction]) -> None:
    text, value = case
    assert Fraction(parse_quantity(text).value) == round_up_to_nano(value)


@given(quantity_strings())
def test_canonical_form_round_trips_and_is_stable(case: tuple[str, Fraction]) -> None:
    quantity = parse_quantity(case[0])
    canonical = str(quantity)
    assert CANONICAL.fullmatch(canonical), canonical
    again = parse_quantity(canonical)
    assert again == quantity
    assert str(again) == canonical


@given(quantity_strings())
def test_canonical_form_uses_the_largest_exact_suffix(case: tuple[str, Fraction]) -> None:
    canonical = str(parse_quantity(case[0]))
    match = re.fullmatch(r"(-?\d+)(\D.*)?", canonical)
    assert match is not None
    mantissa, suffix = int(match.group(1)), match.group(2) or ""
    if suffix in BINARY_SUFFIXES and suffix != "Ei":
        assert mantissa % 1024 != 0
    elif suffix in DECIMAL_SUFFIXES and suffix != "E" and mantissa:
        assert mantissa % 1000 != 0


@given(quantity_strings(), quantity_strings())
def test_addition_and_order_are_exact(a: tuple[str, Fraction], b: tuple[str, Fraction]) -> None:
    qa, qb = parse_quantity(a[0]), parse_quantity(b[0])
    assert Fraction((qa + qb).value) == Fraction(qa.value) + Fraction(qb.value)
    assert Fraction((qa - qb).value) == Fraction(qa.value) - Fraction(qb.value)
    assert (qa < qb) == (Fraction(qa.value) < Fraction(qb.value))


@pytest.mark.parametrize(
    ("text", "canonical", "fmt"),
    [
        ("250m", "250m", Format.DECIMAL_SI),
        ("1.5", "1500m", Format.DECIMAL_SI),
        ("0.5", "500m", Format.DECIMAL_SI),
        ("512Mi", "512Mi", Format.BINARY_SI),
        ("1.5Gi", "1536Mi", Format.BINARY_SI),
        ("1024Mi", "1Gi", Format.BINARY_SI),
        ("1000Ki", "1000Ki", Format.BINARY_SI),
        ("0.1Ki", "102400m", Format.DECIMAL_SI),
        ("1G", "1G", Format.DECIMAL_SI),
        ("1000", "1k", Format.DECIMAL_SI),
        ("1024", "1024", Format.DECIMAL_SI),
        ("1000m", "1", Format.DECIMAL_SI),
        ("1e3", "1e3", Format.DECIMAL_EXPONENT),
        ("1.1e3", "1100", Format.DECIMAL_EXPONENT),
        ("1E", "1E", Format.DECIMAL_SI),
        ("3E+2", "300", Format.DECIMAL_EXPONENT),
        ("1e-3", "1e-3", Format.DECIMAL_EXPONENT),
        ("100n", "100n", Format.DECIMAL_SI),
        ("1.5u", "1500n", Format.DECIMAL_SI),
        ("0.0001m", "100n", Format.DECIMAL_SI),
        ("0.0000000001", "1n", Format.DECIMAL_SI),
        ("-0.0000000001", "-1n", Format.DECIMAL_SI),
        (".5", "500m", Format.DECIMAL_SI),
        ("5.", "5", Format.DECIMAL_SI),
        ("+5", "5", Format.DECIMAL_SI),
        ("-0", "0", Format.DECIMAL_SI),
        ("-1.5Gi", "-1536Mi", Format.BINARY_SI),
    ],
)
def test_canonical_spellings_match_the_api_server(text: str, canonical: str, fmt: Format) -> None:
    quantity = parse_quantity(text)
    assert str(quantity) == canonical
    assert quantity.format is fmt


@pytest.mark.parametrize(("value", "canonical"), [(2, "2"), (0.5, "500m"), (1e-05, "10e-6"), (1500, "1500")])
def test_yaml_numbers_are_quantities(value: float, canonical: str) -> None:
    assert str(parse_quantity(value)) == canonical


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected a number"),
        (".", "expected a number"),
        ("abc", "expected a number"),
        ("--1", "expected a number"),
        ("e3", "expected a number"),
        ("1.5.5", "unknown suffix '.5'"),
        ("1 ", "unknown suffix ' '"),
        ("1e", "unknown suffix 'e'"),
        ("1mi", "unknown suffix 'mi'"),
        ("1Ki5", "unknown suffix 'Ki5'"),
        ("1e99999999999", "out of range"),
    ],
)
def test_bad_quantities_are_rejected_with_the_value_named(text: str, fragment: str) -> None:
    with pytest.raises(QuantityError, match=re.escape(fragment)) as excinfo:
        parse_quantity(text)
    assert repr(text) in str(excinfo.value)


def test_booleans_are_not_quantities() -> None:
    with pytest.raises(QuantityError):
        parse_quantity(True)


@pytest.mark.parametrize(
    ("text", "milli", "whole"),
    [("250m", 250, 1), ("1", 1000, 1), ("1.5Gi", 1610612736000, 1610612736), ("0.1m", 1, 1), ("-0.1m", -1, -1)],
)
def test_integer_views_round_away_from_zero(text: str, milli: int, whole: int) -> None:
    quantity = parse_quantity(text)
    assert quantity.as_milli() == milli
    assert quantity.as_int() == whole


def test_integer_views_refuse_values_beyond_int64() -> None:
    with pytest.raises(QuantityError, match="64-bit"):
        parse_quantity("1e30").as_int()


def test_scaling_keeps_format_and_rounds_up() -> None:
    assert str(parse_quantity("256Mi").scaled(Decimal("1.5"))) == "384Mi"
    assert str(Quantity.from_decimal(Decimal("0.0000000001"))) == "1n"
