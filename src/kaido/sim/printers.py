"""Table printers: the columns of a kind and how one stored object becomes the cells of its row.

Each printer mirrors upstream's `pkg/printers/internalversion/printers.go` (Kubernetes 1.35): the
column definitions of `AddHandlers` and the `print<Kind>` function behind them. The API server runs
those with `Wide: true`, so every cell is rendered, priority-1 columns included, and kubectl drops
the ones a plain `get` does not show. Cells keep upstream's types: counts are integers, flags
booleans, everything else strings.

This module holds the shared formatting (`human_duration`, label selectors, quantities) and the
printers of pods and of the controllers that own or scale them (Deployment, ReplicaSet, StatefulSet,
DaemonSet, Job, CronJob, HorizontalPodAutoscaler); `kaido.sim.tables` holds the other kinds and
assembles the Table. Objects are raw JSON as stored. Where the API server defaults a field
on every write (replicas, suspend), an object stored without it prints as if defaulted. Times are
relative to the `now` passed in, never to the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity

__all__ = ["AGE", "NAME", "Column", "Printer", "human_duration", "since"]

Obj = dict[str, Any]
Cells = Callable[[Obj, datetime], list[Any]]

_NAME_DOC: Final = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Cannot be updated."
)
_AGE_DOC: Final = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is represented in RFC3339 form and is in UTC. Populated by the system. Read-only."
)


@dataclass(frozen=True, slots=True)
class Column:
    """One `meta.k8s.io/v1` TableColumnDefinition; kubectl shows the name upper-cased."""

    name: str
    description: str
    type: str = "string"
    priority: int = 0  # 1: shown only by `kubectl get -o wide`
    format: str = ""


@dataclass(frozen=True, slots=True)
class Printer:
    """A kind's columns, the function filling them, and optional row conditions (finished pods)."""

    columns: tuple[Column, ...]
    cells: Cells
    conditions: Callable[[Obj], list[dict[str, str]]] | None = None


def wide(name: str, description: str, type_: str = "string") -> Column:
    return Column(name, description, type_, priority=1)


NAME: Final = Column("Name", _NAME_DOC, format="name")
AGE: Final = Column("Age", _AGE_DOC)
_CONTAINERS: Final = wide("Containers", "Names of each container in the template.")
_IMAGES: Final = wide("Images", "Images referenced by each container in the template.")
_SELECTOR: Final = wide("Selector", "A label query over pods that should match the replica count.")
_TERMINAL_PHASES: Final = ("Failed", "Succeeded")


# --- formatting shared by every printer ----------------------------------------------------------


def human_duration(seconds: float) -> str:
    """apimachinery's `duration.HumanDuration`: at most two units, coarser as the duration grows."""
    whole = int(seconds)  # Go truncates toward zero: -1.5s still reads "0s", -2s is invalid
    if whole < -1:
        return "<invalid>"
    if whole < 120:
        return f"{max(whole, 0)}s"
    minutes, hours = whole // 60, whole // 3600
    days = hours // 24
    if minutes < 10:
        return _units(minutes, "m", whole % 60, "s")
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return _units(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _units(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    return _units(days // 365, "y", days % 365 if hours < 24 * 365 * 8 else 0, "d")


def _units(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (metav1.Time or MicroTime); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def since(value: Any, now: datetime) -> str:
    """Upstream's `translateTimestampSince`: "<unknown>" for a missing timestamp."""
    moment = parse_time(value)
    return "<unknown>" if moment is None else human_duration((now - moment).total_seconds())


def meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def name(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def age(obj: Obj, now: datetime) -> str:
    return since(meta(obj).get("creationTimestamp"), now)


def dig(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]..., or None as soon as a level is missing."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def quantity(value: Any) -> str:
    """`resource.Quantity.String()`: canonical spelling; "<nil>" for a missing pointer, as Go prints it."""
    if value is None:
        return "<nil>"
    try:
        return str(parse_quantity(value))
    except QuantityError:
        return str(value)


def format_labels(labels: Any) -> str:
    """`labels.FormatLabels`: sorted k=v pairs, "<none>" when empty."""
    return ",".join(f"{key}={value}" for key, value in sorted((labels or {}).items())) or "<none>"


def selector_string(selector: Any) -> str:
    """`metav1.LabelSelectorAsSelector(s).String()`: requirements sorted by key, "" when empty."""
    if not isinstance(selector, dict):
        return ""
    requirements = [(key, f"{key}={value}") for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, values = expression.get("key", ""), ",".join(sorted(expression.get("values") or []))
        spelled = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "DoesNotExist": f"!{key}"}
        requirements.append((key, spelled.get(expression.get("operator", ""), key)))
    return ",".join(text for _, text in sorted(requirements, key=lambda requirement: requirement[0]))


def format_label_selector(selector: Any) -> str:
    """`metav1.FormatLabelSelector`: the selector string, "<none>" when it is empty."""
    return selector_string(selector) or "<none>"


def condition_true(conditions: Any, kind: str) -> bool:
    """The first condition of type `kind` has status True."""
    found = next((c for c in conditions or [] if c.get("type") == kind), None)
    return found is not None and found.get("status") == "True"


def _containers(pod_spec: Any) -> list[str]:
    """`layoutContainerCells`: container names and images, each comma-joined."""
    containers = dig(pod_spec, "containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


# --- pods ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    """What printPod accumulates while it walks the container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None
    sidecar_restarts: int = 0
    sidecar_last_restart: datetime | None = None


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    return current if candidate is None or (current is not None and current >= candidate) else candidate


def _terminated_reason(terminated: Obj) -> str:
    if terminated.get("reason"):
        return str(terminated["reason"])
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode', 0)}"


def _is_sidecar(container: Any) -> bool:
    """A restartable init container (`restartPolicy: Always`) counts as a regular container."""
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _count_restarts(tally: _Tally, status: Obj, sidecar: bool = False) -> None:
    count = int(status.get("restartCount") or 0)
    finished = parse_time(dig(status, "lastState", "terminated", "finishedAt"))
    tally.restarts += count
    tally.last_restart = _later(tally.last_restart, finished)
    if sidecar:
        tally.sidecar_restarts += count
        tally.sidecar_last_restart = _later(tally.sidecar_last_restart, finished)


def _walk_init_containers(tally: _Tally, pod: Obj) -> bool:
    """Init containers in order; True, with the reason set, while the pod is still initializing."""
    specs = dig(pod, "spec", "initContainers") or []
    by_name = {c.get("name"): c for c in specs}
    for index, status in enumerate(dig(pod, "status", "initContainerStatuses") or []):
        sidecar = _is_sidecar(by_name.get(status.get("name")))
        _count_restarts(tally, status, sidecar)
        state = status.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and status.get("started"):
            tally.ready += 1 if status.get("ready") else 0
            continue
        if terminated is not None:
            tally.reason = "Init:" + _terminated_reason(terminated)
        elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
            tally.reason = "Init:" + waiting["reason"]
        else:
            tally.reason = f"Init:{index}/{len(specs)}"
        return True
    return False


def _walk_containers(tally: _Tally, pod: Obj) -> None:
    """Regular containers, last to first, so the first container's state names the pod."""
    tally.restarts, tally.last_restart = tally.sidecar_restarts, tally.sidecar_last_restart
    running = False
    for status in reversed(dig(pod, "status", "containerStatuses") or []):
        _count_restarts(tally, status)
        state = status.get("state") or {}
        waiting, terminated = state.get("waiting") or {}, state.get("terminated")
        if waiting.get("reason"):
            tally.reason = waiting["reason"]
        elif terminated is not None:
            tally.reason = _terminated_reason(terminated)
        elif status.get("ready") and state.get("running") is not None:
            running = True
            tally.ready += 1
    if tally.reason == "Completed" and running:
        tally.reason = "Running" if condition_true(dig(pod, "status", "conditions"), "Ready") else "NotReady"


def print_pod(pod: Obj, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase") or ""
    conditions = status.get("conditions") or []
    tally = _Tally(reason=status.get("reason") or phase)
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        tally.reason = "SchedulingGated"
    total = len(spec.get("containers") or []) + sum(map(_is_sidecar, spec.get("initContainers") or []))
    if not _walk_init_containers(tally, pod) or condition_true(conditions, "Initialized"):
        _walk_containers(tally, pod)
    if meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            tally.reason = "Unknown"
        elif phase not in _TERMINAL_PHASES:
            tally.reason = "Terminating"
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts += f" ({human_duration((now - tally.last_restart).total_seconds())} ago)"
    return [name(pod), f"{tally.ready}/{total}", tally.reason, restarts, age(pod, now), *_pod_wide(spec, status)]


def _pod_wide(spec: Obj, status: Obj) -> list[Any]:
    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else status.get("podIP")) or "<none>"
    gates = "<none>"
    if spec.get("readinessGates"):
        wanted = [gate.get("conditionType") for gate in spec["readinessGates"]]
        passed = sum(condition_true(status.get("conditions"), kind) for kind in wanted)
        gates = f"{passed}/{len(wanted)}"
    return [pod_ip, spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>", gates]


def pod_conditions(pod: Obj) -> list[dict[str, str]]:
    """Row conditions: a finished pod's row is marked Completed, as upstream does."""
    phase = dig(pod, "status", "phase")
    if phase not in _TERMINAL_PHASES:
        return []
    message = "The pod has completed successfully." if phase == "Succeeded" else "The pod failed."
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


# --- workloads -----------------------------------------------------------------------------------


def _replicas(workload: Obj) -> int:
    replicas = dig(workload, "spec", "replicas")
    return 1 if replicas is None else int(replicas)  # apps/v1 defaults replicas to 1


def _status(obj: Obj, field: str) -> int:
    return int(dig(obj, "status", field) or 0)


def _template(workload: Obj) -> list[str]:
    return _containers(dig(workload, "spec", "template", "spec"))


def print_deployment(obj: Obj, now: datetime) -> list[Any]:
    ready = f"{_status(obj, 'readyReplicas')}/{_replicas(obj)}"
    cells = [name(obj), ready, _status(obj, "updatedReplicas"), _status(obj, "availableReplicas"), age(obj, now)]
    return [*cells, *_template(obj), selector_string(dig(obj, "spec", "selector"))]


def print_replica_set(obj: Obj, now: datetime) -> list[Any]:
    counts = [_replicas(obj), _status(obj, "replicas"), _status(obj, "readyReplicas")]
    return [name(obj), *counts, age(obj, now), *_template(obj), format_label_selector(dig(obj, "spec", "selector"))]


def print_stateful_set(obj: Obj, now: datetime) -> list[Any]:
    return [name(obj), f"{_status(obj, 'readyReplicas')}/{_replicas(obj)}", age(obj, now), *_template(obj)]


_DAEMON_COUNTS: Final = ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled",
                         "numberAvailable")  # fmt: skip


def print_daemon_set(obj: Obj, now: datetime) -> list[Any]:
    node_selector = format_labels(dig(obj, "spec", "template", "spec", "nodeSelector"))
    counts = [_status(obj, field) for field in _DAEMON_COUNTS]
    wide_cells = [*_template(obj), format_label_selector(dig(obj, "spec", "selector"))]
    return [name(obj), *counts, node_selector, age(obj, now), *wide_cells]


def _job_status(job: Obj) -> str:
    conditions = dig(job, "status", "conditions")
    checks = ((condition_true(conditions, "Complete"), "Complete"), (condition_true(conditions, "Failed"), "Failed"),
              (bool(meta(job).get("deletionTimestamp")), "Terminating"),
              (condition_true(conditions, "Suspended"), "Suspended"),
              (condition_true(conditions, "FailureTarget"), "FailureTarget"))  # fmt: skip
    return next((label for hit, label in checks if hit), "Running")


def print_job(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded, parallelism = int(status.get("succeeded") or 0), int(spec.get("parallelism") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    else:
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    took = "" if start is None else human_duration(((end or now) - start).total_seconds())
    cells = [name(obj), _job_status(obj), completions, took, age(obj, now)]
    return [*cells, *_template(obj), format_label_selector(spec.get("selector"))]


def print_cron_job(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = since(status["lastScheduleTime"], now) if status.get("lastScheduleTime") else "<none>"
    suspend = "True" if spec.get("suspend") else "False"  # batch/v1 defaults suspend to false
    job = dig(spec, "jobTemplate", "spec")
    cells = [name(obj), spec.get("schedule", ""), spec.get("timeZone") or "<none>", suspend]
    cells += [len(status.get("active") or []), last, age(obj, now)]
    return [*cells, *_containers(dig(job, "template", "spec")), format_label_selector(dig(job, "selector"))]


# --- autoscaling ---------------------------------------------------------------------------------


def print_hpa(obj: Obj, now: datetime) -> list[Any]:
    """autoscaling/v1 and v2 alike, since the API server prints the internal version of both."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    reference = f"{ref.get('kind', '')}/{ref.get('name', '')}"
    min_pods = str(spec.get("minReplicas", 1))  # defaulted to 1 on write, so upstream's "<unset>" never shows
    counts = [int(spec.get("maxReplicas") or 0), int(status.get("currentReplicas") or 0)]
    return [name(obj), reference, _hpa_targets(*_hpa_metrics(spec, status)), min_pods, *counts, age(obj, now)]


def _hpa_metrics(spec: Obj, status: Obj) -> tuple[list[Obj], list[Obj]]:
    """Metric specs and statuses; autoscaling/v1's CPU target converted as the API server does."""
    if "targetCPUUtilizationPercentage" not in spec:
        return spec.get("metrics") or [], status.get("currentMetrics") or []
    target = {"type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}
    specs = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    current = status.get("currentCPUUtilizationPercentage")
    if current is None:
        return specs, []
    return specs, [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}]


_METRIC_SOURCES: Final = {"External": "external", "Pods": "pods", "Object": "object", "Resource": "resource",
                          "ContainerResource": "containerResource"}  # fmt: skip


def _hpa_targets(specs: list[Obj], statuses: list[Obj]) -> str:
    """`formatHPAMetrics`: "cpu: 45%/80%", at most two metrics, then "+ N more..."."""
    if not specs:
        return "<none>"
    shown = [_hpa_metric(spec, statuses[i] if i < len(statuses) else {}) for i, spec in enumerate(specs)]
    joined = ", ".join(shown[:2])
    return f"{joined} + {len(shown) - 2} more..." if len(shown) > 2 else joined


def _hpa_metric(spec: Obj, status: Obj) -> str:
    """One metric; the status at the same index reports the current value if it has the same source."""
    field = _METRIC_SOURCES.get(spec.get("type", ""))
    if field is None:
        return "<unknown type>"
    source, reported = spec.get(field) or {}, status.get(field)
    target, current = source.get("target") or {}, (reported or {}).get("current") or {}
    unknown = reported is None
    if field == "pods":
        value = "<unknown>" if unknown else quantity(current.get("averageValue"))
        return f"{value}/{quantity(target.get('averageValue'))}"
    if field in ("external", "object"):
        if target.get("averageValue") is not None:
            value = "<unknown>" if current.get("averageValue") is None else quantity(current["averageValue"])
            return f"{value}/{quantity(target['averageValue'])} (avg)"
        return f"{'<unknown>' if unknown else quantity(current.get('value'))}/{quantity(target.get('value'))}"
    prefix = f"{source.get('name', '')}: "
    if target.get("averageValue") is not None:
        value = "<unknown>" if unknown else quantity(current.get("averageValue"))
        return f"{prefix}{value}/{quantity(target['averageValue'])}"
    used, wanted = current.get("averageUtilization"), target.get("averageUtilization")
    return f"{prefix}{'<unknown>' if used is None else f'{used}%'}/{'<auto>' if wanted is None else f'{wanted}%'}"


# --- the printers ----------------------------------------------------------------------------------

_READY_DOC: Final = "Number of the pod with ready state"

WORKLOAD_PRINTERS: Final[dict[tuple[str, str], Printer]] = {
    ("", "Pod"): Printer((
        NAME, Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        Column("Status", "The aggregate status of the containers in this pod."),
        Column("Restarts", "The number of times the containers in this pod have been restarted and when the last "
                           "container in this pod has restarted."), AGE,
        wide("IP", "IP address allocated to the pod."), wide("Node", "The node the pod is bound to."),
        wide("Nominated Node", "Node nominated for preemption."), wide("Readiness Gates", "Passed/total gates."),
    ), print_pod, pod_conditions),
    ("apps", "Deployment"): Printer((
        NAME, Column("Ready", _READY_DOC), Column("Up-to-date", "Total number of updated pods."),
        Column("Available", "Total number of available pods."), AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), print_deployment),
    ("apps", "ReplicaSet"): Printer((
        NAME, Column("Desired", "Number of desired pods.", "integer"),
        Column("Current", "Observed replicas.", "integer"), Column("Ready", "Ready replicas.", "integer"), AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ), print_replica_set),
    ("apps", "StatefulSet"): Printer((NAME, Column("Ready", _READY_DOC), AGE, _CONTAINERS, _IMAGES),
                                     print_stateful_set),
    ("apps", "DaemonSet"): Printer((
        NAME, Column("Desired", "Nodes that should run the pod.", "integer"),
        Column("Current", "Nodes running the pod.", "integer"), Column("Ready", "Nodes whose pod is ready.", "integer"),
        Column("Up-to-date", "Nodes running the updated pod.", "integer"),
        Column("Available", "Nodes whose pod is available.", "integer"),
        Column("Node Selector", "The pod template's node selector."), AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), print_daemon_set),
    ("batch", "Job"): Printer((
        NAME, Column("Status", "Status of the job."), Column("Completions", "Succeeded pods out of completions."),
        Column("Duration", "Time required to complete the job."), AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), print_job),
    ("batch", "CronJob"): Printer((
        NAME, Column("Schedule", "The schedule in Cron format."), Column("Timezone", "The time zone of the schedule."),
        Column("Suspend", "Whether runs are suspended.", "boolean"), Column("Active", "Running jobs.", "integer"),
        Column("Last Schedule", "When the job was last scheduled."), AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), print_cron_job),
    ("autoscaling", "HorizontalPodAutoscaler"): Printer((
        NAME, Column("Reference", "The scaled resource."), Column("Targets", "Current and target metric values."),
        Column("MinPods", "Lower limit for the replicas."), Column("MaxPods", "Upper limit for the replicas."),
        Column("Replicas", "Current number of replicas."), AGE,
    ), print_hpa),
}  # fmt: skip
