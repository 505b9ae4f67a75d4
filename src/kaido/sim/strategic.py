"""Kubernetes strategic merge patch for built-in types, as pure functions over JSON-like dicts.

A strategic merge patch is a JSON merge patch (RFC 7386) that knows which lists are keyed
collections. `spec.containers` is a list of maps keyed by `name`, so a patch carrying one container
merges into the container of that name instead of replacing the whole list; `metadata.finalizers`
is a set of strings, so a patch adds to it. The API server reads this from the `patchStrategy` and
`patchMergeKey` struct tags of k8s.io/api; here the same facts are one table of dotted field paths
per kind (`patch_meta`), where list elements are transparent: every container's env is
`spec.template.spec.containers.env`. Lists not in the table are replaced, as are all lists of kinds
not in the table (custom resources).

Directives, as kubectl and client-go write them:

- `null` deletes a key;
- `$patch: replace` in a map replaces the live map, `$patch: delete` removes it; in a keyed list an
  element `{"$patch": "replace"}` replaces the list with the other elements, and
  `{"name": "x", "$patch": "delete"}` deletes element x;
- `$retainKeys: [...]` drops every live key not listed (switching a volume's source type);
- `$deleteFromPrimitiveList/<field>: [...]` removes values from a set of primitives;
- `$setElementOrder/<field>: [...]` orders the merged list; elements only the server knows keep
  their index.

Errors follow the API server: a malformed directive or patch is 400 BadRequest, patch content that
contradicts its own `$retainKeys` is 422 Invalid.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kaido.sim.errors import ApiError

__all__ = ["PatchMeta", "patch_meta", "strategic_merge_patch"]

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_SET_ORDER: Final = "$setElementOrder/"
_DELETE_PRIMITIVES: Final = "$deleteFromPrimitiveList/"


@dataclass(frozen=True, slots=True)
class PatchMeta:
    """The `patchStrategy` and `patchMergeKey` tags of one field, spelled as k8s.io/api spells them."""

    strategy: str  # "merge", "retainKeys" or "merge,retainKeys"
    merge_key: str = ""  # empty on a merged list: a set of primitives

    @property
    def merges(self) -> bool:
        return "merge" in self.strategy.split(",")


Table = Mapping[str, PatchMeta]

_SET: Final = PatchMeta("merge")
_BY_NAME: Final = PatchMeta("merge", "name")
_BY_TYPE: Final = PatchMeta("merge", "type")
_BY_IP: Final = PatchMeta("merge", "ip")

# k8s.io/api struct tags, by type; checked against core/v1, apps/v1, batch/v1 types.go (v1.33).
# Lists tagged only `+listType=atomic` (tolerations, readinessGates, envFrom, taints, subsets) are absent.
_OBJECT_META: Final[Table] = {"ownerReferences": PatchMeta("merge", "uid"), "finalizers": _SET}
_CONTAINER: Final[Table] = {
    "ports": PatchMeta("merge", "containerPort"),
    "env": _BY_NAME,
    "volumeMounts": PatchMeta("merge", "mountPath"),
    "volumeDevices": PatchMeta("merge", "devicePath"),
}
_POD_STATUS: Final[Table] = {
    "conditions": _BY_TYPE,
    "podIPs": _BY_IP,
    "hostIPs": _BY_IP,
    "resourceClaimStatuses": PatchMeta("merge,retainKeys", "name"),
}
_CONDITIONS: Final[Table] = {"conditions": _BY_TYPE}


def _nest(prefix: str, table: Table) -> dict[str, PatchMeta]:
    return {f"{prefix}.{path}": meta for path, meta in table.items()}


def _pod_spec() -> dict[str, PatchMeta]:
    table = {
        "volumes": PatchMeta("merge,retainKeys", "name"),
        "imagePullSecrets": _BY_NAME,
        "hostAliases": _BY_IP,
        "topologySpreadConstraints": PatchMeta("merge", "topologyKey"),
        "schedulingGates": _BY_NAME,
        "resourceClaims": PatchMeta("merge,retainKeys", "name"),
    }
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        table[containers] = _BY_NAME
        table.update(_nest(containers, _CONTAINER))
    return table


_POD_SPEC: Final[Table] = _pod_spec()


def _template(prefix: str) -> dict[str, PatchMeta]:
    """A PodTemplateSpec at `prefix`."""
    return {**_nest(f"{prefix}.metadata", _OBJECT_META), **_nest(f"{prefix}.spec", _POD_SPEC)}


def _workload(**extra: PatchMeta) -> dict[str, PatchMeta]:
    """The controllers with `spec.template` and `status.conditions`."""
    return {**_template("spec.template"), **_nest("status", _CONDITIONS), **extra}


def _kind_tables() -> dict[str, dict[str, PatchMeta]]:
    tables: dict[str, dict[str, PatchMeta]] = {
        "Pod": {**_nest("spec", _POD_SPEC), **_nest("status", _POD_STATUS)},
        "PodTemplate": _template("template"),
        "Deployment": _workload(**{"spec.strategy": PatchMeta("retainKeys")}),
        "ReplicaSet": _workload(),
        "StatefulSet": _workload(),
        "DaemonSet": _workload(),
        "ReplicationController": _workload(),
        "Job": _workload(),
        "CronJob": {**_nest("spec.jobTemplate.metadata", _OBJECT_META), **_template("spec.jobTemplate.spec.template")},
        "Service": {"spec.ports": PatchMeta("merge", "port"), **_nest("status", _CONDITIONS)},
        "Node": {"spec.podCIDRs": _SET, "status.conditions": _BY_TYPE, "status.addresses": _BY_TYPE},
        "ServiceAccount": {"secrets": _BY_NAME},
    }
    for kind in ("Namespace", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        tables[kind] = _nest("status", _CONDITIONS)
    for table in tables.values():
        table.update(_nest("metadata", _OBJECT_META))
    return tables


_KINDS: Final[dict[str, dict[str, PatchMeta]]] = _kind_tables()
_ANY_KIND: Final[Table] = _nest("metadata", _OBJECT_META)


def patch_meta(kind: str, path: str) -> PatchMeta | None:
    """The strategy of the field at dotted `path` of `kind`, e.g. ("Deployment", "spec.template.spec.volumes")."""
    return _KINDS.get(kind, _ANY_KIND).get(path)


def strategic_merge_patch(target: Mapping[str, Any], patch: Any, kind: str) -> dict[str, Any]:
    """Apply a strategic merge `patch` to `target`, an object of `kind`; both inputs stay unchanged."""
    if not isinstance(patch, dict):
        raise ApiError.bad_request(f"a strategic merge patch must be a JSON object, got {_snippet(patch)}")
    table = _KINDS.get(kind, _ANY_KIND)
    merged = _merge_map(copy.deepcopy(dict(target)), copy.deepcopy(patch), "", table)
    return {} if merged is None else merged


# The helpers below change their arguments in place: they only ever see the private deep copies made above.


def _merge_map(original: dict[str, Any], patch: dict[str, Any], path: str, table: Table) -> dict[str, Any] | None:
    """Merge `patch` into `original`; None means the patch deleted the map."""
    directive = patch.pop(_DIRECTIVE, None)
    if directive == "delete":
        return None
    if directive == "replace":
        original = {}
    elif directive is not None:
        raise ApiError.bad_request(f"{_where(path)}: unknown $patch directive {directive!r} in a map")
    _retain_keys(original, patch, path)
    for key in [key for key in patch if key.startswith(_DELETE_PRIMITIVES)]:
        _delete_from_primitive_list(original, key.removeprefix(_DELETE_PRIMITIVES), patch.pop(key), path)
    orders = {key.removeprefix(_SET_ORDER): patch.pop(key) for key in list(patch) if key.startswith(_SET_ORDER)}
    for key, value in patch.items():
        merged = None if value is None else _merge_value(original.get(key), value, _join(path, key), table)
        if merged is None:
            original.pop(key, None)
        else:
            original[key] = merged
    for field, order in orders.items():
        _set_element_order(original, field, order, _join(path, field), table)
    return original


def _merge_value(original: Any, value: Any, path: str, table: Table) -> Any:
    """The merge of one patch value (never null) into the live value; None means deleted."""
    if isinstance(value, dict):
        return _merge_map(original if isinstance(original, dict) else {}, value, path, table)
    meta = table.get(path)
    if isinstance(value, list) and meta is not None and meta.merges:
        base = original if isinstance(original, list) else []
        if not meta.merge_key:
            return _merge_set(base, value, path)
        return _merge_keyed_list(base, value, meta.merge_key, path, table)
    return value


def _merge_keyed_list(original: list[Any], patch: list[Any], key: str, path: str, table: Table) -> list[Any]:
    elements, replace = _apply_list_directives(original, patch, key, path)
    result = [] if replace else original
    for element in elements:
        index = next((i for i, item in enumerate(result) if _same_key(item, key, element[key])), None)
        if index is None:
            merged = _merge_map({}, element, path, table)
            if merged is not None:
                result.append(merged)
        else:
            result[index] = _merge_map(result[index], element, path, table)
    return result


def _apply_list_directives(
    original: list[Any], patch: list[Any], key: str, path: str
) -> tuple[list[dict[str, Any]], bool]:
    """Delete the elements marked `$patch: delete`; return the plain elements and whether to replace the list."""
    plain: list[dict[str, Any]] = []
    replace = False
    for element in patch:
        if not isinstance(element, dict):
            raise ApiError.bad_request(f"{path}: a list merged by {key!r} must hold objects, got {_snippet(element)}")
        directive = element.get(_DIRECTIVE)
        if directive == "replace":
            replace = True
            continue
        if key not in element:
            raise ApiError.bad_request(f"{path}: map {_snippet(element)} does not contain declared merge key: {key}")
        if directive is None:
            plain.append(element)
        elif directive == "delete":
            original[:] = [item for item in original if not _same_key(item, key, element[key])]
        else:
            raise ApiError.bad_request(f"{path}: unknown $patch directive {directive!r} in a list element")
    return plain, replace


def _merge_set(original: list[Any], patch: list[Any], path: str) -> list[Any]:
    """A list of primitives with strategy merge (finalizers, podCIDRs): the union, live values first."""
    seen = {_identity(value) for value in original}
    result = list(original)
    for value in patch:
        if isinstance(value, dict | list):
            raise ApiError.bad_request(f"{path}: expected a list of primitives, got {_snippet(value)}")
        if _identity(value) not in seen:
            seen.add(_identity(value))
            result.append(value)
    return result


def _retain_keys(original: dict[str, Any], patch: dict[str, Any], path: str) -> None:
    if _RETAIN_KEYS not in patch:
        return
    keep = patch.pop(_RETAIN_KEYS)
    if not isinstance(keep, list) or not all(isinstance(key, str) for key in keep):
        raise ApiError.bad_request(f"{_where(path)}: $retainKeys must be a list of field names")
    unlisted = sorted(key for key in patch if not key.startswith("$") and key not in keep)
    if unlisted:
        message = f"{_where(path)}: the patch sets {unlisted}, which $retainKeys {keep} would drop"
        raise ApiError(422, "Invalid", message)
    for key in [key for key in original if key not in keep]:
        del original[key]


def _delete_from_primitive_list(original: dict[str, Any], field: str, values: Any, path: str) -> None:
    if not isinstance(values, list):
        raise ApiError.bad_request(f"{_join(path, field)}: $deleteFromPrimitiveList must be a list")
    current = original.get(field)
    if isinstance(current, list):
        doomed = {_identity(value) for value in values}
        original[field] = [value for value in current if _identity(value) not in doomed]


def _set_element_order(original: dict[str, Any], field: str, order: Any, path: str, table: Table) -> None:
    if not isinstance(order, list):
        raise ApiError.bad_request(f"{path}: $setElementOrder must be a list")
    items, meta = original.get(field), table.get(path)
    if not isinstance(items, list) or meta is None or not meta.merges:
        return  # a replaced list already has the patch's order

    def ident(value: Any) -> str:
        return _identity(value.get(meta.merge_key) if meta.merge_key and isinstance(value, dict) else value)

    rank: dict[str, int] = {}
    for position, entry in enumerate(order):
        rank.setdefault(ident(entry), position)
    result = sorted((item for item in items if ident(item) in rank), key=lambda item: rank[ident(item)])
    for index, item in enumerate(items):
        if ident(item) not in rank:
            result.insert(min(index, len(result)), item)  # server-only elements keep their index
    original[field] = result


def _same_key(item: Any, key: str, value: Any) -> bool:
    return isinstance(item, dict) and key in item and _identity(item[key]) == _identity(value)


def _identity(value: Any) -> str:
    """A hashable spelling of a JSON value; keeps true and 1 apart, as JSON does."""
    return json.dumps(value, sort_keys=True)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return path or "the object"


def _snippet(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."
