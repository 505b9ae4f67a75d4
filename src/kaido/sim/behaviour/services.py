"""Long-running servers as behaviour models: listeners, web services, crashers, leaks, slow starters.

One frozen `Service` describes a server: the ports it listens on (its own, like nginx's 80, or the
container's declared ports), when it starts listening and when `/ready` starts answering 200, the
HTTP status of each path, its startup log lines, its CPU and memory (idle, per request, and a leak
that grows until the memory limit kills it), an optional crash (after N seconds, with an exit code
and the lines it prints first), environment variables it cannot start without, a share of
requests answered 500, and how it degrades under load: a capacity per pod (given, or what its CPU
limit allows) past which requests are shed as 503/504, with latency growing with the utilisation
(`kaido.sim.behaviour.overload`). `ServiceProcess` is one run of it; everything it answers is a function of
the launch, the seconds since start and the load.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Final

from kaido.sim.behaviour.model import Exit, HttpReply, Launch, Output, Requests, Usage, jitter
from kaido.sim.behaviour.overload import TIMEOUT_MS, Overload, overload
from kaido.sim.behaviour.shell import Extra, Machine
from kaido.sim.behaviour.shell_builtins import Buffer

__all__ = ["Crash", "Service", "ServiceProcess"]

MI: Final = 2**20
_LOGGED_PER_SECOND: Final = 2.0  # access logs are sampled above this many requests per second
_DEFAULT_PORT: Final = 8080
_STARTUP_DELAY: Final = 0.1  # an unmet requirement crashes this soon after the start


@dataclass(frozen=True, slots=True)
class Crash:
    """The process exits `after` seconds after its start with `code`, printing `lines` just before."""

    after: float
    code: int = 1
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    name: str = "service"
    ports: tuple[int, ...] = ()  # () listens on the container's declared ports (8080 without any)
    http: bool = True  # False: a TCP server; an HTTP GET gets no HTTP response (EOF)
    paths: Mapping[str, int] | None = None  # the status per path; None answers 200 everywhere
    not_found: int = 404
    ready_paths: tuple[str, ...] = ("/ready", "/readyz")
    listen_after: float = 0.0
    ready_after: float = 0.0  # before this, ready_paths answer 503
    startup: tuple[str, ...] = ()  # lines at the start; {time}, {nginx_time}, {redis_time}, {port}, {name}
    ready_line: str = ""  # printed when the service becomes ready (after ready_after)
    requires_env: tuple[str, ...] = ()  # missing or empty: print missing_env and exit 1
    missing_env: tuple[str, ...] = ("error: {var} is not set",)
    crash: Crash | None = None
    memory: int = 64 * MI  # working set at idle, bytes
    cpu: float = 0.002  # cores at idle
    cpu_per_request: float = 0.005  # core-seconds per request
    leak_per_second: float = 0.0  # bytes the working set grows each second
    error_rate: float = 0.0  # share of application requests answered 500
    capacity: float | None = None  # requests/s one pod serves; None: what the CPU limit allows, else unbounded
    latency_ms: float = 20.0  # service time of a request at low load
    access_log: str = "web"  # "web", "nginx" or "" (no access log)
    termination_code: int = 143
    programs: Mapping[str, str] = field(default_factory=dict)  # exec-able CLIs: name -> output when serving

    def launch(self, launch: Launch) -> ServiceProcess:
        return ServiceProcess(self, launch)

    def with_crash(self, crash: Crash) -> Service:
        return replace(self, crash=crash)


class ServiceProcess:
    def __init__(self, service: Service, launch: Launch) -> None:
        self.service = service
        self.launch = launch
        self.termination_code = service.termination_code
        self.ports = service.ports or launch.ports or (_DEFAULT_PORT,)
        self._missing = any(not launch.env.get(var) for var in service.requires_env)
        self._exit = self._exit_plan()
        self.capacity = self._capacity()

    def _capacity(self) -> float:
        service, limit = self.service, self.launch.cpu_limit
        if service.capacity is not None:
            return service.capacity
        if limit is None or service.cpu_per_request <= 0:
            return math.inf
        return max(limit - service.cpu, 0.0) / service.cpu_per_request

    def state(self, load: float) -> Overload:
        """Utilisation, served rate, latency and error shares under `load` requests per second."""
        service = self.service
        return overload(load, self.capacity, latency_ms=service.latency_ms, error_rate=service.error_rate)

    def _exit_plan(self) -> tuple[Exit, tuple[str, ...]] | None:
        service, env = self.service, self.launch.env
        missing = next((var for var in service.requires_env if not env.get(var)), None)
        if missing is not None:
            lines = tuple(line.format(var=missing, **self._fields(0.0)) for line in service.missing_env)
            return Exit(_STARTUP_DELAY, 1), lines
        if service.crash is not None:
            crash = service.crash
            return Exit(crash.after, crash.code), tuple(
                line.format(**self._fields(crash.after)) for line in crash.lines
            )
        return None

    def _fields(self, at: float) -> dict[str, str]:
        moment = self.launch.started_at + timedelta(seconds=at)
        repository, _, tag = self.launch.image.partition("@")[0].rpartition(":")
        if "/" in tag or not repository:
            repository, tag = self.launch.image.partition("@")[0], "latest"
        version = re.match(r"v?(\d+(?:\.\d+)*)", tag)
        return {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nginx_time": moment.strftime("%Y/%m/%d %H:%M:%S"),
            "redis_time": moment.strftime("%d %b %Y %H:%M:%S.000"),
            "pg_time": moment.strftime("%Y-%m-%d %H:%M:%S.000 UTC"),
            "port": str(self.ports[0]),
            "name": self.service.name,
            "tag": tag,
            "version": version.group(1) if version else "1.0.0",
            "image_name": repository.rsplit("/", 1)[-1],
        }

    def between(self, start: float, end: float, load: float) -> Output:
        service = self.service
        lines: list[tuple[float, str]] = []
        if start < 0.0 <= end and not self._missing:
            lines.extend((0.0, line.format(**self._fields(0.0))) for line in service.startup)
        ready_at = max(service.listen_after, service.ready_after)
        if service.ready_line and start < ready_at <= end:
            lines.append((ready_at, service.ready_line.format(**self._fields(ready_at))))
        finished: Exit | None = None
        if self._exit is not None:
            exit_, last_words = self._exit
            if start < exit_.at <= end:
                finished = exit_
                lines.extend((exit_.at, line) for line in last_words)
            end = min(end, exit_.at)
        lines.extend(self._access_log(max(start, ready_at), end, load))
        lines = sorted((line for line in lines if line[0] <= end), key=lambda line: line[0])
        return Output(tuple(lines), finished)

    def _access_log(self, start: float, end: float, load: float) -> list[tuple[float, str]]:
        if not self.service.access_log or end <= start or load <= 0:
            return []
        count = int(min(load, _LOGGED_PER_SECOND) * end) - int(min(load, _LOGGED_PER_SECOND) * start)
        state = self.state(load)
        out = []
        for index in range(count):
            at = start + (end - start) * (index + 1) / (count + 1)
            status = self._status(at, state)
            duration = _duration(status, state)
            out.append((at, self._access_line(at, "/", status, "Mozilla/5.0", "10.244.0.1", duration)))
        return out

    def _status(self, at: float, state: Overload) -> int:
        """The status of the request at `at`: shed (503, or 504 timing out), failed (500) or 200."""
        if state.error_share <= 0:
            return 200
        digest = hashlib.blake2b(f"{self.launch.seed}:{at:.3f}".encode(), digest_size=4).digest()
        unit = int.from_bytes(digest, "big") / 2**32
        if unit < state.shed:
            return 503 if unit < state.shed / 2 else 504
        return 500 if unit < state.error_share else 200

    def _fails(self, at: float) -> bool:
        return self._status(at, self.state(0.0)) != 200

    def requests(self, start: float, end: float, load: float) -> tuple[Requests, ...]:
        """Every application request answered in (start, end], by status (the access log only samples them)."""
        service = self.service
        start = max(start, service.listen_after, service.ready_after)
        if self._exit is not None:
            end = min(end, self._exit[0].at)
        if not service.http or end <= start or load <= 0:
            return ()
        state = self.state(load)

        def count(rate: float) -> int:  # whole requests at `rate` per second up to end, minus those up to start
            return int(rate * end) - int(rate * start)

        rejected = timed_out = count(load * state.shed / 2)
        failed = count(load * (state.error_share - state.shed))
        ok = max(count(load) - rejected - timed_out - failed, 0)
        answered = ((200, ok), (500, failed), (503, rejected), (504, timed_out))
        return tuple(Requests(status, n, _duration(status, state) / 1000) for status, n in answered if n > 0)

    def _access_line(
        self, at: float, path: str, status: int, agent: str, source: str, duration: float | None = None
    ) -> str:
        moment = self.launch.started_at + timedelta(seconds=at)
        if self.service.access_log == "nginx":
            stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
            size = 615 if status == 200 else 153
            return f'{source} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}" "-"'
        base = self.service.latency_ms if duration is None else duration
        spread = 0.0 if status == 504 else 0.5
        millis = max(1, int(base * jitter(self.launch.seed, at, spread=spread)))
        return (
            f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} INFO request method=GET path={path} "
            f"status={status} duration_ms={millis} remote={source}"
        )

    def listening(self, port: int, at: float) -> bool:
        alive = self._exit is None or at < self._exit[0].at
        return alive and at >= self.service.listen_after and port in self.ports

    def http_get(self, port: int, path: str, at: float, *, source: str) -> HttpReply:
        if not self.service.http:
            return HttpReply(None, "EOF")
        service = self.service
        if path in service.ready_paths and at < service.ready_after:
            status = 503
        elif service.paths is not None:
            status = service.paths.get(path, service.not_found)
        else:
            status = 500 if path not in service.ready_paths and path != "/health" and self._fails(at) else 200
        log = self._access_line(at, path, status, "kube-probe/1.35", source) if service.access_log else ""
        return HttpReply(status, log=log)

    def exec(self, argv: Sequence[str], at: float) -> tuple[int, str]:
        serving = self.listening(self.ports[0], at)
        extra = {name: _program(output, serving=serving) for name, output in self.service.programs.items()}
        buffer = Buffer()
        machine = Machine(env=self.launch.env, launch=self.launch, extra=extra, capture=buffer)
        status = 0
        for event in machine.run_argv(argv):
            if event.kind == "exit":
                status = event.code
        return status, "\n".join(buffer.lines).strip("\n")

    def usage(self, at: float, load: float) -> Usage:
        service = self.service
        state, limit = self.state(load), self.launch.cpu_limit
        cpu = (service.cpu + service.cpu_per_request * state.served) * jitter(self.launch.seed, at)
        if limit is not None:  # a pod whose capacity its CPU limit sets uses all of it once saturated
            cpu = limit if service.capacity is None and state.utilisation >= 1 else min(cpu, limit)
        memory = service.memory * jitter(self.launch.seed + 1, at, spread=0.02) + service.leak_per_second * at
        return Usage(cpu=cpu, memory=int(memory))


def _duration(status: int, state: Overload) -> float:
    """Milliseconds a request answered `status` took: a timeout waits it out, a shed 503 is answered at once."""
    if status == 504:
        return TIMEOUT_MS
    return 1.0 if status == 503 else state.latency_ms


def _program(output: str, *, serving: bool) -> Extra:
    """A CLI of the image (redis-cli, pg_isready): it succeeds while the server listens."""

    def run(args: Sequence[str]) -> tuple[int, str]:
        return (0, output) if serving else (1, "connection refused")

    return run
