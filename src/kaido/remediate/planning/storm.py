"""The storm guard: when many workloads fail at once, the cause is likely the cluster, not each of them.

Restarting twenty workloads because a node pool lost its network only adds churn. While more than
`healing.stormThreshold` workloads are failing, automatic action pauses (incidents are still
recorded, as in observe mode) and one storm alert goes out. The storm ends once the count has
stayed at or below the threshold for `calm` seconds, so a count hovering at the edge does not
switch healing on and off every pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kaido.remediate.planning.model import Transition

__all__ = ["Storm", "observe_storm"]


@dataclass(frozen=True, slots=True)
class Storm:
    """The guard's state: whether a storm holds, since when, and when the count last exceeded the threshold."""

    active: bool = False
    since: datetime | None = None
    last_over: datetime | None = None
    failing: int = 0
    threshold: int = 0

    @property
    def reason(self) -> str:
        """The hold every action gets while the storm lasts ("" when there is none)."""
        if not self.active:
            return ""
        return (
            f"storm guard: {self.failing} workloads are failing at once (healing.stormThreshold {self.threshold}); "
            "likely a cluster-level cause, so automatic action is paused"
        )


def observe_storm(
    storm: Storm, *, failing: int, threshold: int, now: datetime, calm: float = 60.0
) -> tuple[Storm, Transition | None]:
    """The guard after counting `failing` workloads at `now`, and the transition if it started or ended."""
    state = replace(storm, failing=failing, threshold=threshold)
    if failing > threshold:
        state = replace(state, last_over=now)
        if not storm.active:
            started = replace(state, active=True, since=now)
            return started, Transition("held", started.reason + "; alerting instead", "critical")
        return state, None
    quiet_for = (now - storm.last_over).total_seconds() if storm.last_over is not None else calm
    if storm.active and quiet_for >= calm:
        ended = Storm(failing=failing, threshold=threshold)
        message = (
            f"storm over: {failing} workloads failing (threshold {threshold}) for {calm:g} s; automatic healing resumes"
        )
        return ended, Transition("resolved", message, "info")
    return state, None
