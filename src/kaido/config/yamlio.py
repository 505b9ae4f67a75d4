"""Reading and writing the policy's YAML.

PyYAML follows YAML 1.1, where `off`, `on`, `yes` and `no` are booleans: `healing: off` would
read as `false`. The policy uses those words as values, so this loader resolves only `true` and
`false` as booleans (YAML 1.2's core schema). Duplicate keys, which PyYAML silently collapses to
the last one, are an error naming both lines.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["PolicyYAMLError", "dump_yaml", "load_yaml"]


class PolicyYAMLError(ValueError):
    """The text is not one well-formed YAML document; the message names line and column."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no duplicate keys."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (first on line {first}); keep one", key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str) -> Any:
    """The one document in `text` (None when empty); PolicyYAMLError with line and column otherwise."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(part for part in (e.context, e.problem) if part)
        raise PolicyYAMLError(f"{where}malformed YAML: {problem}") from e
    except yaml.YAMLError as e:
        raise PolicyYAMLError(f"malformed YAML: {e}") from e
    if len(documents) > 1:
        raise PolicyYAMLError(f"found {len(documents)} YAML documents; a policy is one document (remove '---')")
    return documents[0] if documents else None


def dump_yaml(data: Any) -> str:
    """Block-style YAML that `load_yaml` reads back to `data` (PyYAML quotes `off` and friends)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
