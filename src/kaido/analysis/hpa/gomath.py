"""Go's numeric semantics, as far as the HPA controller depends on them.

The upstream controller computes with int32/int64 and IEEE-754 doubles. Python floats are the same
doubles, so ratios and percent policies round identically; what differs is integer division (Go
truncates toward zero, Python floors), float-to-int conversion (Go truncates; out-of-range values
are undefined, so we saturate, as upstream's newer overflow guards do) and division by zero of
floats (Go yields ±Inf or NaN, Python raises). These helpers keep those differences in one place.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final

__all__ = ["GO_ZERO_TIME", "INT32_MAX", "INT32_MIN", "ceil_int32", "fdiv", "quo", "trunc_int32"]

INT32_MAX: Final = 2**31 - 1
INT32_MIN: Final = -(2**31)
# Go's zero `time.Time` (0001-01-01 UTC): what an unset timestamp reads as upstream.
GO_ZERO_TIME: Final = datetime(1, 1, 1, tzinfo=UTC)


def quo(a: int, b: int) -> int:
    """`a / b` for Go integers: the quotient truncated toward zero (b must not be 0)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def fdiv(a: float, b: float) -> float:
    """`a / b` for Go float64: ±Inf or NaN instead of an exception when b is 0."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def trunc_int32(x: float) -> int:
    """`int32(x)`: truncation toward zero, saturated at the int32 bounds (NaN reads as 0)."""
    if math.isnan(x):
        return 0
    if x >= INT32_MAX:
        return INT32_MAX
    if x <= INT32_MIN:
        return INT32_MIN
    return int(x)


def ceil_int32(x: float) -> int:
    """`int32(math.Ceil(x))`, saturated at the int32 bounds."""
    if math.isnan(x) or math.isinf(x):
        return trunc_int32(x)
    return trunc_int32(math.ceil(x))
