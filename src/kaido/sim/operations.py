"""The API verbs with the API server's semantics, independent of HTTP.

create / update / patch / delete with defaulting, validation, optimistic concurrency, the status
and scale subresources, finalizers, propagation policies and garbage collection, dry runs.
Everything here is synchronous and runs in the event loop's thread, so each verb is atomic.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from kaido.sim.defaults import apply_defaults
from kaido.sim.errors import ApiError, Cause
from kaido.sim.patch import apply_patch_by_content_type
from kaido.sim.quota import check_quota
from kaido.sim.resources import RESOURCES, ResourceType, builtin
from kaido.sim.selectors import selector_to_string
from kaido.sim.store import Obj, ObjectStore, render, rfc3339
from kaido.sim.validation import validate

__all__ = ["Operations"]

NAMESPACES: Final = builtin("", "v1", "namespaces")
_WITH_SCALE: Final = frozenset({"Deployment", "ReplicaSet", "StatefulSet"})


class Operations:
    """Verbs over an ObjectStore; objects in and out are in the requested resource's version."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    # ----- create ------------------------------------------------------------------------------

    def create(self, resource: ResourceType, namespace: str | None, body: Obj, *, dry_run: bool = False) -> Obj:
        obj = self._prepare_new(resource, namespace, body)
        stored = self.store.put_new(resource, obj, dry_run=dry_run)
        return render(resource, stored)

    def _prepare_new(self, resource: ResourceType, namespace: str | None, body: Obj) -> Obj:
        if not isinstance(body, dict):
            raise ApiError.bad_request(f"the body of a {resource.kind} must be a JSON object")
        self._check_type(resource, body)
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            body_namespace = meta.get("namespace")
            if body_namespace and namespace and body_namespace != namespace:
                raise ApiError.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or body_namespace or "default"
            self._require_namespace(meta["namespace"])
        else:
            meta.pop("namespace", None)
        if resource.stored and resource.kind == "Namespace" and meta.get("name"):
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        meta["uid"] = self.store.new_uid()  # chosen now: defaulting derives Job selectors from it
        obj = apply_defaults(resource, obj, uid=meta["uid"])
        name = meta.get("name") or meta.get("generateName") or ""
        causes = validate(resource, obj)
        if causes:
            raise ApiError.invalid(resource.kind, name, causes, resource.group)
        check_quota(self.store, resource, obj)
        return obj

    def _require_namespace(self, namespace: str) -> None:
        ns = self.store.find(NAMESPACES, None, namespace)
        if ns is None:
            raise ApiError.not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    @staticmethod
    def _check_type(resource: ResourceType, body: Obj) -> None:
        kind, api_version = body.get("kind"), body.get("apiVersion")
        if kind and kind != resource.kind:
            raise ApiError.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({resource.api_version}) or kind {kind} is not {resource.kind}"
            )
        if api_version and api_version != resource.api_version:
            raise ApiError.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({resource.api_version})"
            )

    # ----- update ------------------------------------------------------------------------------

    def update(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        if subresource == "scale":
            return self.update_scale(resource, namespace, name, body, dry_run=dry_run)
        old = self.store.get(resource, namespace, name)
        self._check_type(resource, body)
        meta = body.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise ApiError.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        expected = meta.get("resourceVersion")
        if expected and expected != old["metadata"]["resourceVersion"]:
            raise ApiError.conflict(resource.plural, name, resource.group)
        return self._write(resource, old, body, subresource=subresource, dry_run=dry_run)

    def _write(self, resource: ResourceType, old: Obj, new: Obj, *, subresource: str | None, dry_run: bool) -> Obj:
        """Store `new` (in `resource`'s version) over `old` (stored), honouring the subresource split."""
        current = render(resource, old)
        new = copy.deepcopy(new)
        if subresource == "status":
            merged = copy.deepcopy(current)
            merged["status"] = new.get("status", {})
            new = merged
        elif resource.subresource("status") is not None and "status" in current:
            new["status"] = copy.deepcopy(current["status"])
        elif resource.subresource("status") is not None:
            new.pop("status", None)
        new.setdefault("metadata", {})
        if subresource is None:
            new = apply_defaults(resource, new, uid=old["metadata"]["uid"])
            causes = validate(resource, new, old=current)
            if causes:
                raise ApiError.invalid(resource.kind, old["metadata"]["name"], causes, resource.group)
        stored = self.store.replace(resource, old, new, dry_run=dry_run)
        if not dry_run and stored["metadata"].get("deletionTimestamp") and not stored["metadata"].get("finalizers"):
            self._collect_garbage(stored["metadata"]["uid"])
        return render(resource, stored)

    # ----- patch -------------------------------------------------------------------------------

    def patch(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        body: bytes,
        content_type: str,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool = False,
    ) -> tuple[Obj, bool]:
        """Apply a patch; returns the object and whether it was created (server-side apply only)."""
        existing = self.store.find(resource, namespace, name)
        is_apply = content_type.startswith("application/apply-patch")
        if existing is None:
            if not is_apply or subresource:
                raise ApiError.not_found(resource.plural, name, resource.group)
            applied = apply_patch_by_content_type(
                None, body, content_type, resource.kind, field_manager=field_manager or "", force=force
            )
            applied.setdefault("metadata", {})["name"] = name
            return self.create(resource, namespace, applied, dry_run=dry_run), True
        if subresource == "scale":
            scale = self._scale_of(resource, existing)
            patched = apply_patch_by_content_type(
                scale, body, content_type, "Scale", field_manager=field_manager or "", force=force
            )
            return self.update_scale(resource, namespace, name, patched, dry_run=dry_run), False
        current = render(resource, existing)
        patched = apply_patch_by_content_type(
            current, body, content_type, resource.kind, field_manager=field_manager or "", force=force
        )
        expected = (patched.get("metadata") or {}).get("resourceVersion")
        if expected and expected != existing["metadata"]["resourceVersion"]:
            raise ApiError.conflict(resource.plural, name, resource.group)
        return self._write(resource, existing, patched, subresource=subresource, dry_run=dry_run), False

    # ----- scale -------------------------------------------------------------------------------

    def get_scale(self, resource: ResourceType, namespace: str | None, name: str) -> Obj:
        if resource.kind not in _WITH_SCALE:
            raise ApiError.not_found(f"{resource.plural}/scale", name, resource.group)
        return self._scale_of(resource, self.store.get(resource, namespace, name))

    @staticmethod
    def _scale_of(resource: ResourceType, obj: Obj) -> Obj:
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
                "creationTimestamp": meta["creationTimestamp"],
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
            "status": {
                "replicas": obj.get("status", {}).get("replicas", 0),
                "selector": selector_to_string(obj.get("spec", {}).get("selector")),
            },
        }

    def update_scale(
        self, resource: ResourceType, namespace: str | None, name: str, scale: Obj, *, dry_run: bool = False
    ) -> Obj:
        old = self.get_scale(resource, namespace, name) and self.store.get(resource, namespace, name)
        expected = (scale.get("metadata") or {}).get("resourceVersion")
        if expected and expected != old["metadata"]["resourceVersion"]:
            raise ApiError.conflict(resource.plural, name, resource.group)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError.invalid(
                "Scale",
                name,
                [Cause("spec.replicas", f"Invalid value: {replicas!r}: must be greater than or equal to 0")],
                "autoscaling",
            )
        new = copy.deepcopy(render(resource, old))
        new.setdefault("spec", {})["replicas"] = replicas
        stored = self._write(resource, old, new, subresource=None, dry_run=dry_run)
        return self._scale_of(resource, stored)

    # ----- delete ------------------------------------------------------------------------------

    def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        dry_run: bool = False,
    ) -> Obj:
        options = options or {}
        obj = self.store.get(resource, namespace, name)
        self._check_preconditions(resource, obj, options.get("preconditions") or {})
        if dry_run:
            return render(resource, obj)
        policy = options.get("propagationPolicy")
        if options.get("orphanDependents") is True:
            policy = "Orphan"
        if resource.kind == "Namespace":
            return render(resource, self._delete_namespace(obj))
        uid = obj["metadata"]["uid"]
        if policy == "Orphan":
            self._orphan_dependents(uid)
        elif policy == "Foreground":
            obj = self._mark_deleting(resource, obj, add_finalizer="foregroundDeletion")
            self._delete_dependents(uid, foreground=True)
            return render(resource, self._drop_finalizer(resource, obj, "foregroundDeletion"))
        if obj["metadata"].get("finalizers"):
            return render(resource, self._mark_deleting(resource, obj))
        final = self.store.remove(resource, obj)
        self._collect_garbage(uid)
        return render(resource, final)

    def _check_preconditions(self, resource: ResourceType, obj: Obj, preconditions: dict[str, Any]) -> None:
        meta = obj["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = preconditions.get(field)
            if wanted and wanted != meta.get(field):
                raise ApiError(
                    409,
                    "Conflict",
                    f"Precondition failed: {label} in precondition: {wanted}, "
                    f"{label} in object meta: {meta.get(field)}",
                    name=meta["name"],
                    kind=resource.plural,
                )

    def _mark_deleting(self, resource: ResourceType, obj: Obj, add_finalizer: str | None = None) -> Obj:
        new = copy.deepcopy(obj)
        meta = new["metadata"]
        if add_finalizer and add_finalizer not in meta.setdefault("finalizers", []):
            meta["finalizers"].append(add_finalizer)
        if meta.get("deletionTimestamp") and new == obj:
            return obj
        stored_meta = dict(meta)
        stored_meta.setdefault("deletionTimestamp", rfc3339(self.store.clock.now()))
        stored_meta.setdefault("deletionGracePeriodSeconds", 0)
        new["metadata"] = stored_meta
        return self.store.replace(resource, obj, new, marking_deletion=True)

    def _drop_finalizer(self, resource: ResourceType, obj: Obj, finalizer: str) -> Obj:
        current = self.store.find(resource, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if current is None:
            return obj
        new = copy.deepcopy(current)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers", []) if f != finalizer]
        if not new["metadata"]["finalizers"]:
            del new["metadata"]["finalizers"]
        return self.store.replace(resource, current, new)

    # ----- garbage collection ------------------------------------------------------------------

    def _dependents(self, uid: str) -> list[tuple[ResourceType, Obj]]:
        found = []
        for storage_key, obj in self.store.all_objects():
            if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or []):
                found.append((_storage_resource(storage_key), obj))
        return found

    def _orphan_dependents(self, uid: str) -> None:
        for resource, obj in self._dependents(uid):
            self._drop_owner_reference(resource, obj, uid)

    def _delete_dependents(self, uid: str, *, foreground: bool) -> None:
        for resource, obj in self._dependents(uid):
            meta = obj["metadata"]
            if self.store.find(resource, meta.get("namespace"), meta["name"]) is None:
                continue
            options = {"propagationPolicy": "Foreground" if foreground else "Background"}
            self.delete(resource, meta.get("namespace"), meta["name"], options)

    def _collect_garbage(self, uid: str) -> None:
        """Delete dependents whose owners are all gone; drop dangling references from the others."""
        live = {obj["metadata"]["uid"] for _, obj in self.store.all_objects()}
        for resource, obj in self._dependents(uid):
            owners = obj["metadata"].get("ownerReferences") or []
            if any(ref.get("uid") in live for ref in owners):
                self._drop_owner_reference(resource, obj, uid)
                continue
            meta = obj["metadata"]
            if self.store.find(resource, meta.get("namespace"), meta["name"]) is not None:
                self.delete(resource, meta.get("namespace"), meta["name"], {"propagationPolicy": "Background"})

    def _drop_owner_reference(self, resource: ResourceType, obj: Obj, uid: str) -> None:
        new = copy.deepcopy(obj)
        new["metadata"]["ownerReferences"] = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
        if not new["metadata"]["ownerReferences"]:
            del new["metadata"]["ownerReferences"]
        self.store.replace(resource, obj, new)

    def _delete_namespace(self, namespace: Obj) -> Obj:
        name = namespace["metadata"]["name"]
        if name in ("default", "kube-system", "kube-public"):
            raise ApiError(403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        terminating = copy.deepcopy(namespace)
        terminating["metadata"]["deletionTimestamp"] = rfc3339(self.store.clock.now())
        terminating.setdefault("status", {})["phase"] = "Terminating"
        namespace = self.store.replace(NAMESPACES, namespace, terminating, marking_deletion=True)
        for storage_key, obj in list(self.store.all_objects()):
            if obj["metadata"].get("namespace") == name:
                resource = _storage_resource(storage_key)
                if self.store.find(resource, name, obj["metadata"]["name"]) is not None:
                    self.store.remove(resource, obj)
        return self.store.remove(NAMESPACES, namespace)


def _storage_resource(storage_key: tuple[str, str]) -> ResourceType:
    return next(r for r in RESOURCES if r.storage_key == storage_key and r.group == storage_key[0])
