"""Diagnosis: why a workload is unhealthy, named as a stable cause class with its evidence and a fix.

`diagnose(snapshot, now=...)` reads a `Snapshot` (pods, Events, owners, revisions, previous container
logs, ...) and returns one `Diagnosis` per (workload, cause). Pure: `kaido.controllers.inspect`
gathers the snapshot from the API. The causes are split by family: crash (exits, OOM), images,
config, storage, scheduling, probes, release (bad revisions), workloads (quota, HPA, Jobs,
Deployments) and nodes.
May import: core, and the rest of analysis.
"""

from kaido.analysis.diagnosis.engine import diagnose
from kaido.analysis.diagnosis.model import (
    BAD_RELEASE,
    CAUSES,
    CRASH_LOOP,
    DEPLOYMENT_UNAVAILABLE,
    HPA_METRICS_UNAVAILABLE,
    IMAGE_PULL,
    JOB_FAILED,
    LIVENESS_PROBE,
    MISSING_CONFIG,
    MOUNT_FAILURE,
    NODE_NOT_READY,
    OOM_KILLED,
    QUOTA_EXCEEDED,
    READINESS_PROBE,
    UNKNOWN,
    UNSCHEDULABLE_PLACEMENT,
    UNSCHEDULABLE_RESOURCES,
    Diagnosis,
    Revision,
)
from kaido.analysis.diagnosis.snapshot import LogKey, Snapshot, latest_time

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
    "UNKNOWN",
    "UNSCHEDULABLE_PLACEMENT",
    "UNSCHEDULABLE_RESOURCES",
    "Diagnosis",
    "LogKey",
    "Revision",
    "Snapshot",
    "diagnose",
    "latest_time",
]
