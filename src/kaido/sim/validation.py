"""Validation before storing: the 422 causes the real API server gives for the same object.

`validate(resource, obj, old=...)` runs ValidateObjectMeta (ValidateObjectMetaUpdate on update),
then the kind's own checks, then on update the kind's immutability rules, and returns every cause
with upstream's field path and wording, e.g. `spec.template.spec.containers[0].image: Required
value`. Like the API server it expects an object that has been through `apply_defaults` already.
The checks live beside the API groups they belong to (validation_apps, validation_batch,
validation_core, validation_pod); this module only picks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import as_dict
from kaido.sim.resources import ResourceType
from kaido.sim.validation_apps import (
    validate_daemon_set,
    validate_deployment,
    validate_disruption_budget,
    validate_hpa,
    validate_replica_set,
    validate_selector_update,
    validate_stateful_set,
    validate_stateful_set_update,
)
from kaido.sim.validation_batch import validate_cron_job, validate_job, validate_job_update
from kaido.sim.validation_core import (
    validate_claim,
    validate_claim_update,
    validate_config_map,
    validate_data_update,
    validate_event,
    validate_lease,
    validate_limit_range,
    validate_quota,
    validate_secret,
    validate_service,
    validate_service_update,
)
from kaido.sim.validation_meta import validate_name, validate_object_meta, validate_object_meta_update
from kaido.sim.validation_pod import validate_pod_spec, validate_pod_update

__all__ = ["validate", "validate_name"]

Check = Callable[[dict[str, Any]], list[Cause]]
UpdateCheck = Callable[[dict[str, Any], dict[str, Any]], list[Cause]]


def _pod(obj: dict[str, Any]) -> list[Cause]:
    return validate_pod_spec(obj.get("spec"), "spec")


def _config_map_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return validate_data_update(obj, old, ("data", "binaryData"))


def _secret_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return validate_data_update(obj, old, ("type", "data"))


_CHECKS: Final[dict[tuple[str, str], Check]] = {
    ("", "Pod"): _pod,
    ("", "Service"): validate_service,
    ("", "ConfigMap"): validate_config_map,
    ("", "Secret"): validate_secret,
    ("", "PersistentVolumeClaim"): validate_claim,
    ("", "ResourceQuota"): validate_quota,
    ("", "LimitRange"): validate_limit_range,
    ("apps", "Deployment"): validate_deployment,
    ("apps", "ReplicaSet"): validate_replica_set,
    ("apps", "StatefulSet"): validate_stateful_set,
    ("apps", "DaemonSet"): validate_daemon_set,
    ("batch", "Job"): validate_job,
    ("policy", "PodDisruptionBudget"): validate_disruption_budget,
    ("coordination.k8s.io", "Lease"): validate_lease,
}

_UPDATE_CHECKS: Final[dict[tuple[str, str], UpdateCheck]] = {
    ("", "Pod"): validate_pod_update,
    ("", "Service"): validate_service_update,
    ("", "ConfigMap"): _config_map_update,
    ("", "Secret"): _secret_update,
    ("", "PersistentVolumeClaim"): validate_claim_update,
    ("apps", "Deployment"): validate_selector_update,
    ("apps", "ReplicaSet"): validate_selector_update,
    ("apps", "DaemonSet"): validate_selector_update,
    ("apps", "StatefulSet"): validate_stateful_set_update,
    ("batch", "Job"): validate_job_update,
}


def validate(resource: ResourceType, obj: dict[str, Any], *, old: dict[str, Any] | None = None) -> list[Cause]:
    """Everything wrong with `obj` (a create, or an update of `old`); empty when it may be stored."""
    if not resource.stored or "create" not in resource.verbs:
        return []  # reviews and metrics are answered, never stored
    meta = obj.get("metadata")
    if old is None:
        causes = validate_object_meta(resource, meta)
    else:
        causes = validate_object_meta_update(meta, old.get("metadata"))
    kind = (resource.group, resource.kind)
    if kind == ("autoscaling", "HorizontalPodAutoscaler"):
        causes += validate_hpa(obj, version=resource.version)
    elif resource.kind == "Event":
        causes += validate_event(obj, new_api=resource.group == "events.k8s.io")
    elif kind == ("batch", "CronJob"):
        causes += validate_cron_job(obj, old)
    elif kind in _CHECKS:
        causes += _CHECKS[kind](obj)
    if old is not None and kind in _UPDATE_CHECKS:
        causes += _UPDATE_CHECKS[kind](obj, as_dict(old))
    return causes
