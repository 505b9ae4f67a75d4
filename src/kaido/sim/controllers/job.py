"""The Job controller: run pods until `completions` succeed or the backoff limit is reached.

Counts succeeded and failed pods (and container restarts for restartPolicy OnFailure) like
upstream, keeps up to `parallelism` pods active, and ends with the conditions a real cluster
shows: SuccessCriteriaMet + Complete, or FailureTarget + Failed with reason BackoffLimitExceeded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import (
    PODS,
    create_owned_pod,
    is_controlled_by,
    is_pod_ready,
    pod_from_template,
    write_status,
)
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339

__all__ = ["JobController"]

JOBS: Final = builtin("batch", "v1", "jobs")
COMPONENT: Final = "job-controller"
_BACKOFF_MESSAGE: Final = "Job has reached the specified backoff limit"


def _finished(job: Obj) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions)


def _condition(kind: str, reason: str, message: str, now: datetime) -> Obj:
    stamp = rfc3339(now)
    return {
        "type": kind,
        "status": "True",
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


class JobController:
    name = "job"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for job in cluster.store.list_objects(JOBS, None):
            if not job["metadata"].get("deletionTimestamp") and not _finished(job):
                self._sync(cluster, job, now)

    def _sync(self, cluster: SimCluster, job: Obj, now: datetime) -> None:
        meta, spec = job["metadata"], job["spec"]
        pods = [p for p in cluster.store.list_objects(PODS, meta["namespace"]) if is_controlled_by(p, meta["uid"])]
        phases = [(p.get("status") or {}).get("phase") for p in pods]
        succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
        active = [p for p, phase in zip(pods, phases, strict=True) if phase not in ("Succeeded", "Failed")]
        restarts = sum(
            int(c.get("restartCount", 0))
            for p in active
            for c in (p.get("status") or {}).get("containerStatuses") or []
        )
        completions = int(spec.get("completions", 1))
        status: Obj = dict(job.get("status") or {})
        status.setdefault("startTime", rfc3339(now))
        if spec.get("suspend"):
            self._write(cluster, job, status, active, succeeded, failed)
            return
        if succeeded >= completions:
            self._finish(cluster, job, status, active, succeeded, failed, now, failed_job=False)
            return
        if failed + restarts > int(spec.get("backoffLimit", 6)):
            self._finish(cluster, job, status, active, succeeded, failed, now, failed_job=True)
            return
        wanted = min(int(spec.get("parallelism", 1)), completions - succeeded)
        for _ in range(max(0, wanted - len(active))):
            created = self._create_pod(cluster, job, now)
            if created is None:
                break
            active.append(created)
        self._write(cluster, job, status, active, succeeded, failed)

    @staticmethod
    def _create_pod(cluster: SimCluster, job: Obj, now: datetime) -> Obj | None:
        pod = pod_from_template(job, job["spec"]["template"])
        return create_owned_pod(cluster, job, pod, component=COMPONENT, now=now)

    def _finish(
        self,
        cluster: SimCluster,
        job: Obj,
        status: Obj,
        active: list[Obj],
        succeeded: int,
        failed: int,
        now: datetime,
        *,
        failed_job: bool,
    ) -> None:
        namespace = job["metadata"]["namespace"]
        for pod in active:
            cluster.ops.delete(PODS, namespace, pod["metadata"]["name"])
        if failed_job:
            status["conditions"] = [
                _condition("FailureTarget", "BackoffLimitExceeded", _BACKOFF_MESSAGE, now),
                _condition("Failed", "BackoffLimitExceeded", _BACKOFF_MESSAGE, now),
            ]
            record_event(
                cluster, job, "Warning", "BackoffLimitExceeded", _BACKOFF_MESSAGE, component=COMPONENT, now=now
            )
        else:
            status["conditions"] = [
                _condition(
                    "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now
                ),
                _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", now),
            ]
            status["completionTime"] = rfc3339(now)
            record_event(cluster, job, "Normal", "Completed", "Job completed", component=COMPONENT, now=now)
        self._write(cluster, job, status, [], succeeded, failed)

    @staticmethod
    def _write(cluster: SimCluster, job: Obj, status: Obj, active: list[Obj], succeeded: int, failed: int) -> None:
        counts = {
            "active": len(active),
            "succeeded": succeeded,
            "failed": failed,
            "ready": sum(1 for p in active if is_pod_ready(p)),
        }
        for key, value in counts.items():
            if value:
                status[key] = value
            else:
                status.pop(key, None)
        status["ready"] = counts["ready"]
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        current = cluster.store.get(JOBS, job["metadata"]["namespace"], job["metadata"]["name"])
        write_status(cluster, JOBS, current, status)
