"""Health of pods and nodes from their cached bodies: phases, conditions, container states, restarts.

`pod_findings` and `node_findings` are pure functions of one body, the restart history the caller
kept, and `now`. What they report, and why:

- A container waiting with CrashLoopBackOff, an image error (ImagePullBackOff, ErrImagePull,
  ErrImageNeverPull, InvalidImageName) or CreateContainerConfigError is a finding at once: the
  kubelet has already tried and failed, and waits for a back-off or for someone to fix the spec.
- Such a container explains why its pod is Pending or not Ready, so the pod gets no second,
  vaguer finding ("pod-pending", "pod-not-ready") for the same trouble. Without one, a pod that is
  not Ready, or still Pending, counts only after a grace period: pods start, roll and probe.
- OOMKilled counts while it is recent (within the restart window) or the container has not run since.
- The restart rate is "more than `restart_threshold` restarts in `restart_window`", counted as the
  increases observed in samples of the pod's total restart count (see `restarts_in_window`).
- Succeeded pods are healthy, and pods being deleted are expected to stop, so neither is reported.
- A node that is not Ready, under memory, disk or PID pressure, or cordoned.

`summarize` condenses pods, nodes and findings into the counts `/api/v1/health` serves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Final, Literal

from kaido.analysis.findings import (
    CONTAINER_CONFIG_ERROR,
    CRASH_LOOP_BACK_OFF,
    HIGH_RESTART_RATE,
    IMAGE_PULL_BACK_OFF,
    NODE_NOT_READY,
    NODE_PRESSURE,
    NODE_UNSCHEDULABLE,
    OOM_KILLED,
    POD_FAILED,
    POD_NOT_READY,
    POD_PENDING,
    SEVERITIES,
    Finding,
    Severity,
    describe_duration,
)
from kaido.analysis.status import (
    ContainerStatus,
    OwnerLookup,
    condition,
    container_statuses,
    describe_condition,
    is_pod_ready,
    node_ref,
    parse_time,
    pod_ref,
    require_aware,
    restart_total,
    workload_of,
)
from kaido.core.refs import ObjectRef

__all__ = [
    "HealthSettings",
    "HealthSummary",
    "node_findings",
    "pod_findings",
    "restarts_in_window",
    "summarize",
]

# Waiting reasons that stop a container for good until someone changes something.
_WAITING: Final[Mapping[str, tuple[str, Severity]]] = {
    "CrashLoopBackOff": (CRASH_LOOP_BACK_OFF, "critical"),
    "ImagePullBackOff": (IMAGE_PULL_BACK_OFF, "critical"),
    "ErrImagePull": (IMAGE_PULL_BACK_OFF, "critical"),
    "ErrImageNeverPull": (IMAGE_PULL_BACK_OFF, "critical"),
    "InvalidImageName": (IMAGE_PULL_BACK_OFF, "critical"),
    "CreateContainerConfigError": (CONTAINER_CONFIG_ERROR, "critical"),
}
_BLOCKING: Final = frozenset(kind for kind, _ in _WAITING.values())
_PRESSURES: Final = ("MemoryPressure", "DiskPressure", "PIDPressure")


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSettings:
    """How patient the health rules are; the monitor fills this from the policy."""

    restart_threshold: int = 5  # more than this many restarts ...
    restart_window: float = 300.0  # ... within this many seconds is a high restart rate
    not_ready_grace: float = 60.0  # seconds a running pod (or a new node) may be not Ready
    pending_grace: float = 60.0  # seconds a pod may stay Pending

    def __post_init__(self) -> None:
        if self.restart_threshold < 0:
            raise ValueError(f"restart_threshold={self.restart_threshold}: must be 0 or more")
        for name in ("restart_window", "not_ready_grace", "pending_grace"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)}: must be 0 seconds or more")
        if self.restart_window == 0:
            raise ValueError("restart_window=0: a rate needs a window of at least a second, e.g. 300")


@dataclass(frozen=True, slots=True)
class _Pod:
    """One pod under examination: its body and what every finding about it shares."""

    body: Mapping[str, Any]
    ref: ObjectRef
    workload: ObjectRef | None
    now: datetime
    settings: HealthSettings

    @property
    def status(self) -> Mapping[str, Any]:
        return self.body.get("status") or {}

    def container_spec(self, status: ContainerStatus) -> Mapping[str, Any]:
        key = "initContainers" if status.init else "containers"
        specs = (self.body.get("spec") or {}).get(key) or []
        return next((c for c in specs if c.get("name") == status.name), {})

    def age_since(self, *moments: datetime | None) -> float | None:
        """Seconds since the latest of `moments` that is known."""
        known = [m for m in moments if m is not None]
        return (self.now - max(known)).total_seconds() if known else None

    def finding(
        self,
        kind: str,
        severity: Severity,
        summary: str,
        *,
        evidence: tuple[str, ...] = (),
        container: str | None = None,
        values: tuple[tuple[str, float], ...] = (),
    ) -> Finding:
        return Finding.create(
            kind,
            severity,
            self.ref,
            summary=summary,
            observed_at=self.now,
            evidence=evidence,
            workload=self.workload,
            container=container,
            values=values,
        )


def pod_findings(
    pod: Mapping[str, Any],
    *,
    now: datetime,
    restart_history: Sequence[tuple[datetime, int]] = (),
    owner_lookup: OwnerLookup | None = None,
    settings: HealthSettings,
) -> list[Finding]:
    """What is wrong with `pod` at `now`; an empty list for a healthy pod.

    `restart_history` holds samples (when, total restart count) of this pod, counted the way
    `kaido.analysis.status.restart_total` counts; `owner_lookup` resolves a ReplicaSet to its
    Deployment for `Finding.workload`.
    """
    require_aware(now)
    phase = (pod.get("status") or {}).get("phase") or "Pending"
    if phase == "Succeeded" or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return []
    view = _Pod(pod, pod_ref(pod), workload_of(pod, owner_lookup), now, settings)
    findings = [f for status in container_statuses(pod) for f in _container_findings(view, status)]
    explained = any(f.kind in _BLOCKING for f in findings)
    if phase == "Failed":
        findings.append(_failed(view))
    elif phase == "Pending" and not explained:
        findings.extend(_pending(view))
    elif phase in ("Running", "Unknown") and not explained:
        findings.extend(_not_ready(view))
    findings.extend(_restart_rate(view, restart_history))
    return findings


# ----- containers ------------------------------------------------------------------------------------


def _container_findings(view: _Pod, status: ContainerStatus) -> list[Finding]:
    out: list[Finding] = []
    kind, waiting = status.state()
    if kind == "waiting" and waiting.get("reason") in _WAITING:
        out.append(_waiting(view, status, str(waiting["reason"]), str(waiting.get("message") or "")))
    oom = _oom(view, status)
    if oom is not None:
        out.append(oom)
    return out


def _waiting(view: _Pod, status: ContainerStatus, reason: str, message: str) -> Finding:
    kind, severity = _WAITING[reason]
    who = f"{status.label} of pod {view.ref.key}"
    if kind == CRASH_LOOP_BACK_OFF:
        summary = f"{who} is in CrashLoopBackOff after {_plural(status.restart_count, 'restart')}"
        last_kind, last = status.state("lastState")
        if last_kind == "terminated":
            summary += f" (last exit: {last.get('reason') or 'no reason'}, code {last.get('exitCode')})"
    elif kind == IMAGE_PULL_BACK_OFF:
        image = view.container_spec(status).get("image") or status.body.get("image") or "?"
        summary = f"{who} cannot pull image {image} ({reason})"
    else:
        summary = f"{who} cannot start: {message or 'its configuration is invalid'} ({reason})"
    return view.finding(
        kind,
        severity,
        summary,
        container=status.name,
        evidence=(status.describe(),),
        values=(("restarts", float(status.restart_count)),),
    )


def _oom(view: _Pod, status: ContainerStatus) -> Finding | None:
    """OOMKilled now, or last time if that was within the restart window or nothing ran since."""
    kind, current = status.state()
    last_kind, last = status.state("lastState")
    if kind == "terminated" and current.get("reason") == "OOMKilled":
        killed = current
    elif last_kind == "terminated" and last.get("reason") == "OOMKilled":
        age = view.age_since(parse_time(last.get("finishedAt")))
        if kind == "running" and age is not None and age > view.settings.restart_window:
            return None  # an old kill, and the container has run since
        killed = last
    else:
        return None
    limit = ((view.container_spec(status).get("resources") or {}).get("limits") or {}).get("memory")
    at_limit = f" at its {limit} memory limit" if limit else ""
    finished = killed.get("finishedAt") or "at an unknown time"
    summary = (
        f"{status.label} of pod {view.ref.key} was OOMKilled{at_limit} (finished {finished}); "
        f"restarted {_plural(status.restart_count, 'time')}"
    )
    return view.finding(
        OOM_KILLED,
        "warning",
        summary,
        container=status.name,
        evidence=(status.describe(),),
        values=(("restarts", float(status.restart_count)),),
    )


# ----- the pod as a whole ----------------------------------------------------------------------------


def _evidence(view: _Pod, *conditions: str) -> tuple[str, ...]:
    lines = [describe_condition(found) for kind in conditions if (found := condition(view.body, kind)) is not None]
    node = (view.body.get("spec") or {}).get("nodeName")
    if node:
        lines.append(f"on node {node}")
    return (*lines, *(s.describe() for s in container_statuses(view.body)))


def _failed(view: _Pod) -> Finding:
    status = view.status
    if status.get("reason"):
        cause = f"{status['reason']}: {status.get('message') or 'no message'}"
    else:
        exits = [
            f"{s.label} exited with code {details.get('exitCode')} ({details.get('reason') or 'no reason'})"
            for s in container_statuses(view.body)
            for kind, details in [s.state()]
            if kind == "terminated" and details.get("exitCode") != 0
        ]
        cause = "; ".join(exits) or "no container reported why"
    return view.finding(POD_FAILED, "warning", f"pod {view.ref.key} failed: {cause}", evidence=_evidence(view, "Ready"))


def _pending(view: _Pod) -> list[Finding]:
    meta = view.body.get("metadata") or {}
    age = view.age_since(parse_time(meta.get("creationTimestamp")) or parse_time(view.status.get("startTime")))
    if age is not None and age < view.settings.pending_grace:
        return []
    summary = f"pod {view.ref.key} has been Pending" + (f" for {describe_duration(age)}" if age is not None else "")
    scheduled = condition(view.body, "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        summary += f": it cannot be scheduled: {scheduled.get('message') or scheduled.get('reason') or 'no reason'}"
    else:
        waiting = [
            f"{s.label} {details.get('reason') or 'waiting'}"
            for s in container_statuses(view.body)
            for kind, details in [s.state()]
            if kind == "waiting"
        ]
        summary += f" ({', '.join(waiting)})" if waiting else ""
    values = (("pending_seconds", age), ("grace_seconds", view.settings.pending_grace)) if age is not None else ()
    evidence = _evidence(view, "PodScheduled", "Initialized", "Ready")
    return [view.finding(POD_PENDING, "warning", summary, evidence=evidence, values=values)]


def _not_ready(view: _Pod) -> list[Finding]:
    ready = condition(view.body, "Ready")
    if ready is not None and ready.get("status") == "True":
        return []
    meta = view.body.get("metadata") or {}
    since = [parse_time(view.status.get("startTime")), parse_time((ready or {}).get("lastTransitionTime"))]
    age = view.age_since(*since) if any(since) else view.age_since(parse_time(meta.get("creationTimestamp")))
    grace = view.settings.not_ready_grace
    if age is not None and age < grace:
        return []
    summary = f"pod {view.ref.key} has not been Ready"
    summary += f" for {describe_duration(age)} (grace {describe_duration(grace)})" if age is not None else ""
    if ready is not None and ready.get("message"):
        summary += f": {ready['message']}"
    values = (("not_ready_seconds", age), ("grace_seconds", grace)) if age is not None else ()
    evidence = _evidence(view, "Ready", "ContainersReady")
    if view.status.get("phase") == "Unknown":
        evidence = ("phase Unknown: the node stopped reporting this pod", *evidence)
    return [view.finding(POD_NOT_READY, "warning", summary, evidence=evidence, values=values)]


# ----- restarts ---------------------------------------------------------------------------------------


def restarts_in_window(
    history: Sequence[tuple[datetime, int]], *, now: datetime, window: float, started_at: datetime | None = None
) -> int:
    """Restarts observed in the `window` seconds up to `now`, from samples (when, total restart count).

    An increase between two samples counts when the later sample, the one that observed it, lies
    in the window. The monitor takes a sample whenever the pod changes, and the kubelet reports
    each restart as it happens, so an increase is observed as it occurs and the count is exact;
    from samples polled sparsely, an increase observed just inside the window may include a
    restart from just before it.

    The first sample has nothing before it, so its count is a baseline, not restarts in the window:
    a history that begins inside the window for an older pod counts from there. A pod that started
    inside the window (`started_at`) had 0 restarts then, so its start is a sample too and every
    restart it had is counted. A decrease (the counter restarted) counts nothing.
    """
    start = now - timedelta(seconds=window)
    samples = [(at, count) for at, count in history if at <= now]
    if started_at is not None and start <= started_at <= now:
        # Samples from before this pod started describe some other pod.
        samples = [(at, count) for at, count in samples if at >= started_at] + [(started_at, 0)]
    samples.sort()
    return sum(max(0, later - earlier) for (_, earlier), (seen, later) in pairwise(samples) if seen > start)


def _restart_rate(view: _Pod, history: Sequence[tuple[datetime, int]]) -> list[Finding]:
    settings = view.settings
    meta = view.body.get("metadata") or {}
    started = parse_time(view.status.get("startTime")) or parse_time(meta.get("creationTimestamp"))
    count = restarts_in_window(history, now=view.now, window=settings.restart_window, started_at=started)
    if started is not None and (view.now - started).total_seconds() <= settings.restart_window:
        count = max(count, restart_total(view.body))  # every restart of a pod this young is in the window
    if count <= settings.restart_threshold:
        return []
    window = describe_duration(settings.restart_window)
    summary = (
        f"pod {view.ref.key} restarted {_plural(count, 'time')} in the last {window} "
        f"(threshold {settings.restart_threshold})"
    )
    values = (
        ("restarts", float(count)),
        ("threshold", float(settings.restart_threshold)),
        ("window_seconds", settings.restart_window),
    )
    evidence = tuple(s.describe() for s in container_statuses(view.body) if s.restart_count)
    return [view.finding(HIGH_RESTART_RATE, "warning", summary, evidence=evidence, values=values)]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# ----- nodes ------------------------------------------------------------------------------------------


def node_findings(node: Mapping[str, Any], *, now: datetime, settings: HealthSettings) -> list[Finding]:
    """What is wrong with `node` at `now`: not Ready, under pressure, cordoned."""
    require_aware(now)
    ref = node_ref(node)
    findings: list[Finding] = []
    ready = condition(node, "Ready")
    created = parse_time((node.get("metadata") or {}).get("creationTimestamp"))
    if ready is None:
        # A node that just registered has not posted its conditions yet.
        if created is None or (now - created).total_seconds() >= settings.not_ready_grace:
            summary = f"node {ref.name} has not reported a Ready condition"
            findings.append(Finding.create(NODE_NOT_READY, "critical", ref, summary=summary, observed_at=now))
    elif ready.get("status") != "True":
        since = parse_time(ready.get("lastTransitionTime"))
        summary = f"node {ref.name} is not Ready ({ready.get('status')}"
        summary += f": {ready['message']})" if ready.get("message") else ")"
        summary += f" for {describe_duration((now - since).total_seconds())}" if since else ""
        taints = [f"taint {t.get('key')}:{t.get('effect')}" for t in (node.get("spec") or {}).get("taints") or []]
        evidence = (describe_condition(ready), *taints)
        findings.append(
            Finding.create(NODE_NOT_READY, "critical", ref, summary=summary, observed_at=now, evidence=evidence)
        )
    pressed = [c for kind in _PRESSURES if (c := condition(node, kind)) is not None and c.get("status") == "True"]
    if pressed:
        summary = f"node {ref.name} reports {' and '.join(str(c.get('type')) for c in pressed)}"
        evidence = tuple(describe_condition(c) for c in pressed)
        findings.append(
            Finding.create(NODE_PRESSURE, "warning", ref, summary=summary, observed_at=now, evidence=evidence)
        )
    if (node.get("spec") or {}).get("unschedulable"):
        summary = f"node {ref.name} is cordoned (spec.unschedulable): no new pods are scheduled on it"
        findings.append(Finding.create(NODE_UNSCHEDULABLE, "info", ref, summary=summary, observed_at=now))
    return findings


# ----- the summary ------------------------------------------------------------------------------------

Overall = Literal["healthy", "degraded", "critical"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSummary:
    """Counts for a glance: pods by phase and readiness, nodes, findings by severity and kind.

    `status` is "critical" when any finding is critical, "degraded" when any is a warning, else
    "healthy" (info findings such as a cordoned node do not degrade it).
    """

    status: Overall
    pods: int
    pods_by_phase: Mapping[str, int] = field(default_factory=dict)
    pods_ready: int = 0  # Running and Ready
    pods_not_ready: int = 0  # Running or Unknown, and not Ready
    nodes: int = 0
    nodes_ready: int = 0
    nodes_not_ready: int = 0
    nodes_unschedulable: int = 0
    findings_by_severity: Mapping[Severity, int] = field(default_factory=dict)
    findings_by_kind: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "pods": {
                "total": self.pods,
                "by_phase": dict(self.pods_by_phase),
                "ready": self.pods_ready,
                "not_ready": self.pods_not_ready,
            },
            "nodes": {
                "total": self.nodes,
                "ready": self.nodes_ready,
                "not_ready": self.nodes_not_ready,
                "unschedulable": self.nodes_unschedulable,
            },
            "findings": {
                "total": sum(self.findings_by_severity.values()),
                "by_severity": dict(self.findings_by_severity),
                "by_kind": dict(sorted(self.findings_by_kind.items())),
            },
        }


def summarize(
    pods: Iterable[Mapping[str, Any]], nodes: Iterable[Mapping[str, Any]], findings: Iterable[Finding]
) -> HealthSummary:
    pod_list, node_list, found = list(pods), list(nodes), list(findings)
    phases = Counter(str((p.get("status") or {}).get("phase") or "Pending") for p in pod_list)
    live = [p for p in pod_list if (p.get("status") or {}).get("phase") in ("Running", "Unknown")]
    ready_pods = sum(1 for p in live if is_pod_ready(p))
    ready_nodes = sum(1 for n in node_list if (condition(n, "Ready") or {}).get("status") == "True")
    severities = Counter(f.severity for f in found)
    status: Overall = "critical" if severities["critical"] else "degraded" if severities["warning"] else "healthy"
    return HealthSummary(
        status=status,
        pods=len(pod_list),
        pods_by_phase=dict(sorted(phases.items())),
        pods_ready=ready_pods,
        pods_not_ready=len(live) - ready_pods,
        nodes=len(node_list),
        nodes_ready=ready_nodes,
        nodes_not_ready=len(node_list) - ready_nodes,
        nodes_unschedulable=sum(1 for n in node_list if (n.get("spec") or {}).get("unschedulable")),
        findings_by_severity={s: severities[s] for s in SEVERITIES},
        findings_by_kind=dict(Counter(f.kind for f in found)),
    )
