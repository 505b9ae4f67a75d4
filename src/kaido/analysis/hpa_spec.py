"""The HPA kaido wants, and how a live HPA differs from it: pure functions over autoscaling/v2 JSON.

`desired_hpa_spec` builds the `spec` of an autoscaling/v2 HorizontalPodAutoscaler from the numbers
a policy gives (bounds, CPU and memory utilization targets, behavior). `hpa_differences` compares
that spec with a live HPA in the fields kaido owns — scale target, bounds, metrics, behavior — after
applying the API server's defaults to both sides (an unset behavior field reads as its default,
metrics compare as a set), so a defaulted or reordered HPA is not mistaken for drift. Anything
else on the live object (status, labels of other tools, annotations) is not kaido's business.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaido.analysis.hpa.objects import hpa_from_object
from kaido.analysis.hpa.spec import Behavior, MetricSpec, ScalingRules, default_behavior

__all__ = ["Difference", "desired_hpa_spec", "hpa_differences", "scale_target_of"]


@dataclass(frozen=True, slots=True)
class Difference:
    """One field kaido owns whose live value is not the desired one; values are short texts."""

    field: str  # "maxReplicas", "metrics", "behavior.scaleUp", ...
    live: str
    desired: str

    def __str__(self) -> str:
        return f"{self.field} {self.live} (policy says {self.desired})"


def desired_hpa_spec(
    *,
    target_api_version: str,
    target_kind: str,
    target_name: str,
    min_replicas: int,
    max_replicas: int,
    cpu_utilization: int | None,
    memory_utilization: int | None,
    behavior: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The autoscaling/v2 `spec` for these settings; metrics in the order CPU, memory."""
    if cpu_utilization is None and memory_utilization is None:
        raise ValueError(f"HPA for {target_kind} {target_name}: give a CPU or a memory utilization target")
    metrics = [
        {
            "type": "Resource",
            "resource": {"name": name, "target": {"type": "Utilization", "averageUtilization": value}},
        }
        for name, value in (("cpu", cpu_utilization), ("memory", memory_utilization))
        if value is not None
    ]
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": target_api_version, "kind": target_kind, "name": target_name},
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
        "metrics": metrics,
    }
    if behavior is not None:
        spec["behavior"] = json.loads(json.dumps(behavior))  # a plain deep copy, TypedDicts included
    return spec


def scale_target_of(hpa: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, name) of the workload an HPA object scales; empty strings when unset."""
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return str(ref.get("kind") or ""), str(ref.get("name") or "")


def hpa_differences(desired: Mapping[str, Any], live: Mapping[str, Any]) -> list[Difference]:
    """The owned fields in which the live HPA object differs from the `desired` spec, in a fixed order."""
    want_bounds, want_metrics = hpa_from_object({"spec": desired})
    have_bounds, have_metrics = hpa_from_object(live)
    found: list[Difference] = []
    want_target, have_target = scale_target_of({"spec": desired}), scale_target_of(live)
    if want_target != have_target:
        found.append(Difference("scaleTargetRef", "/".join(have_target) or "unset", "/".join(want_target)))
    want_min, have_min = want_bounds.effective_min_replicas, have_bounds.effective_min_replicas
    if want_min != have_min:
        found.append(Difference("minReplicas", str(have_min), str(want_min)))
    if want_bounds.max_replicas != have_bounds.max_replicas:
        found.append(Difference("maxReplicas", str(have_bounds.max_replicas), str(want_bounds.max_replicas)))
    if _metric_set(want_metrics) != _metric_set(have_metrics):
        found.append(Difference("metrics", _metrics_text(have_metrics), _metrics_text(want_metrics)))
    found.extend(_behavior_differences(default_behavior(want_bounds.behavior), default_behavior(have_bounds.behavior)))
    return found


def _metric_set(metrics: tuple[MetricSpec, ...]) -> frozenset[MetricSpec]:
    return frozenset(metrics)


def _metrics_text(metrics: tuple[MetricSpec, ...]) -> str:
    parts = []
    for m in sorted(metrics, key=lambda m: (m.type, m.name, m.container or "")):
        unit = "%" if m.target.type == "Utilization" else f" {m.target.type}"
        parts.append(f"{m.name} {m.target.amount}{unit}")
    return "[" + ", ".join(parts) + "]"


def _behavior_differences(want: Behavior | None, have: Behavior | None) -> list[Difference]:
    if want is None and have is None:
        return []
    if want is None or have is None:
        return [Difference("behavior", "unset" if have is None else "set", "unset" if want is None else "set")]
    found = []
    for name, w, h in (("scaleUp", want.scale_up, have.scale_up), ("scaleDown", want.scale_down, have.scale_down)):
        if w != h:
            found.append(Difference(f"behavior.{name}", _rules_text(h), _rules_text(w)))
    return found


def _rules_text(rules: ScalingRules | None) -> str:
    if rules is None:
        return "unset"
    policies = ", ".join(f"{p.value} {p.type} per {p.period_seconds}s" for p in rules.policies or ())
    window = "default" if rules.stabilization_window_seconds is None else f"{rules.stabilization_window_seconds}s"
    return f"{{window {window}, select {rules.select_policy}, policies [{policies}]}}"
