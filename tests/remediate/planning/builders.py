"""Hand-written Kubernetes bodies, diagnoses and policies for the planner's tests, at fixed times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kaido.analysis.diagnosis import Diagnosis, Revision
from kaido.config import HealingSettings, Modes, Policy
from kaido.core.refs import ObjectRef
from kaido.remediate.planning import Act, Episode, Gates, Step, WorkloadView, advance, detect, settle
from kaido.store.records import ActionRecord, ActionState

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NS = "shop"
WEB = ObjectRef(kind="Deployment", name="web", namespace=NS)
OPEN = Gates()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def policy(*, modes: dict[str, str] | None = None, **healing: Any) -> Policy:
    return Policy(healing=HealingSettings(**healing), modes=Modes(**(modes or {})))


def deployment(
    name: str = "web",
    *,
    replicas: int = 2,
    ready: int = 0,
    memory: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    status_replicas: int | None = None,
) -> dict[str, Any]:
    resources = {"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi"}} if memory is None else memory
    return {
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "generation": 1,
                     "annotations": annotations or {}},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "app", "image": "web:1", "resources": resources}]}},
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas if status_replicas is None else status_replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
        },
    }  # fmt: skip


def pod(
    name: str, *, ready: bool = False, restarts: int = 3, labels: dict[str, str] | None = None, ignore: bool = False
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "labels": labels or {"app": "web"},
            "annotations": {"kaido.io/ignore": "true"} if ignore else {},
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "app", "restartCount": restarts, "ready": ready}],
        },
    }


def diagnosis(
    cause: str, target: ObjectRef = WEB, *, pods: tuple[str, ...] = ("web-a", "web-b"), previous: int | None = 1
) -> Diagnosis:
    return Diagnosis.create(
        cause,
        "critical",
        target,
        summary=f"{target.kind.lower()} {target.key}: {cause} for the test",
        evidence=(f"evidence of {cause}",),
        suggestion=f"fix the {cause}",
        pods=pods,
        containers=("app",),
        revision=Revision(number=2, replicaset="web-2", images=("web:2",)),
        previous_revision=Revision(number=previous, replicaset="web-1", images=("web:1",)) if previous else None,
    )


def view(cause: str | None = "crash-loop", *, body: dict[str, Any] | None = None, **kwargs: Any) -> WorkloadView:
    pods = kwargs.pop("pods", (pod("web-a", restarts=5), pod("web-b", restarts=2)))
    found = diagnosis(cause) if cause is not None else None
    return WorkloadView(ref=WEB, body=body or deployment(), pods=pods, diagnosis=found, **kwargs)


def healthy(**kwargs: Any) -> WorkloadView:
    return view(None, body=deployment(ready=2), pods=(pod("web-a", ready=True), pod("web-b", ready=True)), **kwargs)


def record_for(act: Act, *, state: ActionState = "succeeded", detail: str = "done", when: datetime = T0,
               incident: str = "") -> ActionRecord:  # fmt: skip
    action = act.action
    return ActionRecord(
        key=action.idempotency_key(),
        action=action.kind,
        target=str(action.target),
        params=action.params(),
        mode=act.mode,
        reason=act.reason,
        requested_at=when,
        state=state,
        detail=detail,
        finished_at=when,
        incident_id=incident or None,
    )


def start(v: WorkloadView, *, seconds: float = 0) -> Episode:
    return detect(v, now=at(seconds)).episode


def run(episode: Episode, v: WorkloadView, seconds: float, p: Policy, gates: Gates = OPEN, **record: Any) -> Step:
    """Advance at `seconds`; when it acts, settle it as the executor would have (succeeded by default)."""
    step = advance(episode, v, policy=p, gates=gates, now=at(seconds))
    if step.act is None:
        return step
    done = record_for(step.act, when=at(seconds), incident=episode.id, **record)
    settled = settle(step.episode, step.act, done, audited=True, verify_period=p.healing.verify_period, now=at(seconds))
    return replace(settled, act=step.act, transitions=(*step.transitions, *settled.transitions))
