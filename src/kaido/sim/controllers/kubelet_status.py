"""The pod status the kubelet reports, as pure functions of its container statuses.

Phase follows the kubelet's getPhase: Pending while an init container or a never-started container
waits, Running while a container runs or restarts, Succeeded or Failed once every container is done
and none will restart. Conditions are the kubelet's own five, in its order (PodReadyToStartContainers,
Initialized, Ready, ContainersReady, PodScheduled) with its reasons and messages
(`containers with unready status: [app]`); other components' conditions (DisruptionTarget,
readiness gates) are kept, and a condition's lastTransitionTime moves only when its status changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from kaido.sim.store import Obj, rfc3339

__all__ = ["KUBELET_CONDITIONS", "pod_phase", "pod_status"]

KUBELET_CONDITIONS: Final = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def _go_list(names: Sequence[str]) -> str:
    return "[" + " ".join(names) + "]"


def _init_counts(init: Sequence[Obj], sidecars: frozenset[str]) -> tuple[int, int]:
    """(pending, failed) init containers, as getPhase counts them."""
    pending = failed = 0
    for status in init:
        state, last = status["state"], status.get("lastState") or {}
        if status["name"] in sidecars:
            pending += not status.get("started")
        elif "terminated" in state:
            failed += state["terminated"]["exitCode"] != 0
        elif "waiting" in state and "terminated" in last:
            failed += last["terminated"]["exitCode"] != 0
        else:
            pending += 1
    return pending, failed


def _main_counts(main: Sequence[Obj]) -> tuple[int, int, int, int]:
    """(running, waiting, stopped, succeeded) containers; a container waiting to restart is stopped."""
    running = waiting = stopped = succeeded = 0
    for status in main:
        state, last = status["state"], status.get("lastState") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif "terminated" in last:
            stopped += 1
        else:
            waiting += 1
    return running, waiting, stopped, succeeded


def pod_phase(
    restart_policy: str, init: Sequence[Obj], main: Sequence[Obj], sidecars: frozenset[str], *, terminal: bool = False
) -> str:
    """getPhase over container statuses; `terminal`: the pod is being deleted and its containers stopped."""
    pending_init, failed_init = _init_counts(init, sidecars)
    running, waiting, stopped, succeeded = _main_counts(main)
    if failed_init and restart_policy == "Never":
        return "Failed"
    if pending_init or failed_init or waiting:
        return "Pending"
    if running:
        return "Running"
    if not stopped:
        return "Pending"
    if restart_policy == "Always" and not terminal:
        return "Running"
    if stopped == succeeded:
        return "Succeeded"
    return "Failed" if restart_policy == "Never" or terminal else "Running"


def _condition(kind: str, status: str, pod: Obj, old: Obj, now: datetime, reason: str = "", message: str = "") -> Obj:
    previous = next((c for c in (old.get("conditions") or []) if c.get("type") == kind), None)
    stamp = previous.get("lastTransitionTime") if previous and previous.get("status") == status else rfc3339(now)
    out: Obj = {
        "type": kind,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": stamp,
        "observedGeneration": pod["metadata"].get("generation", 1),
    }
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def _conditions(
    pod: Obj, phase: str, sandbox: bool, init: Sequence[Obj], main: Sequence[Obj], now: datetime
) -> list[Obj]:
    old = pod.get("status") or {}
    kept = [c for c in old.get("conditions") or [] if c.get("type") not in KUBELET_CONDITIONS]
    out = [*kept, _condition("PodReadyToStartContainers", "True" if sandbox else "False", pod, old, now)]
    incomplete = [s["name"] for s in init if not (s.get("started") if s.get("restartPolicy") else s["ready"])]
    any_started = any(s["state"].get("running") or s["state"].get("terminated") or s.get("lastState") for s in main)
    if phase == "Succeeded":
        out.append(_condition("Initialized", "True", pod, old, now, "PodCompleted"))
    elif incomplete and not any_started:
        message = f"containers with incomplete status: {_go_list(incomplete)}"
        out.append(_condition("Initialized", "False", pod, old, now, "ContainersNotInitialized", message))
    else:
        out.append(_condition("Initialized", "True", pod, old, now))
    ready: tuple[str, str, str]
    unready = [s["name"] for s in main if not s["ready"]]
    if phase in ("Succeeded", "Failed"):
        ready = ("False", "PodCompleted" if phase == "Succeeded" else "PodFailed", "")
    elif unready:
        ready = ("False", "ContainersNotReady", f"containers with unready status: {_go_list(unready)}")
    else:
        ready = ("True", "", "")
    containers_ready = _condition("ContainersReady", ready[0], pod, old, now, ready[1], ready[2])
    gates = _gates(pod, kept) if ready[0] == "True" else ""
    pod_ready = ready if not gates else ("False", "ReadinessGatesNotReady", gates)
    out.append(_condition("Ready", pod_ready[0], pod, old, now, pod_ready[1], pod_ready[2]))
    out.append(containers_ready)
    out.append(_condition("PodScheduled", "True", pod, old, now))
    return out


def _gates(pod: Obj, conditions: Sequence[Obj]) -> str:
    messages = []
    for gate in pod["spec"].get("readinessGates") or []:
        kind = gate.get("conditionType")
        found = next((c for c in conditions if c.get("type") == kind), None)
        if found is None:
            messages.append(f'corresponding condition of pod readiness gate "{kind}" does not exist.')
        elif found.get("status") != "True":
            messages.append(f'the status of pod readiness gate "{kind}" is not "True", but {found.get("status")}')
    return ", ".join(messages)


def pod_status(
    pod: Obj,
    *,
    now: datetime,
    start_time: datetime,
    host_ip: str,
    pod_ip: str | None,
    sandbox: bool,
    init: Sequence[Obj],
    main: Sequence[Obj],
    sidecars: frozenset[str] = frozenset(),
) -> Obj:
    """The whole status subresource the kubelet would write for `pod` now."""
    spec = pod["spec"]
    terminal = bool(pod["metadata"].get("deletionTimestamp"))
    phase = pod_phase(spec.get("restartPolicy", "Always"), init, main, sidecars, terminal=terminal)
    marked = [{**s, "restartPolicy": "Always"} if s["name"] in sidecars else s for s in init]
    status: Obj = {
        "observedGeneration": pod["metadata"].get("generation", 1),
        "phase": phase,
        "conditions": _conditions(
            pod, phase, sandbox, marked, [*main, *(s for s in init if s["name"] in sidecars)], now
        ),
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
    }
    if pod_ip:
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    status["startTime"] = rfc3339(start_time)
    if init:
        status["initContainerStatuses"] = list(init)
    status["containerStatuses"] = list(main)
    qos = (pod.get("status") or {}).get("qosClass")
    if qos:
        status["qosClass"] = qos
    for key in ("reason", "message", "nominatedNodeName"):
        if (pod.get("status") or {}).get(key):
            status[key] = pod["status"][key]
    return status
