"""Guards: what may stop kaido from tracking a workload, or from acting on it right now.

Two kinds. **Admission** decides whether a workload is kaido's business at all: a namespace the
policy denies, `kaido.io/ignore: "true"` on the workload (or on every pod of it), or the mode of
the capability set to `off` mean no incident. **Holds** keep a due action waiting without giving
up: kaido is paused, this agent is not the leader, a storm is on, a rate limit is spent, or the
action would disrupt too much — more than `healing.maxUnavailableShare` of the workload's pods
unavailable at once, or a PodDisruptionBudget with no disruption left. A hold is re-examined on
every pass; only the ladder running out escalates.

PodDisruptionBudgets are checked here only when the caller can read them; either way a pod restart
goes through the Eviction API, so the API server enforces every budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kaido.analysis.status import is_pod_ready
from kaido.config import Mode, Policy
from kaido.remediate.actions import Action, RestartPod
from kaido.remediate.planning.ladder import Plan
from kaido.remediate.planning.views import Body, WorkloadView, ignored, live_pods

__all__ = ["MODE_ORDER", "Gates", "admission", "disruption_hold", "effective_mode", "gate_hold", "selects"]

MODE_ORDER: Final[Mapping[str, int]] = {"off": 0, "observe": 1, "recommend": 2, "enforce": 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Gates:
    """What the world outside the workload says right now; each non-empty text holds every action."""

    excluded: str = ""  # the admission guard's reason, when the workload left kaido's scope mid-incident
    leader: bool = True
    paused: bool = False
    storm: str = ""  # the storm guard's reason while it holds
    rate_limit: str = ""  # the rate limiter's refusal for this workload, if any


def admission(view: WorkloadView, policy: Policy) -> str:
    """Why kaido keeps out of this workload ("" when it is kaido's business)."""
    namespace = view.ref.namespace
    if namespace is not None and not policy.namespaces.admits(namespace):
        return f"namespace {namespace} is excluded by the policy's namespaces.allow/deny"
    if ignored(view.body):
        return f"{view.ref} carries kaido.io/ignore: true"
    pods = live_pods(view.pods)
    if pods and all(ignored(p) for p in pods):
        return f"every pod of {view.ref} carries kaido.io/ignore: true"
    return ""


def effective_mode(plan: Plan, policy: Policy) -> Mode:
    """The mode of the capability the plan uses, lowered to recommend when the plan may only recommend."""
    mode: Mode = policy.modes.rollback if plan.capability == "rollback" else policy.modes.healing
    if plan.recommend_only and MODE_ORDER[mode] > MODE_ORDER["recommend"]:
        return "recommend"
    return mode


def gate_hold(gates: Gates) -> str:
    """Why no action may run now, whatever it is ("" when the gates are open)."""
    if gates.excluded:
        return gates.excluded
    if gates.paused:
        return "kaido is paused (policy: paused: true)"
    if not gates.leader:
        return "this agent is not the leader; the leader acts"
    if gates.storm:
        return gates.storm
    return gates.rate_limit


def disruption_hold(action: Action, view: WorkloadView, *, share: float) -> str:
    """Why restarting this pod now would disrupt too much ("" when it may go ahead).

    Restarting a pod that is not ready costs no availability, so only a ready pod is weighed: the
    pods unavailable after its restart must stay within the share, and every budget selecting it
    must allow a disruption.
    """
    if not isinstance(action, RestartPod):
        return ""
    pods = live_pods(view.pods)
    pod = next((p for p in pods if (p.get("metadata") or {}).get("uid") == action.target.uid), None)
    if pod is None or not is_pod_ready(pod):
        return ""
    total = max(len(pods), view.replicas)
    unavailable = sum(1 for p in pods if not is_pod_ready(p)) + (total - len(pods)) + 1
    allowed = max(1, math.floor(total * share))
    if unavailable > allowed:
        return (
            f"restarting ready pod {action.target.name} would leave {unavailable} of {total} pods unavailable, "
            f"more than healing.maxUnavailableShare={share:g} allows ({allowed})"
        )
    labels = (pod.get("metadata") or {}).get("labels") or {}
    for pdb in view.pdbs:
        if not selects((pdb.get("spec") or {}).get("selector"), labels):
            continue
        if int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) < 1:
            name = (pdb.get("metadata") or {}).get("name")
            return f"PodDisruptionBudget {name} allows no disruption now"
    return ""


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects `labels`; an empty one selects all."""
    if selector is None:
        return False  # a budget without a selector selects nothing (policy/v1)
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression(expr, labels) for expr in selector.get("matchExpressions") or [])


def _expression(expr: Body, labels: Mapping[str, str]) -> bool:
    key, operator, values = str(expr.get("key", "")), expr.get("operator"), expr.get("values") or []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False
