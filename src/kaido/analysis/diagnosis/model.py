"""What a diagnosis says: the cause class, the workload it names, the evidence, and a concrete fix.

A `Diagnosis` answers "why is this workload unhealthy?" for a person and for the healer. Its `cause`
is a stable kebab-case id from `CAUSES` that the healing ladder and alert rules key on; its `id`
derives from the cause and the target only (`kaido.analysis.findings.finding_id`), so running the
diagnosis again on a cluster that has not changed its mind gives the same ids while the numbers in
the summary move. One diagnosis covers every pod of a workload that fails for the same cause.

`Problem` is the intermediate a cause family returns for one pod or object, before the pods of one
workload are grouped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from kaido.analysis.findings import Finding, Severity, finding_id
from kaido.core.refs import ObjectRef

__all__ = [
    "BAD_RELEASE",
    "CAUSES",
    "CRASH_LOOP",
    "DEPLOYMENT_UNAVAILABLE",
    "HPA_METRICS_UNAVAILABLE",
    "IMAGE_PULL",
    "JOB_FAILED",
    "LIVENESS_PROBE",
    "MISSING_CONFIG",
    "MOUNT_FAILURE",
    "NODE_NOT_READY",
    "OOM_KILLED",
    "QUOTA_EXCEEDED",
    "READINESS_PROBE",
    "RUNTIME_CAUSES",
    "UNKNOWN",
    "UNSCHEDULABLE_PLACEMENT",
    "UNSCHEDULABLE_RESOURCES",
    "Diagnosis",
    "Problem",
    "Revision",
    "describe_ref",
]

BAD_RELEASE: Final = "bad-release"  # a new revision fails while the previous one was healthy
CRASH_LOOP: Final = "crash-loop"  # the application exits
OOM_KILLED: Final = "oom-killed"
IMAGE_PULL: Final = "image-pull"
MISSING_CONFIG: Final = "missing-config"  # a ConfigMap, Secret or key that does not exist
MOUNT_FAILURE: Final = "mount-failure"  # FailedMount for other reasons, unbound or missing claims
UNSCHEDULABLE_RESOURCES: Final = "unschedulable-resources"
UNSCHEDULABLE_PLACEMENT: Final = "unschedulable-placement"
QUOTA_EXCEEDED: Final = "quota-exceeded"
LIVENESS_PROBE: Final = "liveness-probe"  # startup probe failures too: both restart the container
READINESS_PROBE: Final = "readiness-probe"
DEPLOYMENT_UNAVAILABLE: Final = "deployment-unavailable"
HPA_METRICS_UNAVAILABLE: Final = "hpa-metrics-unavailable"
JOB_FAILED: Final = "job-failed"
NODE_NOT_READY: Final = "node-not-ready"
UNKNOWN: Final = "unknown"
CAUSES: Final = (
    BAD_RELEASE, CRASH_LOOP, OOM_KILLED, IMAGE_PULL, MISSING_CONFIG, MOUNT_FAILURE, UNSCHEDULABLE_RESOURCES,
    UNSCHEDULABLE_PLACEMENT, QUOTA_EXCEEDED, LIVENESS_PROBE, READINESS_PROBE, DEPLOYMENT_UNAVAILABLE,
    HPA_METRICS_UNAVAILABLE, JOB_FAILED, NODE_NOT_READY, UNKNOWN,
)  # fmt: skip
# Failures of the running application: a new revision showing one of these is a bad release.
RUNTIME_CAUSES: Final = frozenset({CRASH_LOOP, OOM_KILLED, LIVENESS_PROBE, READINESS_PROBE})


def describe_ref(ref: ObjectRef) -> str:
    """How a sentence names an object: "deployment shop/backend", "node worker-2"."""
    return f"{ref.kind.lower()} {ref.key}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """One revision of a Deployment: its ReplicaSet and images."""

    number: int | None
    replicaset: str
    images: tuple[str, ...] = ()

    def describe(self) -> str:
        """ "revision 4 (ReplicaSet backend-7d9f, image backend:v2)"."""
        label = f"revision {self.number}" if self.number is not None else "an unnumbered revision"
        images = ", ".join(self.images) or "no image"
        noun = "image" if len(self.images) <= 1 else "images"
        return f"{label} (ReplicaSet {self.replicaset}, {noun} {images})"

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "replicaset": self.replicaset, "images": list(self.images)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One cause found on one pod (or on one object), before pods are grouped by workload."""

    cause: str
    severity: Severity
    summary: str  # about the pod or object, without naming the workload: "container app: exit 1 after ..."
    evidence: tuple[str, ...] = ()
    suggestion: str = ""
    container: str | None = None
    related: tuple[ObjectRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis:
    """The cause of one workload's (or node's) trouble. Build it with `Diagnosis.create`, which derives the id."""

    id: str
    target: ObjectRef  # the Deployment, StatefulSet, DaemonSet, Job or bare Pod; the Node for node causes
    cause: str
    severity: Severity
    summary: str  # one plain sentence with the numbers
    evidence: tuple[str, ...] = ()  # status lines, events and log lines that support the summary
    suggestion: str = ""  # a concrete fix
    pods: tuple[str, ...] = ()  # names of the affected pods
    containers: tuple[str, ...] = ()
    revision: Revision | None = None  # the failing revision, when the cause is tied to one
    previous_revision: Revision | None = None  # the revision before it, for a rollback
    related: tuple[ObjectRef, ...] = ()  # other objects involved: the ReplicaSet, HPA, quota, claim

    def __post_init__(self) -> None:
        if self.cause not in CAUSES:
            raise ValueError(f"diagnosis of {self.target}: cause {self.cause!r} is not one of {', '.join(CAUSES)}")

    @classmethod
    def create(
        cls,
        cause: str,
        severity: Severity,
        target: ObjectRef,
        *,
        summary: str,
        evidence: tuple[str, ...] = (),
        suggestion: str = "",
        pods: tuple[str, ...] = (),
        containers: tuple[str, ...] = (),
        revision: Revision | None = None,
        previous_revision: Revision | None = None,
        related: tuple[ObjectRef, ...] = (),
    ) -> Diagnosis:
        # No uid in the target: a Deployment re-created under the same name keeps its diagnosis ids.
        plain = ObjectRef(kind=target.kind, name=target.name, namespace=target.namespace)
        return cls(
            id=finding_id(cause, plain),
            target=plain,
            cause=cause,
            severity=severity,
            summary=summary,
            evidence=evidence,
            suggestion=suggestion,
            pods=pods,
            containers=containers,
            revision=revision,
            previous_revision=previous_revision,
            related=related,
        )

    def concerns(self, ref: ObjectRef) -> bool:
        """Whether `ref` names this diagnosis' target, one of its pods or a related object."""
        if ref.kind == "Pod":
            # pods of a node's diagnosis are "namespace/name": a node hosts pods of every namespace
            named = ref.name if ref.namespace == self.target.namespace else f"{ref.namespace}/{ref.name}"
            if named in self.pods:
                return True
        return any(
            (other.kind, other.namespace, other.name) == (ref.kind, ref.namespace, ref.name)
            for other in (self.target, *self.related)
        )

    def to_finding(self, *, observed_at: datetime) -> Finding:
        """The same trouble as a monitor Finding whose kind is the cause; the ids agree."""
        return Finding.create(
            self.cause,
            self.severity,
            self.target,
            summary=self.summary,
            observed_at=observed_at,
            evidence=self.evidence,
            workload=self.target if self.target.kind not in ("Pod", "Node") else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": _ref_json(self.target),
            "cause": self.cause,
            "severity": self.severity,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "suggestion": self.suggestion,
            "pods": list(self.pods),
            "containers": list(self.containers),
            "revision": self.revision.to_json() if self.revision else None,
            "previous_revision": self.previous_revision.to_json() if self.previous_revision else None,
            "related": [_ref_json(ref) for ref in self.related],
        }


def _ref_json(ref: ObjectRef) -> dict[str, Any]:
    return {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
