"""The problems of one pod, most specific first, with a fallback that keeps the raw evidence.

Order matters where one trouble hides another. A pod that is not scheduled has no containers to
judge. A pod waiting for its volumes shows nothing but ContainerCreating. For each container, an
image that cannot be pulled or configuration that does not exist stops it before it runs; a liveness
kill explains a restart better than the exit code it left; a crash explains readiness failures. A
pod that is unhealthy past its grace period without any of these gets `unknown`, with its
conditions, container states and Warning Events as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from kaido.analysis.diagnosis.config import config_error_problem, mount_config_problem
from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.crash import crash_problem
from kaido.analysis.diagnosis.evidence import describe_event
from kaido.analysis.diagnosis.images import image_problem
from kaido.analysis.diagnosis.model import UNKNOWN, Problem
from kaido.analysis.diagnosis.probes import liveness_problem, readiness_problem
from kaido.analysis.diagnosis.scheduling import scheduling_problem
from kaido.analysis.diagnosis.storage import mount_problem
from kaido.analysis.findings import describe_duration
from kaido.analysis.status import ContainerStatus, condition, container_statuses, describe_condition, is_pod_ready

__all__ = ["pod_problems"]

_CONTAINER_CHECKS: Final[tuple[Callable[[PodCase, ContainerStatus], Problem | None], ...]] = (
    image_problem,
    config_error_problem,
    liveness_problem,
    crash_problem,
    readiness_problem,
)
_STARTING: Final = frozenset({"ContainerCreating", "PodInitializing"})


def pod_problems(case: PodCase) -> list[Problem]:
    """What is wrong with the pod, one problem per cause and container; empty for a healthy pod."""
    phase = case.status.get("phase") or "Pending"
    if phase == "Succeeded" or (case.pod.get("metadata") or {}).get("deletionTimestamp"):
        return []
    unscheduled = scheduling_problem(case)
    if unscheduled is not None:
        return [unscheduled]
    if phase == "Pending" and _waiting_for_volumes(case):
        mounting = mount_config_problem(case) or mount_problem(case)
        if mounting is not None:
            return [mounting]
    problems = []
    for status in container_statuses(case.pod):
        found = next((p for check in _CONTAINER_CHECKS if (p := check(case, status)) is not None), None)
        if found is not None:
            problems.append(found)
    return problems or _unexplained(case, phase)


def _waiting_for_volumes(case: PodCase) -> bool:
    """Scheduled, and no container has started: the kubelet is still setting the pod up."""
    if not case.spec.get("nodeName"):
        return False
    for status in container_statuses(case.pod):
        kind, details = status.state()
        if kind != "waiting" or details.get("reason") not in _STARTING:
            return False
    return True


def _unexplained(case: PodCase, phase: str) -> list[Problem]:
    ctx = case.ctx
    if phase == "Failed":
        reason = case.status.get("reason") or "no reason"
        summary = f"the pod failed: {reason}: {case.status.get('message') or 'no message'}"
    elif phase == "Pending":
        age = ctx.seconds_since((case.pod.get("metadata") or {}).get("creationTimestamp"))
        if age is None or age < ctx.settings.pending_grace:
            return []
        waiting = sorted({f"{s.label} {s.state()[1].get('reason') or 'waiting'}" for s in container_statuses(case.pod)})
        summary = f"the pod has been Pending for {describe_duration(age)}"
        summary += f" ({', '.join(waiting)})" if waiting else ""
    elif not is_pod_ready(case.pod):
        ready = condition(case.pod, "Ready") or {}
        age = ctx.seconds_since(ready.get("lastTransitionTime") or case.status.get("startTime"))
        if age is None or age < ctx.settings.not_ready_grace:
            return []
        summary = f"the pod has not been Ready for {describe_duration(age)}"
        summary += f": {ready['message']}" if ready.get("message") else ""
    else:
        return []
    conditions = [describe_condition(c) for kind in ("PodScheduled", "Ready") if (c := condition(case.pod, kind))]
    warnings = [describe_event(e) for e in ctx.pod_events(case.pod) if e.get("type") == "Warning"][-3:]
    evidence = (*conditions, *(s.describe() for s in container_statuses(case.pod)), *warnings)
    return [
        Problem(
            cause=UNKNOWN,
            severity="warning",
            summary=summary,
            evidence=evidence,
            suggestion=f"no known cause matched; read the evidence and kubectl describe pod {case.name} "
            f"{case.kubectl_ns}",
        )
    ]
