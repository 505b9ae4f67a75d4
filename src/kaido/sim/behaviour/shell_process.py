"""The behaviour of a container whose main process is a command run by the tiny shell.

`ShellProcess` pulls the machine's events lazily up to the time asked, so an endless loop costs only
what is read; lines already read are dropped and older file changes folded into a base state, so a
day-long loop keeps a bounded history. Exec probes run a second machine over the files as they were
at the probe's time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

from kaido.sim.behaviour.model import Exit, HttpReply, Launch, Output, Usage
from kaido.sim.behaviour.shell import Extra, Machine
from kaido.sim.behaviour.shell_builtins import Buffer, Event

__all__ = ["ShellProcess"]

_EXEC_HORIZON: Final = 10.0  # an exec probe that runs longer than this counts as timed out
_MAX_OUTPUT: Final = 1000  # lines per window a chatty loop may log


class ShellProcess:
    """A container whose main process is a command run by the tiny shell."""

    termination_code = 137  # a shell as PID 1 ignores SIGTERM: it is killed after the grace period

    def __init__(self, argv: Sequence[str], launch: Launch, *, extra: Mapping[str, Extra] | None = None) -> None:
        self._launch = launch
        self._extra = dict(extra or {})
        env = {"HOSTNAME": launch.pod or "localhost", **launch.env}
        self._env = env
        self._stream = Machine(env=env, launch=launch, extra=extra).run_argv(argv)
        self._events: list[Event] = []
        self._base_files: dict[str, str] = {}
        self._frontier = -math.inf
        self._done = False
        self._serving_at: float | None = None

    def _pull(self, until: float) -> None:
        while not self._done and self._frontier <= until:
            event = next(self._stream, None)
            if event is None:
                self._done = True
                break
            self._frontier = event.at
            if event.kind == "serve" and self._serving_at is None:
                self._serving_at = event.at
            if event.kind in ("line", "file", "exit"):
                self._events.append(event)

    def between(self, start: float, end: float, load: float) -> Output:
        self._pull(end)
        lines: list[tuple[float, str]] = []
        finished: Exit | None = None
        for event in self._events:
            if not start < event.at <= end:
                continue
            if event.kind == "exit":
                finished = Exit(event.at, event.code)
                break
            if event.kind == "line":
                lines.append((event.at, event.text))
        self._compact(start)
        return Output(tuple(lines[-_MAX_OUTPUT:]), finished)

    def _compact(self, before: float) -> None:
        """Forget lines already read; fold older file changes into the base file state."""
        if len(self._events) < 2 * _MAX_OUTPUT:
            return
        kept = []
        for event in self._events:
            if event.at > before or event.kind == "exit":
                kept.append(event)
            elif event.kind == "file":
                _apply(self._base_files, event)
        self._events = kept

    def _files_at(self, at: float) -> dict[str, str]:
        files = dict(self._base_files)
        for event in self._events:
            if event.kind == "file" and event.at <= at:
                _apply(files, event)
        return files

    def listening(self, port: int, at: float) -> bool:
        self._pull(at)
        declared = not self._launch.ports or port in self._launch.ports
        return self._serving_at is not None and self._serving_at <= at and declared

    def http_get(self, port: int, path: str, at: float, *, source: str) -> HttpReply:
        return HttpReply(200)

    def exec(self, argv: Sequence[str], at: float) -> tuple[int, str]:
        self._pull(at)
        buffer = Buffer()
        machine = Machine(
            env=self._env, files=self._files_at(at), launch=self._launch, extra=self._extra, capture=buffer
        )
        status = 0
        for event in machine.run_argv(argv):
            if event.at > _EXEC_HORIZON:
                return 1, f"command {' '.join(argv)!r} timed out"
            if event.kind == "exit":
                status = event.code
        return status, "\n".join(buffer.lines).strip("\n")

    def usage(self, at: float, load: float) -> Usage:
        serving = self._serving_at is not None and self._serving_at <= at
        return Usage(cpu=0.002 if serving else 0.0, memory=24 * 2**20 if serving else 700 * 2**10)


def _apply(files: dict[str, str], event: Event) -> None:
    if event.gone:
        files.pop(event.path, None)
    else:
        files[event.path] = event.text
