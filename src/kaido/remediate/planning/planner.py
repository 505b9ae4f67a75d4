"""The planner: one pure step of an episode's state machine, and the bookkeeping after an action.

    detect(view, now)                       a diagnosis with no episode yet → a new episode
    advance(episode, view, policy, gates)   what to do now: nothing, act, recommend, escalate, resolve
    settle(episode, act, record, ...)       the executor's record folded back into the episode

`advance` verifies before it acts again: after an action the episode waits `healing.verifyPeriod`,
then a healthy workload resolves the episode and an unhealthy one gets the next attempt or rung.
A workload that recovers by itself resolves after staying healthy for the same period. The mode
of the capability decides how far a due rung goes: observe notes what kaido would do, recommend
has the API server validate it as a dry run, enforce applies it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from kaido.analysis.diagnosis.model import DEPLOYMENT_UNAVAILABLE, UNKNOWN, describe_ref
from kaido.analysis.findings import describe_duration
from kaido.config import Policy
from kaido.remediate.planning.breaker import escalate, healthy_for, resolve
from kaido.remediate.planning.guards import Gates, disruption_hold, effective_mode, gate_hold
from kaido.remediate.planning.incidents import EpochParts, format_epoch, incident_id
from kaido.remediate.planning.ladder import Plan, build_action, plan_for
from kaido.remediate.planning.model import SCALE_DOWN_UP, Act, Attempt, Episode, Step, Transition
from kaido.remediate.planning.views import WorkloadView
from kaido.store.records import ActionRecord

__all__ = ["SCALE_SETTLE", "advance", "detect", "next_rung", "settle"]

SCALE_SETTLE = 30.0  # seconds the first half of scale-down-up may take before the second goes anyway
_RESTORE_TRIES = 3  # putting the replica count back is retried (with new keys) before kaido gives up
_VAGUE = frozenset({UNKNOWN, DEPLOYMENT_UNAVAILABLE})


def detect(view: WorkloadView, *, now: datetime) -> Step:
    """A new episode for a diagnosed workload."""
    diagnosis = view.diagnosis
    assert diagnosis is not None, "detect needs a diagnosed workload"
    episode = Episode(
        id=incident_id(view.ref, now),
        workload=view.ref,
        cause=diagnosis.cause,
        severity=diagnosis.severity,
        summary=diagnosis.summary,
        detected_at=now,
        evidence=diagnosis.evidence,
        suggestion=diagnosis.suggestion,
    )
    return Step(episode, transitions=(Transition("detected", diagnosis.summary, diagnosis.severity),))


def advance(episode: Episode, view: WorkloadView, *, policy: Policy, gates: Gates, now: datetime) -> Step:
    """The next step of an active episode, given the workload as it is now."""
    if not episode.active:
        return Step(episode)
    episode = _refined(episode, view)
    if not view.exists:
        closed, said = resolve(episode, now=now, why=f"{describe_ref(episode.workload)} was deleted")
        return Step(closed, transitions=(said,))
    hold = policy.healing.verify_period
    if episode.phase == "escalated":
        episode, due = healthy_for(episode, healthy=view.healthy, now=now, hold=hold)
        if not due:
            return Step(episode)
        closed, said = resolve(episode, now=now, why=f"healthy for {describe_duration(hold)} after escalation")
        return Step(closed, transitions=(said,))
    if episode.phase == "verifying":
        if episode.verify_until is not None and now < episode.verify_until:
            return Step(episode)
        last = _last_counted(episode)
        what = f"{last.rung} (attempt {last.number})" if last else "the last action"
        if view.healthy:
            closed, said = resolve(episode, now=now, why=f"verified {describe_duration(hold)} after {what}")
            return Step(closed, transitions=(said,))
        episode = replace(episode, phase="acting", verify_until=None).noted(
            f"still unhealthy {describe_duration(hold)} after {what}"
        )
    episode, due = healthy_for(episode, healthy=view.healthy, now=now, hold=hold)
    if due:
        closed, said = resolve(episode, now=now, why=f"healthy for {describe_duration(hold)}")
        return Step(closed, transitions=(said,))
    if view.healthy or view.diagnosis is None:
        return Step(episode)  # recovering, or not ready with nothing named wrong (a rollout under way): wait
    return _act(episode, view, policy=policy, gates=gates, now=now)


def _refined(episode: Episode, view: WorkloadView) -> Episode:
    """A vague cause ("unknown", "deployment-unavailable") gives way to a precise one found later.

    Events and statuses often name the real cause only after a while (a mount failure is "unknown"
    until the kubelet's FailedMount Event); an incident nothing was done for takes the better
    diagnosis, and a circuit opened on the vague one is planned again.
    """
    found = view.diagnosis
    if found is None or found.cause == episode.cause or episode.cause not in _VAGUE:
        return episode
    if any(a.counts for a in episode.attempts):
        return episode
    refined = replace(
        episode,
        cause=found.cause,
        severity=found.severity,
        summary=found.summary,
        evidence=found.evidence,
        suggestion=found.suggestion,
    ).noted(f"diagnosis refined from {episode.cause} to {found.cause}")
    if refined.phase == "escalated":
        refined = replace(refined, phase="acting", escalated_at=None)
    return refined


def _act(episode: Episode, view: WorkloadView, *, policy: Policy, gates: Gates, now: datetime) -> Step:
    if gates.excluded:
        return _held(episode, gates.excluded)
    plan = plan_for(episode.cause, episode.workload, policy.healing)
    if not plan.rungs:
        opened, said = escalate(episode, now=now, why=f"no automatic fix: {plan.why_none}", severity=episode.severity)
        return Step(opened, transitions=(said,))
    mode = effective_mode(plan, policy)
    due = _due_action(episode, view, plan, policy=policy, now=now)
    if isinstance(due, str):
        return _exhausted(episode, plan, due, now=now)
    if due is None:
        return Step(episode)  # the first half of scale-down-up is still taking effect
    if mode in ("off", "observe"):
        note = f"{mode} mode: would {due.action.describe()}"
        if plan.recommend_only:
            note += f" ({plan.recommend_only})"
        return _waiting(episode, note)
    hold = gate_hold(gates) or disruption_hold(due.action, view, share=policy.healing.max_unavailable_share)
    if hold:
        return _held(episode, hold)
    if mode == "recommend":
        if _recommended(episode, due):
            return Step(replace(episode, phase="waiting", held=""))
        parts = _parts(episode, due.rung, due.number, due.step, due.restore, recommend=True)
        action = replace(due.action, epoch=format_epoch(parts))
        return Step(replace(episode, held=""), replace(due, action=action, mode="dry-run"))
    return Step(replace(episode, held=""), due)


def _recommended(episode: Episode, due: Act) -> bool:
    """Whether this rung's attempt was already put to the API server as a dry run."""
    position = (due.rung, due.number, due.step)
    return any(
        a.mode == "dry-run" and a.state != "skipped" and (a.rung, a.number, a.step) == position
        for a in episode.attempts
    )


def _due_action(episode: Episode, view: WorkloadView, plan: Plan, *, policy: Policy, now: datetime) -> Act | str | None:
    """The enforce-mode Act of the rung that is due; why the ladder is exhausted (str); None to wait."""
    position = next_rung(episode, plan, max_attempts=policy.healing.max_attempts_per_rung)
    skipped: list[str] = []
    while position is not None:
        rung, number, step = position
        restore = None
        if step == 2:
            first = _first_half(episode, number)
            restore = first.restore
            settled = view.body is not None and (view.body.get("status") or {}).get("replicas") == first.replicas
            if not settled and (now - first.at).total_seconds() < SCALE_SETTLE:
                return None
        parts = _parts(episode, rung, number, step, view.replicas if (rung, step) == (SCALE_DOWN_UP, 1) else None)
        built = build_action(rung, view, epoch=format_epoch(parts), settings=policy.healing, restore=restore)
        if built.action is not None:
            reason = f"{episode.cause} on {describe_ref(episode.workload)}: healing rung {rung}, attempt {number}"
            return Act(action=built.action, mode="enforce", rung=rung, number=number, reason=reason,
                       step=step, restore=parts.restore)  # fmt: skip
        skipped.append(f"{rung}: {built.why_not}")
        index = plan.rungs.index(rung) + 1
        position = (plan.rungs[index], 1, 1) if index < len(plan.rungs) else None
    return "; ".join(skipped)


def _first_half(episode: Episode, number: int) -> Attempt:
    """The first Scale of scale-down-up attempt `number`: it knows the count to go back to."""
    return next(
        a for a in reversed(episode.attempts) if (a.rung, a.number, a.step) == (SCALE_DOWN_UP, number, 1) and a.counts
    )


def _parts(
    episode: Episode, rung: str, number: int, step: int, restore: int | None, *, recommend: bool = False
) -> EpochParts:
    return EpochParts(episode.id, rung, number, step, restore, episode.retries, recommend)


def next_rung(episode: Episode, plan: Plan, *, max_attempts: int) -> tuple[str, int, int] | None:
    """(rung, attempt, step) due next after the episode's counted attempts; None when the ladder is done."""
    last = _last_counted(episode)
    if last is None:
        return (plan.rungs[0], 1, 1) if plan.rungs else None
    if last.rung == SCALE_DOWN_UP and last.step == 1 and last.state != "failed":  # "started": effect unknown
        return SCALE_DOWN_UP, last.number, 2
    if last.rung == SCALE_DOWN_UP and last.step == 2 and last.state == "failed":
        failed = sum(1 for a in episode.attempts if (a.rung, a.number, a.step, a.state) == (*_position(last), "failed"))
        if failed < _RESTORE_TRIES:  # the workload must not stay scaled down
            return SCALE_DOWN_UP, last.number, 2
    if last.rung in plan.rungs:
        if last.number < max_attempts:
            return last.rung, last.number + 1, 1
        index = plan.rungs.index(last.rung) + 1
    else:  # the policy's ladder changed under the episode: the first rung not tried yet
        tried = {a.rung for a in episode.attempts if a.counts}
        index = next((i for i, r in enumerate(plan.rungs) if r not in tried), len(plan.rungs))
    return (plan.rungs[index], 1, 1) if index < len(plan.rungs) else None


def _position(attempt: Attempt) -> tuple[str, int, int]:
    return attempt.rung, attempt.number, attempt.step


def _last_counted(episode: Episode) -> Attempt | None:
    return next((a for a in reversed(episode.attempts) if a.counts), None)


def _exhausted(episode: Episode, plan: Plan, skipped: str, *, now: datetime) -> Step:
    if any(a.counts for a in episode.attempts):
        why = f"still unhealthy after the last rung of the ladder ({', '.join(plan.rungs)})"
        opened, said = escalate(episode, now=now, why=why, severity="critical")
    else:
        opened, said = escalate(episode, now=now, why=f"no rung applies: {skipped}", severity=episode.severity)
    return Step(opened, transitions=(said,))


def _waiting(episode: Episode, note: str) -> Step:
    fresh = note not in episode.notes
    waiting = replace(episode, phase="waiting", held="").noted(note)
    if not fresh:
        return Step(waiting)
    return Step(waiting, transitions=(Transition("recommended", f"{describe_ref(episode.workload)}: {note}"),))


def _held(episode: Episode, why: str) -> Step:
    if why == episode.held:
        return Step(episode)
    held = replace(episode, phase="acting", held=why).noted(f"held: {why}")
    return Step(
        held, transitions=(Transition("held", f"{describe_ref(episode.workload)}: action held: {why}", "warning"),)
    )


def settle(
    episode: Episode, act: Act, record: ActionRecord, *, audited: bool, verify_period: float, now: datetime
) -> Step:
    """Fold the executor's record of `act` into the episode: verify, continue, or wait."""
    where = describe_ref(episode.workload)
    if record.state == "started":  # the same key is being applied right now (a person's request)
        return _held(episode, record.detail or "the same action is being applied")
    if record.state == "skipped":
        if not audited:  # a follower or a pause: nothing was recorded, the same decision can run later
            return _held(episode, record.detail)
        episode = replace(episode, retries=episode.retries + 1)  # the key is spent; the next try is a new one
    attempt = _attempt(act, record, now=now)
    episode = replace(episode, attempts=(*episode.attempts, attempt), held="")
    said = f"{act.rung} (attempt {act.number}): {record.state}: {record.detail}"
    if record.state == "skipped":
        return _held(episode.noted(said), record.detail)
    if record.mode == "dry-run":
        message = f"{where}: recommended {act.action.describe()}: {record.state}: {record.detail}"
        waiting = replace(episode, phase="waiting").noted(f"recommended {said}")
        return Step(waiting, transitions=(Transition("recommended", message),))
    episode = replace(episode, first_action_at=episode.first_action_at or now).noted(said)
    if record.state == "failed":
        message = f"{where}: {act.action.describe()} failed: {record.detail}"
        if (act.rung, act.step) == (SCALE_DOWN_UP, 2):
            episode = replace(episode, retries=episode.retries + 1)  # putting the count back is tried again
        return Step(replace(episode, phase="acting"), transitions=(Transition("acted", message, "warning"),))
    if act.rung == SCALE_DOWN_UP and act.step == 1:
        return Step(replace(episode, phase="acting"))  # the second half follows once the first took effect
    until = now + timedelta(seconds=verify_period)
    message = f"{where}: {record.detail}; verifying for {describe_duration(verify_period)}"
    verifying = replace(episode, phase="verifying", verify_until=until)
    return Step(verifying, transitions=(Transition("acted", message),))


def _attempt(act: Act, record: ActionRecord, *, now: datetime) -> Attempt:
    replicas = getattr(act.action, "replicas", None)
    return Attempt(
        rung=act.rung,
        number=act.number,
        key=record.key,
        action=record.action,
        mode=record.mode,
        state=record.state,
        at=now,
        epoch=act.action.epoch,
        step=act.step,
        detail=record.detail,
        replicas=replicas if isinstance(replicas, int) else None,
        restore=act.restore,
    )
