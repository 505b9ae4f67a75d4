"""Validation of apps/v1 workloads and what scales or protects them: HPAs and disruption budgets.

Follows pkg/apis/apps/validation: a selector is required and must select the template's labels
(a missing selector reports both, as upstream: `spec.selector: Required value` and
"`selector` does not match template `labels`"), rolling-update bounds are ints or percents, the
template must restart Always. On update a selector is immutable, and a StatefulSet may change only
replicas, ordinals, template, updateStrategy, the PVC retention policy and minReadySeconds.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import (
    GoRepr,
    as_dict,
    as_dicts,
    child,
    forbidden,
    go_int_or_string,
    go_label_selector,
    go_string_map,
    go_struct,
    go_value,
    index,
    invalid,
    nonnegative,
    not_supported,
    required,
    semantically_equal,
)
from kaido.sim.validation_meta import (
    is_percent,
    selector_is_valid,
    selector_matches,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from kaido.sim.validation_pod import validate_pod_template
from kaido.sim.validation_resources import validate_quantity

__all__ = [
    "int_or_percent",
    "not_more_than_100_percent",
    "selector_causes",
    "template_labels_mismatch",
    "validate_daemon_set",
    "validate_deployment",
    "validate_disruption_budget",
    "validate_hpa",
    "validate_replica_set",
    "validate_selector_update",
    "validate_stateful_set",
    "validate_stateful_set_update",
]

_STS_MUTABLE: Final = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_STS_FORBIDDEN: Final = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)
_METRIC_TYPES: Final = ("ContainerResource", "External", "Object", "Pods", "Resource")


# ----- shared pieces -----------------------------------------------------------------------------


def int_or_percent(value: Any, path: str) -> list[Cause]:
    """ValidatePositiveIntOrPercent."""
    if value is None:
        return []
    if isinstance(value, str):
        return [invalid(path, go_int_or_string(value), message) for message in is_percent(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return nonnegative(value, path)
    return [invalid(path, go_value(value), "must be an integer or percentage (e.g '5%%')")]


def _percent(value: Any) -> int | None:
    """The number of a valid percent string ("25%" is 25), None for anything else."""
    if isinstance(value, str) and not is_percent(value):
        return int(value[:-1])
    return None


def _amount(value: Any) -> int:
    """getIntOrPercentValue: a percent's number, an int as is, a numeric string parsed, else 0."""
    percent = _percent(value)
    if percent is not None:
        return percent
    if isinstance(value, str):
        return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def not_more_than_100_percent(value: Any, path: str) -> list[Cause]:
    percent = _percent(value)
    if percent is None or percent <= 100:
        return []
    return [invalid(path, go_int_or_string(value), "must not be greater than 100%")]


def selector_causes(selector: Any, path: str, kind: str) -> list[Cause]:
    """A required, well-formed, non-empty selector (the Deployment/ReplicaSet/StatefulSet rule)."""
    if selector is None:
        return [required(path)]
    causes = validate_label_selector(selector, path)
    body = as_dict(selector)
    if not as_dict(body.get("matchLabels")) and not body.get("matchExpressions"):
        causes.append(invalid(path, go_label_selector(selector), f"empty selector is invalid for {kind}"))
    return causes


def _selects_everything(selector: Any) -> bool:
    body = as_dict(selector)
    return isinstance(selector, dict) and not body.get("matchLabels") and not body.get("matchExpressions")


def template_labels_mismatch(selector: Any, template: dict[str, Any], path: str) -> list[Cause]:
    labels = as_dict(template.get("metadata")).get("labels")
    if selector_matches(selector, labels):
        return []
    return [invalid(path, GoRepr(go_string_map(labels)), "`selector` does not match template `labels`")]


def _template_for_replicas(spec: dict[str, Any], kind: str) -> list[Cause]:
    """ValidatePodTemplateSpecForReplicaSet, under `spec.template`."""
    selector, template = spec.get("selector"), as_dict(spec.get("template"))
    if not selector_is_valid(selector):
        return [invalid("spec.selector", go_label_selector(selector), "invalid label selector")]
    causes: list[Cause] = []
    if not _selects_everything(selector):
        causes += template_labels_mismatch(selector, template, "spec.template.metadata.labels")
    causes += validate_pod_template(template, "spec.template")
    return causes + _restart_always(template, kind)


def _restart_always(template: dict[str, Any], kind: str) -> list[Cause]:
    pod_spec = as_dict(template.get("spec"))
    causes: list[Cause] = []
    if pod_spec.get("restartPolicy") != "Always":
        path = "spec.template.spec.restartPolicy"
        causes.append(not_supported(path, pod_spec.get("restartPolicy") or "", ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        path = "spec.template.spec.activeDeadlineSeconds"
        causes.append(forbidden(path, f"activeDeadlineSeconds in {kind} is not Supported"))
    return causes


# ----- Deployment and ReplicaSet -----------------------------------------------------------------


def validate_deployment(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = nonnegative(spec.get("replicas"), "spec.replicas")
    causes += selector_causes(spec.get("selector"), "spec.selector", "deployment")
    causes += _template_for_replicas(spec, "ReplicaSet")
    causes += _deployment_strategy(as_dict(spec.get("strategy")), "spec.strategy")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int):
        causes += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.get("minReadySeconds") or 0):
            causes.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return causes


def _deployment_strategy(strategy: dict[str, Any], path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is None:
            return []
        return [forbidden(child(path, "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
    if kind == "RollingUpdate":
        if rolling is None:
            return [required(child(path, "rollingUpdate"), "this should be defaulted and never be nil")]
        return _rolling_update(as_dict(rolling), child(path, "rollingUpdate"))
    pointer = "(*apps.RollingUpdateDeployment)(nil)" if rolling is None else "&apps.RollingUpdateDeployment{...}"
    shown = GoRepr(f"apps.DeploymentStrategy{{Type:{go_value(kind or '')}, RollingUpdate:{pointer}}}")
    return [not_supported(path, shown, ("Recreate", "RollingUpdate"))]


def _rolling_update(rolling: dict[str, Any], path: str) -> list[Cause]:
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    unavailable_path = child(path, "maxUnavailable")
    causes = int_or_percent(unavailable, unavailable_path) + int_or_percent(surge, child(path, "maxSurge"))
    if _amount(unavailable) == 0 and _amount(surge) == 0:
        causes.append(invalid(unavailable_path, go_int_or_string(unavailable), "may not be 0 when `maxSurge` is 0"))
    return causes + not_more_than_100_percent(unavailable, unavailable_path)


def validate_replica_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = nonnegative(spec.get("replicas"), "spec.replicas")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += selector_causes(spec.get("selector"), "spec.selector", "deployment")  # sic: upstream's wording
    return causes + _template_for_replicas(spec, "ReplicaSet")


def validate_selector_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """apps/v1 selectors never change (ValidateImmutableField)."""
    selector, old_selector = as_dict(obj.get("spec")).get("selector"), as_dict(old.get("spec")).get("selector")
    if semantically_equal(selector, old_selector):
        return []
    return [invalid("spec.selector", go_label_selector(selector), "field is immutable")]


# ----- StatefulSet -------------------------------------------------------------------------------


def validate_stateful_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        causes.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        causes.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    causes += _stateful_update_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy")
    retention = as_dict(spec.get("persistentVolumeClaimRetentionPolicy"))
    for field in ("whenDeleted", "whenScaled") if spec.get("persistentVolumeClaimRetentionPolicy") is not None else ():
        if retention.get(field) not in ("Retain", "Delete"):
            path = child("spec.persistentVolumeClaimRetentionPolicy", field)
            causes.append(not_supported(path, retention.get(field) or "", ("Retain", "Delete")))
    causes += nonnegative(spec.get("replicas"), "spec.replicas")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(as_dict(spec.get("ordinals")).get("start"), "spec.ordinals.start")
    causes += selector_causes(spec.get("selector"), "spec.selector", "statefulset")
    selector, template = spec.get("selector"), as_dict(spec.get("template"))
    if not selector_is_valid(selector):
        causes.append(invalid("spec.selector", go_label_selector(selector), ""))
    else:
        if not _selects_everything(selector):
            causes += template_labels_mismatch(selector, template, "spec.template.metadata.labels")
        # Upstream checks only the template's metadata here; pods are validated when created.
        meta = as_dict(template.get("metadata"))
        causes += validate_labels(meta.get("labels"), "spec.template.labels")
        causes += validate_annotations(meta.get("annotations"), "spec.template.annotations")
    return causes + _restart_always(template, "StatefulSet")


def _stateful_update_strategy(strategy: dict[str, Any], path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    rolling_path = child(path, "rollingUpdate")
    if not kind:
        return [required(path)]
    if kind == "OnDelete":
        if rolling is None:
            return []
        shown = go_struct("apps.RollingUpdateStatefulSetStrategy")
        return [invalid(rolling_path, shown, "only allowed for updateStrategy 'RollingUpdate'")]
    if kind != "RollingUpdate":
        return [invalid(path, go_struct("apps.StatefulSetUpdateStrategy"), "must be 'RollingUpdate' or 'OnDelete'")]
    rolling = as_dict(rolling)
    causes = nonnegative(rolling.get("partition"), child(rolling_path, "partition"))
    unavailable = rolling.get("maxUnavailable")
    if unavailable is not None:
        unavailable_path = child(rolling_path, "maxUnavailable")
        causes += int_or_percent(unavailable, unavailable_path)
        if _amount(unavailable) == 0:
            causes.append(invalid(unavailable_path, go_int_or_string(unavailable), "cannot be 0"))
        causes += not_more_than_100_percent(unavailable, unavailable_path)
    return causes


def validate_stateful_set_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    spec, old_spec = copy.deepcopy(as_dict(obj.get("spec"))), as_dict(old.get("spec"))
    for field in _STS_MUTABLE:
        spec[field] = old_spec.get(field)
    return [] if semantically_equal(spec, old_spec) else [forbidden("spec", _STS_FORBIDDEN)]


# ----- DaemonSet ---------------------------------------------------------------------------------


def validate_daemon_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    selector, template = spec.get("selector"), as_dict(spec.get("template"))
    causes = validate_label_selector(selector, "spec.selector")
    if selector_is_valid(selector):
        causes += template_labels_mismatch(selector, template, "spec.template.metadata.labels")
    if isinstance(selector, dict) and _selects_everything(selector):
        causes.append(invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for daemonset"))
    causes += validate_pod_template(template, "spec.template")
    causes += _restart_always(template, "DaemonSet")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(spec.get("templateGeneration"), "spec.templateGeneration")
    causes += _daemon_update_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy")
    return causes + nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")


def _daemon_update_strategy(strategy: dict[str, Any], path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        pointer = "(*apps.RollingUpdateDaemonSet)(nil)" if rolling is None else "&apps.RollingUpdateDaemonSet{...}"
        shown = GoRepr(f"apps.DaemonSetUpdateStrategy{{Type:{go_value(kind or '')}, RollingUpdate:{pointer}}}")
        return [not_supported(path, shown, ("RollingUpdate", "OnDelete"))]
    if rolling is None:
        return [required(child(path, "rollingUpdate"))]
    rolling_path = child(path, "rollingUpdate")
    unavailable, surge = as_dict(rolling).get("maxUnavailable"), as_dict(rolling).get("maxSurge")
    unavailable_path, surge_path = child(rolling_path, "maxUnavailable"), child(rolling_path, "maxSurge")
    causes = int_or_percent(unavailable, unavailable_path) + int_or_percent(surge, surge_path)
    causes += not_more_than_100_percent(unavailable, unavailable_path)
    causes += not_more_than_100_percent(surge, surge_path)
    has_unavailable, has_surge = _amount(unavailable) != 0, _amount(surge) != 0
    if has_unavailable and has_surge:
        causes.append(invalid(surge_path, go_int_or_string(surge), "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        causes.append(required(unavailable_path, "cannot be 0 when maxSurge is 0"))
    return causes


# ----- HorizontalPodAutoscaler and PodDisruptionBudget -------------------------------------------


def validate_hpa(obj: dict[str, Any], *, version: str) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    maximum = maximum if isinstance(maximum, int) else 0
    causes: list[Cause] = []
    if isinstance(minimum, int) and minimum < 1:
        causes.append(invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if maximum < 1:
        causes.append(invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    if isinstance(minimum, int) and maximum < minimum:
        causes.append(invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    reference, reference_path = as_dict(spec.get("scaleTargetRef")), "spec.scaleTargetRef"
    reference_causes = [required(child(reference_path, f)) for f in ("kind", "name") if not reference.get(f)]
    if reference_causes:
        return causes + reference_causes
    if version == "v1":
        target = spec.get("targetCPUUtilizationPercentage")
        if isinstance(target, int) and target < 1:
            # Upstream validates the internal (v2-shaped) object, so the path is the metric's.
            path = "spec.metrics[0].resource.target.averageUtilization"
            causes.append(invalid(path, target, "must be greater than 0"))
        return causes
    for position, metric in enumerate(as_dicts(spec.get("metrics"))):
        causes += _validate_metric(metric, index("spec.metrics", position))
    return causes


def _validate_metric(metric: dict[str, Any], path: str) -> list[Cause]:
    kind = metric.get("type")
    if not kind:
        return [required(child(path, "type"), "must specify a metric source type")]
    if kind not in _METRIC_TYPES:
        return [not_supported(child(path, "type"), kind, _METRIC_TYPES)]
    if kind != "Resource":
        return []
    if metric.get("resource") is None:
        return [required(child(path, "resource"), "must populate information for the given metric source")]
    source, source_path = as_dict(metric["resource"]), child(path, "resource")
    target, target_path = as_dict(source.get("target")), child(source_path, "target")
    causes = [] if source.get("name") else [required(child(source_path, "name"), "must specify a resource name")]
    if not target.get("type"):
        causes.append(required(child(target_path, "type"), "must specify a metric target type"))
    if target.get("type") not in ("Utilization", "Value", "AverageValue"):
        causes.append(
            invalid(
                child(target_path, "type"),
                target.get("type") or "",
                "must be either Utilization, Value, or AverageValue",
            )
        )
    for field in ("value", "averageValue"):
        if target.get(field) is not None:
            quantity, problems = validate_quantity(target[field], child(target_path, field))
            causes += problems
            if quantity is not None and quantity.value <= 0:
                causes.append(invalid(child(target_path, field), str(quantity), "must be positive"))
    utilization = target.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        causes.append(invalid(child(target_path, "averageUtilization"), utilization, "must be greater than 0"))
    if utilization is None and target.get("averageValue") is None:
        detail = "must set either a target raw value or a target utilization"
        causes.append(required(child(target_path, "averageUtilization"), detail))
    elif utilization is not None and target.get("averageValue") is not None:
        detail = "may not set both a target raw value and a target utilization"
        causes.append(forbidden(child(target_path, "averageValue"), detail))
    return causes


def validate_disruption_budget(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        shown = go_struct("policy.PodDisruptionBudgetSpec")
        causes.append(invalid("spec", shown, "minAvailable and maxUnavailable cannot be both set"))
    for field in ("minAvailable", "maxUnavailable"):
        causes += int_or_percent(spec.get(field), child("spec", field))
        causes += not_more_than_100_percent(spec.get(field), child("spec", field))
    causes += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("AlwaysAllow", "IfHealthyBudget"):
        causes.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, ("AlwaysAllow", "IfHealthyBudget")))
    return causes
