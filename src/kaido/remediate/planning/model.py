"""The healing planner's values: an episode of trouble on one workload, its attempts, and what to do next.

An `Episode` is one incident as the planner sees it: the workload, the cause from the diagnosis,
the attempts made so far (each an action with its idempotency key) and a phase:

    acting ──act──▶ verifying ──(verify period over, healthy)──▶ resolved
      ▲                 │
      └──(unhealthy)────┘        ladder exhausted / no fix can help ──▶ escalated (circuit open)
    waiting: kaido may only observe or recommend; it waits for health or for a person

Every step of the planner takes an episode and returns a new one (they are frozen), plus at most
one `Act` for the controller to hand to the executor and the `Transition`s worth telling people
about. Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final, Literal

from kaido.analysis.findings import Severity
from kaido.core.refs import ObjectRef
from kaido.remediate.actions import Action
from kaido.store.records import ActionState

__all__ = [
    "RAISE_MEMORY",
    "RESTART_POD",
    "ROLLBACK",
    "ROLLOUT_RESTART",
    "RUNGS",
    "SCALE_DOWN_UP",
    "Act",
    "Attempt",
    "Episode",
    "Outcome",
    "Phase",
    "Step",
    "Transition",
    "TransitionKind",
]

# Rungs: one kind of fix each. The transient-crash ladder's names are the policy's (`healing.ladder`).
ROLLBACK: Final = "rollback"
RAISE_MEMORY: Final = "raise-memory"
RESTART_POD: Final = "restart-pod"
ROLLOUT_RESTART: Final = "rollout-restart"
SCALE_DOWN_UP: Final = "scale-down-up"
RUNGS: Final = (ROLLBACK, RAISE_MEMORY, RESTART_POD, ROLLOUT_RESTART, SCALE_DOWN_UP)

Phase = Literal["acting", "verifying", "waiting", "escalated", "resolved"]
Outcome = Literal["open", "resolved", "escalated"]
TransitionKind = Literal["detected", "acted", "recommended", "held", "escalated", "resolved", "rearmed"]
_NOTES_KEPT: Final = 40  # the narrative of one incident stays readable and its row small


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One action taken (or recommended) for an episode; `step` 2 is the second half of scale-down-up."""

    rung: str
    number: int  # 1-based attempt of this rung
    key: str  # the action's idempotency key in the audit log
    action: str  # the action type, "RestartPod"
    mode: Literal["enforce", "dry-run"]
    state: ActionState
    at: datetime
    epoch: str
    step: int = 1
    detail: str = ""
    replicas: int | None = None  # what a Scale set
    restore: int | None = None  # for the first half of scale-down-up: the count to go back to

    @property
    def counts(self) -> bool:
        """Whether it spent an attempt of its rung: enforced and applied (or failed trying)."""
        return self.mode == "enforce" and self.state in ("succeeded", "failed", "started")


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    """One incident on one workload, from detection to resolution or escalation."""

    id: str
    workload: ObjectRef  # without uid: a recreated Deployment continues the same incident
    cause: str
    severity: Severity
    summary: str
    detected_at: datetime
    evidence: tuple[str, ...] = ()
    suggestion: str = ""
    phase: Phase = "acting"
    attempts: tuple[Attempt, ...] = ()
    verify_until: datetime | None = None
    first_action_at: datetime | None = None
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    healthy_since: datetime | None = None
    held: str = ""  # why the due rung waits (a guard); "" when nothing holds it
    retries: int = 0  # bumped when the executor's rate limit skipped an action: the next try is a new decision
    notes: tuple[str, ...] = ()  # what kaido did and why, in order

    @property
    def outcome(self) -> Outcome:
        """escalated once kaido gave up (even if the workload heals later), else resolved or open."""
        if self.escalated_at is not None:
            return "escalated"
        return "resolved" if self.resolved_at is not None else "open"

    @property
    def active(self) -> bool:
        return self.resolved_at is None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.key for a in self.attempts))

    def noted(self, text: str) -> Episode:
        """This episode with `text` added to its notes (once: a repeated note is not added again)."""
        if text in self.notes:
            return self
        return replace(self, notes=(*self.notes, text)[-_NOTES_KEPT:])


@dataclass(frozen=True, slots=True)
class Transition:
    """A change in an incident worth telling people about: the timeline, alerts and a Kubernetes Event."""

    kind: TransitionKind
    message: str  # one plain sentence naming the workload
    severity: Severity = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class Act:
    """An action the planner wants executed now, and how."""

    action: Action
    mode: Literal["enforce", "dry-run"]
    rung: str
    number: int
    reason: str
    step: int = 1
    restore: int | None = None  # for the first half of scale-down-up: the count to go back to


@dataclass(frozen=True, slots=True)
class Step:
    """The planner's answer: the episode as it now is, at most one action, and the transitions."""

    episode: Episode
    act: Act | None = None
    transitions: tuple[Transition, ...] = field(default=())
