"""Conversion between the versions that share one storage: autoscaling v1 <-> v2, and the two Event APIs.

Objects are stored in one version per resource (autoscaling/v2 for HPAs, core/v1 for Events) and
converted on the way in and out, as the API server does, so a v1 client and a v2 client see the
same HPA.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from kaido.sim.resources import ResourceType

__all__ = ["from_storage", "to_storage"]

Obj = dict[str, Any]


def to_storage(resource: ResourceType, obj: Obj) -> Obj:
    if resource.group == "autoscaling" and resource.version == "v1":
        return _hpa_v1_to_v2(obj)
    if resource.group == "events.k8s.io":
        return _event_to_core(obj)
    return obj


def from_storage(resource: ResourceType, obj: Obj) -> Obj:
    if resource.group == "autoscaling" and resource.version == "v1":
        return _hpa_v2_to_v1(obj)
    if resource.group == "events.k8s.io":
        return _event_from_core(obj)
    if resource.group == "autoscaling":
        return {**obj, "apiVersion": "autoscaling/v2"}
    if resource.plural == "events":
        return {**obj, "apiVersion": "v1"}
    return obj


def _hpa_v1_to_v2(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.setdefault("spec", {})
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}},
            }
        ]
    status = out.get("status")
    if status is not None:
        current = status.pop("currentCPUUtilizationPercentage", None)
        if current is not None:
            status["currentMetrics"] = [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}
            ]
    return out


def _hpa_v2_to_v1(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v1"
    spec = out.setdefault("spec", {})
    spec.pop("behavior", None)
    for metric in spec.pop("metrics", None) or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu" and target.get("type") == "Utilization":
            spec["targetCPUUtilizationPercentage"] = target.get("averageUtilization")
    status = out.get("status")
    if status is not None:
        status.pop("conditions", None)
        for metric in status.pop("currentMetrics", None) or []:
            resource = metric.get("resource") or {}
            if metric.get("type") == "Resource" and resource.get("name") == "cpu":
                utilization = (resource.get("current") or {}).get("averageUtilization")
                if utilization is not None:
                    status["currentCPUUtilizationPercentage"] = utilization
    return out


# core/v1 field -> events.k8s.io/v1 field
_EVENT_FIELDS: Final = {
    "involvedObject": "regarding",
    "message": "note",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "source": "deprecatedSource",
    "reportingComponent": "reportingController",
}
_SHARED_EVENT_FIELDS: Final = ("metadata", "reason", "type", "eventTime", "action", "related", "series")


def _event_to_core(obj: Obj) -> Obj:
    return _rename_event(obj, {new: core for core, new in _EVENT_FIELDS.items()}, "v1")


def _event_from_core(obj: Obj) -> Obj:
    return _rename_event(obj, _EVENT_FIELDS, "events.k8s.io/v1")


def _rename_event(obj: Obj, renames: dict[str, str], api_version: str) -> Obj:
    out: Obj = {"apiVersion": api_version, "kind": "Event"}
    for source, target in renames.items():
        if source in obj:
            out[target] = copy.deepcopy(obj[source])
    for name in (*_SHARED_EVENT_FIELDS, "reportingInstance"):
        if name in obj:
            out[name] = copy.deepcopy(obj[name])
    return out
