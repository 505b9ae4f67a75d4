"""Field errors worded as upstream's `k8s.io/apimachinery/pkg/util/validation/field` words them.

A 422 lists causes: the path of the bad field ("spec.containers[0].image") and a message made of the
error type ("Required value", "Invalid value", ...), for value errors the offending value printed the
way Go's fmt prints it (strings quoted, label maps as `map[string]string{"app":"web"}`, structs as
`v1.LabelSelector{...}`), and a detail. Validators build causes only through these functions, so
what kubectl prints after "is invalid:" is the text a real cluster prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from kaido.sim.errors import Cause

__all__ = [
    "GoRepr",
    "as_dict",
    "as_dicts",
    "as_list",
    "child",
    "duplicate",
    "forbidden",
    "go_int_or_string",
    "go_label_selector",
    "go_string_map",
    "go_struct",
    "go_value",
    "index",
    "invalid",
    "key",
    "nonnegative",
    "not_found",
    "not_supported",
    "required",
    "semantically_equal",
    "too_long",
]

_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
_NEGATIVE: Final = "must be greater than or equal to 0"


class GoRepr(str):
    """A value already rendered as Go's `%#v` prints it (a struct, a typed nil); used verbatim."""

    __slots__ = ()


# ----- paths -------------------------------------------------------------------------------------


def child(path: str, *names: str) -> str:
    for name in names:
        path = f"{path}.{name}" if path else name
    return path


def index(path: str, position: int) -> str:
    return f"{path}[{position}]"


def key(path: str, name: str) -> str:
    return f"{path}[{name}]"


# ----- reading loosely typed JSON ----------------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dicts(value: Any) -> list[dict[str, Any]]:
    """The entries of a list that are objects; others are reported where their type matters."""
    return [item if isinstance(item, dict) else {} for item in as_list(value)]


def semantically_equal(left: Any, right: Any) -> bool:
    """equality.Semantic.DeepEqual on JSON: absent, null, "", {} and [] are all the zero value."""
    return bool(_pruned(left) == _pruned(right))


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", {}, [])}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


# ----- causes ------------------------------------------------------------------------------------


def _with_detail(head: str, detail: str) -> str:
    return f"{head}: {detail}" if detail else head


def required(path: str, detail: str = "") -> Cause:
    return Cause(path, _with_detail("Required value", detail), "FieldValueRequired")


def invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, _with_detail(f"Invalid value: {go_value(value)}", detail), "FieldValueInvalid")


def not_supported(path: str, value: Any, supported: Iterable[str]) -> Cause:
    quoted = ", ".join(_go_quote(option) for option in supported)
    detail = f"supported values: {quoted}" if quoted else ""
    return Cause(path, _with_detail(f"Unsupported value: {go_value(value)}", detail), "FieldValueNotSupported")


def duplicate(path: str, value: Any) -> Cause:
    return Cause(path, f"Duplicate value: {go_value(value)}", "FieldValueDuplicate")


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, f"Not found: {go_value(value)}", "FieldValueNotFound")


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, _with_detail("Forbidden", detail), "FieldValueForbidden")


def too_long(path: str, limit: int) -> Cause:
    unit = "byte" if limit == 1 else "bytes"
    return Cause(path, f"Too long: may not be more than {limit} {unit}", "FieldValueTooLong")


def nonnegative(value: Any, path: str) -> list[Cause]:
    """ValidateNonnegativeField: absent values pass, negative numbers do not."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, _NEGATIVE)]
    return []


# ----- Go's fmt, as field.Error.ErrorBody uses it ---------------------------------------------------


def go_value(value: Any) -> str:
    """`value` as the API server prints a bad value: %q for strings, %v for numbers, %#v otherwise."""
    if isinstance(value, GoRepr):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, Mapping):
        if all(isinstance(v, str) for v in value.values()):
            return go_string_map(value)
        body = ", ".join(f"{_go_quote(str(k))}:{go_value(v)}" for k, v in sorted(value.items()))
        return f"map[string]interface {{}}{{{body}}}"
    if isinstance(value, list | tuple):
        if all(isinstance(v, str) for v in value):
            return f"[]string{{{', '.join(_go_quote(v) for v in value)}}}"
        return f"[]interface {{}}{{{', '.join(go_value(v) for v in value)}}}"
    return _go_quote(str(value))


def go_string_map(value: Any) -> str:
    """A `map[string]string` as %#v prints it: keys sorted, nil distinct from empty."""
    if value is None:
        return "map[string]string(nil)"
    items = sorted(as_dict(value).items())
    body = ", ".join(f"{_go_quote(str(k))}:{_go_quote(str(v))}" for k, v in items)
    return f"map[string]string{{{body}}}"


def go_label_selector(selector: Any) -> GoRepr:
    """A metav1.LabelSelector as %#v prints it, the way immutable-selector errors show it."""
    if not isinstance(selector, dict):
        return GoRepr("null")
    expressions = selector.get("matchExpressions")
    if expressions is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = [_go_requirement(as_dict(expression)) for expression in as_list(expressions)]
        rendered = f"[]v1.LabelSelectorRequirement{{{', '.join(parts)}}}"
    labels = go_string_map(selector.get("matchLabels"))
    return GoRepr(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{rendered}}}")


def _go_requirement(expression: dict[str, Any]) -> str:
    values = expression.get("values")
    rendered = "[]string(nil)" if values is None else go_value([str(v) for v in as_list(values)])
    key_text, operator = _go_quote(str(expression.get("key", ""))), _go_quote(str(expression.get("operator", "")))
    return f"v1.LabelSelectorRequirement{{Key:{key_text}, Operator:{operator}, Values:{rendered}}}"


def go_struct(type_name: str) -> GoRepr:
    """A large Go struct whose %#v (full of pointer addresses) cannot be reproduced: its type, elided."""
    return GoRepr(f"{type_name}{{...}}")


def go_int_or_string(value: Any) -> GoRepr:
    """An intstr.IntOrString as %#v prints it (Type 0 is an int, 1 a string)."""
    if isinstance(value, str):
        return GoRepr(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{_go_quote(value)}}}")
    number = value if isinstance(value, int) and not isinstance(value, bool) else 0
    return GoRepr(f'intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:""}}')


def _go_quote(text: str) -> str:
    """strconv.Quote: printable characters kept, the rest escaped."""
    out: list[str] = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _go_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)
