"""The contract between the simulated kubelet and behaviour models: a launch goes in, a process comes out.

A model (a `Behaviour`) turns a `Launch` — the container's image, command line, environment, ports,
limits, start time and a seed — into a `Process`. The kubelet then asks the process questions
indexed by the seconds since the container started: what it printed and whether it exited in a
window, whether a port is open, what an HTTP GET returns, what a command run inside it prints (exec
probes), and how much CPU and memory it uses under a load (requests per second). The answers depend
on nothing else, so a run is reproducible; a process may memoize, it never reads a clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Behaviour", "Exit", "HttpReply", "Launch", "Output", "Process", "Requests", "Serving", "Usage", "jitter"]


@dataclass(frozen=True, slots=True)
class Launch:
    """One start of one container, as the kubelet resolved it."""

    image: str
    started_at: datetime
    command: tuple[str, ...] = ()  # spec.command after $(VAR) expansion; () runs the image's entrypoint
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()  # the declared containerPorts
    memory_limit: int | None = None  # bytes
    cpu_limit: float | None = None  # cores
    seed: int = 0
    container: str = "app"
    pod: str = ""


@dataclass(frozen=True, slots=True)
class Exit:
    at: float  # seconds after the start
    code: int


@dataclass(frozen=True, slots=True)
class Output:
    """What a process printed in a window (seconds after its start, ascending) and whether it exited there."""

    lines: tuple[tuple[float, str], ...] = ()
    exit: Exit | None = None


@dataclass(frozen=True, slots=True)
class HttpReply:
    """An answer on an open port: a status, or `error` (Go's text, e.g. "EOF") when no HTTP response came."""

    status: int | None
    error: str = ""
    log: str = ""  # the access-log line the server writes for this request, if it logs requests


@dataclass(frozen=True, slots=True)
class Usage:
    cpu: float  # cores
    memory: int  # working-set bytes


@dataclass(frozen=True, slots=True)
class Requests:
    """Application requests a server answered in a window: `count` answered `status`, each in `seconds`."""

    status: int
    count: int
    seconds: float


class Process(Protocol):
    # The exit code when the kubelet stops it (SIGTERM, then SIGKILL after the grace period).
    termination_code: int

    def between(self, start: float, end: float, load: float) -> Output:
        """Lines printed and the exit, if any, in the window (start, end]."""
        ...

    def listening(self, port: int, at: float) -> bool: ...

    def http_get(self, port: int, path: str, at: float, *, source: str) -> HttpReply:
        """A GET on an open port from `source` (an IP), as a kubelet probe or a client sends it."""
        ...

    def exec(self, argv: Sequence[str], at: float) -> tuple[int, str]:
        """Run a command inside the container (an exec probe): its exit code and combined output."""
        ...

    def usage(self, at: float, load: float) -> Usage: ...


@runtime_checkable
class Serving(Protocol):
    """A process that answers application requests (a web service): the kubelet counts them."""

    def requests(self, start: float, end: float, load: float) -> tuple[Requests, ...]:
        """The requests answered in the window (start, end] under `load`, by status; none answered: ()."""
        ...


class Behaviour(Protocol):
    def launch(self, launch: Launch) -> Process: ...


def jitter(seed: int, at: float, *, spread: float = 0.04, period: float = 15.0) -> float:
    """A deterministic factor in [1 - spread, 1 + spread] that changes every `period` seconds."""
    digest = hashlib.blake2b(f"{seed}:{int(at // period)}".encode(), digest_size=8).digest()
    unit = int.from_bytes(digest, "big") / 2**64
    return 1.0 + spread * (2.0 * unit - 1.0)
