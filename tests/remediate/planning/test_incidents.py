"""Incidents on disk and back: a restarted agent continues each ladder with the same keys and repeats nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kaido.remediate.planning import (
    EpochParts,
    advance,
    episode_from_record,
    format_epoch,
    incident_id,
    parse_epoch,
    to_record,
)
from kaido.remediate.planning.incidents import attempt_from_action, parse_target
from tests.remediate.planning.builders import OPEN, WEB, at, record_for, run, start, view
from tests.remediate.planning.test_planner import P


def test_the_incident_id_is_stable_for_the_workload_and_the_detection_time() -> None:
    assert incident_id(WEB, at(0)) == incident_id(WEB, at(0)) == start(view("crash-loop")).id
    assert incident_id(WEB, at(1)) != incident_id(WEB, at(0))


@pytest.mark.parametrize(
    "parts",
    [
        EpochParts("abc", "restart-pod", 1),
        EpochParts("abc", "scale-down-up", 2, step=1, restore=3),
        EpochParts("abc", "scale-down-up", 2, step=2),
        EpochParts("abc", "rollback", 1, retry=2, recommend=True),
    ],
)
def test_epochs_read_back(parts: EpochParts) -> None:
    assert parse_epoch(format_epoch(parts)) == parts


def test_an_epoch_kaido_did_not_write_is_not_an_attempt() -> None:
    assert parse_epoch("gen-4") is None and parse_epoch("a/b/c") is None


def test_a_target_reads_back() -> None:
    assert parse_target(str(WEB)) == WEB
    assert parse_target("Node worker-1").namespace is None


def test_the_record_carries_the_story_and_reads_back_into_the_same_phase() -> None:
    sick = view("crash-loop")
    acted = run(start(sick), sick, 0, P)
    episode = acted.episode
    record = to_record(episode)
    assert record.id == episode.id and record.target == "Deployment shop/web" and record.cause == "crash-loop"
    assert record.outcome == "open" and record.first_action_at == at(0) and record.resolved_at is None
    assert record.actions == [acted.act.action.idempotency_key()]
    assert record.evidence[0] == "evidence of crash-loop"
    assert "fix: fix the crash-loop" in record.evidence
    assert any(line.startswith("kaido: restart-pod (attempt 1): succeeded") for line in record.evidence)

    audited = record_for(acted.act, when=at(0), incident=episode.id)
    again = episode_from_record(record, [audited], verify_period=60)
    assert again.phase == "verifying" and again.verify_until == at(60)
    assert again.suggestion == "fix the crash-loop" and again.notes == episode.notes
    assert again.evidence == episode.evidence and again.keys == episode.keys


def test_a_restarted_agent_neither_repeats_nor_skips_a_rung() -> None:
    """The same decisions with and without a restart in between: the same keys, each once."""
    sick = view("crash-loop")
    times = (0, 30, 60, 120, 130, 150, 180, 210, 240)
    straight, keys = start(sick), []
    for t in times:
        step = run(straight, sick, t, P)
        straight = step.episode
        keys.append(step.act.action.idempotency_key() if step.act else None)
    assert straight.phase == "escalated" and len([k for k in keys if k]) == 4

    restarted, audit, replayed = start(sick), [], []
    for t in times:
        # the agent stops after every pass: only the incident row and the audit log survive
        restarted = episode_from_record(to_record(restarted), audit, verify_period=60)
        step = run(restarted, sick, t, P)
        restarted = step.episode
        if step.act is not None:
            audit.append(record_for(step.act, when=at(t), incident=restarted.id))
        replayed.append(step.act.action.idempotency_key() if step.act else None)
    assert replayed == keys
    assert [k for k in keys if k] == [a.key for a in audit]


def test_an_action_claimed_just_before_a_crash_is_found_by_its_incident_id() -> None:
    sick = view("crash-loop")
    detected = start(sick)
    step = advance(detected, sick, policy=P, gates=OPEN, now=at(0))
    row = to_record(detected)  # saved at detection, before the action
    claimed = replace(record_for(step.act, when=at(0), incident=detected.id), state="started", finished_at=None)
    reloaded = episode_from_record(row, [claimed], verify_period=60)
    assert reloaded.keys == (claimed.key,)
    # its effect is unknown: verify first, as if it had been applied, and never repeat it
    assert reloaded.phase == "verifying"
    assert advance(reloaded, sick, policy=P, gates=OPEN, now=at(59)).act is None
    assert advance(reloaded, sick, policy=P, gates=OPEN, now=at(60)).act.rung == "rollout-restart"


def test_a_person_s_action_on_the_same_incident_is_not_mistaken_for_a_rung() -> None:
    sick = view("crash-loop")
    step = advance(start(sick), sick, policy=P, gates=OPEN, now=at(0))
    theirs = replace(record_for(step.act, incident="x"), params={"epoch": "request-7"})
    assert attempt_from_action(theirs) is None
