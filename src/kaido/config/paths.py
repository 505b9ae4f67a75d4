"""Paths through the policy schema, walked alongside the YAML data they describe.

Error messages and environment overrides both need to know, for a path such as
`alerts.channels.team-slack.webhookUrl`, which model sits there, which keys it allows and which
member of a union the data chose. Pydantic's error locations also contain union tags that are
not YAML keys; walking the data drops them, so paths read as the user wrote the document.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Annotated, Any, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel
from typing_extensions import is_typeddict

__all__ = [
    "Segment",
    "admits_none",
    "allowed_keys",
    "child_type",
    "chosen",
    "closest",
    "closest_key",
    "field_name",
    "normalize",
    "render",
    "unwrap",
    "walk",
]

Segment = str | int


def unwrap(tp: Any) -> Any:
    """`tp` without Annotated, Required/NotRequired and a `| None`."""
    while True:
        origin = get_origin(tp)
        if origin in (Annotated, Required, NotRequired):
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType) and type(None) in get_args(tp):
            rest = [arg for arg in get_args(tp) if arg is not type(None)]
            tp = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007 - built from a runtime tuple
        else:
            return tp


def admits_none(tp: Any) -> bool:
    """True when `tp` allows null (`X | None`)."""
    while get_origin(tp) in (Annotated, Required, NotRequired):
        tp = get_args(tp)[0]
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _fields(tp: Any) -> dict[str, Any]:
    """YAML key -> annotation for a model or a TypedDict; empty for anything else."""
    if _is_model(tp):
        return {(info.alias or name): _annotation(info) for name, info in tp.model_fields.items()}
    if is_typeddict(tp):
        return dict(get_type_hints(tp, include_extras=True))
    return {}


def _annotation(info: Any) -> Any:
    # FieldInfo keeps Annotated metadata apart; re-attach it so unions keep their discriminators.
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _field_names(tp: Any) -> dict[str, str]:
    """YAML key -> Python field name (for matching environment variable spellings)."""
    if _is_model(tp):
        return {(info.alias or name): name for name, info in tp.model_fields.items()}
    return {key: key for key in _fields(tp)}


def _choose(tp: Any, data: Any) -> Any:
    """The member of a union of models that `data` selects (by a `type` tag, else by shared keys)."""
    tp = unwrap(tp)
    if get_origin(tp) not in (Union, types.UnionType):
        return tp
    members = [unwrap(arg) for arg in get_args(tp)]
    keys = set(data) if isinstance(data, dict) else set()

    def score(member: Any) -> tuple[bool, int]:
        fields = _fields(member)
        tag = fields.get("type")
        tagged = isinstance(data, dict) and tag is not None and data.get("type") in get_args(unwrap(tag))
        return tagged, len(keys & set(fields))

    return max(members, key=score)


def child_type(tp: Any, segment: Segment, data: Any = None) -> Any | None:
    """The annotation under `segment` of a value of type `tp` holding `data`; None if there is none."""
    tp = _choose(tp, data)
    origin = get_origin(tp)
    if isinstance(segment, int):
        return get_args(tp)[0] if origin is list else None
    if origin is dict:
        return get_args(tp)[1]
    return _fields(tp).get(segment)


def allowed_keys(tp: Any, data: Any = None) -> list[str]:
    """The YAML keys a mapping of type `tp` may hold (empty when any key is allowed)."""
    return list(_fields(_choose(tp, data)))


def chosen(tp: Any, data: Any = None) -> Any:
    """`tp` unwrapped, with a union resolved by `data`."""
    return _choose(tp, data)


def walk(root: Any, loc: Sequence[Segment], data: Any, *, names_key: bool = False) -> tuple[list[Segment], Any, Any]:
    """Follow a pydantic error location through `data`: (YAML path, parent type, parent data).

    Location parts that are not keys of the data (union tags) are skipped, except a last part
    that `names_key` (a missing key). The parent is the value holding the last part.
    """
    path: list[Segment] = []
    tp, here = root, data
    parent_tp, parent_data = root, data
    for index, segment in enumerate(loc):
        present = (isinstance(here, dict) and segment in here) or (
            isinstance(here, list) and isinstance(segment, int) and 0 <= segment < len(here)
        )
        if not present and not (names_key and index == len(loc) - 1):
            continue
        parent_tp, parent_data = tp, here
        path.append(segment)
        if present:
            tp = child_type(tp, segment, here)
            here = here[segment]
    return path, parent_tp, parent_data


def render(path: Sequence[Segment]) -> str:
    """`alerts.rules[0].severity`."""
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text


def normalize(key: str) -> str:
    """A key compared loosely: case, '-' and '_' ignored."""
    return key.lower().replace("_", "").replace("-", "")


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice `word` was most likely meant to be, if any is close."""
    for choice in choices:
        if normalize(choice) == normalize(word):
            return choice
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if matches:
        return matches[0]
    folded = {normalize(choice): choice for choice in choices}
    matches = difflib.get_close_matches(normalize(word), list(folded), n=1, cutoff=0.75)
    return folded[matches[0]] if matches else None


def closest_key(word: str, tp: Any, data: Any = None) -> str | None:
    """The YAML key of `tp` that `word` was most likely meant to be, comparing Python names too."""
    shape = _choose(tp, data)
    keys = _field_names(shape)
    by_name = {name: key for key, name in keys.items()}
    guess = closest(word, [*keys, *(name for name in by_name if name not in keys)])
    return by_name.get(guess, guess) if guess is not None else None


def field_name(tp: Any, key: str) -> str:
    """The Python name of YAML key `key` in model `tp` (the key itself elsewhere)."""
    return _field_names(unwrap(tp)).get(key, key)
