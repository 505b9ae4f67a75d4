"""The episode state machine: act, verify for the period, climb the ladder, escalate and stop, re-arm."""

from __future__ import annotations

from dataclasses import replace

from kaido.remediate.actions import RestartPod, RolloutRestart, Scale
from kaido.remediate.planning import Gates, WorkloadView, advance, next_rung, plan_for, rearm, settle
from tests.remediate.planning.builders import (
    OPEN,
    WEB,
    at,
    deployment,
    diagnosis,
    healthy,
    pod,
    policy,
    record_for,
    run,
    start,
    view,
)

P = policy(verify_period=60)


def test_the_crash_ladder_verifies_each_rung_then_escalates_and_stops() -> None:
    sick = view("crash-loop")
    episode = start(sick)
    first = run(episode, sick, 0, P)
    assert isinstance(first.act.action, RestartPod)
    assert first.episode.phase == "verifying" and first.episode.verify_until == at(60)
    assert first.episode.first_action_at == at(0)
    assert [t.kind for t in first.transitions] == ["acted"]

    waiting = run(first.episode, sick, 59, P)  # verification is not over yet
    assert waiting.act is None and waiting.episode == first.episode

    second = run(waiting.episode, sick, 60, P)
    assert isinstance(second.act.action, RolloutRestart) and second.act.rung == "rollout-restart"
    assert "still unhealthy 1 min after restart-pod (attempt 1)" in second.episode.notes

    down = run(second.episode, sick, 120, P)
    assert down.act.action == Scale(target=down.act.action.target, epoch=down.act.action.epoch, replicas=1)
    assert down.episode.phase == "acting"  # the second half follows

    early = run(down.episode, sick, 121, P)
    assert early.act is None  # the ReplicaSet has not removed a pod yet
    scaled = view("crash-loop", body=deployment(status_replicas=1))
    up = run(down.episode, scaled, 121, P)
    assert isinstance(up.act.action, Scale) and up.act.action.replicas == 2 and up.act.step == 2
    assert up.episode.verify_until == at(181)

    last = run(up.episode, sick, 181, P)
    assert last.act is None and last.episode.phase == "escalated" and last.episode.outcome == "escalated"
    [said] = last.transitions
    assert said.severity == "critical"
    assert "still unhealthy after the last rung of the ladder (restart-pod, rollout-restart, scale-down-up)" in (
        said.message
    )
    keys = [a.key for a in last.episode.attempts]
    assert len(keys) == len(set(keys)) == 4

    # the circuit is open: nothing more is done, however long it stays broken
    later = run(last.episode, sick, 3600, P)
    assert later.act is None and later.transitions == () and later.episode.phase == "escalated"


def test_the_second_half_of_scale_down_up_goes_anyway_after_the_settle_time() -> None:
    sick = view("crash-loop")
    episode = start(sick)
    for t in (0, 60, 120):
        episode = run(episode, sick, t, P).episode
    assert run(episode, sick, 149, P).act is None
    assert run(episode, sick, 150, P).act.action.replicas == 2


def test_a_rung_is_retried_up_to_max_attempts() -> None:
    p = policy(verify_period=30, max_attempts_per_rung=2, ladder=["restart-pod", "rollout-restart"])
    sick = view("crash-loop")
    episode = start(sick)
    rungs = []
    for t in (0, 30, 60, 90):
        step = run(episode, sick, t, p)
        rungs.append((step.act.rung, step.act.number) if step.act else None)
        episode = step.episode
    assert rungs == [("restart-pod", 1), ("restart-pod", 2), ("rollout-restart", 1), ("rollout-restart", 2)]
    assert run(episode, sick, 120, p).episode.phase == "escalated"


def test_a_healthy_workload_at_the_end_of_verification_resolves_the_incident() -> None:
    sick = view("crash-loop")
    acted = run(start(sick), sick, 0, P)
    done = run(acted.episode, healthy(), 60, P)
    assert done.episode.phase == "resolved" and done.episode.outcome == "resolved"
    assert done.episode.resolved_at == at(60)
    [said] = done.transitions
    assert said.kind == "resolved"
    assert "verified 1 min after restart-pod (attempt 1)" in said.message


def test_a_workload_that_recovers_by_itself_resolves_after_the_hold_without_action() -> None:
    p = policy(verify_period=60, modes={"healing": "observe"})
    sick = view("crash-loop")
    episode = run(start(sick), sick, 0, p).episode
    for t in (10, 40):
        step = run(episode, healthy(), t, p)
        assert step.act is None and step.episode.active
        episode = step.episode
    done = run(episode, healthy(), 70, p)
    assert done.episode.outcome == "resolved" and done.episode.first_action_at is None


def test_an_escalated_workload_re_arms_when_healthy_for_the_hold() -> None:
    v = view("image-pull")
    escalated = run(start(v), v, 0, P).episode
    assert escalated.phase == "escalated"
    assert run(escalated, healthy(), 30, P).episode.active
    flap = run(run(escalated, healthy(), 30, P).episode, v, 50, P).episode  # broken again: the streak restarts
    assert run(flap, healthy(), 100, P).episode.active
    closed = run(run(flap, healthy(), 100, P).episode, healthy(), 160, P)
    assert not closed.episode.active
    assert closed.episode.outcome == "escalated"  # kaido did not fix it; the record says so
    assert closed.transitions[0].kind == "resolved"


def test_a_person_re_arms_an_open_circuit() -> None:
    v = view("crash-loop")
    episode = start(v)
    for t in (0, 60, 120, 150, 210):
        episode = run(episode, v, t, P).episode
    assert episode.phase == "escalated"
    closed, said = rearm(episode, now=at(300), by="alice")
    assert not closed.active and closed.resolved_at == at(300)
    assert (said.kind, said.message) == (
        "rearmed",
        "deployment shop/web: healing re-armed by alice; a new incident starts if it still fails",
    )


def test_a_deleted_workload_ends_its_incident() -> None:
    v = view("crash-loop")
    acted = run(start(v), v, 0, P)
    gone = replace(v, body=None, pods=())
    step = run(acted.episode, gone, 10, P)
    assert not step.episode.active and "was deleted" in step.transitions[0].message


def test_observe_mode_records_what_it_would_do_once_and_never_acts() -> None:
    p = policy(modes={"healing": "observe"})
    v = view("crash-loop")
    first = run(start(v), v, 0, p)
    assert first.act is None and first.episode.phase == "waiting"
    [said] = first.transitions
    assert said.kind == "recommended"
    assert said.message.startswith("deployment shop/web: observe mode: would restart pod shop/web-a")
    again = run(first.episode, v, 1, p)
    assert again.act is None and again.transitions == ()


def test_recommend_mode_dry_runs_each_rung_once_and_waits_for_a_person() -> None:
    p = policy(modes={"healing": "recommend"})
    v = view("crash-loop")
    first = run(start(v), v, 0, p, detail="dry run accepted by the API server, nothing changed")
    assert first.act.mode == "dry-run" and first.act.action.epoch.endswith("/restart-pod/1/recommend")
    assert first.episode.phase == "waiting" and first.episode.first_action_at is None
    assert first.transitions[-1].kind == "recommended"
    assert run(first.episode, v, 120, p).act is None  # no ladder climbing on recommendations
    # enforce later: the real action has a key of its own (the dry run's key is spent)
    enforced = run(first.episode, v, 130, policy())
    assert enforced.act.mode == "enforce"
    assert enforced.act.action.idempotency_key() != first.act.action.idempotency_key()


def test_rollback_follows_the_rollback_mode_not_the_healing_mode() -> None:
    v = view("bad-release")
    step = run(start(v), v, 0, policy(modes={"healing": "observe", "rollback": "enforce"}))
    assert step.act is not None and step.act.mode == "enforce"
    step = run(start(v), v, 0, policy(modes={"healing": "enforce", "rollback": "observe"}))
    assert step.act is None


def test_gates_hold_the_action_and_say_why_once() -> None:
    v = view("crash-loop")
    episode = start(v)
    for gates, why in [
        (Gates(leader=False), "this agent is not the leader; the leader acts"),
        (Gates(paused=True), "kaido is paused (policy: paused: true)"),
        (Gates(storm="storm guard: 9 workloads"), "storm guard: 9 workloads"),
        (Gates(rate_limit="rate limit for Deployment shop/web reached"), "rate limit for Deployment shop/web reached"),
        (Gates(excluded="Deployment shop/web carries kaido.io/ignore: true"), "carries kaido.io/ignore"),
    ]:
        held = run(episode, v, 0, P, gates)
        assert held.act is None and why in held.episode.held
        [said] = held.transitions
        assert said.kind == "held" and why in said.message
        assert run(held.episode, v, 1, P, gates).transitions == ()  # said once
    assert run(episode, v, 2, P, OPEN).act is not None


def test_restarting_a_ready_pod_is_held_by_the_share_and_by_budgets() -> None:
    names = tuple(f"web-{i}" for i in range(4))
    found = diagnosis("crash-loop", pods=names)
    ignored_unready = (pod("web-0", ignore=True), *(pod(n, ready=True) for n in names[1:]))
    v = WorkloadView(ref=WEB, body=deployment(replicas=4, ready=3), pods=ignored_unready, diagnosis=found)
    held = run(start(v), v, 0, policy(max_unavailable_share=0.25))
    assert held.act is None
    assert held.episode.held == (
        "restarting ready pod web-1 would leave 2 of 4 pods unavailable, "
        "more than healing.maxUnavailableShare=0.25 allows (1)"
    )
    budget = {
        "metadata": {"name": "web-pdb"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
        "status": {"disruptionsAllowed": 0},
    }
    all_ready = replace(v, pods=tuple(pod(n, ready=True) for n in names), pdbs=(budget,))
    assert run(start(all_ready), all_ready, 0, policy()).episode.held == (
        "PodDisruptionBudget web-pdb allows no disruption now"
    )
    # an unready pod costs no availability: it may always be restarted
    unready = replace(v, pods=(pod("web-0"), *(pod(n, ready=True) for n in names[1:])))
    acted = run(start(unready), unready, 0, policy(max_unavailable_share=0.25))
    assert acted.act is not None and acted.act.action.target.name == "web-0"


def test_a_rate_limited_skip_spends_its_key_and_the_next_try_is_a_new_decision() -> None:
    v = view("crash-loop")
    step = advance(start(v), v, policy=P, gates=OPEN, now=at(0))
    skipped = record_for(step.act, state="skipped", detail="rate limit for Deployment shop/web reached")
    after = settle(step.episode, step.act, skipped, audited=True, verify_period=60, now=at(0))
    assert after.episode.retries == 1 and after.episode.held.startswith("rate limit")
    again = advance(after.episode, v, policy=P, gates=OPEN, now=at(5))
    assert again.act.action.epoch.endswith("/restart-pod/1/retry1")
    assert again.act.action.idempotency_key() != step.act.action.idempotency_key()
    # a follower's skip is not audited: the same decision runs later with the same key
    follower = record_for(step.act, state="skipped", detail="not the leader")
    held = settle(step.episode, step.act, follower, audited=False, verify_period=60, now=at(0))
    assert held.episode.retries == 0 and held.episode.attempts == ()
    assert advance(held.episode, v, policy=P, gates=OPEN, now=at(5)).act.action == step.act.action


def test_a_failed_action_counts_and_the_next_rung_follows_without_verifying() -> None:
    v = view("crash-loop")
    failed = run(start(v), v, 0, P, state="failed", detail="429 the budget refused")
    assert failed.episode.phase == "acting" and failed.transitions[-1].severity == "warning"
    assert run(failed.episode, v, 1, P).act.rung == "rollout-restart"


def test_next_rung_continues_a_ladder_the_policy_changed() -> None:
    v = view("crash-loop")
    episode = run(start(v), v, 0, P).episode  # restart-pod done
    plan = plan_for("crash-loop", WEB, policy(ladder=["rollout-restart", "scale-down-up"]).healing)
    assert next_rung(episode, plan, max_attempts=1) == ("rollout-restart", 1, 1)


def test_a_workload_short_of_ready_pods_with_nothing_named_wrong_gets_time() -> None:
    sick = view("crash-loop")
    acted = run(start(sick), sick, 0, P)
    rolling = view(None)  # the restarted pod is starting: not ready, no diagnosis
    waiting = run(acted.episode, rolling, 60, P)
    assert waiting.act is None and waiting.episode.phase == "acting" and waiting.episode.active
    assert run(waiting.episode, sick, 61, P).act.rung == "rollout-restart"  # it crashes again


def test_putting_the_replica_count_back_is_retried_under_new_keys() -> None:
    sick = view("crash-loop")
    episode = start(sick)
    for t in (0, 60, 120):
        episode = run(episode, sick, t, P).episode
    scaled = view("crash-loop", body=deployment(status_replicas=1))
    failed = run(episode, scaled, 121, P, state="failed", detail="409 conflict")
    assert failed.act.action.replicas == 2 and failed.episode.phase == "acting"
    again = run(failed.episode, scaled, 122, P)
    assert again.act.step == 2 and again.act.action.replicas == 2
    assert again.act.action.idempotency_key() != failed.act.action.idempotency_key()
    assert again.episode.phase == "verifying"
