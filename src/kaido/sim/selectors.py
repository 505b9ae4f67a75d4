"""Label and field selectors, parsed once and matched against objects.

Label selectors follow the API server's string grammar (`a=b,c!=d,e in (x,y),f notin (z),g,!h`,
plus `>`/`<` on integers) and the structured `LabelSelector` form (matchLabels, matchExpressions).
Field selectors support `=`, `==` and `!=` on the fields each kind indexes; asking for another
field is a 400, as upstream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kaido.sim.errors import ApiError

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "parse_field_selector",
    "parse_label_selector",
    "selector_from_object",
    "selector_to_string",
]

_KEY: Final = re.compile(r"([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?")
_TOKEN: Final = re.compile(r"\s*(!=|==|=|\(|\)|,|!|>|<|[^\s!=(),<>]+)")


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
            case "exists":
                return present
            case "!":
                return not present
            case "gt" | "lt":
                try:
                    number, bound = int(value or ""), int(self.values[0])
                except ValueError:
                    return False
                return number > bound if self.operator == "gt" else number < bound
        return False


@dataclass(frozen=True, slots=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(requirement.matches(labels) for requirement in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse the `labelSelector` query string; a 400 names the part that is wrong."""
    if not text or not text.strip():
        return LabelSelector()
    tokens = list(_TOKEN.findall(text))
    requirements: list[Requirement] = []
    position = 0

    def fail(why: str) -> ApiError:
        return ApiError.bad_request(f"unable to parse requirement: {why} (labelSelector {text!r})")

    while position < len(tokens):
        if tokens[position] == "!":
            key = _expect_key(tokens, position + 1, fail)
            requirements.append(Requirement(key, "!"))
            position += 2
        else:
            key = _expect_key(tokens, position, fail)
            position += 1
            operator = tokens[position] if position < len(tokens) else ","
            if operator == ",":
                requirements.append(Requirement(key, "exists"))
            elif operator in ("=", "==", "!=", ">", "<"):
                if position + 1 >= len(tokens) or tokens[position + 1] in (",", "(", ")"):
                    value = ""
                    position += 1
                else:
                    value = tokens[position + 1]
                    position += 2
                name = {"==": "=", ">": "gt", "<": "lt"}.get(operator, operator)
                requirements.append(Requirement(key, name, (value,)))
            elif operator in ("in", "notin"):
                values, position = _parse_set(tokens, position + 1, fail)
                requirements.append(Requirement(key, operator, values))
            else:
                raise fail(f"found '{operator}', expected: in, notin, =, ==, !=, gt, lt")
        if position < len(tokens):
            if tokens[position] != ",":
                raise fail(f"found '{tokens[position]}', expected: ','")
            position += 1
    return LabelSelector(tuple(requirements))


def _expect_key(tokens: list[str], position: int, fail: Any) -> str:
    if position >= len(tokens) or not _KEY.fullmatch(tokens[position]):
        found = tokens[position] if position < len(tokens) else "end of string"
        raise fail(f"found '{found}', expected: identifier")
    return tokens[position]


def _parse_set(tokens: list[str], position: int, fail: Any) -> tuple[tuple[str, ...], int]:
    if position >= len(tokens) or tokens[position] != "(":
        raise fail("expected '(' after in/notin")
    values: list[str] = []
    position += 1
    while position < len(tokens) and tokens[position] != ")":
        if tokens[position] != ",":
            values.append(tokens[position])
        position += 1
    if position >= len(tokens):
        raise fail("missing ')'")
    return tuple(values), position + 1


def selector_from_object(selector: Mapping[str, Any] | None) -> LabelSelector:
    """The structured `LabelSelector` of a Deployment, Service or PDB as a matcher.

    A Service's plain map selector is accepted too. None or {} selects everything.
    """
    if not selector:
        return LabelSelector()
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return LabelSelector(tuple(Requirement(k, "=", (str(v),)) for k, v in selector.items()))
    requirements = [Requirement(k, "=", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expression in selector.get("matchExpressions") or []:
        operator = operators.get(expression.get("operator", ""))
        if operator is None:
            raise ApiError.bad_request(f"unsupported label selector operator {expression.get('operator')!r}")
        requirements.append(Requirement(expression["key"], operator, tuple(expression.get("values") or ())))
    return LabelSelector(tuple(requirements))


def selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """The string form of a structured selector, as the Scale subresource's status.selector shows it."""
    parts: list[str] = []
    for requirement in selector_from_object(selector).requirements:
        values = ",".join(requirement.values)
        match requirement.operator:
            case "=":
                parts.append(f"{requirement.key}={values}")
            case "in" | "notin":
                parts.append(f"{requirement.key} {requirement.operator} ({values})")
            case "exists":
                parts.append(requirement.key)
            case "!":
                parts.append(f"!{requirement.key}")
    return ",".join(sorted(parts))


# Fields each kind can be selected on, beyond metadata.name and metadata.namespace.
_FIELDS: Final[dict[str, frozenset[str]]] = {
    "Pod": frozenset(
        {
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        }
    ),
    "Event": frozenset(
        {
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
        }
    ),
    "Secret": frozenset({"type"}),
    "Node": frozenset({"spec.unschedulable"}),
    "Namespace": frozenset({"status.phase"}),
    "ReplicaSet": frozenset({"status.replicas"}),
    "Job": frozenset({"status.successful"}),
}


@dataclass(frozen=True, slots=True)
class FieldSelector:
    terms: tuple[tuple[str, bool, str], ...] = ()  # (field, equal?, value)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all((field_value(obj, field) == value) == equal for field, equal, value in self.terms)

    def value_of(self, field: str) -> str | None:
        """The value required for `field` by an equality term, used to narrow a lookup."""
        return next((value for name, equal, value in self.terms if name == field and equal), None)


def parse_field_selector(text: str | None, kind: str) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    terms: list[tuple[str, bool, str]] = []
    allowed = _FIELDS.get(kind, frozenset()) | {"metadata.name", "metadata.namespace"}
    for part in text.split(","):
        match = re.fullmatch(r"\s*([^!=\s]+)\s*(!=|==|=)\s*(.*?)\s*", part)
        if match is None:
            raise ApiError.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, operator, value = match.groups()
        if field not in allowed:
            raise ApiError.bad_request(f"field label not supported: {field}")
        terms.append((field, operator != "!=", value))
    return FieldSelector(tuple(terms))


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """A field's value as the API server's field index spells it ("" when absent)."""
    if path == "source" and obj.get("kind") == "Event":
        return str((obj.get("source") or {}).get("component", ""))
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)
