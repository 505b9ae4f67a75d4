"""The root of kaido's exception tree.

    KaidoError
    ├── QuantityError        a string is not a Kubernetes quantity
    ├── ObjectRefError       a string is not an object reference ("kind/name")
    └── ConfigError          the policy or a command-line value is invalid

Every message says what failed, on which object or field, and what to do about it. Layers add
their own subclasses next to the code that raises them.
"""

from __future__ import annotations


class KaidoError(Exception):
    """Base class for every error kaido raises on purpose."""


class QuantityError(KaidoError, ValueError):
    """A value does not follow the Kubernetes quantity grammar."""


class ObjectRefError(KaidoError, ValueError):
    """A value is not a valid object reference."""


class ConfigError(KaidoError):
    """The policy, an environment override or a command-line value is invalid."""
