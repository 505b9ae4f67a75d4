"""The Job controller on virtual time; a test kubelet ends each pod with a chosen phase."""

from __future__ import annotations

import copy
from typing import Any

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.job import JobController
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

JOBS = builtin("batch", "v1", "jobs")
PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")


class EndingKubelet:
    """Ends every new pod at once with `phase`."""

    name = "test-kubelet"

    def __init__(self, phase: str) -> None:
        self.phase = phase

    def reconcile(self, cluster: SimCluster, now: Any) -> None:
        for pod in cluster.store.list_objects(PODS, None):
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            ended = copy.deepcopy(pod)
            ended["status"] = {"phase": self.phase}
            cluster.ops.update(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], ended, subresource="status")


def job(**spec: Any) -> dict[str, Any]:
    template = {
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"template": template, **spec},
    }


def conditions(cluster: SimCluster) -> list[tuple[str, str]]:
    status = cluster.store.get(JOBS, "default", "once")["status"]
    return [(c["type"], c["reason"]) for c in status.get("conditions", [])]


def test_job_runs_until_completions(cluster: SimCluster) -> None:
    cluster.ops.create(JOBS, "default", job(completions=3, parallelism=2))
    Runtime(cluster, [JobController(), EndingKubelet("Succeeded")]).reconcile()
    status = cluster.store.get(JOBS, "default", "once")["status"]
    assert status["succeeded"] == 3
    assert "active" not in status
    assert conditions(cluster) == [("SuccessCriteriaMet", "CompletionsReached"), ("Complete", "CompletionsReached")]
    assert len(cluster.store.list_objects(PODS, "default")) == 3


def test_backoff_limit_fails_the_job(cluster: SimCluster) -> None:
    cluster.ops.create(JOBS, "default", job(backoffLimit=2))
    Runtime(cluster, [JobController(), EndingKubelet("Failed")]).reconcile()
    assert conditions(cluster) == [("FailureTarget", "BackoffLimitExceeded"), ("Failed", "BackoffLimitExceeded")]
    assert cluster.store.get(JOBS, "default", "once")["status"]["failed"] == 3  # the limit counts retries
    reasons = {e["reason"]: e["message"] for e in cluster.store.list_objects(EVENTS, "default")}
    assert reasons["BackoffLimitExceeded"] == "Job has reached the specified backoff limit"
