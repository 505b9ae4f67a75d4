"""Revisions of a Deployment: which one fails, and whether the one before it was healthy.

A Deployment keeps one ReplicaSet per revision (annotation `deployment.kubernetes.io/revision`).
When every failing pod belongs to the newest ReplicaSet while the previous one still has ready pods,
the change between them caused the failure: a `bad-release`, whose fix is a rollback. Failures of the
running application (crash loops, OOM kills, failing probes) become `bad-release`; a new revision
that cannot even start (a wrong image tag, a missing ConfigMap) keeps its more precise cause, and
the rollback is offered as the other fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from kaido.analysis.diagnosis.context import Context
from kaido.analysis.diagnosis.evidence import plural
from kaido.analysis.diagnosis.model import Revision
from kaido.analysis.diagnosis.snapshot import Body
from kaido.core.refs import ObjectRef

__all__ = ["REVISION", "Release", "find_release", "revision_of"]

REVISION: Final = "deployment.kubernetes.io/revision"


def revision_of(replicaset: Body) -> Revision:
    meta = replicaset.get("metadata") or {}
    text = str((meta.get("annotations") or {}).get(REVISION) or "")
    containers = ((((replicaset.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    return Revision(
        number=int(text) if text.isdigit() else None,
        replicaset=str(meta.get("name", "")),
        images=tuple(str(c.get("image")) for c in containers),
    )


def _ready(replicaset: Body) -> int:
    status = replicaset.get("status") or {}
    return int(status.get("readyReplicas") or status.get("availableReplicas") or 0)


@dataclass(frozen=True, slots=True)
class Release:
    """The failing (newest) revision of a Deployment and the one before it."""

    deployment: ObjectRef
    current: Revision
    previous: Revision | None
    previous_ready: int  # ready pods of the previous revision now
    previous_ran_clean: bool = False  # its (now replaced) pods started and drew no Warning Event

    @property
    def previous_healthy(self) -> bool:
        return self.previous is not None and (self.previous_ready > 0 or self.previous_ran_clean)

    def rollback(self) -> str:
        back = ""
        if self.previous is not None:
            back = f" (back to revision {self.previous.number}, image {', '.join(self.previous.images) or 'none'})"
        return f"kubectl rollout undo deployment/{self.deployment.name} -n {self.deployment.namespace}{back}"

    def evidence(self) -> tuple[str, ...]:
        lines = [f"failing: {self.current.describe()}"]
        if self.previous is not None:
            ready = plural(self.previous_ready, "ready pod")
            line = f"previous: {self.previous.describe()} with {ready}"
            if self.previous_ran_clean and not self.previous_ready:
                line += "; its pods ran without Warning Events until the rollout replaced them"
            lines.append(line)
        return tuple(lines)


def find_release(ctx: Context, deployment: ObjectRef, pods: Iterable[Body]) -> Release | None:
    """The release that `pods` (the failing ones) belong to, when they all run the newest revision."""
    body = ctx.get("Deployment", deployment.namespace, deployment.name)
    if body is None:
        return None
    uid = (body.get("metadata") or {}).get("uid")
    owned = [rs for rs in ctx.snapshot.replicasets if _owned_by(rs, deployment.name, uid, deployment.namespace)]
    numbered = sorted(((revision_of(rs), rs) for rs in owned), key=lambda pair: pair[0].number or 0)
    if not numbered:
        return None
    current, _ = numbered[-1]
    failing = {str(((ctx.controller_of(pod) or {}).get("metadata") or {}).get("name", "")) for pod in pods}
    if failing != {current.replicaset}:
        return None
    earlier = [(rev, rs) for rev, rs in numbered[:-1] if (rev.number or 0) < (current.number or 0)]
    if not earlier:
        return Release(deployment, current, None, 0)
    previous, previous_rs = earlier[-1]
    return Release(deployment, current, previous, _ready(previous_rs), _ran_clean(ctx, previous_rs))


def _ran_clean(ctx: Context, replicaset: Body) -> bool:
    """Whether the ReplicaSet's pods, as their Events remember them, started and never drew a Warning.

    A rollout that completed before the new pods began to crash (no readiness probe, a crash a few
    seconds in) scales the previous ReplicaSet to zero; its pods' Events (kept an hour by default)
    are then the only trace that the previous revision ran well.
    """
    meta = replicaset.get("metadata") or {}
    prefix = f"{meta.get('name')}-"
    started = warned = False
    for event in ctx.snapshot.events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != "Pod" or involved.get("namespace") != meta.get("namespace"):
            continue
        if not str(involved.get("name", "")).startswith(prefix):
            continue
        started = started or event.get("reason") == "Started"
        warned = warned or event.get("type") == "Warning"
    return started and not warned


def _owned_by(replicaset: Body, name: str, uid: object, namespace: str | None) -> bool:
    meta = replicaset.get("metadata") or {}
    if meta.get("namespace") != namespace:
        return False
    owners = meta.get("ownerReferences") or []
    return any(
        o.get("kind") == "Deployment" and (o.get("uid") == uid if uid else o.get("name") == name) for o in owners
    )
