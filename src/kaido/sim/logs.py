"""Container logs as the kubelet keeps them: per container, the current and the previous instance.

Writers (the simulated kubelet) append lines; the `log` subresource reads them with kubectl's
options (tailLines, sinceSeconds, sinceTime, timestamps, limitBytes, previous) and can follow.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["LogLine", "LogOptions", "PodLogs"]

LogKey = tuple[str, str, str]  # namespace, pod, container


@dataclass(frozen=True, slots=True)
class LogLine:
    time: datetime
    text: str

    def render(self, *, timestamps: bool) -> str:
        if timestamps:
            return f"{self.time.strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {self.text}\n"
        return self.text + "\n"


@dataclass(frozen=True, slots=True)
class LogOptions:
    previous: bool = False
    tail_lines: int | None = None
    since: datetime | None = None
    timestamps: bool = False
    limit_bytes: int | None = None


@dataclass
class _Container:
    current: list[LogLine] = field(default_factory=list)
    previous: list[LogLine] = field(default_factory=list)
    has_previous: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False


class PodLogs:
    """Log lines per container; bounded per instance so a chatty container cannot exhaust memory."""

    def __init__(self, *, max_lines: int = 10_000) -> None:
        self.max_lines = max_lines
        self._containers: dict[LogKey, _Container] = defaultdict(_Container)

    def append(self, key: LogKey, time: datetime, text: str) -> None:
        container = self._containers[key]
        container.current.append(LogLine(time, text))
        if len(container.current) > self.max_lines:
            del container.current[: len(container.current) - self.max_lines]
        self._notify(container)

    def restart(self, key: LogKey) -> None:
        """The container restarted: its current log becomes the previous one."""
        container = self._containers[key]
        container.previous, container.current, container.has_previous = container.current, [], True
        self._notify(container)

    def end(self, key: LogKey) -> None:
        """The container stopped for good: followers finish."""
        container = self._containers[key]
        container.ended = True
        self._notify(container)

    def forget_pod(self, namespace: str, pod: str) -> None:
        for key in [k for k in self._containers if k[:2] == (namespace, pod)]:
            self.end(key)
            del self._containers[key]

    def has_previous(self, key: LogKey) -> bool:
        return self._containers[key].has_previous if key in self._containers else False

    def read(self, key: LogKey, options: LogOptions) -> str:
        container = self._containers.get(key)
        if container is None:
            return ""
        lines = container.previous if options.previous else container.current
        return _render(_select(lines, options), options)

    async def follow(self, key: LogKey, options: LogOptions) -> AsyncIterator[str]:
        """The selected lines, then each new line until the container ends or restarts."""
        container = self._containers[key]
        lines = container.current
        sent = len(lines)
        budget = options.limit_bytes
        first = _render(_select(lines, options), options)
        if first:
            yield first
            budget = None if budget is None else budget - len(first.encode())
        while not container.ended and (budget is None or budget > 0):
            container.changed.clear()
            await container.changed.wait()
            if container.current is not lines:  # restarted: this instance's stream is over
                return
            for line in lines[sent:]:
                chunk = line.render(timestamps=options.timestamps)
                yield chunk
                if budget is not None:
                    budget -= len(chunk.encode())
            sent = len(lines)

    @staticmethod
    def _notify(container: _Container) -> None:
        container.changed.set()


def _select(lines: list[LogLine], options: LogOptions) -> list[LogLine]:
    if options.since is not None:
        lines = [line for line in lines if line.time >= options.since]
    if options.tail_lines is not None:
        lines = lines[-options.tail_lines :] if options.tail_lines > 0 else []
    return lines


def _render(lines: list[LogLine], options: LogOptions) -> str:
    text = "".join(line.render(timestamps=options.timestamps) for line in lines)
    if options.limit_bytes is not None:
        text = text.encode()[: options.limit_bytes].decode(errors="ignore")
    return text
