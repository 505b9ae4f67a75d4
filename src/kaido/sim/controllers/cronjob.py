"""The CronJob controller: start a Job at each scheduled time, honouring the concurrency policy.

The next fire time is computed once per (CronJob, last schedule) and cached, so fast-forwarding a
day of virtual time costs one schedule search per run, not one per tick. Missed runs are not
replayed one by one: like upstream, only the most recent missed time starts a Job.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import controller_ref, is_controlled_by, parse_time, write_status
from kaido.sim.cron import next_fire, parse_schedule
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339

__all__ = ["CronJobController"]

CRONJOBS: Final = builtin("batch", "v1", "cronjobs")
JOBS: Final = builtin("batch", "v1", "jobs")
COMPONENT: Final = "cronjob-controller"


def _job_finished(job: Obj) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return str(condition["type"])
    return None


class CronJobController:
    name = "cronjob"

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], datetime | None] = {}

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for cronjob in cluster.store.list_objects(CRONJOBS, None):
            if not cronjob["metadata"].get("deletionTimestamp"):
                self._sync(cluster, cronjob, now)

    def _sync(self, cluster: SimCluster, cronjob: Obj, now: datetime) -> None:
        meta, spec = cronjob["metadata"], cronjob["spec"]
        jobs = [j for j in cluster.store.list_objects(JOBS, meta["namespace"]) if is_controlled_by(j, meta["uid"])]
        active = [j for j in jobs if _job_finished(j) is None]
        status = dict(cronjob.get("status") or {})
        last = status.get("lastScheduleTime") or meta["creationTimestamp"]
        key = (meta["uid"], last)
        if key not in self._next:
            try:
                self._next[key] = next_fire(parse_schedule(spec["schedule"]), parse_time(last) or now)
            except ValueError as error:
                record_event(cluster, cronjob, "Warning", "InvalidSchedule", str(error), component=COMPONENT, now=now)
                self._next[key] = None
        due = self._next[key]
        if due is not None and due <= now and not spec.get("suspend"):
            deadline = spec.get("startingDeadlineSeconds")
            late = deadline is not None and now - due > timedelta(seconds=int(deadline))
            if not late and self._may_start(cluster, cronjob, active, now):
                active.append(self._start(cluster, cronjob, due, now))
            status["lastScheduleTime"] = rfc3339(due)
        self._prune(cluster, cronjob, jobs, now)
        successful = [
            parse_time((j.get("status") or {}).get("completionTime")) for j in jobs if _job_finished(j) == "Complete"
        ]
        if any(successful):
            status["lastSuccessfulTime"] = rfc3339(max(t for t in successful if t))
        status["active"] = [
            {
                "kind": "Job",
                "namespace": meta["namespace"],
                "name": j["metadata"]["name"],
                "uid": j["metadata"]["uid"],
                "apiVersion": "batch/v1",
            }
            for j in active
        ]
        if not status["active"]:
            del status["active"]
        write_status(cluster, CRONJOBS, cluster.store.get(CRONJOBS, meta["namespace"], meta["name"]), status)

    @staticmethod
    def _may_start(cluster: SimCluster, cronjob: Obj, active: list[Obj], now: datetime) -> bool:
        policy = cronjob["spec"].get("concurrencyPolicy", "Allow")
        if not active or policy == "Allow":
            return True
        if policy == "Forbid":
            return False
        for job in active:  # Replace
            _delete_job(cluster, cronjob, job, now)
        active.clear()
        return True

    @staticmethod
    def _start(cluster: SimCluster, cronjob: Obj, due: datetime, now: datetime) -> Obj:
        meta = cronjob["metadata"]
        template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
        job_meta = template.get("metadata") or {}
        job_meta.update(
            name=f"{meta['name']}-{int(due.timestamp() // 60)}",
            namespace=meta["namespace"],
            ownerReferences=[controller_ref(cronjob)],
        )
        job_meta.setdefault("annotations", {})["batch.kubernetes.io/cronjob-scheduled-timestamp"] = rfc3339(due)
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template.get("spec") or {}}
        created = cluster.ops.create(JOBS, meta["namespace"], job)
        record_event(
            cluster,
            cronjob,
            "Normal",
            "SuccessfulCreate",
            f"Created job {created['metadata']['name']}",
            component=COMPONENT,
            now=now,
        )
        return created

    @staticmethod
    def _prune(cluster: SimCluster, cronjob: Obj, jobs: list[Obj], now: datetime) -> None:
        limits = {
            "Complete": int(cronjob["spec"].get("successfulJobsHistoryLimit", 3)),
            "Failed": int(cronjob["spec"].get("failedJobsHistoryLimit", 1)),
        }
        for outcome, limit in limits.items():
            finished = sorted(
                (j for j in jobs if _job_finished(j) == outcome), key=lambda j: j["metadata"]["creationTimestamp"]
            )
            for job in finished[: max(0, len(finished) - limit)]:
                _delete_job(cluster, cronjob, job, now)


def _delete_job(cluster: SimCluster, cronjob: Obj, job: Obj, now: datetime) -> None:
    meta = job["metadata"]
    cluster.ops.delete(JOBS, meta["namespace"], meta["name"], {"propagationPolicy": "Background"})
    record_event(
        cluster, cronjob, "Normal", "SuccessfulDelete", f"Deleted job {meta['name']}", component=COMPONENT, now=now
    )
