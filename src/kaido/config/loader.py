"""The one loader: YAML text or a file, then environment overrides, validated as a `Policy`.

Loading runs in two stages so every error names where it came from: the document is validated
first (errors blame the file or ConfigMap), then the overrides are applied to the validated
policy and it is validated again (errors blame the variable). Either stage raises one
`PolicyError` that lists every problem it found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kaido.config import paths
from kaido.config.errors import PolicyError, describe_errors
from kaido.config.overrides import PREFIX, Override, apply_overrides, collect_overrides
from kaido.config.policy import Policy
from kaido.config.yamlio import PolicyYAMLError, dump_yaml, load_yaml

__all__ = ["dump_policy", "load_policy", "parse_policy"]


def parse_policy(text: str, *, source: str, environ: Mapping[str, str] | None = None) -> Policy:
    """The policy in YAML `text` (empty: the defaults), with `KAIDO_*` overrides from `environ`.

    `source` names the text in error messages: a path, or "configmap <ns>/<name>".
    """
    try:
        data = load_yaml(text)
    except PolicyYAMLError as e:
        raise PolicyError([f"{source}: {e}"]) from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        expected = "expected a mapping of sections (modes, namespaces, agent, ...)"
        raise PolicyError([f"{source}: (top level): {expected}, not a {_kind(data)}"])
    policy = _validate(data, source_of=lambda path: source)
    if not environ or not any(name.startswith(PREFIX) for name in environ):
        return policy
    full = policy.to_data()
    overrides, problems = collect_overrides(environ, root=Policy, data=full)
    try:
        policy = _validate(apply_overrides(full, overrides), source_of=lambda path: _blame(path, overrides))
    except PolicyError as e:
        raise PolicyError([*problems, *e.problems]) from e
    if problems:
        raise PolicyError(problems)
    return policy


def load_policy(path: Path | None, *, environ: Mapping[str, str]) -> Policy:
    """The policy in the file at `path` (None: the defaults), with overrides from `environ`."""
    if path is None:
        return parse_policy("", source="defaults", environ=environ)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyError([f"{path}: cannot read the policy file ({e.strerror}); check the path"]) from e
    except UnicodeDecodeError as e:
        raise PolicyError([f"{path}: the policy file is not UTF-8 text ({e.reason} at byte {e.start})"]) from e
    return parse_policy(text, source=str(path), environ=environ)


def dump_policy(policy: Policy) -> str:
    """`policy` as a complete YAML document that `parse_policy` reads back to an equal policy."""
    return dump_yaml(policy.to_data())


def _validate(data: dict[str, Any], *, source_of: Callable[[list[paths.Segment]], str]) -> Policy:
    try:
        # Aliases only: a snake_case key in YAML is unknown, with the camelCase key suggested.
        return Policy.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as e:
        raise PolicyError(describe_errors(e, root=Policy, data=data, source_of=source_of)) from e


def _blame(path: list[paths.Segment], overrides: list[Override]) -> str:
    """The variables whose paths lie on `path` (above or below it); all of them if none does."""
    related = [
        o.variable for o in overrides if tuple(path[: len(o.path)]) == o.path or o.path[: len(path)] == tuple(path)
    ]
    return "env " + ", ".join(related or [o.variable for o in overrides])


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "list"
    return "string" if isinstance(data, str) else type(data).__name__
