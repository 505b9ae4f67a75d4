"""The base of every policy model: camelCase in YAML, snake_case in Python, frozen, strict about keys.

Python code builds models with field names (`AgentSettings(lease_duration=20)`); the loader
validates YAML with aliases only, so a snake_case key in a file is an unknown key with a
suggestion rather than a silent second spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["PolicyModel"]


class PolicyModel(BaseModel):
    """A frozen section of the policy; unknown keys are errors."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    # YAML keys that would hold a secret inline, with how to reference it instead; the loader turns
    # such a key into an error that says so.
    inline_secrets: ClassVar[Mapping[str, str]] = {}
