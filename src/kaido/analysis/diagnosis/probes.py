"""Failing probes: liveness (and startup) probes that restart a container, readiness probes that keep it out.

The kubelet reports each failed probe as an `Unhealthy` Event ("Liveness probe failed: Get
"http://10.244.1.5:8080/": dial tcp ...: connect: connection refused") and each restart it causes as
a `Killing` Event ("Container app failed liveness probe, will be restarted"). A container whose last
termination was such a kill has a `liveness-probe` problem rather than a crash: the application did
not exit on its own. A running container that is not ready, with readiness failures since it
started, has a `readiness-probe` problem. The most common mistake is visible in the spec: a probe
aimed at a port the container does not declare ("the container listens on 80").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.crash import termination_of
from kaido.analysis.diagnosis.evidence import clip, describe_event, event_time, message_of, plural
from kaido.analysis.diagnosis.model import LIVENESS_PROBE, READINESS_PROBE, Problem
from kaido.analysis.findings import describe_duration
from kaido.analysis.status import ContainerStatus, parse_time

__all__ = ["describe_probe", "liveness_problem", "port_mismatch", "readiness_problem"]

_STATUS_CODE: Final = re.compile(r"statuscode: (\d+)")
_KILL_SLACK: Final = timedelta(seconds=30)  # the Killing Event and the recorded finish may differ a little


def describe_probe(spec: Mapping[str, Any]) -> str:
    """ "http :8080/healthz", "tcp :5432", "exec cat /tmp/ready", "grpc :9090"."""
    if isinstance(spec.get("httpGet"), Mapping):
        handler = spec["httpGet"]
        scheme = "https" if str(handler.get("scheme") or "").upper() == "HTTPS" else "http"
        return f"{scheme} :{handler.get('port')}{handler.get('path') or '/'}"
    if isinstance(spec.get("tcpSocket"), Mapping):
        return f"tcp :{spec['tcpSocket'].get('port')}"
    if isinstance(spec.get("grpc"), Mapping):
        return f"grpc :{spec['grpc'].get('port')}"
    if isinstance(spec.get("exec"), Mapping):
        return "exec " + " ".join(str(a) for a in spec["exec"].get("command") or [])
    return "(no handler)"


def port_mismatch(probe: Mapping[str, Any], container: Mapping[str, Any]) -> tuple[str, int | None]:
    """(sentence, the port to use) when the probe's port is not one the container declares; ("", None) otherwise."""
    handler = next((probe[k] for k in ("httpGet", "tcpSocket", "grpc") if isinstance(probe.get(k), Mapping)), None)
    if handler is None:
        return "", None
    port = handler.get("port")
    ports = [p for p in container.get("ports") or [] if isinstance(p.get("containerPort"), int)]
    declared = [int(p["containerPort"]) for p in ports]
    if isinstance(port, str) and not port.isdigit():
        if any(p.get("name") == port for p in ports):
            return "", None
        return f"the container declares no port named {port}", (declared[0] if declared else None)
    if not declared or port is None or int(port) in declared:
        return "", None
    return f"the container listens on {', '.join(map(str, declared))}", declared[0]


def _short(message: str) -> str:
    """The failure without the URL noise: "connection refused", "HTTP 503", "timed out"."""
    text = message.split("probe failed:", 1)[-1].strip()
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused"
    code = _STATUS_CODE.search(text)
    if code is not None:
        return f"HTTP {code.group(1)}"
    if "timeout" in lowered or "deadline exceeded" in lowered or "timed out" in lowered:
        return "timed out"
    return clip(text, 120) or "no output"


def _probe_events(case: PodCase, status: ContainerStatus, kind: str, since: datetime | None) -> list[Mapping[str, Any]]:
    """Unhealthy Events of this container's `kind` ("Liveness", ...) probe, seen at or after `since`."""
    return [
        e
        for e in case.ctx.pod_events(case.pod, container=status.name, reason="Unhealthy")
        if message_of(e).startswith(f"{kind} probe failed")
        and (since is None or (event_time(e) or case.ctx.now) >= since)
    ]


def liveness_problem(case: PodCase, status: ContainerStatus) -> Problem | None:
    """liveness-probe when the container's last termination was a kill for a failed liveness or startup probe."""
    found = termination_of(case, status)
    if found is None:
        return None
    termination, _ = found
    started, finished = parse_time(termination.get("startedAt")), parse_time(termination.get("finishedAt"))
    for kind in ("Liveness", "Startup"):
        kills = [
            e
            for e in case.ctx.pod_events(case.pod, container=status.name, reason="Killing")
            if f"failed {kind.lower()} probe" in message_of(e)
            and _within(event_time(e), started, finished + _KILL_SLACK if finished else None)
        ]
        if kills:
            failures = _probe_events(case, status, kind, started)
            return _problem(case, status, kind, failures, kills[-1:], restarted=True)
    return None


def readiness_problem(case: PodCase, status: ContainerStatus) -> Problem | None:
    """readiness-probe for a running, unready container that has failed readiness since it started."""
    kind, running = status.state()
    if kind != "running" or status.body.get("ready") or status.init:
        return None
    started = parse_time(running.get("startedAt"))
    age = case.ctx.seconds_since(started)
    if age is not None and age < case.ctx.settings.not_ready_grace:
        return None  # still starting; readiness fails until the application listens
    failures = _probe_events(case, status, "Readiness", started)
    if not failures:
        return None
    return _problem(case, status, "Readiness", failures, [], restarted=False, unready_for=age)


def _within(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return True
    return (start is None or moment >= start - _KILL_SLACK) and (end is None or moment <= end)


def _problem(
    case: PodCase,
    status: ContainerStatus,
    kind: str,
    failures: list[Mapping[str, Any]],
    kills: list[Mapping[str, Any]],
    *,
    restarted: bool,
    unready_for: float | None = None,
) -> Problem:
    container = case.container_spec(status)
    probe = container.get(f"{kind.lower()}Probe") or {}
    said = _short(message_of(failures[-1])) if failures else "the kubelet killed the container"
    mismatch, port = port_mismatch(probe, container)
    summary = f"{kind.lower()} probe {describe_probe(probe)} of {status.label} failed: {said}"
    summary += f"; {mismatch}" if mismatch else ""
    if restarted:
        state, details = status.state()
        note = "CrashLoopBackOff" if details.get("reason") == "CrashLoopBackOff" else state or "no state"
        summary += f" ({note}, {plural(status.restart_count, 'restart')})"
    elif unready_for is not None:
        summary += f" (not ready for {describe_duration(unready_for)})"
    evidence = (status.describe(), *(describe_event(e) for e in [*failures[-2:], *kills]))
    return Problem(
        cause=LIVENESS_PROBE if restarted else READINESS_PROBE,
        severity="critical" if restarted else "warning",
        summary=summary,
        evidence=evidence,
        suggestion=_fix(case, status, kind, probe, said, port),
        container=status.name,
    )


def _fix(
    case: PodCase, status: ContainerStatus, kind: str, probe: Mapping[str, Any], said: str, port: int | None
) -> str:
    field = f"{kind.lower()}Probe"
    handler = next((k for k in ("httpGet", "tcpSocket", "grpc") if isinstance(probe.get(k), Mapping)), None)
    if port is not None and handler is not None:
        return f"set {field}.{handler}.port of {status.label} in {case.kubectl_ref} to {port}"
    if said == "connection refused":
        return (
            f"the application does not listen where {field} looks: fix the probe's port, or give a slow start "
            "more time with a startupProbe or a larger initialDelaySeconds"
        )
    if said.startswith("HTTP "):
        return f"make {describe_probe(probe)} answer 2xx or 3xx, or point {field} at an endpoint that does"
    if said == "timed out":
        return f"raise {field}.timeoutSeconds of {status.label} or make the endpoint answer faster"
    return f"check {field} of {status.label} in {case.kubectl_ref} against what the application serves"
