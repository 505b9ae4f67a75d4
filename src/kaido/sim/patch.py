"""Patching objects the four ways the API server accepts, as pure functions over JSON-like values.

`kubectl patch --type merge|json|strategic`, `kubectl apply --server-side`, kopf and lightkube all
reach the simulator's store through `apply_patch_by_content_type`, which picks the algorithm from
the request's Content-Type:

- `application/merge-patch+json`: `merge_patch`, RFC 7386 (null deletes, objects merge, the rest
  replaces);
- `application/json-patch+json`: `json_patch`, RFC 6902 operations on JSON pointers;
- `application/strategic-merge-patch+json`: `strategic_merge_patch` (kaido.sim.strategic), a merge
  patch that merges keyed lists such as containers by name;
- `application/apply-patch+yaml`: `apply_patch`, server-side apply, simplified.

Every function copies before it changes anything: inputs are never mutated and results share no
structure with them, so the store can keep the previous version for watch events.

Errors are those of the API server: an undecodable body or a malformed operation list is 400
BadRequest, a patch that does not apply (a failed `test`, a path that does not exist) is 422
Invalid, an unknown content type is 415 UnsupportedMediaType.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from kaido.sim.errors import ApiError, Cause
from kaido.sim.strategic import strategic_merge_patch

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "apply_patch",
    "apply_patch_by_content_type",
    "json_patch",
    "merge_patch",
    "strategic_merge_patch",
]

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
_ALL_TYPES: Final = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_MERGE_PATCH)  # upstream's order in 415s
_UNKNOWN_FORMAT: Final = "the body of the request was in an unknown format - accepted media types include: "


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    base = target if isinstance(target, dict) else {}
    result: dict[str, Any] = {}
    for key, value in base.items():  # live members first, in their order
        if key not in patch:
            result[key] = copy.deepcopy(value)
        elif patch[key] is not None:
            result[key] = merge_patch(value, patch[key])
    for key, value in patch.items():
        if key not in base and value is not None:
            result[key] = merge_patch(None, value)
    return result


# --- RFC 6902 JSON patch -------------------------------------------------------------------------

_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE: Final = re.compile(r"~(?![01])")
_NEEDS_VALUE: Final = frozenset({"add", "replace", "test"})
_NEEDS_FROM: Final = frozenset({"move", "copy"})


@dataclass(frozen=True, slots=True)
class _Operation:
    index: int
    op: str
    pointer: str
    value: Any = None
    source_pointer: str = ""  # the "from" of move and copy

    @property
    def path(self) -> list[str]:
        return _pointer(self.pointer, self)

    @property
    def source(self) -> list[str]:
        return _pointer(self.source_pointer, self)

    def failed(self, reason: str) -> ApiError:
        message = f"json patch operation {self.index} ({self.op} {self.pointer!r}) failed: {reason}"
        return ApiError(422, "Invalid", message)


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch: apply `operations` in order to a copy of `target`; all or nothing.

    One leniency is kept from the API server's json-patch library: `replace` of a missing object
    member adds it (kubectl rollout undo replaces /metadata/annotations, which may be absent).
    """
    doc = copy.deepcopy(target)
    for operation in _parse_operations(operations):
        doc = _APPLY[operation.op](doc, operation)
    return doc


def _parse_operations(operations: Any) -> list[_Operation]:
    """Check the shape of the whole list before applying anything (400 BadRequest)."""
    if not isinstance(operations, list):
        raise ApiError.bad_request(f"a json patch must be a JSON array of operations, got {_json_type(operations)}")
    parsed = []
    for index, raw in enumerate(operations):
        where = f"json patch operation {index}"
        if not isinstance(raw, dict):
            raise ApiError.bad_request(f"{where}: must be an object, got {_json_type(raw)}")
        op = raw.get("op")
        if op not in _APPLY:
            raise ApiError.bad_request(f"{where}: unknown op {op!r}; expected one of {', '.join(_APPLY)}")
        if not isinstance(raw.get("path"), str):
            raise ApiError.bad_request(f"{where} ({op}): missing string member 'path'")
        if op in _NEEDS_VALUE and "value" not in raw:
            raise ApiError.bad_request(f"{where} ({op} {raw['path']!r}): missing member 'value'")
        if op in _NEEDS_FROM and not isinstance(raw.get("from"), str):
            raise ApiError.bad_request(f"{where} ({op} {raw['path']!r}): missing string member 'from'")
        parsed.append(_Operation(index, op, raw["path"], raw.get("value"), raw.get("from", "")))
    return parsed


def _pointer(pointer: str, operation: _Operation) -> list[str]:
    """RFC 6901: "/a~1b/0" is ["a/b", "0"]; "" is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise operation.failed(f"JSON pointer {pointer!r} must be empty or start with '/'")
    tokens = pointer[1:].split("/")
    if any(_BAD_ESCAPE.search(token) for token in tokens):
        raise operation.failed(f"JSON pointer {pointer!r} has a '~' not followed by 0 or 1")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _resolve(doc: Any, tokens: list[str], operation: _Operation) -> Any:
    node = doc
    for depth, token in enumerate(tokens):
        at = "/" + "/".join(tokens[: depth + 1])
        if isinstance(node, dict):
            if token not in node:
                raise operation.failed(f"{at} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(node, token, len(node), operation)]
        else:
            raise operation.failed(f"{at} is inside a {_json_type(node)}, not an object or array")
    return node


def _array_index(array: list[Any], token: str, limit: int, operation: _Operation) -> int:
    if not _INDEX.fullmatch(token):
        raise operation.failed(f"{token!r} is not an array index")
    if int(token) >= limit:
        raise operation.failed(f"index {token} is out of bounds (array length {len(array)})")
    return int(token)


def _container(doc: Any, tokens: list[str], operation: _Operation) -> dict[str, Any] | list[Any]:
    parent = _resolve(doc, tokens[:-1], operation)
    if not isinstance(parent, dict | list):
        raise operation.failed(f"the parent of {operation.pointer!r} is a {_json_type(parent)}")
    return parent


def _insert(doc: Any, tokens: list[str], value: Any, operation: _Operation) -> Any:
    if not tokens:
        return value
    parent, last = _container(doc, tokens, operation), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    else:
        parent.insert(len(parent) if last == "-" else _array_index(parent, last, len(parent) + 1, operation), value)
    return doc


def _pop(doc: Any, tokens: list[str], operation: _Operation) -> Any:
    """Remove and return the value at `tokens`."""
    if not tokens:
        raise operation.failed("cannot remove the whole document")
    parent, last = _container(doc, tokens, operation), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise operation.failed(f"{operation.pointer} does not exist")
        return parent.pop(last)
    return parent.pop(_array_index(parent, last, len(parent), operation))


def _add(doc: Any, operation: _Operation) -> Any:
    return _insert(doc, operation.path, copy.deepcopy(operation.value), operation)


def _remove(doc: Any, operation: _Operation) -> Any:
    _pop(doc, operation.path, operation)
    return doc


def _replace(doc: Any, operation: _Operation) -> Any:
    if not operation.path:
        return copy.deepcopy(operation.value)
    parent, last = _container(doc, operation.path, operation), operation.path[-1]
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(operation.value)
    else:
        parent[_array_index(parent, last, len(parent), operation)] = copy.deepcopy(operation.value)
    return doc


def _move(doc: Any, operation: _Operation) -> Any:
    source, path = operation.source, operation.path
    if path == source:
        _resolve(doc, source, operation)
        return doc
    if path[: len(source)] == source:
        raise operation.failed(f"cannot move {operation.source_pointer!r} into one of its own children")
    return _insert(doc, path, _pop(doc, source, operation), operation)


def _copy(doc: Any, operation: _Operation) -> Any:
    value = copy.deepcopy(_resolve(doc, operation.source, operation))
    return _insert(doc, operation.path, value, operation)


def _test(doc: Any, operation: _Operation) -> Any:
    actual = _resolve(doc, operation.path, operation)
    if not _json_equal(actual, operation.value):
        raise operation.failed(f"the value is {_clip(actual)}, not {_clip(operation.value)}")
    return doc


_APPLY: Final[dict[str, Callable[[Any, _Operation], Any]]] = {
    "add": _add,
    "remove": _remove,
    "replace": _replace,
    "move": _move,
    "copy": _copy,
    "test": _test,
}


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 equals 1.0 but not true, and members compare regardless of order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


# --- server-side apply and dispatch ---------------------------------------------------------------


def apply_patch(
    target: Mapping[str, Any] | None, applied: Any, field_manager: str, force: bool = False
) -> dict[str, Any]:
    """Server-side apply, simplified: merge the applied configuration into the live object.

    A new object (`target` None) is the applied configuration itself. Otherwise the configuration
    is merged with strategic-merge semantics (keyed lists merge by their key, lists without one are
    replaced), so every field the configuration states wins and every other live field stays.

    Left out, unlike the API server: managedFields are not recorded, so fields a manager stops
    applying are not removed; conflicts between managers are not detected, so `force` has no
    effect; null removes a field and `$patch` directives are honoured, as in a strategic merge patch.
    """
    if not field_manager:
        cause = Cause("fieldManager", "Required value: is required for apply patch", "FieldValueRequired")
        raise ApiError.invalid("PatchOptions", "", [cause], group="meta.k8s.io")
    if not isinstance(applied, dict):
        raise ApiError.bad_request(f"the applied configuration must be an object, got {_json_type(applied)}")
    for field in ("apiVersion", "kind"):
        if not isinstance(applied.get(field), str) or not applied[field]:
            raise ApiError.bad_request(f"the applied configuration must set {field}")
    live_kind = (target or {}).get("kind")
    if live_kind and live_kind != applied["kind"]:
        raise ApiError.bad_request(f"cannot apply a {applied['kind']} to a {live_kind}")
    return strategic_merge_patch(target or {}, applied, applied["kind"])


def apply_patch_by_content_type(
    target: Mapping[str, Any] | None,
    body: bytes | str,
    content_type: str,
    kind: str,
    *,
    field_manager: str | None = None,
    force: bool = False,
    custom_resource: bool = False,
) -> dict[str, Any]:
    """Decode a PATCH request body and apply it to `target` (None only for apply, which may create).

    `content_type` may carry parameters ("; charset=utf-8"). Custom resources, like upstream,
    accept no strategic merge patch (415).
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] if custom_resource else [*_ALL_TYPES]
    if media_type not in accepted:
        raise ApiError(415, "UnsupportedMediaType", _UNKNOWN_FORMAT + ", ".join(accepted))
    if media_type == APPLY_PATCH:
        return apply_patch(target, _decode_yaml(body), field_manager or "", force)
    if target is None:
        raise ApiError(404, "NotFound", "the object to patch does not exist; only an apply patch creates one")
    patch = _decode_json(body)
    if media_type == MERGE_PATCH:
        result = merge_patch(target, patch)
    elif media_type == JSON_PATCH:
        result = json_patch(target, patch)
    else:
        result = strategic_merge_patch(target, patch, kind)
    if not isinstance(result, dict):
        raise ApiError.bad_request(f"the patched {kind} must be a JSON object, got {_json_type(result)}")
    return result


class _ApplyLoader(yaml.SafeLoader):
    """YAML as the API server reads it: timestamps stay strings instead of becoming datetimes."""


_ApplyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _text(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError.bad_request(f"the patch body is not UTF-8 text: {error}") from error


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _decode_json(body: bytes | str) -> Any:
    try:
        return json.loads(_text(body), parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise ApiError.bad_request(f"the patch body is not valid JSON: {error.msg} at {where}") from error
    except ValueError as error:
        raise ApiError.bad_request(f"the patch body is not valid JSON: {error}") from error


def _decode_yaml(body: bytes | str) -> Any:
    loader = _ApplyLoader(_text(body))
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ApiError.bad_request(f"the apply body is not valid YAML or JSON: {reason}") from error
    finally:
        loader.dispose()


_JSON_TYPES: Final = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"), (dict, "object"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for kinds, name in _JSON_TYPES if isinstance(value, kinds)), type(value).__name__)


def _clip(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."
