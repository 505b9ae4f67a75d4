"""Actions are validated values whose idempotency key pins one decision on one object."""

from __future__ import annotations

import pytest

from kaido.core.refs import ObjectRef
from kaido.remediate.actions import (
    ACTION_TYPES,
    ActionError,
    ApplyHPA,
    PatchResources,
    RestartPod,
    Rollback,
    RolloutRestart,
    Scale,
    SetHPAMinReplicas,
)

POD = ObjectRef("Pod", "backend-x", "chatbot-dev", uid="u-1")
DEPLOY = ObjectRef("Deployment", "backend", "chatbot-dev")
HPA = ObjectRef("HorizontalPodAutoscaler", "backend-hpa", "chatbot-dev")


def test_the_same_decision_gets_the_same_key_and_a_new_one_a_new_key() -> None:
    first = Scale(target=DEPLOY, epoch="gen-4", replicas=3)
    assert first.idempotency_key() == Scale(target=DEPLOY, epoch="gen-4", replicas=3).idempotency_key()
    # the parameters are not part of the key: a recomputed count for the same decision is the same decision
    assert first.idempotency_key() == Scale(target=DEPLOY, epoch="gen-4", replicas=4).idempotency_key()
    assert first.idempotency_key() != Scale(target=DEPLOY, epoch="gen-5", replicas=3).idempotency_key()
    assert first.idempotency_key() != RolloutRestart(target=DEPLOY, epoch="gen-4").idempotency_key()
    other_incarnation = ObjectRef("Deployment", "backend", "chatbot-dev", uid="u-9")
    assert first.idempotency_key() != Scale(target=other_incarnation, epoch="gen-4", replicas=3).idempotency_key()


def test_describe_says_what_happens_in_plain_words() -> None:
    assert RestartPod(target=POD, epoch="u-1").describe() == (
        "restart pod chatbot-dev/backend-x (delete it; its ReplicaSet recreates it)"
    )
    assert "respecting PodDisruptionBudgets" in RestartPod(target=POD, epoch="u-1", evict=True).describe()
    assert (
        Scale(target=DEPLOY, epoch="e", replicas=5).describe() == "scale deployment chatbot-dev/backend to 5 replicas"
    )
    assert Scale(target=DEPLOY, epoch="e", replicas=5, raise_only=True).describe().endswith("to at least 5 replicas")
    assert "revision 2" in Rollback(target=DEPLOY, epoch="e", revision=2).describe()
    patch = PatchResources(
        target=DEPLOY, epoch="e", container="api", requests={"memory": "256Mi"}, limits={"memory": "512Mi"}
    )
    assert patch.describe() == (
        "set container api of deployment chatbot-dev/backend to requests memory=256Mi and limits memory=512Mi "
        "(its pods roll)"
    )
    assert SetHPAMinReplicas(target=HPA, epoch="e", min_replicas=4).describe() == (
        "set minReplicas of hpa chatbot-dev/backend-hpa to 4"
    )
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "backend"}, "minReplicas": 2, "maxReplicas": 8}
    assert ApplyHPA(target=HPA, epoch="e", spec=spec).describe() == (
        "apply hpa chatbot-dev/backend-hpa for deployment backend (2-8 replicas)"
    )


def test_params_are_the_audit_logs_copy_of_the_data() -> None:
    patch = PatchResources(target=DEPLOY, epoch="e", container="api", limits={"cpu": "1"})
    assert patch.params() == {"epoch": "e", "container": "api", "requests": {}, "limits": {"cpu": "1"}}
    assert hash(patch) == hash(PatchResources(target=DEPLOY, epoch="e", container="api", limits={"cpu": "1"}))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RestartPod(target=DEPLOY, epoch="e"), "the target must be one of Pod"),
        (lambda: Scale(target=ObjectRef("Deployment", "x"), epoch="e", replicas=1), "needs a namespace"),
        (lambda: Scale(target=DEPLOY, epoch="", replicas=1), "epoch is empty"),
        (lambda: Scale(target=DEPLOY, epoch="e", replicas=-1), "replicas must be a whole number >= 0"),
        (lambda: Scale(target=DEPLOY, epoch="e", replicas=1, raise_only="yes"), "raise_only must be true or false"),  # type: ignore[arg-type]
        (lambda: Scale(target=ObjectRef("DaemonSet", "x", "ns"), epoch="e", replicas=1), "Deployment, ReplicaSet"),
        (lambda: Rollback(target=DEPLOY, epoch="e", revision=0), "revision must be a whole number >= 1"),
        (lambda: PatchResources(target=DEPLOY, epoch="e", container="api"), "give requests or limits"),
        (
            lambda: PatchResources(target=DEPLOY, epoch="e", container="api", limits={"memory": "lots"}),
            r"limits\.memory: quantity 'lots'",
        ),
        (lambda: SetHPAMinReplicas(target=HPA, epoch="e", min_replicas=0), "min_replicas must be"),
        (lambda: ApplyHPA(target=HPA, epoch="e", spec={"maxReplicas": 3}), "scaleTargetRef and maxReplicas"),
    ],
)
def test_an_invalid_action_cannot_be_built(build, message: str) -> None:
    with pytest.raises(ActionError, match=message):
        build()


def test_every_action_type_is_registered_by_its_kind() -> None:
    assert set(ACTION_TYPES) == {
        "RestartPod",
        "RolloutRestart",
        "Scale",
        "Rollback",
        "PatchResources",
        "SetHPAMinReplicas",
        "ApplyHPA",
    }
    assert all(cls.kind == kind for kind, cls in ACTION_TYPES.items())
