"""The OpenAPI v3 documents of the simulated API server, derived from the resource table.

kubectl reads them for three things. `apply`, `create` and `replace -f` look for a PATCH operation of
the object's kind with a `fieldValidation` parameter; with one they send `fieldValidation=Strict` and
leave validation to the server, without one they need the protobuf OpenAPI v2 document, which the
simulator does not serve, and give up. Client-side `apply` computes strategic merge patches from the
kind's schema when its PATCH accepts them. `explain` prints the schema descriptions.

`openapi_root()` is the `/openapi/v3` index: one URL per group-version carrying a content hash, so
clients may cache a document for as long as its hash stays the same. `openapi_group_version()` is one
document: paths for every resource (collection, item, all namespaces, status and scale), and every
schema those paths reach under its upstream name. Schemas come from the text tables in
`kaido.sim.schemas` plus the apimachinery types below. Kinds without a table entry get a minimal schema
and a PATCH without strategic merge, so kubectl patches them using its compiled-in types; offered it,
kubectl would look for their fields in our schema, print a warning and fall back to those types anyway.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from kaido.sim.resources import ResourceType, Subresource, by_group_version, group_versions
from kaido.sim.schemas import API_TYPES

__all__ = ["document_hash", "openapi_group_version", "openapi_root", "schema_name"]

Schema = dict[str, Any]

_META: Final = """
meta.v1.ObjectMeta: Metadata every persisted object has: identity, labels, annotations, owners and lifecycle.
  name string: Unique name within the namespace (or the cluster, for cluster-scoped kinds). Cannot be updated.
  generateName string: Prefix the server uses to generate a unique name when name is empty.
  namespace string: Namespace of the object; empty for cluster-scoped kinds. Cannot be updated.
  uid string: Unique id assigned by the server at creation and never reused. Read-only.
  resourceVersion string: Opaque version used for optimistic concurrency and to resume watches. Read-only.
  generation int64: Sequence number of changes to the desired state, set by the server. Read-only.
  creationTimestamp meta.v1.Time: When the object was created (UTC). Read-only.
  deletionTimestamp meta.v1.Time: When deletion was requested; the object stays until its finalizers are gone.
  labels {string}: Key/value pairs used to organise and select objects (label selectors).
  annotations {string}: Non-identifying key/value metadata for tools and controllers.
  ownerReferences [meta.v1.OwnerReference] keyed=uid: Owners of the object; it is garbage-collected once all are gone.
  finalizers [string] patch=merge list=set: Keys that must all be removed before the object leaves storage.
  managedFields [object] list=atomic: Which field manager owns which fields (server-side apply).
meta.v1.ListMeta: Metadata of a list response.
  resourceVersion string: Version of the collection the list was read at; start a watch from here.
  continue string: Token to fetch the next page when the list was limited.
meta.v1.OwnerReference: Identifies an owning object in the same namespace.
  apiVersion! string: API version of the owner.
  kind! string: Kind of the owner.
  name! string: Name of the owner.
  uid! string: UID of the owner.
  controller boolean: True if the owner is the managing controller; at most one owner may set it.
  blockOwnerDeletion boolean: If true, foreground deletion of the owner waits for this object to be removed.
meta.v1.LabelSelector: Selects objects by labels; the requirements are ANDed. Empty matches everything.
  matchLabels {string}: Labels that must match exactly, as key/value pairs.
  matchExpressions [meta.v1.LabelSelectorRequirement] list=atomic: Set-based requirements.
meta.v1.LabelSelectorRequirement: One set-based selector requirement, such as "tier In (web, api)".
  key! string: The label key.
  operator! string enum=In,NotIn,Exists,DoesNotExist: How the key relates to the values.
  values [string] list=atomic: Values for In and NotIn; must be empty for Exists and DoesNotExist.
meta.v1.Condition: One aspect of an object's current state, in the standard condition format.
  type! string: Condition type in CamelCase, such as Ready or DisruptionAllowed.
  status! string enum=True,False,Unknown: Status of the condition.
  observedGeneration int64: The metadata.generation the condition was computed from.
  lastTransitionTime! meta.v1.Time: When the status last changed.
  reason! string: Machine-readable CamelCase reason for the last transition.
  message! string: Human-readable details about the transition.
meta.v1.Time type=string format=date-time: A timestamp in RFC 3339 form with second precision, in UTC.
meta.v1.MicroTime type=string format=date-time: A timestamp in RFC 3339 form with microsecond precision.
meta.v1.Status: The result of an operation that returns no object, and the body of every error response.
  apiVersion string: Always v1.
  kind string: Always Status.
  status string enum=Success,Failure: Outcome of the operation.
  message string: Human-readable description of the outcome.
  reason string: Machine-readable CamelCase reason, such as NotFound or AlreadyExists.
  details object: Extra data about the reason: name, group, kind, causes, retryAfterSeconds.
  code integer: HTTP status code of the response.
meta.v1.DeleteOptions: Options for a delete request.
  gracePeriodSeconds int64: Seconds before the object is deleted; 0 deletes immediately.
  propagationPolicy string enum=Orphan,Background,Foreground: Whether and how dependents are garbage-collected.
  dryRun [string] list=atomic: "All" runs every stage without persisting.
meta.v1.Patch: The body of a PATCH request; its shape depends on the Content-Type.
"""
# Without a plain type, like upstream's, so that explain prints <Quantity> and <IntOrString>.
_SCALARS: Final[dict[str, Schema]] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "A fixed-point number with an optional suffix, such as 100m (0.1), 1.5, 128Mi (binary SI), "
        "1G (decimal SI) or 1e3. Used for CPU, memory and other resources.",
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": 'An integer or a string, such as 8080 or "http", 1 or "25%".',
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    },
}
_COMMON_FIELDS: Final = """
  apiVersion string: The versioned schema of this object, such as v1 or apps/v1.
  kind string: The kind of this object in CamelCase, such as Pod or Deployment.
  metadata meta.v1.ObjectMeta: Standard object metadata: name, namespace, labels, annotations, owners.
"""
_PREFIXES: Final = {
    "meta.": "io.k8s.apimachinery.pkg.apis.meta.",
    "resource.": "io.k8s.apimachinery.pkg.api.resource.",
    "intstr.": "io.k8s.apimachinery.pkg.util.intstr.",
}
_PRIMITIVES: Final[dict[str, Schema]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "number": {"type": "number", "format": "double"},
    "boolean": {"type": "boolean"},
    "byte": {"type": "string", "format": "byte"},
    "object": {"type": "object"},
}


def openapi_root() -> dict[str, Any]:
    """The `/openapi/v3` index: every group-version with the hashed URL of its document."""
    paths: dict[str, Any] = {}
    for group, versions in group_versions():
        for version in versions:
            key = f"apis/{group}/{version}" if group else f"api/{version}"
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={_document_digest(group, version)}"}
    return {"paths": paths}


def openapi_group_version(group: str, version: str) -> dict[str, Any] | None:
    """The OpenAPI v3 document of one group-version (`""` is the core group), or None if not served."""
    text = _document_json(group, version)
    return None if text is None else dict(json.loads(text))


def document_hash(document: dict[str, Any]) -> str:
    """Upper-case hex SHA-512 of a document's canonical JSON, the form upstream puts in `?hash=`."""
    return hashlib.sha512(_canonical(document).encode()).hexdigest().upper()


def schema_name(group: str, version: str, kind: str) -> str:
    """The upstream schema name of a kind, such as `io.k8s.api.apps.v1.Deployment`."""
    if not group:
        return f"io.k8s.api.core.{version}.{kind}"
    if group == "metrics.k8s.io":
        return f"io.k8s.metrics.pkg.apis.metrics.{version}.{kind}"
    return f"io.k8s.api.{group.split('.', maxsplit=1)[0]}.{version}.{kind}"


# The schema tables: `_parse` reads the text format described in kaido.sim.schemas.


def _parse(text: str) -> dict[str, Schema]:
    """Schemas by full name, from table text."""
    schemas: dict[str, Schema] = {}
    current: Schema = {}
    last: Schema = {}  # the schema or field whose description a continuation line extends
    for line in text.splitlines():
        body = line.strip()
        indent = len(line) - len(line.lstrip())
        if not body:
            continue
        if indent >= 4:
            last["description"] += " " + body
            continue
        head, _, description = body.partition(": ")
        if indent:
            last = _add_field(current, head, description)
            continue
        name, *flags = head.split()
        current = last = {"description": description, "type": "object"}
        current.update(_keywords([flag for flag in flags if flag != "kind"]))
        if "kind" in flags:
            for common in _COMMON_FIELDS.strip("\n").splitlines():
                common_head, _, common_description = common.strip().partition(": ")
                _add_field(current, common_head, common_description)
        schemas[_full_name(name)] = current
    return schemas


def _add_field(schema: Schema, head: str, description: str) -> Schema:
    name, kind, *tokens = head.split()
    if name.endswith("!"):
        name = name.removesuffix("!")
        schema.setdefault("required", []).append(name)
    field = {**_field_type(kind), **_keywords(tokens), "description": description}
    schema.setdefault("properties", {})[name] = field
    return field


def _field_type(token: str, *, item: bool = False) -> Schema:
    if token.startswith("["):
        return {"type": "array", "items": _field_type(token[1:-1], item=True)}
    if token.startswith("{"):
        value = token[1:-1]  # maps name their value type directly, so explain prints map[string]Quantity
        return {"type": "object", "additionalProperties": dict(_PRIMITIVES.get(value) or {"$ref": _ref(value)})}
    if token in _PRIMITIVES:
        return dict(_PRIMITIVES[token])
    # Upstream wraps references in allOf, so that a description can sit beside them.
    return {"allOf": [{"$ref": _ref(token)}], **({"default": {}} if item else {})}


def _keywords(tokens: list[str]) -> Schema:
    """Schema keywords from `key=value` tokens: list merge strategies, enums and plain keywords."""
    out: Schema = {}
    for token in tokens:
        key, _, value = token.partition("=")
        if key == "keyed":
            keys = value.split(",")
            out["x-kubernetes-list-type"] = "map"
            out["x-kubernetes-list-map-keys"] = keys
            out["x-kubernetes-patch-merge-key"] = keys[0]
            out["x-kubernetes-patch-strategy"] = "merge"
        elif key in ("key", "patch", "list"):
            extension = {"key": "patch-merge-key", "patch": "patch-strategy", "list": "list-type"}[key]
            out[f"x-kubernetes-{extension}"] = value
        elif key == "enum":
            out["enum"] = value.split(",")
        else:
            out[key] = True if value == "true" else value
    return out


def _full_name(name: str) -> str:
    if name.startswith("io.k8s."):
        return name
    prefix = next((short for short in _PREFIXES if name.startswith(short)), "")
    return _PREFIXES[prefix] + name.removeprefix(prefix) if prefix else f"io.k8s.api.{name}"


def _ref(name: str) -> str:
    return f"#/components/schemas/{_full_name(name)}"


_HAND_WRITTEN: Final = _parse(API_TYPES)
_SCHEMAS: Final = {**_parse(_META), **_SCALARS, **_HAND_WRITTEN}


def _generic_schema(kind: str) -> Schema:
    """A minimal schema for kinds the simulator stores without a table entry describing their fields."""
    text = f"""
{kind} kind: {kind} objects are stored and served as given; see the Kubernetes API reference for their fields.
  spec object: Desired state of the object.
  status object: Observed state of the object. Read-only.
"""
    return next(iter(_parse(text).values()))


# The documents: paths and operations per resource, plus every schema they reach.

_INFO: Final = {"title": "Kubernetes", "version": "v1.35.0"}
_MEDIA: Final = ("application/json", "application/yaml")
_PATCH_MEDIA: Final = (
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)  # fmt: skip
_SUBRESOURCES: Final = ("status", "scale")
_PARAMETERS: Final[dict[str, tuple[str, str]]] = {
    "allowWatchBookmarks": ("boolean", "Ask for BOOKMARK events in a watch. Servers may ignore it."),
    "continue": ("string", "Token from a previous limited list, to fetch the next page."),
    "dryRun": ("string", "When present, process the request in full but persist nothing. Valid value: All."),
    "fieldManager": ("string", "Name of the actor making the change. Required for apply patches."),
    "fieldSelector": ("string", "Only return objects whose fields match, such as status.phase=Running."),
    "fieldValidation": ("string", "How to treat unknown or duplicate fields: Ignore, Warn (default) or Strict."),
    "force": ("boolean", "Apply patches only: take over fields owned by other managers instead of conflicting."),
    "gracePeriodSeconds": ("integer", "Seconds before the object is deleted; 0 deletes immediately."),
    "labelSelector": ("string", "Only return objects whose labels match, such as app=web,tier!=db."),
    "limit": ("integer", "Maximum number of items to return; a continue token follows if there are more."),
    "pretty": ("string", "If 'true', pretty-print the output."),
    "propagationPolicy": ("string", "Garbage collection of dependents: Orphan, Background or Foreground."),
    "resourceVersion": ("string", "Serve the list or start the watch at this resource version."),
    "resourceVersionMatch": ("string", "How resourceVersion applies to a list: Exact or NotOlderThan."),
    "sendInitialEvents": ("boolean", "Start a watch with synthetic ADDED events for the current state."),
    "timeoutSeconds": ("integer", "End a list or watch call after this many seconds."),
    "watch": ("boolean", "Watch for changes and return them as a stream of events."),
}
_LIST: Final = (
    "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
    "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch",
)  # fmt: skip
_WRITE: Final = ("dryRun", "fieldManager", "fieldValidation")
_DELETE: Final = ("dryRun", "gracePeriodSeconds", "propagationPolicy")


@dataclass(frozen=True, slots=True)
class _Verb:
    method: str
    action: str  # x-kubernetes-action
    prefix: str  # of the operationId
    description: str
    parameters: tuple[str, ...]
    codes: tuple[str, ...] = ("200",)


_VERBS: Final = {
    "list": _Verb("get", "list", "list", "list or watch objects of kind {kind}", _LIST),
    "create": _Verb("post", "post", "create", "create a {kind}", _WRITE, ("200", "201", "202")),
    "deletecollection": _Verb("delete", "deletecollection", "delete", "delete collection of {kind}", _DELETE + _LIST),
    "get": _Verb("get", "get", "read", "read the specified {kind}", ()),
    "update": _Verb("put", "put", "replace", "replace the specified {kind}", _WRITE, ("200", "201")),
    "patch": _Verb(
        "patch", "patch", "patch", "partially update the specified {kind}", (*_WRITE, "force"), ("200", "201")
    ),
    "delete": _Verb("delete", "delete", "delete", "delete a {kind}", _DELETE, ("200", "202")),
}
_CODE_TEXT: Final = {"200": "OK", "201": "Created", "202": "Accepted"}


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@functools.cache
def _document_json(group: str, version: str) -> str | None:
    # Built once per process; the public function hands out a fresh copy each time.
    resources = by_group_version(group, version)
    return _canonical(_document(resources)) if resources else None


@functools.cache
def _document_digest(group: str, version: str) -> str:
    text = _document_json(group, version)
    assert text is not None, f"{group}/{version} is listed by group_versions() but has no resources"
    return hashlib.sha512(text.encode()).hexdigest().upper()


def _document(resources: list[ResourceType]) -> Schema:
    paths: dict[str, Schema] = {}
    schemas: dict[str, Schema] = {}
    for resource in resources:
        paths.update(_resource_paths(resource))
        kinds = {
            _gvk(resource, sub) for sub in (None, *resource.subresources) if sub is None or sub.name in _SUBRESOURCES
        }
        for group, version, kind in kinds:
            schemas[schema_name(group, version, kind)] = _kind_schema(group, version, kind)
        schemas[schema_name(resource.group, resource.version, resource.list_kind)] = _list_schema(resource)
    _add_referenced(schemas, [paths, schemas])
    return {"openapi": "3.0.0", "info": dict(_INFO), "paths": paths, "components": {"schemas": schemas}}


def _gvk(resource: ResourceType, sub: Subresource | None) -> tuple[str, str, str]:
    """The group, version and kind an operation on a resource or one of its subresources reads and writes."""
    if sub is None or not sub.kind:
        return (resource.group, resource.version, resource.kind)  # status has its parent's kind
    if not sub.version:
        return (resource.group, resource.version, sub.kind)
    return (sub.group, sub.version, sub.kind)


def _add_referenced(schemas: dict[str, Schema], root: Any) -> None:
    """Add every schema reachable through `$ref` from `root`, so that the document stands alone."""
    pending = _refs(root)
    while pending:
        name = pending.pop().removeprefix("#/components/schemas/")
        if name not in schemas:
            if name not in _SCHEMAS:
                raise KeyError(f"schema {name} is referenced but defined nowhere; add it to kaido.sim.schemas")
            schemas[name] = copy.deepcopy(_SCHEMAS[name])
            pending.extend(_refs(schemas[name]))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _kind_schema(group: str, version: str, kind: str) -> Schema:
    name = schema_name(group, version, kind)
    schema = copy.deepcopy(_SCHEMAS[name]) if name in _SCHEMAS else _generic_schema(kind)
    schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    return schema


def _list_schema(resource: ResourceType) -> Schema:
    item = _ref(schema_name(resource.group, resource.version, resource.kind))
    return {
        "description": f"{resource.list_kind} is a list of {resource.kind} objects.",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string", "description": "The versioned schema of this list."},
            "kind": {"type": "string", "description": f"Always {resource.list_kind}."},
            "metadata": {"allOf": [{"$ref": _ref("meta.v1.ListMeta")}], "description": "Standard list metadata."},
            "items": {"type": "array", "items": {"allOf": [{"$ref": item}], "default": {}}, "description": "Items."},
        },
        "x-kubernetes-group-version-kind": [
            {"group": resource.group, "kind": resource.list_kind, "version": resource.version}
        ],
    }


def _resource_paths(resource: ResourceType) -> dict[str, Schema]:
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    collection = f"{base}{'/namespaces/{namespace}' if resource.namespaced else ''}/{resource.plural}"
    item = f"{collection}/{{name}}"
    wanted = {collection: ("list", "create", "deletecollection"), item: ("get", "update", "patch", "delete")}
    if resource.namespaced:
        wanted[f"{base}/{resource.plural}"] = ("list",)  # across all namespaces
    paths = {path: _path_item(resource, path, verbs, resource.verbs) for path, verbs in wanted.items()}
    for sub in resource.subresources:
        if sub.name in _SUBRESOURCES:
            paths[f"{item}/{sub.name}"] = _path_item(
                resource, f"{item}/{sub.name}", ("get", "update", "patch"), sub.verbs
            )
    return {path: ops for path, ops in paths.items() if set(ops) - {"parameters"}}  # drop paths without verbs


def _path_item(resource: ResourceType, path: str, verbs: tuple[str, ...], allowed: tuple[str, ...]) -> Schema:
    parameters = [
        {"description": description, "in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name, description in (("name", f"name of the {resource.kind}"), ("namespace", "object name and auth scope"))
        if f"{{{name}}}" in path
    ]
    item: Schema = {"parameters": [*parameters, _query_parameter("pretty")]}
    for verb in verbs:
        if verb in allowed:
            item[_VERBS[verb].method] = _operation(resource, path, verb)
    return item


def _query_parameter(name: str) -> Schema:
    kind, description = _PARAMETERS[name]
    return {"description": description, "in": "query", "name": name, "schema": {"type": kind, "uniqueItems": True}}


def _operation(resource: ResourceType, path: str, verb: str) -> Schema:
    spec = _VERBS[verb]
    last = path.rsplit("/", 1)[-1]
    sub = resource.subresource(last) if last in _SUBRESOURCES else None
    gvk = _gvk(resource, sub)
    target = schema_name(*gvk)
    if verb == "list":
        returned = schema_name(resource.group, resource.version, resource.list_kind)
    else:
        returned = "meta.v1.Status" if verb.startswith("delete") else target
    content = {media: {"schema": {"$ref": _ref(returned)}} for media in _MEDIA}
    responses: Schema = {code: {"content": content, "description": _CODE_TEXT[code]} for code in spec.codes}
    if sub is None:
        description = spec.description.format(kind=resource.kind)
    else:
        description = f"{spec.prefix} {sub.name} of the specified {resource.kind}"
    operation: Schema = {
        "description": description,
        "operationId": _operation_id(resource, path, verb),
        "parameters": [_query_parameter(name) for name in spec.parameters],
        "responses": {**responses, "401": {"description": "Unauthorized"}},
        "tags": [_tag(resource)],
        "x-kubernetes-action": spec.action,
        "x-kubernetes-group-version-kind": dict(zip(("group", "version", "kind"), gvk, strict=True)),
    }
    # Strategic merge only where our schema knows the merge keys; see the module docstring.
    strategic = schema_name(resource.group, resource.version, resource.kind) in _HAND_WRITTEN
    body = _request_body(verb, target, strategic=strategic)
    if body:
        operation["requestBody"] = body
    return operation


def _request_body(verb: str, target: str, *, strategic: bool) -> Schema | None:
    if verb in ("create", "update"):
        return {"content": {"*/*": {"schema": {"$ref": _ref(target)}}}, "required": True}
    if verb == "patch":
        media = [m for m in _PATCH_MEDIA if strategic or "strategic" not in m]
        return {"content": {m: {"schema": {"$ref": _ref("meta.v1.Patch")}} for m in media}, "required": True}
    if verb.startswith("delete"):
        return {"content": {"*/*": {"schema": {"$ref": _ref("meta.v1.DeleteOptions")}}}}
    return None


def _operation_id(resource: ResourceType, path: str, verb: str) -> str:
    """Upstream's operation ids, such as patchAppsV1NamespacedDeploymentScale or listCoreV1PodForAllNamespaces."""
    group = "".join(part[:1].upper() + part[1:] for part in resource.group.removesuffix(".k8s.io").split("."))
    words = [_VERBS[verb].prefix, group or "Core", resource.version.capitalize()]
    words += ["Collection"] if verb == "deletecollection" else []
    every_namespace = resource.namespaced and "{namespace}" not in path
    words += ["Namespaced"] if resource.namespaced and not every_namespace else []
    words.append(resource.kind)
    last = path.rsplit("/", 1)[-1]
    words += [last.capitalize()] if last in _SUBRESOURCES else []
    words += ["ForAllNamespaces"] if every_namespace else []
    return "".join(words)


def _tag(resource: ResourceType) -> str:
    first, *rest = resource.group.removesuffix(".k8s.io").split(".")
    return f"{first + ''.join(part.capitalize() for part in rest) or 'core'}_{resource.version}"
