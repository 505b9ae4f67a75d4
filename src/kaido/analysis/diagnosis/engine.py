"""`diagnose`: from a snapshot to one diagnosis per (workload, cause), most severe first.

Each pod is examined on its own (`pods.pod_problems`) and its problems are filed under the workload
it belongs to: pod → ReplicaSet → Deployment, or its StatefulSet, DaemonSet or Job, or the pod
itself. Then the workload-level causes join them: quotas that refuse pods, HPAs that cannot scale,
failed Jobs (which absorb their pods' crashes), revisions (a runtime failure confined to a new
revision whose predecessor still serves becomes `bad-release`), Deployments short of replicas with
no pod-level cause, and nodes that are not Ready (which absorb their pods' unexplained trouble).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from kaido.analysis.diagnosis.context import Context, PodCase
from kaido.analysis.diagnosis.model import (
    BAD_RELEASE,
    JOB_FAILED,
    NODE_NOT_READY,
    RUNTIME_CAUSES,
    UNKNOWN,
    Diagnosis,
    Problem,
    describe_ref,
)
from kaido.analysis.diagnosis.nodes import node_down, node_problem
from kaido.analysis.diagnosis.pods import pod_problems
from kaido.analysis.diagnosis.release import Release, find_release
from kaido.analysis.diagnosis.snapshot import Body, Snapshot
from kaido.analysis.diagnosis.workloads import deployment_problem, hpa_problem, job_problem, quota_problem
from kaido.analysis.findings import severity_rank
from kaido.analysis.health import HealthSettings
from kaido.analysis.status import is_pod_ready, node_ref, require_aware
from kaido.core.refs import ObjectRef

__all__ = ["diagnose"]

_Key = tuple[str, str, str, str]  # kind, namespace, name, cause
_EVIDENCE_PODS: Final = 3  # pods whose evidence is quoted in full; the rest in one line each
_RELEASE_VERBS: Final = {
    "crash-loop": "crash-loops",
    "oom-killed": "is OOMKilled",
    "liveness-probe": "fails its liveness probe",
    "readiness-probe": "never becomes ready",
}
_DEFAULT_SETTINGS: Final = HealthSettings()


@dataclass
class _Group:
    """The problems of one cause on one workload, collected before they become a Diagnosis."""

    target: ObjectRef
    cause: str
    entries: list[tuple[Body | None, Problem]] = field(default_factory=list)
    pods: set[str] = field(default_factory=set)
    release: Release | None = None

    def add(self, pod: Body | None, problem: Problem) -> None:
        self.entries.append((pod, problem))
        if pod is not None:
            self.pods.add(str((pod.get("metadata") or {}).get("name", "")))


def diagnose(snapshot: Snapshot, *, now: datetime, settings: HealthSettings = _DEFAULT_SETTINGS) -> list[Diagnosis]:
    """Every unhealthy workload and node in `snapshot` with its cause, most severe first."""
    require_aware(now)
    ctx = Context(snapshot, now=now, settings=settings)
    down = {node_ref(n).name: n for n in snapshot.nodes if node_down(ctx, n)}
    groups: dict[_Key, _Group] = {}
    totals: Counter[ObjectRef] = Counter()
    for pod in snapshot.pods:
        case = PodCase(ctx, pod, ctx.workload(pod))
        totals[case.workload] += 0 if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") else 1
        problems = pod_problems(case)
        if case.spec.get("nodeName") in down:
            problems = [p for p in problems if p.cause != UNKNOWN]  # the node explains them
        for problem in problems:
            _group(groups, case.workload, problem.cause).add(pod, problem)
    _add_workload_problems(ctx, groups)
    _add_failed_jobs(ctx, groups)
    _apply_releases(ctx, groups)
    _add_unavailable(ctx, groups)
    diagnoses = [_finish(group, totals[group.target]) for group in groups.values()]
    diagnoses += _node_diagnoses(ctx, down)
    return sorted(diagnoses, key=_order)


def _group(groups: dict[_Key, _Group], target: ObjectRef, cause: str) -> _Group:
    key = (target.kind, target.namespace or "", target.name, cause)
    if key not in groups:
        groups[key] = _Group(target, cause)
    return groups[key]


def _ref(kind: str, obj: Body) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(kind=kind, name=str(meta.get("name", "")), namespace=meta.get("namespace"))


def _add_workload_problems(ctx: Context, groups: dict[_Key, _Group]) -> None:
    snapshot = ctx.snapshot
    for kind, objects in (
        ("ReplicaSet", snapshot.replicasets),
        ("StatefulSet", snapshot.statefulsets),
        ("DaemonSet", snapshot.daemonsets),
        ("Job", snapshot.jobs),
    ):
        for obj in objects:
            problem = quota_problem(ctx, kind, obj)
            if problem is None:
                continue
            owner = ctx.controller_of(obj) if kind == "ReplicaSet" else None
            target = _ref("Deployment", owner) if owner is not None and owner.get("kind") == "Deployment" else None
            _group(groups, target or _ref(kind, obj), problem.cause).add(None, problem)
    for hpa in snapshot.hpas:
        found = hpa_problem(ctx, hpa)
        if found is not None:
            target, problem = found
            _group(groups, target, problem.cause).add(None, problem)


def _add_failed_jobs(ctx: Context, groups: dict[_Key, _Group]) -> None:
    """A failed Job's diagnosis replaces those of its pods, whose crash it quotes."""
    for job in ctx.snapshot.jobs:
        problem = job_problem(ctx, job)
        if problem is None:
            continue
        ref = _ref("Job", job)
        pods: set[str] = set()
        for key in [k for k, g in groups.items() if g.target == ref]:
            pods |= groups.pop(key).pods
        group = _group(groups, ref, problem.cause)
        group.add(None, problem)
        failed = [p for p in ctx.pods_owned_by(job) if (p.get("status") or {}).get("phase") == "Failed"]
        group.pods |= pods | {str((p.get("metadata") or {}).get("name", "")) for p in failed}


def _apply_releases(ctx: Context, groups: dict[_Key, _Group]) -> None:
    """Tie Deployment failures to their revision; a runtime failure of a new revision is a bad release."""
    for key, group in list(groups.items()):
        if group.target.kind != "Deployment":
            continue
        pods = [pod for pod, _ in group.entries if pod is not None]
        release = find_release(ctx, group.target, pods) if pods else None
        if release is None or release.previous is None:
            continue  # a first revision has nothing to roll back to
        group.release = release
        if group.cause in RUNTIME_CAUSES and release.previous_healthy:
            del groups[key]
            merged = _group(groups, group.target, BAD_RELEASE)
            merged.release = release
            for pod, problem in group.entries:
                merged.add(pod, problem)


def _add_unavailable(ctx: Context, groups: dict[_Key, _Group]) -> None:
    """Deployments short of replicas that no known cause explains; their pods' `unknown` trouble joins them."""
    explained = {g.target for g in groups.values() if g.cause != UNKNOWN}
    for deployment in ctx.snapshot.deployments:
        ref = _ref("Deployment", deployment)
        if ref in explained:
            continue
        problem = deployment_problem(ctx, deployment)
        if problem is None:
            continue
        unknown = groups.pop((ref.kind, ref.namespace or "", ref.name, UNKNOWN), None)
        group = _group(groups, ref, problem.cause)
        group.add(None, problem)
        for pod, found in unknown.entries if unknown is not None else ():
            group.add(pod, found)
        owned = [p for rs in ctx.snapshot.replicasets if ctx.controller_of(rs) is deployment
                 for p in ctx.pods_owned_by(rs)]  # fmt: skip
        group.pods |= {str((p.get("metadata") or {}).get("name", "")) for p in owned if not is_pod_ready(p)}


def _node_diagnoses(ctx: Context, down: dict[str, Body]) -> list[Diagnosis]:
    out = []
    for name, node in sorted(down.items()):
        pods = [p for p in ctx.snapshot.pods if (p.get("spec") or {}).get("nodeName") == name]
        if ctx.snapshot.namespace is not None and not pods:
            continue  # a namespace's diagnosis names the nodes its own pods run on
        problem = node_problem(ctx, node, pods)
        if problem is None:
            continue
        names = sorted(
            f"{(p.get('metadata') or {}).get('namespace')}/{(p.get('metadata') or {}).get('name')}" for p in pods
        )
        out.append(
            Diagnosis.create(
                NODE_NOT_READY,
                problem.severity,
                ObjectRef(kind="Node", name=name),
                summary=problem.summary,
                evidence=problem.evidence,
                suggestion=problem.suggestion,
                pods=tuple(names),
            )
        )
    return out


def _finish(group: _Group, total: int) -> Diagnosis:
    entries = sorted(group.entries, key=lambda e: -severity_rank(e[1].severity))
    first = entries[0][1]
    release = group.release
    inner = first.summary
    if group.cause == BAD_RELEASE and release is not None and release.previous is not None:
        verb = _RELEASE_VERBS.get(first.cause, "fails")
        current, previous = release.current, release.previous
        inner = (
            f"new ReplicaSet {current.replicaset} (revision {current.number}, image {', '.join(current.images)}) "
            f"{verb} while revision {previous.number} (image {', '.join(previous.images)}) was healthy: {inner}"
        )
    summary = f"{describe_ref(group.target)}: {inner}"
    counted = group.target.kind != "Pod" and group.cause != JOB_FAILED  # a failed Job counts its pods itself
    if counted and group.pods and (len(group.pods) > 1 or total > 1):
        summary += f"; {len(group.pods)} of {max(total, len(group.pods))} pods"
    suggestion = first.suggestion
    if release is not None and group.cause == BAD_RELEASE:
        suggestion = f"roll back: {release.rollback()}; then fix revision {release.current.number}: {first.suggestion}"
    elif release is not None and release.previous_healthy:
        suggestion = f"{first.suggestion}; or roll back: {release.rollback()}"
    return Diagnosis.create(
        group.cause,
        max((p.severity for _, p in entries), key=severity_rank),
        group.target,
        summary=summary,
        evidence=(*(release.evidence() if release else ()), *_evidence(group.target, entries)),
        suggestion=suggestion,
        pods=tuple(sorted(group.pods)),
        containers=tuple(sorted({p.container for _, p in entries if p.container})),
        revision=release.current if release else None,
        previous_revision=release.previous if release else None,
        related=_related(group, entries),
    )


def _evidence(target: ObjectRef, entries: Iterable[tuple[Body | None, Problem]]) -> tuple[str, ...]:
    lines: list[str] = []
    for index, (pod, problem) in enumerate(entries):
        name = str(((pod or {}).get("metadata") or {}).get("name", ""))
        prefix = f"pod {name}: " if pod is not None and (target.kind, target.name) != ("Pod", name) else ""
        quoted = problem.evidence if index < _EVIDENCE_PODS else problem.evidence[:1]
        lines.extend(prefix + line for line in quoted)
    return tuple(dict.fromkeys(lines))


def _related(group: _Group, entries: Iterable[tuple[Body | None, Problem]]) -> tuple[ObjectRef, ...]:
    refs: dict[ObjectRef, None] = {}
    if group.release is not None:
        refs[ObjectRef(kind="ReplicaSet", name=group.release.current.replicaset, namespace=group.target.namespace)] = (
            None
        )
    for pod, problem in entries:
        for owner in ((pod or {}).get("metadata") or {}).get("ownerReferences") or []:
            if owner.get("kind") == "ReplicaSet" and group.target.kind == "Deployment":
                refs[ObjectRef(kind="ReplicaSet", name=str(owner.get("name")), namespace=group.target.namespace)] = None
        for ref in problem.related:
            refs[ref] = None
    return tuple(refs)


def _order(diagnosis: Diagnosis) -> tuple[int, str, str, str, str]:
    target = diagnosis.target
    return (-severity_rank(diagnosis.severity), target.namespace or "", target.kind, target.name, diagnosis.cause)
