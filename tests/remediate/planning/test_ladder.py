"""Per cause class, only the fixes that can help: the right action, or the deliberate non-action."""

from __future__ import annotations

import pytest

from kaido.analysis.diagnosis import CAUSES
from kaido.core.quantity import parse_quantity
from kaido.core.refs import ObjectRef
from kaido.remediate.actions import PatchResources, RestartPod, Rollback
from kaido.remediate.planning import WorkloadView, advance, plan_for, primary, raise_memory, scale_targets
from kaido.remediate.planning.views import worst_pod
from tests.remediate.planning.builders import (
    NS,
    OPEN,
    WEB,
    at,
    deployment,
    diagnosis,
    pod,
    policy,
    start,
    view,
)

# The causes no action can help: kaido alerts with the diagnosis and its fix instead.
NO_ACTION = sorted(set(CAUSES) - {"bad-release", "oom-killed", "crash-loop"})


def first_step(cause: str, **settings: object):
    v = view(cause)
    return advance(start(v), v, policy=policy(**settings), gates=OPEN, now=at(0))


def test_a_bad_release_is_rolled_back_to_the_previous_revision() -> None:
    step = first_step("bad-release")
    assert step.act is not None and step.act.mode == "enforce"
    assert step.act.action == Rollback(
        target=ObjectRef("Deployment", "web", NS, uid="uid-web"), epoch=step.act.action.epoch, revision=1
    )
    assert step.act.rung == "rollback"


def test_a_bad_release_without_automatic_rollback_escalates_with_the_rollback_command() -> None:
    step = first_step("bad-release", rollback_on_bad_release=False)
    assert step.act is None and step.episode.phase == "escalated"
    [said] = step.transitions
    assert said.kind == "escalated"
    assert "automatic rollback is off (healing.rollbackOnBadRelease: false)" in said.message
    assert "Suggested fix: fix the bad-release" in said.message


def test_an_oom_kill_raises_the_memory_limit_when_the_policy_allows() -> None:
    step = first_step("oom-killed", allow_resource_changes=True, memory_raise_factor=1.5)
    assert step.act is not None and step.act.mode == "enforce"
    action = step.act.action
    assert isinstance(action, PatchResources)
    assert (action.container, dict(action.limits), dict(action.requests)) == ("app", {"memory": "384Mi"}, {})


def test_an_oom_kill_is_only_recommended_when_resource_changes_are_not_allowed() -> None:
    step = first_step("oom-killed")  # allowResourceChanges defaults to false
    assert step.act is not None and step.act.mode == "dry-run"
    assert step.act.action.epoch.endswith("/recommend")
    assert isinstance(step.act.action, PatchResources)


def test_a_transient_crash_starts_the_ladder_by_evicting_the_worst_pod() -> None:
    step = first_step("crash-loop")
    assert step.act is not None
    action = step.act.action
    assert isinstance(action, RestartPod)
    assert action.evict  # eviction: the API server enforces PodDisruptionBudgets
    assert (action.target.name, action.target.uid) == ("web-a", "uid-web-a")  # the most restarts


@pytest.mark.parametrize("cause", NO_ACTION)
def test_causes_a_restart_cannot_help_escalate_at_once_without_acting(cause: str) -> None:
    step = first_step(cause)
    assert step.act is None
    assert step.episode.phase == "escalated" and step.episode.outcome == "escalated"
    [said] = step.transitions
    assert said.kind == "escalated" and said.severity == "critical"  # the diagnosis' severity
    assert "a restart cannot help with this cause" in said.message
    assert f"Diagnosis ({cause})" in said.message and f"Suggested fix: fix the {cause}" in said.message


def test_a_crash_looping_bare_pod_is_not_deleted() -> None:
    bare = ObjectRef("Pod", "test-crash-loop", NS)
    body = pod("test-crash-loop")
    v = WorkloadView(ref=bare, body=body, pods=(body,), diagnosis=diagnosis("crash-loop", bare, pods=()))
    step = advance(start(v), v, policy=policy(), gates=OPEN, now=at(0))
    assert step.act is None and step.episode.phase == "escalated"
    assert "deleting it would remove it for good" in step.transitions[0].message


@pytest.mark.parametrize(
    ("kind", "rungs"),
    [
        ("Deployment", ("restart-pod", "rollout-restart", "scale-down-up")),
        ("StatefulSet", ("restart-pod", "rollout-restart", "scale-down-up")),
        ("DaemonSet", ("restart-pod", "rollout-restart")),  # nothing to scale
        ("ReplicaSet", ("restart-pod", "scale-down-up")),  # no template restart for a bare ReplicaSet
        ("Job", ()),
        ("Pod", ()),
    ],
)
def test_rungs_that_do_not_apply_to_a_kind_are_left_out(kind: str, rungs: tuple[str, ...]) -> None:
    plan = plan_for("crash-loop", ObjectRef(kind, "x", NS), policy().healing)
    assert plan.rungs == rungs
    assert bool(plan.why_none) == (not rungs)


def test_the_policy_ladder_order_is_kept() -> None:
    settings = policy(ladder=["rollout-restart", "restart-pod"]).healing
    assert plan_for("crash-loop", WEB, settings).rungs == ("rollout-restart", "restart-pod")


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi"}}, ({}, {"memory": "384Mi"})),
        ({"limits": {"memory": "3Gi"}}, ({}, {"memory": "4Gi"})),  # capped at 4Gi
        ({"limits": {"memory": "100M"}}, ({}, {"memory": "144Mi"})),  # rounded up to a whole MiB
        ({"requests": {"memory": "200Mi"}}, ({"memory": "300Mi"}, {})),  # no limit: the node ran out
        ({"limits": {"memory": "4Gi"}}, "already, at or above the cap"),
        ({}, "sets no memory request or limit"),
    ],
)
def test_memory_is_raised_by_the_factor_up_to_the_cap(resources: dict, expected: object) -> None:
    found = raise_memory({"name": "app", "resources": resources}, factor=1.5, cap=parse_quantity("4Gi"))
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found
    else:
        assert found == expected


def test_memory_at_the_cap_escalates_as_nothing_applies() -> None:
    v = view("oom-killed", body=deployment(memory={"limits": {"memory": "4Gi"}}))
    step = advance(start(v), v, policy=policy(allow_resource_changes=True), gates=OPEN, now=at(0))
    assert step.act is None and step.episode.phase == "escalated"
    assert "no rung applies: raise-memory: container app: its memory is 4Gi already" in step.transitions[0].message


@pytest.mark.parametrize(
    ("replicas", "share", "expected"),
    [(1, 0.5, (2, 1)), (2, 0.5, (1, 2)), (4, 0.5, (2, 4)), (4, 0.25, (3, 4)), (3, 0.1, (2, 3)), (2, 1.0, (1, 2))],
)
def test_scale_down_up_never_goes_to_zero(replicas: int, share: float, expected: tuple[int, int]) -> None:
    assert scale_targets(replicas, share) == expected


def test_the_worst_pod_is_unready_with_the_most_restarts_and_never_an_ignored_one() -> None:
    pods = (pod("web-a", restarts=9, ignore=True), pod("web-b", restarts=1), pod("web-c", ready=True, restarts=7))
    v = WorkloadView(ref=WEB, body=deployment(), pods=pods, diagnosis=diagnosis("crash-loop", pods=()))
    chosen = worst_pod(v)
    assert chosen is not None and chosen["metadata"]["name"] == "web-b"


def test_one_cause_speaks_for_a_workload_with_several() -> None:
    found = primary([diagnosis("crash-loop"), diagnosis("missing-config"), diagnosis("unknown")])
    assert found[WEB].cause == "missing-config"  # a restart cannot help, so the crashes it causes wait
    assert primary([diagnosis("crash-loop"), diagnosis("bad-release")])[WEB].cause == "bad-release"
