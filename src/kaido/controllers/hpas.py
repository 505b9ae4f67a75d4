"""What the scaler decides about one policy HPA, before anything is written.

`plan_hpa` compares a policy `HPASpec` with the live HorizontalPodAutoscalers of its namespace and
says what to do: create it (missing), correct it (drift in a field kaido owns), nothing (in sync),
or nothing and report a conflict — an HPA of that name, or another HPA on the same workload, that
kaido did not create (it lacks `app.kubernetes.io/managed-by: kaido`). kaido never deletes an HPA:
one it created that is no longer in the policy is reported as orphaned and left in place.
`hpa_scaling` finds any HPA on a workload, which rules out scaling that workload directly.

`ScalerDecision` is what the scaler keeps for `decisions()` (the API) and announces on the
timeline, for HPA management, predictive scaling and direct scaling alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from kaido.analysis.hpa.objects import hpa_from_object
from kaido.analysis.hpa.spec import Behavior
from kaido.analysis.hpa_spec import Difference, desired_hpa_spec, hpa_differences, scale_target_of
from kaido.config.scaling import HPABehavior, HPASpec
from kaido.core.refs import ObjectRef
from kaido.kube.resources import resource_for
from kaido.remediate.executor import MANAGED_BY

__all__ = [
    "HPAPlan",
    "ScalerDecision",
    "behavior_rules",
    "desired_spec",
    "hpa_ref",
    "hpa_scaling",
    "is_managed",
    "newsworthy",
    "orphaned_hpas",
    "plan_hpa",
    "plan_summary",
]

HPA_KIND = "HorizontalPodAutoscaler"
PlanKind = Literal["create", "correct", "in-sync", "conflict"]


@dataclass(frozen=True, kw_only=True)
class ScalerDecision:
    """One decision of the scaler, with its explanation and, when an action ran, its audit record."""

    kind: Literal["hpa", "predictive", "direct"]
    at: datetime
    target: str  # the HPA (the Deployment for direct scaling), as str(ObjectRef)
    workload: str  # the scaled workload, as str(ObjectRef)
    outcome: str  # created, corrected, drift, in-sync, conflict, orphaned, raised, lowered, scaled up, held, ...
    mode: str  # the capability's mode when it was decided
    explanation: str
    action: Mapping[str, Any] | None = None  # ActionRecord.to_json() of the action taken or tried

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["action"] = dict(self.action) if self.action is not None else None
        return data


@dataclass(frozen=True, slots=True)
class HPAPlan:
    """What to do about one policy HPA; `spec` is the desired autoscaling/v2 spec."""

    kind: PlanKind
    spec: dict[str, Any]
    differences: tuple[Difference, ...] = ()
    conflict: str = ""  # why kaido keeps its hands off, when kind == "conflict"

    @property
    def spec_hash(self) -> str:
        text = json.dumps(self.spec, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def hpa_ref(spec: HPASpec, live: Mapping[str, Any] | None = None) -> ObjectRef:
    """The HPA a policy entry names; with the live object's uid when there is one."""
    uid = ((live or {}).get("metadata") or {}).get("uid")
    return ObjectRef(kind=HPA_KIND, name=spec.hpa_name, namespace=spec.namespace, uid=uid)


def is_managed(hpa: Mapping[str, Any]) -> bool:
    """Whether kaido created (or was allowed to take over) this HPA."""
    return ((hpa.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == "kaido"


def desired_spec(spec: HPASpec, *, min_replicas: int) -> dict[str, Any]:
    """The autoscaling/v2 spec for a policy entry, with `min_replicas` (the policy's, or a predictive raise)."""
    target = spec.ref
    return desired_hpa_spec(
        target_api_version=resource_for(target.kind).api_version,
        target_kind=target.kind,
        target_name=target.name,
        min_replicas=min_replicas,
        max_replicas=spec.max_replicas,
        cpu_utilization=spec.cpu_utilization,
        memory_utilization=spec.memory_utilization,
        behavior=spec.behavior,
    )


def plan_hpa(spec: HPASpec, hpas: Iterable[Mapping[str, Any]], *, min_replicas: int) -> HPAPlan:
    """Decide about one policy HPA given the live HPAs of its namespace (a pure function)."""
    desired = desired_spec(spec, min_replicas=min_replicas)
    target = spec.ref
    live: Mapping[str, Any] | None = None
    for hpa in hpas:
        meta = hpa.get("metadata") or {}
        if meta.get("namespace") != spec.namespace:
            continue
        if meta.get("name") == spec.hpa_name:
            live = hpa
        elif scale_target_of(hpa) == (target.kind, target.name):
            owner = "kaido" if is_managed(hpa) else "someone else"
            return HPAPlan(
                "conflict",
                desired,
                conflict=(
                    f"{target.kind.lower()} {target.key} is already scaled by HPA {meta.get('name')} "
                    f"(managed by {owner}); two HPAs on one workload fight each other, so kaido adds none. "
                    f"Delete that HPA or name it in the policy"
                ),
            )
    if live is None:
        return HPAPlan("create", desired)
    if not is_managed(live) and not spec.adopt:
        return HPAPlan(
            "conflict",
            desired,
            conflict=(
                f"HPA {spec.namespace}/{spec.hpa_name} exists but kaido did not create it (no label "
                f"{MANAGED_BY}=kaido), so kaido leaves it alone; to let kaido manage it, set adopt: true "
                f"in the policy, add that label, or delete it and kaido creates its own"
            ),
        )
    differences = tuple(hpa_differences(desired, live))
    adopting = not is_managed(live)  # spec.adopt: the patch also puts kaido's label on it
    return HPAPlan("correct" if differences or adopting else "in-sync", desired, differences)


def orphaned_hpas(specs: Iterable[HPASpec], hpas: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """HPAs kaido created that no policy entry names any more (kaido leaves them; never deletes)."""
    named = {(s.namespace, s.hpa_name) for s in specs}
    found = []
    for hpa in hpas:
        meta = hpa.get("metadata") or {}
        if is_managed(hpa) and (meta.get("namespace"), meta.get("name")) not in named:
            found.append(hpa)
    return found


def hpa_scaling(workload: ObjectRef, hpas: Iterable[Mapping[str, Any]]) -> str | None:
    """The name of an HPA (anyone's) that scales `workload`, if any: kaido must not scale it directly."""
    for hpa in hpas:
        meta = hpa.get("metadata") or {}
        if meta.get("namespace") == workload.namespace and scale_target_of(hpa) == (workload.kind, workload.name):
            return str(meta.get("name"))
    return None


def behavior_rules(behavior: HPABehavior | None) -> Behavior | None:
    """The policy's autoscaling/v2 behavior as the HPA math reads it (the same translation as a live HPA's)."""
    if behavior is None:
        return None
    spec, _ = hpa_from_object({"spec": {"maxReplicas": 1, "behavior": dict(behavior)}})
    return spec.behavior


def newsworthy(decision: ScalerDecision, before: ScalerDecision | None) -> bool:
    """Say it on the timeline when something happened or the situation changed, not on every pass."""
    if decision.outcome in ("in-sync", "held", "repeat"):
        return before is not None and before.outcome not in ("in-sync", "held", "repeat")
    if before is None or before.outcome != decision.outcome:
        return True
    # Same outcome again: only an action taken this time, or a new reason to fall back, is news.
    return decision.action is not None or (
        decision.outcome == "conflict" and before.explanation != decision.explanation
    )


def plan_summary(plan: HPAPlan) -> str:
    """What an HPA plan sets, for explanations: "2-10 replicas, cpu 70%"."""
    spec = plan.spec
    metrics = ", ".join(
        f"{m['resource']['name']} {m['resource']['target']['averageUtilization']}%" for m in spec["metrics"]
    )
    return f"{spec['minReplicas']}-{spec['maxReplicas']} replicas, {metrics}"
