"""Kubernetes JSON to the HPA math's inputs: autoscaling/v2 HPAs, Pods and PodMetrics.

The simulator's HPA controller and the agent's scaler read the same objects, so the translation
lives next to the math it feeds. Quantities become integer milli-units (rounded up, as the API
server's `MilliValue`), timestamps timezone-aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kaido.analysis.hpa.pods import ContainerSpec, ContainerUsage, PodInfo, PodUsage
from kaido.analysis.hpa.spec import (
    Behavior,
    HPASpec,
    MetricSpec,
    MetricTarget,
    PolicyType,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    TargetType,
    default_metrics,
)
from kaido.core.quantity import parse_quantity

__all__ = ["hpa_from_object", "pod_info_from_object", "pod_usage_from_object"]

JSON = Mapping[str, Any]


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _milli(values: JSON | None) -> dict[str, int]:
    return {name: parse_quantity(value).as_milli() for name, value in (values or {}).items()}


def _target(target: JSON) -> MetricTarget:
    kind = TargetType(target.get("type", "Utilization"))
    if kind is TargetType.UTILIZATION:
        return MetricTarget.utilization(int(target.get("averageUtilization", 0)))
    field = "averageValue" if kind is TargetType.AVERAGE_VALUE else "value"
    return MetricTarget(kind, parse_quantity(target.get(field, 0)).as_milli())


def _metric(entry: JSON) -> MetricSpec:
    kind = str(entry.get("type", ""))
    source_key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
                  "Object": "object", "External": "external"}.get(kind, "")  # fmt: skip
    source = entry.get(source_key) or {}
    if kind in ("Resource", "ContainerResource"):
        return MetricSpec(
            kind, str(source.get("name", "")), _target(source.get("target") or {}), source.get("container")
        )
    metric = source.get("metric") or {}
    described = source.get("describedObject") or {}
    described_text = f"{described.get('kind', '')}/{described.get('name', '')}" if described else ""
    return MetricSpec(kind, str(metric.get("name", "")), _target(source.get("target") or {}), None, described_text)


def _rules(rules: JSON | None) -> ScalingRules | None:
    if rules is None:
        return None
    policies = rules.get("policies")
    select = rules.get("selectPolicy")
    tolerance = rules.get("tolerance")
    return ScalingRules(
        stabilization_window_seconds=rules.get("stabilizationWindowSeconds"),
        select_policy=SelectPolicy(select) if select else None,
        policies=None
        if policies is None
        else tuple(ScalingPolicy(PolicyType(p["type"]), int(p["value"]), int(p["periodSeconds"])) for p in policies),
        tolerance=float(parse_quantity(tolerance).value) if tolerance is not None else None,
    )


def hpa_from_object(hpa: JSON) -> tuple[HPASpec, tuple[MetricSpec, ...]]:
    """The bounds, behaviour and metrics (defaulted to CPU 80%) of an autoscaling/v2 HPA object."""
    spec = hpa.get("spec") or {}
    behavior_obj = spec.get("behavior")
    behavior = (
        None
        if behavior_obj is None
        else Behavior(scale_up=_rules(behavior_obj.get("scaleUp")), scale_down=_rules(behavior_obj.get("scaleDown")))
    )
    metrics = tuple(_metric(m) for m in spec.get("metrics") or [])
    return (
        HPASpec(max_replicas=int(spec.get("maxReplicas", 1)), min_replicas=spec.get("minReplicas"), behavior=behavior),
        default_metrics(metrics),
    )


def _containers(entries: list[JSON] | None, *, init: bool) -> tuple[ContainerSpec, ...]:
    return tuple(
        ContainerSpec(
            name=str(c.get("name", "")),
            requests=_milli((c.get("resources") or {}).get("requests")),
            restartable=init and c.get("restartPolicy") == "Always",
        )
        for c in entries or []
    )


def pod_info_from_object(pod: JSON) -> PodInfo:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    return PodInfo(
        name=str(meta.get("name", "")),
        phase=str(status.get("phase", "Pending")),
        ready=ready.get("status") if ready else None,
        ready_transition_time=_time(ready.get("lastTransitionTime")) if ready else None,
        start_time=_time(status.get("startTime")),
        deleting=bool(meta.get("deletionTimestamp")),
        containers=_containers(spec.get("containers"), init=False),
        init_containers=_containers(spec.get("initContainers"), init=True),
        requests=_milli((spec.get("resources") or {}).get("requests")),
        overhead=_milli(spec.get("overhead")),
    )


def pod_usage_from_object(metrics: JSON) -> PodUsage:
    """A metrics.k8s.io PodMetrics item ("window" is a Go duration such as "15s" or "1m0s")."""
    window = str(metrics.get("window", "0s"))
    seconds = 0.0
    for amount, unit in _duration_parts(window):
        seconds += amount * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return PodUsage(
        pod=str((metrics.get("metadata") or {}).get("name", "")),
        timestamp=_time(metrics.get("timestamp")) or datetime.fromtimestamp(0).astimezone(),
        window_seconds=seconds,
        containers=tuple(
            ContainerUsage(str(c.get("name", "")), _milli(c.get("usage"))) for c in metrics.get("containers") or []
        ),
    )


def _duration_parts(text: str) -> list[tuple[float, str]]:
    return [(float(number), unit) for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)]
