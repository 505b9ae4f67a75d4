"""Causes seen on workload objects rather than pods: quotas, Deployments, HPAs and Jobs.

- `quota-exceeded`: a ReplicaSet (StatefulSet, DaemonSet, Job) that is short of pods and whose
  pod creations were refused with "exceeded quota: pod-limit, requested: pods=1, used: pods=2,
  limited: pods=2"; the numbers come from that message and the quota's status.
- `deployment-unavailable`: a Deployment with fewer available replicas than desired past the
  grace period (or past its progress deadline) for which no pod-level cause was found.
- `hpa-metrics-unavailable`: an HPA that reports ScalingActive=False or AbleToScale=False because it
  cannot get its metrics or its target's scale.
- `job-failed`: a Job with the Failed condition, explained by its last failed pod when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from kaido.analysis.diagnosis.context import Context, PodCase
from kaido.analysis.diagnosis.crash import crash_problem
from kaido.analysis.diagnosis.evidence import clip, describe_event, message_of, plural
from kaido.analysis.diagnosis.model import (
    DEPLOYMENT_UNAVAILABLE,
    HPA_METRICS_UNAVAILABLE,
    JOB_FAILED,
    QUOTA_EXCEEDED,
    Problem,
)
from kaido.analysis.diagnosis.snapshot import Body
from kaido.analysis.findings import describe_duration
from kaido.analysis.status import condition, container_statuses, describe_condition, parse_time
from kaido.core.refs import ObjectRef

__all__ = ["deployment_problem", "hpa_problem", "job_problem", "quota_problem"]

_QUOTA: Final = re.compile(r"exceeded quota: ([^,]+), requested: (.*?), used: (.*?), limited: (.*?)(?:$|\s*$)")
_QUIET_HPA: Final = frozenset({"ScalingDisabled", "SucceededGetScale", "ValidMetricFound", "ReadyForNewScale"})


def _ref(kind: str, obj: Body) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(kind=kind, name=str(meta.get("name", "")), namespace=meta.get("namespace"))


# ----- quota ------------------------------------------------------------------------------------------


def _shortfall(kind: str, obj: Body) -> tuple[int, int] | None:
    """(pods that exist, pods wanted) when the controller has fewer than it wants; None otherwise."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind in ("ReplicaSet", "StatefulSet"):
        have, want = int(status.get("replicas") or 0), int(spec.get("replicas", 1))
    elif kind == "DaemonSet":
        have, want = int(status.get("currentNumberScheduled") or 0), int(status.get("desiredNumberScheduled") or 0)
    else:  # Job: wanted while it is neither complete nor failed
        if any((condition(obj, c) or {}).get("status") == "True" for c in ("Complete", "Failed")):
            return None
        have, want = int(status.get("active") or 0), int(spec.get("parallelism", 1))
    return (have, want) if have < want else None


def quota_problem(ctx: Context, kind: str, obj: Body) -> Problem | None:
    """quota-exceeded for a pod-creating controller that is short of pods because of a ResourceQuota."""
    refused = [
        e for e in ctx.events(obj, kind) if e.get("reason") == "FailedCreate" and "exceeded quota" in message_of(e)
    ]
    shortfall = _shortfall(kind, obj)
    if not refused or shortfall is None:
        return None
    last = refused[-1]
    name, namespace = _ref(kind, obj).name, _ref(kind, obj).namespace
    found = _QUOTA.search(message_of(last))
    have, want = shortfall
    if found is None:
        summary = f"{kind} {name} cannot create pods: {clip(message_of(last), 200)}"
        quota = ""
    else:
        quota = found.group(1).strip()
        summary = (
            f"{kind} {name} cannot create pods: exceeded quota {quota} (requested {found.group(2)}, "
            f"used {found.group(3)}, limited {found.group(4).strip()}); {have} of {want} pods exist"
        )
    evidence = [describe_event(last), *_quota_lines(ctx, namespace, quota)]
    related = [_ref(kind, obj)]
    if quota:
        related.append(ObjectRef(kind="ResourceQuota", name=quota, namespace=namespace))
    fix = (
        f"raise spec.hard of ResourceQuota {quota} (kubectl edit resourcequota {quota} -n {namespace}), "
        "free quota by removing what uses it, or lower the replicas"
        if quota
        else "kubectl describe " + f"{kind.lower()} {name} -n {namespace}: fix what refuses the pods"
    )
    return Problem(
        cause=QUOTA_EXCEEDED,
        severity="warning",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=fix,
        related=tuple(related),
    )


def _quota_lines(ctx: Context, namespace: str | None, name: str) -> list[str]:
    for quota in ctx.snapshot.resourcequotas:
        meta = quota.get("metadata") or {}
        if meta.get("namespace") == namespace and meta.get("name") == name:
            status = quota.get("status") or {}
            hard, used = status.get("hard") or (quota.get("spec") or {}).get("hard") or {}, status.get("used") or {}
            usage = ", ".join(f"{key} {used.get(key, '?')} of {value}" for key, value in sorted(hard.items()))
            return [f"ResourceQuota {name} uses {usage}"]
    return []


# ----- Deployments --------------------------------------------------------------------------------------


def deployment_problem(ctx: Context, deployment: Body) -> Problem | None:
    """deployment-unavailable when fewer replicas are available than desired, past grace or the deadline."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    desired = int(spec.get("replicas", 1))
    available = int(status.get("availableReplicas") or 0)
    if desired == 0 or available >= desired or spec.get("paused"):
        return None
    progressing, ready = condition(deployment, "Progressing"), condition(deployment, "Available")
    stalled = progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded"
    if ready is not None and ready.get("status") == "True" and not stalled:
        return None  # within its maxUnavailable budget: a scale-up or rollout in progress, not an outage
    since = (ready or {}).get("lastTransitionTime") if (ready or {}).get("status") == "False" else None
    age = ctx.seconds_since(since or (deployment.get("metadata") or {}).get("creationTimestamp"))
    if not stalled and (age is None or age < ctx.settings.not_ready_grace):
        return None
    summary = f"{available} of {desired} replicas available"
    summary += f" for {describe_duration(age)}" if age is not None else ""
    summary += "; the rollout exceeded its progress deadline" if stalled else ""
    summary += "; no pod shows a known cause"
    evidence = [describe_condition(c) for c in (ready, progressing) if c is not None]
    evidence += [describe_event(e) for e in ctx.events(deployment, "Deployment") if e.get("type") == "Warning"][-2:]
    name, namespace = _ref("Deployment", deployment).name, _ref("Deployment", deployment).namespace
    return Problem(
        cause=DEPLOYMENT_UNAVAILABLE,
        severity="warning",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=f"kubectl describe deployment {name} -n {namespace} and its pods; "
        f"kubectl rollout undo deployment/{name} -n {namespace} if a recent change caused it",
    )


# ----- HPAs -------------------------------------------------------------------------------------------------


HPA_GRACE: Final = 120.0  # seconds an HPA may report no metrics before it counts (first scrapes, sync period)


def hpa_problem(ctx: Context, hpa: Body) -> tuple[ObjectRef, Problem] | None:
    """(the HPA's scale target, hpa-metrics-unavailable) when it cannot get metrics or the target's scale."""
    failed = next(
        (
            c
            for kind in ("ScalingActive", "AbleToScale")
            if (c := condition(hpa, kind)) is not None
            and c.get("status") == "False"
            and c.get("reason") not in _QUIET_HPA
        ),
        None,
    )
    if failed is None:
        return None
    since = parse_time(failed.get("lastTransitionTime"))
    if since is not None and (ctx.now - since).total_seconds() < HPA_GRACE:
        return None  # a new HPA waits for metrics-server's first scrape; that is not a problem yet
    name, namespace = _ref("HorizontalPodAutoscaler", hpa).name, _ref("HorizontalPodAutoscaler", hpa).namespace
    target_ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    target = ObjectRef(kind=str(target_ref.get("kind") or "Deployment"), name=str(target_ref.get("name") or name),
                       namespace=namespace)  # fmt: skip
    message = str(failed.get("message") or "")
    summary = (
        f"HorizontalPodAutoscaler {name} cannot scale it: {failed.get('type')}=False ({failed.get('reason')}): "
        f"{clip(message, 200)}"
    )
    warnings = [e for e in ctx.events(hpa, "HorizontalPodAutoscaler") if e.get("type") == "Warning"]
    problem = Problem(
        cause=HPA_METRICS_UNAVAILABLE,
        severity="warning",
        summary=summary,
        evidence=(describe_condition(failed), *(describe_event(e) for e in warnings[-2:])),
        suggestion=_hpa_fix(message, target),
        related=(ObjectRef(kind="HorizontalPodAutoscaler", name=name, namespace=namespace),),
    )
    return target, problem


def _hpa_fix(message: str, target: ObjectRef) -> str:
    lowered = message.lower()
    workload = f"{target.kind.lower()}/{target.name}"
    missing = re.search(r"missing request for (\S+)(?: in container (\S+))?", message)
    if missing is not None:
        container = f" of container {missing.group(2)}" if missing.group(2) else ""
        return f"set resources.requests.{missing.group(1)}{container} in {workload}: utilization is a share of it"
    if "metrics.k8s.io" in lowered or "resource metrics api" in lowered or "no metrics returned" in lowered:
        return "install metrics-server, or check it: kubectl get apiservice v1beta1.metrics.k8s.io"
    if "pods might be unready" in lowered or "unable to calculate ready pods" in lowered:
        return f"the target's pods are not ready: kaido diagnose {workload} -n {target.namespace}"
    if "not found" in lowered:
        return f"fix spec.scaleTargetRef: {workload} was not found in namespace {target.namespace}"
    return f"check the HPA's metrics and the metrics API for {workload} (kubectl describe hpa -n {target.namespace})"


# ----- Jobs ------------------------------------------------------------------------------------------------------


def job_problem(ctx: Context, job: Body) -> Problem | None:
    """job-failed for a Job with the Failed condition, with its last failed pod's exit and log line."""
    failed = condition(job, "Failed")
    if failed is None or failed.get("status") != "True":
        return None
    ref = _ref("Job", job)
    status = job.get("status") or {}
    summary = f"the job failed ({failed.get('reason') or 'no reason'}: {failed.get('message') or 'no message'})"
    summary += f" after {plural(int(status.get('failed') or 0), 'failed pod')}"
    evidence = [describe_condition(failed)]
    explained = _last_failure(ctx, job, ref)
    if explained is not None:
        summary += f"; the last one: {explained.summary}"
        evidence += explained.evidence
    owner = next(
        (o for o in (job.get("metadata") or {}).get("ownerReferences") or [] if o.get("kind") == "CronJob"), None
    )
    retry = (
        f"the next run of cronjob/{owner.get('name')} will try again"
        if owner
        else f"re-run it: kubectl delete job {ref.name} -n {ref.namespace}, then apply it again"
    )
    fix = explained.suggestion if explained is not None else f"kubectl logs job/{ref.name} -n {ref.namespace}"
    return Problem(
        cause=JOB_FAILED,
        severity="warning",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=f"{fix}; then {retry}",
        container=explained.container if explained is not None else None,
    )


def _last_failure(ctx: Context, job: Body, ref: ObjectRef) -> Problem | None:
    def finished(pod: Mapping[str, Any]) -> str:
        times = [
            str(s.state()[1].get("finishedAt") or "") for s in container_statuses(pod) if s.state()[0] == "terminated"
        ]
        return max(times, default="")

    failed = [p for p in ctx.pods_owned_by(job) if (p.get("status") or {}).get("phase") == "Failed"]
    for pod in sorted(failed, key=finished, reverse=True):
        case = PodCase(ctx, pod, ref)
        for status in container_statuses(pod):
            problem = crash_problem(case, status)
            if problem is not None:
                return problem
    return None
