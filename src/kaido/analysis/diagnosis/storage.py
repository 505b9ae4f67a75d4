"""Volumes that cannot be attached or mounted, and claims that never bind.

Two ways a volume holds a pod back: the scheduler will not place a pod whose immediate
PersistentVolumeClaims are unbound or missing (its message says so; the claim's own Events say why:
`storageclass.storage.k8s.io "fast-ssd" not found`), and the kubelet cannot mount a volume on the
node (FailedMount Events, the pod stays ContainerCreating). A FailedMount that names a missing
ConfigMap or Secret is `missing-config` (see `config`); every other one is a `mount-failure`.
"""

from __future__ import annotations

import re
from typing import Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.evidence import clip, describe_event, message_of
from kaido.analysis.diagnosis.model import MOUNT_FAILURE, Problem
from kaido.analysis.diagnosis.snapshot import Body
from kaido.core.refs import ObjectRef

__all__ = ["CLAIM_MESSAGES", "claim_problem", "mount_problem"]

# Scheduler messages about the pod's claims (VolumeBinding's PreFilter).
CLAIM_MESSAGES: Final = ("unbound immediate PersistentVolumeClaims", "persistentvolumeclaim")
_CLASS: Final = re.compile(r'storageclass[.\w]* "([^"]+)" not found')
_CLAIM: Final = re.compile(r'persistentvolumeclaim "([^"]+)"')


def mount_problem(case: PodCase) -> Problem | None:
    """mount-failure for a pod with FailedMount Events that still waits for its volumes."""
    events = case.ctx.pod_events(case.pod, reason="FailedMount")
    if not events:
        return None
    last = events[-1]
    summary = f"a volume cannot be mounted: {clip(message_of(last), 200)}"
    return Problem(
        cause=MOUNT_FAILURE,
        severity="critical",
        summary=summary,
        evidence=tuple(describe_event(e) for e in events[-3:]),
        suggestion=(
            f"check the volume sources of {case.kubectl_ref} and the storage backend "
            f"(kubectl describe pod {case.name} {case.kubectl_ns})"
        ),
    )


def _claims(case: PodCase) -> list[str]:
    volumes = case.spec.get("volumes") or []
    return [str(v["persistentVolumeClaim"]["claimName"]) for v in volumes if (v.get("persistentVolumeClaim") or {})]


def claim_problem(case: PodCase, message: str, evidence: tuple[str, ...]) -> Problem:
    """mount-failure for a pod the scheduler holds back because of its PersistentVolumeClaims."""
    missing = _CLAIM.search(message)
    if missing is not None and "not found" in message:
        name = missing.group(1)
        return Problem(
            cause=MOUNT_FAILURE,
            severity="critical",
            summary=f"PersistentVolumeClaim {name} does not exist, so the pod cannot be scheduled",
            evidence=evidence,
            suggestion=f"create PersistentVolumeClaim {name} in namespace {case.namespace} or fix claimName in "
            f"{case.kubectl_ref}",
            related=(ObjectRef(kind="PersistentVolumeClaim", name=name, namespace=case.namespace),),
        )
    pending = [
        (name, claim)
        for name in _claims(case)
        if (claim := case.ctx.get("PersistentVolumeClaim", case.namespace, name)) is not None
        and (claim.get("status") or {}).get("phase") != "Bound"
    ]
    if not pending:
        return Problem(
            cause=MOUNT_FAILURE,
            severity="critical",
            summary=f"the pod's volumes hold it back from scheduling: {clip(message, 200)}",
            evidence=evidence,
            suggestion="kubectl get pvc "
            + case.kubectl_ns
            + " and kubectl describe pvc: bind each claim the pod uses (check its StorageClass and provisioner)",
        )
    name, claim = pending[0]
    return _pending_claim(case, name, claim, evidence)


def _pending_claim(case: PodCase, name: str, claim: Body, evidence: tuple[str, ...]) -> Problem:
    events = [e for e in case.ctx.events(claim, "PersistentVolumeClaim") if e.get("type") == "Warning"]
    events = events or case.ctx.events(claim, "PersistentVolumeClaim")
    said = message_of(events[-1]) if events else ""
    phase = (claim.get("status") or {}).get("phase") or "Pending"
    summary = f"PersistentVolumeClaim {name} is {phase}"
    summary += f": {clip(said, 160)}" if said else ""
    summary += "; the pod cannot be scheduled until it is bound"
    wanted = _CLASS.search(said)
    if wanted is not None:
        fix = (
            f"create StorageClass {wanted.group(1)}, or re-create PersistentVolumeClaim {name} with a "
            "storageClassName that exists (kubectl get storageclass); a claim's class cannot be changed in place"
        )
    elif not (claim.get("spec") or {}).get("storageClassName"):
        fix = f"mark a StorageClass as the default or set storageClassName on PersistentVolumeClaim {name}"
    else:
        fix = f"check the provisioner of StorageClass {claim['spec']['storageClassName']} (kubectl describe pvc {name})"
    lines = (*evidence, *(describe_event(e) for e in events[-2:]))
    return Problem(
        cause=MOUNT_FAILURE,
        severity="critical",
        summary=summary,
        evidence=lines,
        suggestion=fix,
        related=(ObjectRef(kind="PersistentVolumeClaim", name=name, namespace=case.namespace),),
    )
