"""What the scaler remembers of the minReplicas floors it set, so its two passes never fight.

Predictive scaling raises an HPA's minReplicas above the policy's baseline; HPA management must
then compare the live HPA with that raised floor, not with the baseline, or it would undo the
raise as drift. A floor is remembered before its write is sent (the write's own watch event wakes
HPA management while the executor is still awaited) and put back if the write does not happen.
After a write, the cached HPA is stale until the informer delivers a version with the floor
written (or `PENDING_FOR` seconds pass, for a write someone else overwrote): until then HPA
management leaves that HPA alone instead of "correcting" an older version it still sees (a status
update of the HPA controller can arrive before the write's own event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

__all__ = ["PENDING_FOR", "Floors"]

PENDING_FOR: Final = 30.0  # seconds a write's own event may take to reach the cache


@dataclass
class Floors:
    raised: dict[str, int] = field(default_factory=dict)  # HPA key -> minReplicas set above the baseline
    until: dict[str, datetime] = field(default_factory=dict)  # HPA key -> the predicted peak the raise is for
    pending: dict[str, tuple[int, float]] = field(default_factory=dict)  # HPA key -> (floor written, until)

    def snapshot(self, key: str) -> tuple[int | None, datetime | None]:
        return self.raised.get(key), self.until.get(key)

    def remember(self, key: str, floor: int, *, baseline: int, peak_at: datetime | None) -> None:
        """The floor kaido is setting: kept when above the baseline, forgotten when back at it."""
        if floor > baseline:
            self.raised[key] = floor
            if peak_at is not None:
                self.until[key] = peak_at
        else:
            self.forget(key)

    def restore(self, key: str, snapshot: tuple[int | None, datetime | None]) -> None:
        """Put back what `snapshot` held: the write it was taken for did not happen."""
        raised, until = snapshot
        self.forget(key)
        if raised is not None:
            self.raised[key] = raised
        if until is not None:
            self.until[key] = until

    def forget(self, key: str) -> None:
        self.raised.pop(key, None)
        self.until.pop(key, None)

    def written(self, key: str, floor: int, *, now: float) -> None:
        """A write of minReplicas `floor` is on its way; `now` is the scaler clock's monotonic time."""
        self.pending[key] = (floor, now + PENDING_FOR)

    def stale(self, live: Mapping[str, Any], *, now: float) -> bool:
        meta = live.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        if key not in self.pending:
            return False
        floor, until = self.pending[key]
        if (live.get("spec") or {}).get("minReplicas") == floor or now >= until:
            del self.pending[key]
            return False
        return True
