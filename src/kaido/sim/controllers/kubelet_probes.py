"""Container probes as the kubelet runs them: schedule, thresholds, and upstream's failure messages.

A probe runs every `periodSeconds` after the container's start, skipping the times before
`initialDelaySeconds`; readiness also runs at the start itself (the kubelet triggers it at once to
fill in readiness). Liveness starts as success and readiness as failure; a result flips after
`failureThreshold` consecutive failures or `successThreshold` successes. Until a startup probe
succeeds, liveness and readiness do not run. The check itself asks the behaviour model (is the port
open, what does GET return, what does the command print) and words a failure as Go's net/http and
the kubelet's prober do, e.g. `Get "http://10.244.1.5:8080/": dial tcp 10.244.1.5:8080: connect:
connection refused` or `HTTP probe failed with statuscode: 503`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from kaido.sim.behaviour import Process
from kaido.sim.store import Obj

__all__ = ["KINDS", "ProbeOutcome", "ProbeState", "run_probe"]

KINDS: Final = (("Startup", "startupProbe"), ("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"))


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    ok: bool
    message: str = ""  # the failure, as the Unhealthy event words it after "<Kind> probe failed: "
    log: str = ""  # an access-log line the container writes for the probe's request


@dataclass
class ProbeState:
    kind: str  # "Startup", "Liveness" or "Readiness"
    spec: Obj
    next_at: float = 0.0  # seconds after the container's start
    successes: int = 0
    failures: int = 0
    result: bool | None = None

    @classmethod
    def create(cls, kind: str, spec: Obj) -> ProbeState:
        period = _seconds(spec, "periodSeconds", 10)
        delay = _seconds(spec, "initialDelaySeconds", 0)
        initial = {"Liveness": True, "Readiness": False, "Startup": None}[kind]
        first = max(math.ceil(delay / period), 0 if kind == "Readiness" else 1)
        return cls(kind, spec, next_at=period * first, result=initial)

    def due(self, elapsed: float) -> bool:
        return elapsed >= self.next_at

    def skip(self, elapsed: float) -> None:
        period = _seconds(self.spec, "periodSeconds", 10)
        while self.next_at <= elapsed:
            self.next_at += period

    def record(self, ok: bool, elapsed: float) -> None:
        if ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= _seconds(self.spec, "successThreshold", 1):
                self.result = True
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.failures >= _seconds(self.spec, "failureThreshold", 3):
                self.result = False
        self.skip(elapsed)


def _seconds(spec: Obj, key: str, default: int) -> int:
    value = spec.get(key)
    return int(value) if isinstance(value, int) and value > 0 else default


def run_probe(spec: Obj, process: Process, at: float, *, ip: str, ports: Obj, source: str) -> ProbeOutcome:
    """Run one probe against the container's process `at` seconds after its start."""
    if isinstance(spec.get("exec"), dict):
        code, output = process.exec([str(a) for a in spec["exec"].get("command") or []], at)
        return ProbeOutcome(code == 0, output.strip())
    for kind in ("httpGet", "tcpSocket", "grpc"):
        handler = spec.get(kind)
        if not isinstance(handler, dict):
            continue
        port = _port(handler.get("port"), ports)
        host = str(handler.get("host") or ip)
        if port is None:
            return ProbeOutcome(False, f"port {handler.get('port')!r} not found in the container's ports")
        open_ = host == ip and process.listening(port, at)
        if kind == "httpGet":
            return _http(handler, process, at, host=host, port=port, open_=open_, source=source)
        if kind == "grpc":
            if open_:
                return ProbeOutcome(True)
            return ProbeOutcome(
                False, f'timeout: failed to connect service "{host}:{port}" within 1s: context deadline exceeded'
            )
        if open_:
            return ProbeOutcome(True)
        return ProbeOutcome(False, f"dial tcp {host}:{port}: connect: connection refused")
    return ProbeOutcome(True)


def _http(handler: Obj, process: Process, at: float, *, host: str, port: int, open_: bool, source: str) -> ProbeOutcome:
    scheme = str(handler.get("scheme") or "HTTP").lower()
    path = str(handler.get("path") or "/")
    url = f"{scheme}://{host}:{port}{path}"
    if not open_:
        return ProbeOutcome(False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused')
    reply = process.http_get(port, path, at, source=source)
    if reply.status is None:
        return ProbeOutcome(False, f'Get "{url}": {reply.error}', reply.log)
    if scheme == "https":
        return ProbeOutcome(False, f'Get "{url}": http: server gave HTTP response to HTTPS client')
    if 200 <= reply.status < 400:
        return ProbeOutcome(True, log=reply.log)
    return ProbeOutcome(False, f"HTTP probe failed with statuscode: {reply.status}", reply.log)


def _port(value: object, ports: Obj) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    named = ports.get(str(value))
    return int(named) if named is not None else None
