"""Names, labels, annotations and label selectors, checked with the API server's formats and words.

The formats (RFC 1123 label and subdomain, RFC 1035 label, qualified names, label values, path
segments, port names, percents) are upstream's regular expressions, and their messages are built
the way `validation.RegexError` builds them, double space included ("'my-name',  or '123-abc'").
`validate_object_meta` is ValidateObjectMeta: which name format applies depends on the kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import (
    as_dict,
    as_list,
    child,
    forbidden,
    index,
    invalid,
    nonnegative,
    required,
    too_long,
)
from kaido.sim.resources import ResourceType

__all__ = [
    "NameCheck",
    "is_config_map_key",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_label_value",
    "is_percent",
    "is_port_name",
    "is_port_number",
    "is_qualified_name",
    "name_check",
    "selector_is_valid",
    "selector_matches",
    "validate_annotations",
    "validate_label_selector",
    "validate_labels",
    "validate_name",
    "validate_object_meta",
    "validate_object_meta_update",
]

NameCheck = Callable[[str, bool], list[str]]  # (name, is a generateName prefix) -> problems

_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT: Final = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_DNS1035_FMT: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
_KEY_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_VALUE_FMT: Final = "(" + _KEY_FMT + ")?"
_PERCENT_FMT: Final = "[0-9]+%"
_CONFIG_KEY_FMT: Final = "[-._a-zA-Z0-9]+"
_KEY_MSG: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_MSG: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_SUBDOMAIN_MSG: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_MSG: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_VALUE_MSG: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_ANNOTATIONS_LIMIT: Final = 256 * 1024
_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """validation.RegexError, byte for byte."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len(limit: int) -> str:
    return f"must be no more than {limit} characters"


def _too_long(value: str, limit: int) -> bool:
    return len(value.encode()) > limit


# ----- formats -----------------------------------------------------------------------------------


def is_dns1123_label(value: str) -> list[str]:
    errors = [_max_len(63)] if _too_long(value, 63) else []
    if not re.fullmatch(_LABEL_FMT, value):
        if re.fullmatch(_SUBDOMAIN_FMT, value):
            errors.append("must not contain dots")
        else:
            errors.append(_regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errors


def is_dns1123_subdomain(value: str) -> list[str]:
    errors = [_max_len(253)] if _too_long(value, 253) else []
    if not re.fullmatch(_SUBDOMAIN_FMT, value):
        errors.append(_regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errors


def is_dns1035_label(value: str) -> list[str]:
    errors = [_max_len(63)] if _too_long(value, 63) else []
    if not re.fullmatch(_DNS1035_FMT, value):
        errors.append(_regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errors


def is_qualified_name(value: str) -> list[str]:
    """A label key (IsQualifiedName): an optional DNS subdomain prefix, '/', and a name."""
    parts = value.split("/")
    errors: list[str] = []
    if len(parts) > 2:
        shown = _regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc")
        return [f"a valid label key {shown} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend(f"prefix part {message}" for message in is_dns1123_subdomain(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif _too_long(name, 63):
        errors.append(f"name part {_max_len(63)}")
    if not re.fullmatch(_KEY_FMT, name):
        errors.append("name part " + _regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc"))
    return errors


def is_label_value(value: str) -> list[str]:
    errors = [_max_len(63)] if _too_long(value, 63) else []
    if not re.fullmatch(_VALUE_FMT, value):
        errors.append(_regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _is_path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def is_port_number(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def is_port_name(name: str) -> list[str]:
    errors = [_max_len(15)] if len(name) > 15 else []
    if not re.fullmatch("[-a-z0-9]+", name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def is_percent(value: str) -> list[str]:
    if re.fullmatch(_PERCENT_FMT, value):
        return []
    message = "a valid percent string must be a numeric string followed by an ending '%'"
    return [_regex_error(message, _PERCENT_FMT, "1%", "93%")]


def is_config_map_key(value: str) -> list[str]:
    errors = [_max_len(253)] if _too_long(value, 253) else []
    if not re.fullmatch(_CONFIG_KEY_FMT, value):
        message = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
        errors.append(_regex_error(message, _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    if value in (".", ".."):
        errors.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


# ----- names by kind -----------------------------------------------------------------------------


def _mask_trailing_dash(name: str, prefix: bool) -> str:
    """A generateName may end in '-'; upstream checks it as if the dash were a letter."""
    return name[:-1] + "a" if prefix and len(name) > 1 and name.endswith("-") else name


def _subdomain(name: str, prefix: bool) -> list[str]:
    return is_dns1123_subdomain(_mask_trailing_dash(name, prefix))


def _label(name: str, prefix: bool) -> list[str]:
    return is_dns1123_label(_mask_trailing_dash(name, prefix))


def _dns1035(name: str, prefix: bool) -> list[str]:
    return is_dns1035_label(_mask_trailing_dash(name, prefix))


def _path_segment(name: str, prefix: bool) -> list[str]:
    return _is_path_segment(name)


_NAME_CHECKS: Final[dict[tuple[str, str], NameCheck]] = {
    ("", "Namespace"): _label,
    ("", "Service"): _dns1035,
    ("apps", "StatefulSet"): _label,
    ("", "PersistentVolume"): _path_segment,
    ("rbac.authorization.k8s.io", "Role"): _path_segment,
    ("rbac.authorization.k8s.io", "ClusterRole"): _path_segment,
    ("rbac.authorization.k8s.io", "RoleBinding"): _path_segment,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _path_segment,
}


def name_check(resource: ResourceType | None) -> NameCheck:
    """The name format of a kind: a DNS-1123 subdomain unless upstream says otherwise."""
    if resource is None:
        return _subdomain
    return _NAME_CHECKS.get((resource.group, resource.kind), _subdomain)


def validate_name(name: str, *, resource: ResourceType | None = None) -> str | None:
    """Why `name` cannot name an object of `resource` (any kind: a DNS subdomain), or None if it can.

    Namespaces and StatefulSets take an RFC 1123 label, Services an RFC 1035 label, RBAC objects and
    PersistentVolumes a path segment.
    """
    problems = name_check(resource)(name, False)
    return "; ".join(problems) if problems else None


# ----- metadata ----------------------------------------------------------------------------------


def validate_object_meta(resource: ResourceType, meta: Any, *, path: str = "metadata") -> list[Cause]:
    """ValidateObjectMeta: name (or generateName), namespace scope, labels, annotations, finalizers."""
    meta = as_dict(meta)
    check = name_check(resource)
    causes: list[Cause] = []
    name, generate_name = meta.get("name") or "", meta.get("generateName") or ""
    if generate_name:
        causes += [invalid(child(path, "generateName"), generate_name, m) for m in check(str(generate_name), True)]
    if name:
        causes += [invalid(child(path, "name"), name, m) for m in check(str(name), False)]
    elif not generate_name:
        causes.append(required(child(path, "name"), "name or generateName is required"))
    namespace = meta.get("namespace") or ""
    if resource.namespaced and not namespace:
        causes.append(required(child(path, "namespace")))
    elif resource.namespaced:
        causes += [invalid(child(path, "namespace"), namespace, m) for m in is_dns1123_label(str(namespace))]
    elif namespace:
        causes.append(forbidden(child(path, "namespace"), "not allowed on this type"))
    causes += nonnegative(meta.get("generation"), child(path, "generation"))
    return causes + _validate_mutable_meta(meta, path)


def _validate_mutable_meta(meta: dict[str, Any], path: str) -> list[Cause]:
    causes = validate_labels(meta.get("labels"), child(path, "labels"))
    causes += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    for position, finalizer in enumerate(as_list(meta.get("finalizers"))):
        text = str(finalizer)
        causes += [invalid(index(child(path, "finalizers"), position), text, m) for m in is_qualified_name(text)]
    return causes


def validate_object_meta_update(meta: Any, old_meta: Any, *, path: str = "metadata") -> list[Cause]:
    """ValidateObjectMetaUpdate: identity fields never change; labels and annotations stay valid."""
    meta, old_meta = as_dict(meta), as_dict(old_meta)
    causes: list[Cause] = []
    for field in ("name", "namespace", "uid", "creationTimestamp"):
        new_value, old_value = meta.get(field), old_meta.get(field)
        if new_value and old_value and new_value != old_value:
            causes.append(invalid(child(path, field), new_value, "field is immutable"))
    causes += nonnegative(meta.get("generation"), child(path, "generation"))
    return causes + _validate_mutable_meta(meta, path)


def validate_labels(labels: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for label_key, value in as_dict(labels).items():
        causes += [invalid(path, label_key, message) for message in is_qualified_name(label_key)]
        if not isinstance(value, str):
            causes.append(invalid(path, value, "must be a string"))
            continue
        causes += [invalid(path, value, message) for message in is_label_value(value)]
    return causes


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    size = 0
    for annotation_key, value in as_dict(annotations).items():
        causes += [invalid(path, annotation_key, m) for m in is_qualified_name(annotation_key.lower())]
        size += len(annotation_key.encode()) + len(str(value).encode())
    if size > _ANNOTATIONS_LIMIT:
        causes.append(too_long(path, _ANNOTATIONS_LIMIT))
    return causes


# ----- label selectors ---------------------------------------------------------------------------


def validate_label_selector(selector: Any, path: str) -> list[Cause]:
    """ValidateLabelSelector: matchLabels are labels; each expression's operator fits its values."""
    if not isinstance(selector, dict):
        return []
    causes = validate_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    for position, expression in enumerate(as_list(selector.get("matchExpressions"))):
        causes += _validate_requirement(as_dict(expression), index(child(path, "matchExpressions"), position))
    return causes


def _validate_requirement(expression: dict[str, Any], path: str) -> list[Cause]:
    operator, values = expression.get("operator"), as_list(expression.get("values"))
    causes: list[Cause] = []
    if operator in ("In", "NotIn") and not values:
        causes.append(required(child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist") and values:
        causes.append(
            forbidden(child(path, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
        )
    elif operator not in _OPERATORS:
        causes.append(invalid(child(path, "operator"), operator or "", "not a valid selector operator"))
    label_key = str(expression.get("key") or "")
    causes += [invalid(child(path, "key"), label_key, message) for message in is_qualified_name(label_key)]
    for position, value in enumerate(values):
        text = str(value)
        causes += [invalid(index(child(path, "values"), position), text, m) for m in is_label_value(text)]
    return causes


def selector_is_valid(selector: Any) -> bool:
    """Whether LabelSelectorAsSelector would accept it (a nil selector is valid: it selects nothing)."""
    if selector is None:
        return True
    return isinstance(selector, dict) and not validate_label_selector(selector, "")


def selector_matches(selector: Any, labels: Any) -> bool:
    """Label-set matching of a structured selector: None selects nothing, {} everything."""
    if not isinstance(selector, dict):
        return False
    labels = as_dict(labels)
    for label_key, value in as_dict(selector.get("matchLabels")).items():
        if labels.get(label_key) != value:
            return False
    return all(_requirement_matches(as_dict(e), labels) for e in as_list(selector.get("matchExpressions")))


def _requirement_matches(expression: dict[str, Any], labels: dict[str, Any]) -> bool:
    label_key, operator = str(expression.get("key") or ""), expression.get("operator")
    values = [str(v) for v in as_list(expression.get("values"))]
    present = label_key in labels
    match operator:
        case "In":
            return present and labels[label_key] in values
        case "NotIn":
            return not present or labels[label_key] not in values
        case "Exists":
            return present
        case "DoesNotExist":
            return not present
    return False
