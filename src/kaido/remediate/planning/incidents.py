"""Incidents on disk: an episode as an `IncidentRecord`, and back again after the agent restarts.

The incident id derives from the workload and the moment of detection, and every action's epoch
from the incident id, the rung and the attempt:

    <incident>/<rung>/<attempt>[/step<N>[-restore<R>]][/retry<K>][/recommend]

so the idempotency key of "restart-pod, attempt 1 of incident 3f2a…" is the same in every run of
the agent, and the executor refuses to apply it twice. After a restart the healer rebuilds each
open episode from its incident row plus the audit records that carry its id (the executor stores
the incident id with each action, so an action claimed just before a crash is found even if the
incident row did not list it yet); the planner then continues where the last run stopped.

The record has no columns for the suggestion or kaido's own notes; they travel in `evidence`,
after the diagnosis' lines, as "fix: ..." and "kaido: ..." lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from kaido.core.ids import stable_id
from kaido.core.refs import ObjectRef
from kaido.remediate.planning.model import SCALE_DOWN_UP, Attempt, Episode, Phase
from kaido.store.records import ActionRecord, IncidentRecord

__all__ = [
    "EpochParts",
    "attempt_from_action",
    "episode_from_record",
    "format_epoch",
    "incident_id",
    "parse_epoch",
    "parse_target",
    "to_record",
]

_FIX: Final = "fix: "
_NOTE: Final = "kaido: "
_EVIDENCE_KEPT: Final = 20


def incident_id(workload: ObjectRef, detected_at: datetime) -> str:
    """Stable for one episode: the same workload and detection time give the same id in every run."""
    return stable_id("incident", workload.kind, workload.namespace or "", workload.name, detected_at.isoformat())


@dataclass(frozen=True, slots=True)
class EpochParts:
    incident: str
    rung: str
    number: int
    step: int = 1
    restore: int | None = None
    retry: int = 0
    recommend: bool = False


def format_epoch(parts: EpochParts) -> str:
    out = [parts.incident, parts.rung, str(parts.number)]
    if parts.rung == SCALE_DOWN_UP:
        out.append(f"step{parts.step}" + (f"-restore{parts.restore}" if parts.restore is not None else ""))
    if parts.retry:
        out.append(f"retry{parts.retry}")
    if parts.recommend:
        out.append("recommend")
    return "/".join(out)


def parse_epoch(epoch: str) -> EpochParts | None:
    """The parts of an epoch written by `format_epoch`; None for any other epoch (a person's action)."""
    pieces = epoch.split("/")
    if len(pieces) < 3 or not pieces[2].isdigit():
        return None
    step, restore, retry, recommend = 1, None, 0, False
    for piece in pieces[3:]:
        if piece.startswith("step"):
            head, _, tail = piece[4:].partition("-restore")
            step = int(head) if head.isdigit() else 1
            restore = int(tail) if tail.isdigit() else None
        elif piece.startswith("retry") and piece[5:].isdigit():
            retry = int(piece[5:])
        elif piece == "recommend":
            recommend = True
    return EpochParts(pieces[0], pieces[1], int(pieces[2]), step, restore, retry, recommend)


def parse_target(text: str) -> ObjectRef:
    """The workload of `str(ObjectRef)`: "Deployment shop/web", "Node worker-1"."""
    kind, _, rest = text.partition(" ")
    namespace, _, name = rest.rpartition("/")
    return ObjectRef(kind=kind, name=name, namespace=namespace or None)


def to_record(episode: Episode) -> IncidentRecord:
    evidence = list(episode.evidence[:_EVIDENCE_KEPT])
    if episode.suggestion:
        evidence.append(_FIX + episode.suggestion)
    evidence += [_NOTE + note for note in episode.notes]
    return IncidentRecord(
        id=episode.id,
        target=str(episode.workload),
        cause=episode.cause,
        summary=episode.summary,
        detected_at=episode.detected_at,
        evidence=evidence,
        actions=list(episode.keys),
        outcome=episode.outcome,
        first_action_at=episode.first_action_at,
        resolved_at=episode.resolved_at,
    )


def attempt_from_action(record: ActionRecord) -> Attempt | None:
    """The attempt an audited action was, when its epoch is a healer's."""
    parts = parse_epoch(str(record.params.get("epoch", "")))
    if parts is None:
        return None
    replicas = record.params.get("replicas")
    return Attempt(
        rung=parts.rung,
        number=parts.number,
        key=record.key,
        action=record.action,
        mode=record.mode,
        state=record.state,
        at=record.finished_at or record.requested_at,
        epoch=str(record.params.get("epoch")),
        step=parts.step,
        detail=record.detail,
        replicas=replicas if isinstance(replicas, int) else None,
        restore=parts.restore,
    )


def episode_from_record(record: IncidentRecord, actions: Iterable[ActionRecord], *, verify_period: float) -> Episode:
    """The episode an incident row and its audited actions describe, in the phase it had reached."""
    attempts = sorted(
        (a for a in (attempt_from_action(r) for r in actions) if a is not None), key=lambda a: (a.at, a.key)
    )
    evidence = [line for line in record.evidence if not line.startswith((_FIX, _NOTE))]
    fix = next((line[len(_FIX) :] for line in record.evidence if line.startswith(_FIX)), "")
    notes = tuple(line[len(_NOTE) :] for line in record.evidence if line.startswith(_NOTE))
    phase: Phase = "acting"
    verify_until = None
    escalated_at = None
    counted = [a for a in attempts if a.counts]
    if record.outcome == "escalated":
        phase = "escalated"
        escalated_at = attempts[-1].at if attempts else record.detected_at
    elif counted and counted[-1].state != "failed" and (counted[-1].rung, counted[-1].step) != (SCALE_DOWN_UP, 1):
        # applied, or claimed just before a crash (its effect unknown): verify before the next rung
        phase, verify_until = "verifying", counted[-1].at + timedelta(seconds=verify_period)
    elif attempts and attempts[-1].mode == "dry-run":
        phase = "waiting"
    return Episode(
        id=record.id,
        workload=parse_target(record.target),
        cause=record.cause,
        severity="warning",  # not stored; it only colours the detection, which is past
        summary=record.summary,
        detected_at=record.detected_at,
        evidence=tuple(evidence),
        suggestion=fix,
        phase=phase,
        attempts=tuple(attempts),
        verify_until=verify_until,
        first_action_at=record.first_action_at,
        escalated_at=escalated_at,
        resolved_at=record.resolved_at,
        retries=sum(1 for a in attempts if a.state == "skipped" or _failed_restore(a)),
        notes=notes,
    )


def _failed_restore(attempt: Attempt) -> bool:
    """A failed second half of scale-down-up: the planner tries it again under a new key."""
    return (attempt.rung, attempt.step, attempt.state) == (SCALE_DOWN_UP, 2, "failed")
