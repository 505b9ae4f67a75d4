"""The circuit breaker: after the last rung, kaido stops acting on the workload and says so.

An escalated episode is an open circuit: no more actions on that workload, one critical alert.
It closes (the episode ends, and a later failure starts a fresh ladder) in two ways: the workload
stays healthy for a hold period on its own — someone fixed it — or a person re-arms it. Causes no
action can help escalate at once, with the diagnosis' severity and its suggested fix.

The same health tracking ends episodes that recover before kaido acts, or while kaido may only
observe or recommend.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kaido.analysis.diagnosis.model import describe_ref
from kaido.analysis.findings import Severity, describe_duration
from kaido.remediate.planning.model import Episode, Transition

__all__ = ["escalate", "healthy_for", "rearm", "resolve"]


def escalate(episode: Episode, *, now: datetime, why: str, severity: Severity) -> tuple[Episode, Transition]:
    """Open the circuit: the episode stops acting and the alert names the cause, the evidence and the fix."""
    where = describe_ref(episode.workload)
    if any(a.counts for a in episode.attempts):
        message = f"{where}: {why}; kaido stops acting on it until it is healthy again or a person re-arms it"
    else:
        message = f"{where}: {why}; kaido leaves it to people"
    summary = episode.summary.removeprefix(f"{where}: ")  # the message already names the workload
    message += f". Diagnosis ({episode.cause}): {summary}"
    if episode.suggestion:
        message += f". Suggested fix: {episode.suggestion}"
    opened = replace(episode, phase="escalated", escalated_at=now, verify_until=None, held="")
    return opened.noted(f"escalated: {why}"), Transition("escalated", message, severity)


def healthy_for(episode: Episode, *, healthy: bool, now: datetime, hold: float) -> tuple[Episode, bool]:
    """The episode with its healthy streak updated, and whether the streak has lasted `hold` seconds."""
    if not healthy:
        return (replace(episode, healthy_since=None) if episode.healthy_since else episode), False
    since = episode.healthy_since or now
    updated = episode if episode.healthy_since else replace(episode, healthy_since=since)
    return updated, (now - since).total_seconds() >= hold


def resolve(episode: Episode, *, now: datetime, why: str) -> tuple[Episode, Transition]:
    """End the episode: the workload is healthy (or gone). An escalated one keeps its outcome."""
    took = describe_duration((now - episode.detected_at).total_seconds())
    message = f"{describe_ref(episode.workload)} is healthy again: {why} (incident open for {took})"
    closed = replace(episode, phase="resolved", resolved_at=now, verify_until=None, held="")
    return closed.noted(f"resolved: {why}"), Transition("resolved", message, "info")


def rearm(episode: Episode, *, now: datetime, by: str) -> tuple[Episode, Transition]:
    """A person closes the circuit: the episode ends; if the workload still fails, a new ladder starts."""
    message = f"{describe_ref(episode.workload)}: healing re-armed by {by}; a new incident starts if it still fails"
    closed = replace(episode, phase="resolved", resolved_at=now, verify_until=None, held="")
    return closed.noted(f"re-armed by {by}"), Transition("rearmed", message, "info")
