"""PolicyError, and turning pydantic's validation errors into lines a person can act on.

Every problem becomes one line, `<source>: <dotted.path>: <problem>`, in YAML spelling: an
unknown key suggests the closest allowed one, a wrong choice lists the allowed values, an
inline secret says which key references it instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kaido.config import paths
from kaido.core.errors import ConfigError

__all__ = ["PolicyError", "describe_errors"]

_QUOTED: Final = re.compile(r"'((?:[^'\\]|\\.)*)'")
_EXPECTED: Final = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string (quote it)",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "typed_dict_type": "a mapping of keys to values",
    "finite_number": "a finite number",
}
_BOUNDS: Final = {
    "greater_than": ("gt", "must be more than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


class PolicyError(ConfigError):
    """The policy is invalid. `problems` holds one `<source>: <path>: <problem>` line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def describe_errors(
    error: ValidationError, *, root: Any, data: Any, source_of: Callable[[list[paths.Segment]], str]
) -> list[str]:
    """One line per problem in `error`, raised while validating `data` as `root`."""
    lines: list[str] = []
    for detail in error.errors():
        names_key = detail["type"] in ("missing", "extra_forbidden")
        path, parent_tp, parent_data = paths.walk(root, detail["loc"], data, names_key=names_key)
        path, problem = _problem(detail, path, parent_tp, parent_data)
        where = paths.render(path) or "(top level)"
        line = f"{source_of(path)}: {where}: {problem}"
        if line not in lines:
            lines.append(line)
    return lines


def _problem(
    detail: ErrorDetails, path: list[paths.Segment], parent_tp: Any, parent_data: Any
) -> tuple[list[paths.Segment], str]:
    kind, value, ctx = detail["type"], detail["input"], detail.get("ctx", {})
    if kind == "extra_forbidden":
        return path, _unknown_key(str(path[-1]), parent_tp, parent_data)
    if kind == "missing":
        return path, "required key is missing"
    if kind == "literal_error":
        allowed = _QUOTED.findall(str(ctx.get("expected", "")))
        return path, _not_one_of(value, allowed)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = str(ctx.get("discriminator", "'type'")).strip("'")
        allowed = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        if kind == "union_tag_not_found":
            return [*path, tag], f"required key is missing; use one of {', '.join(allowed)}"
        return [*path, tag], _not_one_of(ctx.get("tag"), allowed)
    if kind in ("value_error", "assertion_error"):
        return path, str(ctx.get("error", detail["msg"]))
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return path, f"{_show(value)} is out of range; it {words} {ctx.get(key)}"
    if kind in ("too_short", "too_long"):
        return path, _length(kind, ctx)
    if kind in _EXPECTED:
        return path, f"{_show(value)} is not {_EXPECTED[kind]}"
    return path, str(detail["msg"])


def _unknown_key(key: str, parent_tp: Any, parent_data: Any) -> str:
    model = paths.chosen(parent_tp, parent_data)
    inline: Mapping[str, str] = getattr(model, "inline_secrets", {})
    if key in inline:
        ref = inline[key]
        return (
            "secrets are not written in the policy; put it in a mounted Secret and set "
            f"{ref}File to its path, or in an environment variable and set {ref}Env to its name"
        )
    allowed = paths.allowed_keys(parent_tp, parent_data)
    suggestion = paths.closest_key(key, parent_tp, parent_data)
    if suggestion is not None:
        return f"unknown key; did you mean {suggestion!r}?"
    return f"unknown key; allowed keys: {', '.join(allowed)}" if allowed else "unknown key"


def _not_one_of(value: object, allowed: list[str]) -> str:
    text = f"{_show(value)} is not one of {', '.join(allowed)}"
    suggestion = paths.closest(str(value), allowed) if isinstance(value, str) else None
    return f"{text}; did you mean {suggestion!r}?" if suggestion else text


def _length(kind: str, ctx: Mapping[str, Any]) -> str:
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"needs at least {least} items"
    return f"has more than {ctx.get('max_length')} items"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
