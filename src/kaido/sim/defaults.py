"""Defaulting: the fields the API server fills in before it stores an object.

Typed clients decode what the simulator returns (lightkube's msgspec models, the official client),
so stored objects must be schema-complete and defaulted as upstream's SetDefaults_* functions
(k8s.io/kubernetes pkg/apis/*/v1/defaults.go) and the create-time admission plugins do: a minimal
Deployment comes back with replicas 1, a 25%/25% rolling update, revisionHistoryLimit 10,
progressDeadlineSeconds 600 and a fully defaulted pod template, exactly what
`kubectl get deploy -o yaml` shows on a real cluster. This module holds the entry point and the
workload controllers (apps, batch, autoscaling); pods and core types have their own modules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from kaido.sim.defaults_core import CORE_DEFAULTERS, default_claim, entries, mapping, needs_cluster_ip, put_default
from kaido.sim.defaults_pod import default_pod, default_pod_template
from kaido.sim.resources import ResourceType

__all__ = ["apply_defaults", "needs_cluster_ip"]

Defaulter = Callable[[dict[str, Any]], None]

_MAX_INT32: Final = 2**31 - 1
_CPU_TARGET: Final = 80  # DefaultCPUUtilization, the HPA target when none is given
_SCALE_UP: Final = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
# No stabilization window here: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
_SCALE_DOWN: Final = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def apply_defaults(resource: ResourceType, obj: dict[str, Any], *, uid: str | None = None) -> dict[str, Any]:
    """A defaulted copy of `obj`, as the API server would store it; `obj` itself is not changed.

    `uid` is the object's uid when the caller assigns it before storing (a Job's generated selector
    and pod labels carry it); without it the uid in `obj`'s metadata is used.
    """
    result = copy.deepcopy(obj)
    kind = (resource.group, resource.kind)
    if kind == ("batch", "Job"):
        meta_uid = result.get("metadata", {}).get("uid") if isinstance(result.get("metadata"), dict) else None
        _default_job(result, uid=uid if uid is not None else str(meta_uid or ""))
    elif kind == ("autoscaling", "HorizontalPodAutoscaler"):
        _default_hpa(result, version=resource.version)
    elif kind in _DEFAULTERS:
        _DEFAULTERS[kind](result)
    return result


# ----- apps/v1 -----------------------------------------------------------------------------------


def _default_deployment(deployment: dict[str, Any]) -> None:
    spec = mapping(deployment, "spec")
    put_default(spec, "replicas", 1)
    strategy = mapping(spec, "strategy")
    put_default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = mapping(strategy, "rollingUpdate")
        put_default(rolling, "maxUnavailable", "25%")
        put_default(rolling, "maxSurge", "25%")
    put_default(spec, "revisionHistoryLimit", 10)
    put_default(spec, "progressDeadlineSeconds", 600)
    default_pod_template(mapping(spec, "template"))
    mapping(deployment, "status")


def _default_replica_set(replica_set: dict[str, Any]) -> None:
    spec = mapping(replica_set, "spec")
    put_default(spec, "replicas", 1)
    default_pod_template(mapping(spec, "template"))
    mapping(replica_set, "status").setdefault("replicas", 0)


def _default_stateful_set(stateful_set: dict[str, Any]) -> None:
    spec = mapping(stateful_set, "spec")
    put_default(spec, "podManagementPolicy", "OrderedReady")
    strategy = mapping(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        mapping(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        put_default(strategy["rollingUpdate"], "partition", 0)
    retention = mapping(spec, "persistentVolumeClaimRetentionPolicy")
    put_default(retention, "whenDeleted", "Retain")
    put_default(retention, "whenScaled", "Retain")
    put_default(spec, "replicas", 1)
    put_default(spec, "revisionHistoryLimit", 10)
    default_pod_template(mapping(spec, "template"))
    for claim in entries(spec, "volumeClaimTemplates"):
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        default_claim(claim)
    status = mapping(stateful_set, "status")
    status.setdefault("replicas", 0)
    status.setdefault("availableReplicas", 0)


def _default_daemon_set(daemon_set: dict[str, Any]) -> None:
    spec = mapping(daemon_set, "spec")
    strategy = mapping(spec, "updateStrategy")
    put_default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = mapping(strategy, "rollingUpdate")
        put_default(rolling, "maxUnavailable", 1)
        put_default(rolling, "maxSurge", 0)
    put_default(spec, "revisionHistoryLimit", 10)
    default_pod_template(mapping(spec, "template"))
    status = mapping(daemon_set, "status")
    for counter in ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"):
        status.setdefault(counter, 0)


# ----- batch/v1 ----------------------------------------------------------------------------------


def _default_job(job: dict[str, Any], *, uid: str) -> None:
    spec = mapping(job, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    put_default(spec, "parallelism", 1)
    put_default(spec, "backoffLimit", _MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6)
    put_default(spec, "completionMode", "NonIndexed")
    put_default(spec, "suspend", False)
    put_default(spec, "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    put_default(spec, "manualSelector", False)
    if isinstance(spec.get("podFailurePolicy"), dict):
        for rule in entries(spec["podFailurePolicy"], "rules"):
            for pattern in entries(rule, "onPodConditions"):
                put_default(pattern, "status", "True")
    template = mapping(spec, "template")
    default_pod_template(template)
    if spec["manualSelector"] is not True:
        _generate_job_selector(job, spec, template, uid)
    meta = mapping(job, "metadata")
    template_labels = mapping(template, "metadata").get("labels")
    if template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)
    mapping(job, "status")


def _generate_job_selector(job: dict[str, Any], spec: dict[str, Any], template: dict[str, Any], uid: str) -> None:
    """The job strategy's generateSelector: pods labelled with the Job's uid and name, selected by uid."""
    name = str(mapping(job, "metadata").get("name") or "")
    labels = mapping(mapping(template, "metadata"), "labels")
    for label in ("job-name", "batch.kubernetes.io/job-name"):
        labels.setdefault(label, name)
    for label in ("controller-uid", "batch.kubernetes.io/controller-uid"):
        labels.setdefault(label, uid)
    mapping(mapping(spec, "selector"), "matchLabels").setdefault("batch.kubernetes.io/controller-uid", uid)


def _default_cron_job(cron_job: dict[str, Any]) -> None:
    spec = mapping(cron_job, "spec")
    put_default(spec, "concurrencyPolicy", "Allow")
    put_default(spec, "suspend", False)
    put_default(spec, "successfulJobsHistoryLimit", 3)
    put_default(spec, "failedJobsHistoryLimit", 1)
    job_spec = mapping(mapping(spec, "jobTemplate"), "spec")
    default_pod_template(mapping(job_spec, "template"))
    mapping(cron_job, "status")


# ----- autoscaling -------------------------------------------------------------------------------


def _default_hpa(hpa: dict[str, Any], *, version: str) -> None:
    spec = mapping(hpa, "spec")
    put_default(spec, "minReplicas", 1)
    status = mapping(hpa, "status")
    status.setdefault("desiredReplicas", 0)
    if version == "v1":
        # Stored as autoscaling/v2, whose defaulting adds the 80% CPU metric a v1 reader then sees.
        put_default(spec, "targetCPUUtilizationPercentage", _CPU_TARGET)
        status.setdefault("currentReplicas", 0)
        return
    if not spec.get("metrics"):
        target = {"type": "Utilization", "averageUtilization": _CPU_TARGET}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), _SCALE_UP)
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), _SCALE_DOWN)


def _scaling_rules(given: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """GenerateHPAScale{Up,Down}Rules: the defaults, overridden by whatever the user set."""
    rules = copy.deepcopy(defaults)
    if isinstance(given, dict):
        for field in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(field) is not None:
                rules[field] = given[field]
    return rules


_DEFAULTERS: Final[dict[tuple[str, str], Defaulter]] = {
    **CORE_DEFAULTERS,
    ("", "Pod"): default_pod,
    ("apps", "Deployment"): _default_deployment,
    ("apps", "ReplicaSet"): _default_replica_set,
    ("apps", "StatefulSet"): _default_stateful_set,
    ("apps", "DaemonSet"): _default_daemon_set,
    ("batch", "CronJob"): _default_cron_job,
}
