"""The healing ladder: for each cause class, only the fixes that can help, and the action of each rung.

    bad-release                        → rollback to the previous healthy revision
    oom-killed                         → raise the memory limit by a factor, up to a cap (when allowed)
    crash-loop                         → the policy's ladder: restart-pod → rollout-restart → scale-down-up
    image, config, mounts, scheduling,
    quota, probes, HPA metrics, Jobs,
    nodes, unknown                     → nothing: a restart cannot help; alert with the diagnosis and its fix

A rung that does not apply to the workload (a DaemonSet has no replicas to scale, a ReplicaSet no
pod template to restart) is skipped. A pod without a controller gets no action at all: deleting it
would remove it for good, and the kubelet already restarts its containers. Neither does a Job's pod
(a restart spends the Job's backoffLimit, and the command is what fails).

scale-down-up never scales a workload to zero. With two or more replicas it removes the share of
pods the policy lets be unavailable (`healing.maxUnavailableShare`, at least one; the ReplicaSet
removes unready pods first) and then restores the count; with one replica it surges to two and
then goes back to one, so there is always a pod.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Final, Literal

from kaido.analysis.diagnosis import (
    BAD_RELEASE,
    CAUSES,
    CRASH_LOOP,
    DEPLOYMENT_UNAVAILABLE,
    HPA_METRICS_UNAVAILABLE,
    OOM_KILLED,
    UNKNOWN,
    Diagnosis,
)
from kaido.config import HealingSettings
from kaido.core.errors import QuantityError
from kaido.core.quantity import Quantity, parse_quantity
from kaido.core.refs import ObjectRef
from kaido.remediate.actions import Action, PatchResources, RestartPod, Rollback, RolloutRestart, Scale
from kaido.remediate.planning.model import RAISE_MEMORY, RESTART_POD, ROLLBACK, ROLLOUT_RESTART, SCALE_DOWN_UP
from kaido.remediate.planning.views import Body, WorkloadView, worst_pod

__all__ = ["Built", "Plan", "build_action", "plan_for", "primary", "raise_memory", "scale_targets"]

Capability = Literal["healing", "rollback"]
_TEMPLATED: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_APPLIES: Final = {
    RESTART_POD: frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}),
    ROLLOUT_RESTART: _TEMPLATED,
    SCALE_DOWN_UP: frozenset({"Deployment", "StatefulSet", "ReplicaSet"}),
}
_NO_RESTART: Final = "a restart cannot help with this cause"
# Which cause speaks for a workload that has several: a rollback fixes everything a release broke;
# a cause no restart can help comes before the crashes it produces; vague causes come last.
_LAST: Final = (OOM_KILLED, CRASH_LOOP, HPA_METRICS_UNAVAILABLE, DEPLOYMENT_UNAVAILABLE, UNKNOWN)
_PRIORITY: Final = {cause: i for i, cause in enumerate((*(c for c in CAUSES if c not in _LAST), *_LAST))}


def primary(diagnoses: Iterable[Diagnosis]) -> dict[ObjectRef, Diagnosis]:
    """One diagnosis per target: the cause whose fix to try (or whose alert to raise) first."""
    chosen: dict[ObjectRef, Diagnosis] = {}
    for diagnosis in diagnoses:
        current = chosen.get(diagnosis.target)
        if current is None or _PRIORITY[diagnosis.cause] < _PRIORITY[current.cause]:
            chosen[diagnosis.target] = diagnosis
    return chosen


@dataclass(frozen=True, slots=True)
class Plan:
    """The rungs for a cause on a workload, in order, and the capability whose mode governs them."""

    capability: Capability
    rungs: tuple[str, ...]
    why_none: str = ""  # when there are no rungs: why kaido will not act
    recommend_only: str = ""  # when set: why the rungs may be recommended but never applied


def plan_for(cause: str, workload: ObjectRef, settings: HealingSettings) -> Plan:
    """Which fixes can help `cause` on `workload` under the policy, in the order to try them."""
    kind = workload.kind
    if cause == BAD_RELEASE:
        if not settings.rollback_on_bad_release:
            return Plan("rollback", (), "automatic rollback is off (healing.rollbackOnBadRelease: false)")
        if kind != "Deployment":
            return Plan("rollback", (), f"kaido rolls back Deployments only, not a {kind}")
        return Plan("rollback", (ROLLBACK,))
    if cause == OOM_KILLED:
        if kind not in _TEMPLATED:
            return Plan("healing", (), f"a {kind} has no pod template to give more memory; change its spec")
        if not settings.allow_resource_changes:
            reason = "changing resources needs healing.allowResourceChanges: true"
            return Plan("healing", (RAISE_MEMORY,), recommend_only=reason)
        return Plan("healing", (RAISE_MEMORY,))
    if cause != CRASH_LOOP:
        return Plan("healing", (), _NO_RESTART)
    if kind == "Pod":
        return Plan(
            "healing",
            (),
            "the pod has no controller: deleting it would remove it for good, and the kubelet already restarts "
            "its container",
        )
    if kind == "Job":
        return Plan("healing", (), "restarting a Job's pod only spends its backoffLimit; the command itself fails")
    rungs = tuple(rung for rung in settings.ladder if kind in _APPLIES[rung])
    if not rungs:
        return Plan("healing", (), f"no rung of healing.ladder applies to a {kind}")
    return Plan("healing", rungs)


@dataclass(frozen=True, slots=True)
class Built:
    """The action for a rung, or why the rung does not apply now (`action` None)."""

    action: Action | None
    why_not: str = ""


def build_action(
    rung: str, view: WorkloadView, *, epoch: str, settings: HealingSettings, restore: int | None = None
) -> Built:
    """The action of `rung` on the workload as it is now; `restore` asks for the second half of scale-down-up."""
    target = _target(view)
    if not view.known and rung in (RAISE_MEMORY, SCALE_DOWN_UP):
        return Built(None, f"kaido does not watch {view.ref.kind}s, so it cannot read the replicas or the template")
    if rung == ROLLBACK:
        previous = view.diagnosis.previous_revision if view.diagnosis is not None else None
        if previous is None or previous.number is None:
            return Built(None, "the diagnosis names no earlier revision to roll back to")
        return Built(Rollback(target=target, epoch=epoch, revision=previous.number))
    if rung == RAISE_MEMORY:
        return _raise_memory(view, target, epoch, settings)
    if rung == RESTART_POD:
        pod = worst_pod(view)
        if pod is None:
            return Built(None, "no pod of the workload is left to restart (all gone or ignored)")
        meta = pod.get("metadata") or {}
        ref = ObjectRef(kind="Pod", name=str(meta.get("name")), namespace=meta.get("namespace"), uid=meta.get("uid"))
        return Built(RestartPod(target=ref, epoch=epoch, evict=True))
    if rung == ROLLOUT_RESTART:
        return Built(RolloutRestart(target=target, epoch=epoch))
    if rung == SCALE_DOWN_UP:
        if restore is not None:
            return Built(Scale(target=target, epoch=epoch, replicas=restore))
        if view.replicas < 1:
            return Built(None, "the workload is scaled to zero; there is nothing to cycle")
        first, _ = scale_targets(view.replicas, settings.max_unavailable_share)
        return Built(Scale(target=target, epoch=epoch, replicas=first))
    return Built(None, f"unknown rung {rung!r}")


def scale_targets(replicas: int, share: float) -> tuple[int, int]:
    """(first, back): scale to `first`, then back to `replicas`; never to zero."""
    if replicas <= 1:
        return 2, max(replicas, 1)  # surge: a fresh pod starts before the old one goes
    removed = max(1, math.floor(replicas * share))
    return max(1, replicas - removed), replicas


def _target(view: WorkloadView) -> ObjectRef:
    meta = (view.body or {}).get("metadata") or {}
    ref = view.ref
    return ObjectRef(kind=ref.kind, name=ref.name, namespace=ref.namespace, uid=meta.get("uid"))


def _raise_memory(view: WorkloadView, target: ObjectRef, epoch: str, settings: HealingSettings) -> Built:
    """PatchResources raising the first OOM-killed container's memory limit by the factor, up to the cap."""
    containers = ((((view.body or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    wanted = view.diagnosis.containers if view.diagnosis is not None else ()
    cap = settings.memory_cap_quantity
    reasons = []
    for container in containers:
        name = str(container.get("name", ""))
        if wanted and name not in wanted:
            continue
        raised = raise_memory(container, factor=settings.memory_raise_factor, cap=cap)
        if isinstance(raised, str):
            reasons.append(f"container {name}: {raised}")
            continue
        requests, limits = raised
        return Built(PatchResources(target=target, epoch=epoch, container=name, requests=requests, limits=limits))
    return Built(None, "; ".join(reasons) or "the diagnosis names no container of the pod template")


def raise_memory(container: Body, *, factor: float, cap: Quantity) -> tuple[dict[str, str], dict[str, str]] | str:
    """(requests, limits) to set, or why the container's memory cannot be raised.

    The limit grows by `factor` up to `cap`; the request changes only when it would exceed the new
    limit. A container with only a request (the node ran out of memory) gets its request raised.
    """
    resources = container.get("resources") or {}
    limit = _quantity((resources.get("limits") or {}).get("memory"))
    request = _quantity((resources.get("requests") or {}).get("memory"))
    current = limit or request
    if current is None:
        return "it sets no memory request or limit; set both from its usage"
    if current >= cap:
        return f"its memory is {current} already, at or above the cap healing.memoryCap={cap}"
    raised = min(_round_mi(current.scaled(Decimal(str(factor)))), cap)
    if limit is None:
        return {"memory": str(raised)}, {}
    requests = {"memory": str(raised)} if request is not None and request > raised else {}
    return requests, {"memory": str(raised)}


def _quantity(value: object) -> Quantity | None:
    if value is None:
        return None
    try:
        return parse_quantity(value)  # type: ignore[arg-type]  # the parser names bad types itself
    except QuantityError:
        return None


def _round_mi(value: Quantity) -> Quantity:
    """Rounded up to a whole MiB, in binary notation, so the patch reads "768Mi", not "805306368"."""
    mib = Decimal(2**20)
    whole = (value.value / mib).to_integral_value(rounding=ROUND_CEILING)
    return parse_quantity(f"{whole}Mi")
