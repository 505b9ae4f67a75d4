"""Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G", "1e3"), parsed and printed exactly.

The grammar is the API server's (k8s.io/apimachinery/pkg/api/resource):

    quantity        ::= signedNumber suffix
    suffix          ::= binarySI | decimalExponent | decimalSI
    binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
    decimalSI       ::= n | u | m | "" | k | M | G | T | P | E
    decimalExponent ::= "e" signedInteger | "E" signedInteger
    signedNumber    ::= [+-] ( digits | digits "." digits | digits "." | "." digits )

Values are exact decimals. As on the API server, a non-zero value finer than 1n is rounded away
from zero to 1n ("if you ask for some resource, you get some"), and the canonical string keeps the
format family of the input: "1.5" prints as "1500m", "1.5Gi" as "1536Mi", "1e3" as "1e3", a
binary value below 1Ki or with a fraction prints in decimal SI ("0.1Ki" is "102400m").
Unlike the API server, BinarySI values are not capped at 2^63-1: kaido keeps the exact value.
"""

from __future__ import annotations

import decimal
import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from kaido.core.errors import QuantityError

__all__ = ["Format", "Quantity", "parse_quantity"]


class Format(enum.Enum):
    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


_DECIMAL_SUFFIXES: Final = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXPONENT: Final = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIXES: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_BY_POWER: Final = {power // 10: suffix for suffix, power in _BINARY_SUFFIXES.items()}

_NUMBER = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_EXPONENT = re.compile(r"[eE]([+-]?\d+)")
_INT32_MAX: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_NANO_EXPONENT: Final = -9
# Arithmetic between quantities runs in this context: exact for every value that fits a cluster.
_CONTEXT: Final = decimal.Context(prec=1000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """An exact quantity and the format family it prints in. Compare and add by value."""

    value: Decimal
    format: Format = Format.DECIMAL_SI

    @classmethod
    def parse(cls, text: str | int | float) -> Quantity:
        return parse_quantity(text)

    @classmethod
    def from_decimal(cls, value: Decimal | int, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        return cls(_round_up_to_nano(Decimal(value)), fmt)

    def __str__(self) -> str:
        return _canonical(self.value, self.format)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    # Comparisons and arithmetic follow the value; the left operand's format wins, as upstream.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.value == other.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > other.value

    def __ge__(self, other: Quantity) -> bool:
        return self.value >= other.value

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(_CONTEXT.add(self.value, other.value), self.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(_CONTEXT.subtract(self.value, other.value), self.format)

    def __neg__(self) -> Quantity:
        return Quantity(_CONTEXT.minus(self.value), self.format)

    def scaled(self, factor: Decimal | int) -> Quantity:
        """This quantity times `factor`, rounded up to 1n like every parsed value."""
        return Quantity(_round_up_to_nano(_CONTEXT.multiply(self.value, Decimal(factor))), self.format)

    def is_zero(self) -> bool:
        return self.value == 0

    def as_int(self) -> int:
        """The value rounded away from zero to a whole unit (bytes, cores); an error beyond int64."""
        return _to_int64(self.value, 0, self)

    def as_milli(self) -> int:
        """The value in thousandths rounded away from zero (millicores); an error beyond int64."""
        return _to_int64(self.value, 3, self)

    def as_float(self) -> float:
        return float(self.value)


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse `text` with the Kubernetes quantity grammar; raise QuantityError naming the value."""
    if isinstance(text, bool):
        raise QuantityError(f"quantity {text!r}: expected a string or a number such as '250m' or '512Mi'")
    if isinstance(text, int):
        return Quantity(Decimal(text), Format.DECIMAL_SI)
    if isinstance(text, float):
        text = repr(text)  # YAML numbers such as 0.5; repr gives the shortest exact spelling
    if not isinstance(text, str):
        raise QuantityError(f"quantity {text!r}: expected a string such as '250m' or '512Mi'")
    number = _NUMBER.match(text)
    assert number is not None  # every part of the pattern is optional, so it always matches
    sign, whole, fraction = number.group(1), number.group(2), number.group(3) or ""
    if not whole and not fraction:
        raise QuantityError(f"quantity {text!r}: expected a number such as '250m', '1.5', '512Mi' or '1e3'")
    suffix = text[number.end() :]
    digits = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    base, exponent, fmt = _interpret_suffix(suffix, text)
    if base == 10:
        value = digits.scaleb(exponent, _CONTEXT)
    else:
        value = _CONTEXT.multiply(digits, Decimal(2**exponent))
    value = _round_up_to_nano(value)
    if fmt is Format.BINARY_SI and abs(value) < 1024:
        fmt = Format.DECIMAL_SI
    return Quantity(value, fmt)


def _interpret_suffix(suffix: str, text: str) -> tuple[int, int, Format]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], Format.BINARY_SI
    exponent = _EXPONENT.fullmatch(suffix)
    if exponent is not None:
        power = int(exponent.group(1))
        if abs(power) > _INT32_MAX:
            raise QuantityError(f"quantity {text!r}: exponent {power} is out of range")
        return 10, power, Format.DECIMAL_EXPONENT
    raise QuantityError(
        f"quantity {text!r}: unknown suffix {suffix!r}; use one of "
        "n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3"
    )


def _round_up_to_nano(value: Decimal) -> Decimal:
    """Round a non-zero value away from zero to a multiple of 1n, exactly as the API server does."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)) or "0")
    if coefficient == 0:
        return Decimal(0)
    if exponent >= _NANO_EXPONENT:
        return Decimal((sign, tuple(int(d) for d in str(coefficient)), exponent))
    shift = _NANO_EXPONENT - exponent
    if shift > len(str(coefficient)):
        coefficient = 1  # smaller than 1n: becomes exactly 1n
    else:
        coefficient = -(-coefficient // 10**shift)
    return Decimal((sign, tuple(int(d) for d in str(coefficient)), _NANO_EXPONENT))


def _canonical(value: Decimal, fmt: Format) -> str:
    if value == 0:
        return "0"
    if fmt is Format.BINARY_SI and abs(value) >= 1024 and value == value.to_integral_value():
        amount, power = int(value), 0
        while power < 6 and amount % 1024 == 0:
            amount, power = amount // 1024, power + 1
        return f"{amount}{_BINARY_BY_POWER.get(power, '')}"
    mantissa, exponent = _mantissa_and_exponent(value)
    if fmt is Format.DECIMAL_SI and exponent in _DECIMAL_BY_EXPONENT:
        return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


def _mantissa_and_exponent(value: Decimal) -> tuple[int, int]:
    """An integer mantissa without trailing zeros beyond a power-of-1000 exponent."""
    sign, digits, exponent = value.normalize(_CONTEXT).as_tuple()
    assert isinstance(exponent, int)
    mantissa = int("".join(map(str, digits)))
    # Floor the exponent to a multiple of 3 so the suffix is one of the SI steps.
    shift = exponent % 3
    mantissa *= 10**shift
    return (-mantissa if sign else mantissa), exponent - shift


def _to_int64(value: Decimal, scale: int, quantity: Quantity) -> int:
    scaled = value.scaleb(scale, _CONTEXT)
    if scaled.adjusted() > 19:  # checked first: int() of a huge exponent would exhaust memory
        raise QuantityError(f"quantity {quantity}: does not fit a 64-bit integer")
    result = int(scaled.to_integral_value(rounding=decimal.ROUND_UP))
    if not _INT64_MIN <= result <= _INT64_MAX:
        raise QuantityError(f"quantity {quantity}: does not fit a 64-bit integer")
    return result
