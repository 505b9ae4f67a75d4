"""Value types shared by every layer: quantities, object references, the clock, ids, errors.

May import: the standard library only. Everything else may import core.
"""

from kaido.core.clock import Clock, ManualClock, RealClock, ScaledClock
from kaido.core.errors import ConfigError, KaidoError, ObjectRefError, QuantityError
from kaido.core.ids import stable_id
from kaido.core.quantity import Format, Quantity, parse_quantity
from kaido.core.refs import ObjectRef, parse_target

__all__ = [
    "Clock",
    "ConfigError",
    "Format",
    "KaidoError",
    "ManualClock",
    "ObjectRef",
    "ObjectRefError",
    "Quantity",
    "QuantityError",
    "RealClock",
    "ScaledClock",
    "parse_quantity",
    "parse_target",
    "stable_id",
]
