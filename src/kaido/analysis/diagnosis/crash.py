"""Containers that exit: crash loops with the exit code and the log line that explains them, and OOM kills.

A container counts as crashing when it waits in CrashLoopBackOff, when it terminated with a non-zero
code and will not be restarted (a failed pod), or when it runs again after a recent termination and
has either restarted more than once or is not ready: a crash-looping container spends part of each
cycle running, and a diagnosis taken then must still see the loop. The termination that explains it
is the current one when the container is terminated, else the last one, and its log (of the
previous instance) supplies the explanation: "exit 1 after log line 'DEPLOY_ENV is not set'".

An OOMKilled termination is its own cause: the fix is memory, not code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.evidence import (
    clip,
    describe_event,
    exit_meaning,
    explaining_line,
    plural,
    quote,
)
from kaido.analysis.diagnosis.model import CRASH_LOOP, OOM_KILLED, Problem
from kaido.analysis.findings import describe_duration
from kaido.analysis.status import ContainerStatus, parse_time
from kaido.core.errors import QuantityError
from kaido.core.quantity import parse_quantity

__all__ = ["crash_problem", "termination_of"]

_ENV_VAR: Final = re.compile(r"\b([A-Z][A-Z0-9_]{2,})\b[^.]*\b(?:is not set|not set|must be set|is required|missing)")


def termination_of(case: PodCase, status: ContainerStatus) -> tuple[Mapping[str, Any], bool] | None:
    """The termination that explains a crashing container, and whether it is the current state.

    None when the container is not crashing (running steadily, never terminated, or completed as
    its restart policy expects).
    """
    kind, current = status.state()
    last_kind, last = status.state("lastState")
    if kind == "terminated":
        if current.get("exitCode") == 0 and current.get("reason") != "OOMKilled":
            return None  # completed; a pod that keeps restarting it shows CrashLoopBackOff instead
        return current, True
    if last_kind != "terminated":
        return None
    if kind == "waiting" and current.get("reason") == "CrashLoopBackOff":
        return last, False
    if not case.ctx.recent(last.get("finishedAt")):
        return None
    if (
        kind == "running"
        and status.restart_count < 2
        and status.body.get("ready")
        and last.get("reason") != "OOMKilled"
    ):
        return None  # one restart, and ready since: not a loop
    return last, False


def crash_problem(case: PodCase, status: ContainerStatus) -> Problem | None:
    """crash-loop or oom-killed for one container, or None when it is not crashing."""
    found = termination_of(case, status)
    if found is None:
        return None
    termination, current = found
    if termination.get("reason") == "OOMKilled":
        return _oom(case, status, termination)
    return _crash(case, status, termination, current=current)


def _ran_for(termination: Mapping[str, Any]) -> str:
    started, finished = parse_time(termination.get("startedAt")), parse_time(termination.get("finishedAt"))
    if started is None or finished is None or finished < started:
        return ""
    return f" after {describe_duration((finished - started).total_seconds())}"


def _state_note(case: PodCase, status: ContainerStatus, *, current: bool) -> str:
    kind, details = status.state()
    restarts = plural(status.restart_count, "restart")
    if kind == "waiting" and details.get("reason") == "CrashLoopBackOff":
        return f"CrashLoopBackOff, {restarts}"
    if current:
        return f"the pod is {case.status.get('phase') or 'Pending'}, {restarts}"
    return f"{kind or 'no state'} again, {restarts}"


def _crash(case: PodCase, status: ContainerStatus, termination: Mapping[str, Any], *, current: bool) -> Problem:
    code = termination.get("exitCode")
    logs = case.ctx.logs(case.pod, status.name)
    line = explaining_line(logs) if logs else None
    meaning = exit_meaning(code)
    detail = f"exit {code}" + (f" ({meaning})" if meaning else "")
    if line is not None:
        detail += f" after log line {quote(line)}"
    elif code == 0:
        detail += f" ({termination.get('reason') or 'Completed'}){_ran_for(termination)}"
    else:
        detail += _ran_for(termination) + (" with no log output" if logs is not None else "")
    restart_policy = case.spec.get("restartPolicy") or "Always"
    if code == 0 and restart_policy == "Always" and not status.init:
        detail += ", but restartPolicy Always restarts it"
    summary = f"{status.label}: {detail} ({_state_note(case, status, current=current)})"
    evidence = [status.describe(), *_log_evidence(logs, current=current)]
    if not line:
        evidence.append(f"command of {status.label}: {_command(case.container_spec(status))}")
    evidence += [describe_event(e) for e in case.ctx.pod_events(case.pod, container=status.name, reason="BackOff")]
    return Problem(
        cause=CRASH_LOOP,
        severity="critical",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=_crash_fix(case, status, code, line),
        container=status.name,
    )


def _log_evidence(logs: Sequence[str] | None, *, current: bool) -> list[str]:
    """The explaining log line as written, then the last line if it is another one."""
    written = [text for text in logs or () if text.strip()]
    if not written:
        return []
    which = "current" if current else "previous"
    line = explaining_line(written)
    chosen = next((text for text in reversed(written) if line and line in text), written[-1])
    lines = [chosen] + ([written[-1]] if written[-1] != chosen else [])
    return [f"log of the {which} instance: {clip(text)}" for text in lines]


def _command(spec: Mapping[str, Any]) -> str:
    words = [str(w) for w in (*(spec.get("command") or ()), *(spec.get("args") or ()))]
    return " ".join(words) if words else "the image's default"


def _crash_fix(case: PodCase, status: ContainerStatus, code: object, line: str | None) -> str:
    where = f"{case.kubectl_ref} {case.kubectl_ns}"
    text = line or ""
    variable = _ENV_VAR.search(text)
    if variable is not None:
        name = variable.group(1)
        command = f"kubectl set env {where} -c {status.name} {name}=<value>"
        return f"set the environment variable {name} of {status.label}: {command}"
    if code == 0 and (case.spec.get("restartPolicy") or "Always") == "Always":
        return "the command finishes instead of serving: make it keep running, or run it as a Job"
    if code in (126, 127):
        return f"fix the command or the image of {status.label} in {case.kubectl_ref}: the executable cannot be run"
    lowered = text.lower()
    if "refused" in lowered or "could not connect" in lowered or "no such host" in lowered:
        return "the application cannot reach a dependency named in the log line; check that Service and its endpoints"
    if "x509" in lowered or "certificate" in lowered:
        return "renew or replace the certificate the application loads (see the log line)"
    if line is None:
        return (
            f"{status.label} exits with code {code} without a word: check its command "
            f"({_command(case.container_spec(status))}) and image in {case.kubectl_ref}"
        )
    previous = "" if status.state()[0] == "terminated" else " --previous"
    return (
        f"fix the error the application reports: kubectl logs {case.name} -c {status.name}{previous} {case.kubectl_ns}"
    )


def _oom(case: PodCase, status: ContainerStatus, termination: Mapping[str, Any]) -> Problem:
    spec = case.container_spec(status)
    limit = ((spec.get("resources") or {}).get("limits") or {}).get("memory")
    started = case.ctx.seconds_since(case.status.get("startTime"))
    restarts = plural(status.restart_count, "restart")
    span = f" in {describe_duration(started)}" if started is not None else ""
    finished = termination.get("finishedAt") or "at an unknown time"
    if limit:
        summary = (
            f"OOMKilled: {status.label} reached its {limit} memory limit (last killed {finished}); {restarts}{span}"
        )
    else:
        summary = (
            f"OOMKilled: {status.label} has no memory limit and was killed when its node ran out of memory "
            f"(last killed {finished}); {restarts}{span}"
        )
    evidence = [status.describe(), f"resources of {status.label}: {dict(spec.get('resources') or {}) or 'none set'}"]
    evidence += _log_evidence(case.ctx.logs(case.pod, status.name), current=False)
    return Problem(
        cause=OOM_KILLED,
        severity="critical",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=_oom_fix(case, status, limit),
        container=status.name,
    )


def _oom_fix(case: PodCase, status: ContainerStatus, limit: object) -> str:
    raised = _raised(limit)
    where = f"{case.kubectl_ref} {case.kubectl_ns}"
    if raised is None:
        return (
            f"set resources.requests.memory and limits.memory of {status.label} in {case.kubectl_ref} to what it "
            "really uses, so the scheduler places it on a node with room"
        )
    return (
        f"raise the memory limit of {status.label} above {limit} (kubectl set resources {where} -c {status.name} "
        f"--limits=memory={raised}), or find what makes it grow"
    )


def _raised(limit: object) -> str | None:
    """Half as much again as `limit`, in its own format ("256Mi" -> "384Mi"); None without a usable limit."""
    if not isinstance(limit, str | int):
        return None
    try:
        return str(parse_quantity(limit).scaled(Decimal("1.5")))
    except QuantityError:
        return None
