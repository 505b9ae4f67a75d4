"""Environment overrides: `KAIDO_<SECTION>__<FIELD>=value` sets one policy value.

Path parts are separated by a double underscore and matched loosely against the YAML keys and
Python field names (`KAIDO_AGENT__LEASE_DURATION` is `agent.leaseDuration`); list items are
addressed by index (`KAIDO_SCALING__HPAS__0__MAX_REPLICAS`), map entries by key
(`KAIDO_ALERTS__CHANNELS__TEAM_SLACK__URL`, '_' standing for '-'). Scalars are passed to the
schema as strings, so "true", "20s" and "observe" are validated exactly like YAML values; lists
are written "a,b" or as YAML flow (`[a, b]`), maps as YAML flow (`{x: 1}`). An override for a
path the schema does not have is an error, never silently ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, get_origin

from kaido.config import paths
from kaido.config.yamlio import PolicyYAMLError, load_yaml

__all__ = ["PREFIX", "Override", "apply_overrides", "collect_overrides"]

PREFIX: Final = "KAIDO_"
_SEPARATOR: Final = "__"


@dataclass(frozen=True, slots=True)
class Override:
    """One environment variable resolved to a YAML path and the value to put there."""

    variable: str
    path: tuple[paths.Segment, ...]
    value: Any


class _UnknownPathError(Exception):
    """An override names a path the schema does not have."""


def collect_overrides(environ: Mapping[str, str], *, root: Any, data: Any) -> tuple[list[Override], list[str]]:
    """The overrides in `environ` resolved against `data` (a full policy dump), and problem lines."""
    overrides: list[Override] = []
    problems: list[str] = []
    for variable in sorted(name for name in environ if name.startswith(PREFIX)):
        try:
            path, leaf = _resolve(variable, root=root, data=data)
            value = _value(environ[variable], leaf)
        except (_UnknownPathError, PolicyYAMLError) as e:
            problems.append(f"env {variable}: {e}")
            continue
        overrides.append(Override(variable, tuple(path), value))
    return overrides, problems


def apply_overrides(data: dict[str, Any], overrides: list[Override]) -> dict[str, Any]:
    """A copy of `data` with each override's value set at its path (missing maps created)."""
    result = copy.deepcopy(data)
    for override in overrides:
        here: Any = result
        for segment, following in zip(override.path, override.path[1:], strict=False):
            if here[segment] is None:
                here[segment] = {} if isinstance(following, str) else []
            here = here[segment]
        here[override.path[-1]] = override.value
    return result


def _resolve(variable: str, *, root: Any, data: Any) -> tuple[list[paths.Segment], Any]:
    parts = variable[len(PREFIX) :].split(_SEPARATOR)
    if not all(parts):
        raise _UnknownPathError(f"empty path part; write KAIDO_<SECTION>__<FIELD>, parts joined by '{_SEPARATOR}'")
    path: list[paths.Segment] = []
    names: list[str] = []  # the variable's spelling so far, for suggestions
    tp, here = root, data
    for part in parts:
        shape = paths.chosen(tp, here)
        segment = _step(part, shape, here, path, names)
        names.append(str(paths.field_name(shape, segment) if isinstance(segment, str) else segment))
        tp = paths.child_type(tp, segment, here)
        here = _get(here, segment)
        path.append(segment)
    return path, tp


def _step(part: str, shape: Any, here: Any, path: list[paths.Segment], names: list[str]) -> paths.Segment:
    """The YAML key or index that `part` stands for in a value of type `shape` holding `here`."""
    origin = get_origin(shape)
    where = paths.render([*path, part.lower()])
    if origin is list:
        size = len(here) if isinstance(here, list) else 0
        if not part.isdigit() or int(part) >= size:
            raise _UnknownPathError(f"{paths.render(path)}[{part}]: not an index of this list (it has {size} items)")
        return int(part)
    if origin is dict:
        existing = [key for key in (here or {}) if paths.normalize(str(key)) == paths.normalize(part)]
        return existing[0] if existing else part.lower().replace("_", "-")
    keys = paths.allowed_keys(shape, here)
    if not keys:
        raise _UnknownPathError(f"{where}: {paths.render(path)} is a single value, not a section")
    for key in keys:
        if paths.normalize(part) in (paths.normalize(key), paths.normalize(paths.field_name(shape, key))):
            return key
    guess = paths.closest(part.lower(), [paths.field_name(shape, key) for key in keys])
    if guess is None:
        raise _UnknownPathError(f"{where}: unknown key; allowed: {', '.join(keys)}")
    spelling = PREFIX + _SEPARATOR.join(name.upper().replace("-", "_") for name in [*names, guess])
    raise _UnknownPathError(f"{where}: unknown key; did you mean {spelling}?")


def _get(container: Any, segment: paths.Segment) -> Any:
    """`container[segment]`, or None where the data has nothing (a default left as null)."""
    if isinstance(container, dict):
        return container.get(segment)
    if isinstance(container, list) and isinstance(segment, int) and 0 <= segment < len(container):
        return container[segment]
    return None


def _value(text: str, leaf: Any) -> Any:
    """The environment string as the schema should see it at a field of type `leaf`."""
    if text.strip() == "" and paths.admits_none(leaf):
        return None
    shape = paths.unwrap(leaf)
    structured = get_origin(shape) in (list, dict) or bool(paths.allowed_keys(shape))
    if structured and text.lstrip().startswith(("[", "{")):
        return load_yaml(text)
    if get_origin(shape) is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text
