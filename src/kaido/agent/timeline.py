"""The agent's narrative: what it saw and what it did, in order, in plain words.

A bounded ring of entries with increasing sequence numbers, so readers (the API, `kaido demo`)
can follow it with "everything after N" without ever blocking the agent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = ["Entry", "Timeline"]

Category = Literal[
    "agent", "change", "finding", "resolved", "action", "alert", "scaling", "incident", "policy", "leader"
]


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: datetime
    category: Category
    text: str
    target: str | None = None
    severity: str = "info"

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "category": self.category,
            "severity": self.severity,
            "target": self.target,
            "text": self.text,
        }


class Timeline:
    """At most `capacity` recent entries; `wait_after` lets a reader follow new ones."""

    def __init__(self, *, capacity: int = 2000) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = asyncio.Event()

    def add(
        self, at: datetime, category: Category, text: str, *, target: str | None = None, severity: str = "info"
    ) -> Entry:
        self._seq += 1
        entry = Entry(self._seq, at, category, text, target, severity)
        self._entries.append(entry)
        self._changed.set()
        return entry

    def after(self, seq: int, *, limit: int = 200) -> list[Entry]:
        return [e for e in self._entries if e.seq > seq][:limit]

    @property
    def last_seq(self) -> int:
        return self._seq

    async def wait_after(self, seq: int) -> list[Entry]:
        """Entries after `seq`, waiting until there is at least one."""
        while self._seq <= seq:
            self._changed.clear()
            await self._changed.wait()
        return self.after(seq, limit=len(self._entries))
