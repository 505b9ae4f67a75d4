"""Workload-level causes: bad releases, quotas, unavailable Deployments, HPAs, failed Jobs and NotReady nodes."""

from __future__ import annotations

from typing import Any

from kaido.analysis.diagnosis import (
    BAD_RELEASE,
    CRASH_LOOP,
    DEPLOYMENT_UNAVAILABLE,
    HPA_METRICS_UNAVAILABLE,
    JOB_FAILED,
    NODE_NOT_READY,
    QUOTA_EXCEEDED,
    READINESS_PROBE,
    Revision,
)
from kaido.core.refs import ObjectRef
from tests.analysis.diagnosis.builders import (
    NS,
    ago,
    cond,
    container,
    deployment,
    event,
    node,
    only,
    owned_by,
    pod,
    replicaset,
    run,
    running,
    status,
    terminated,
    uid,
    waiting,
)

BACKOFF = waiting("CrashLoopBackOff", "back-off 40s restarting failed container=app")
PANIC = ("panic: runtime error: invalid memory address or nil pointer dereference", "goroutine 1 [running]:")
BACKEND = ObjectRef(kind="Deployment", name="backend", namespace=NS)


def release(*, old_ready: int) -> dict:
    backend = deployment("backend", replicas=2, available=old_ready)
    old = replicaset("backend-6c5f", backend, revision=3, image="backend:v1", ready=old_ready, replicas=old_ready)
    new = replicaset("backend-7d9f", backend, revision=4, image="backend:v2", ready=0, replicas=1)
    healthy = [pod(f"backend-6c5f-{i}", owners=owned_by(old)) for i in range(old_ready)]
    crashing = pod(
        "backend-7d9f-x1",
        owners=owned_by(new),
        statuses=[status(state=BACKOFF, last=terminated(code=2), restarts=5, ready=False, image="backend:v2")],
    )
    return {
        "deployments": [backend],
        "replicasets": [old, new],
        "pods": [*healthy, crashing],
        "logs": {(NS, "backend-7d9f-x1", "app"): PANIC},
    }


def test_a_new_revision_that_crash_loops_while_the_old_one_serves_is_a_bad_release() -> None:
    found = only(run(**release(old_ready=2)))
    assert found.cause == BAD_RELEASE
    assert found.target == BACKEND
    assert found.summary.startswith(
        "deployment shop/backend: new ReplicaSet backend-7d9f (revision 4, image backend:v2) crash-loops while "
        "revision 3 (image backend:v1) was healthy: container app: exit 2 after log line 'panic: runtime error:"
    )
    assert found.summary.endswith("; 1 of 3 pods")
    assert found.suggestion.startswith(
        "roll back: kubectl rollout undo deployment/backend -n shop (back to revision 3, image backend:v1)"
    )
    assert found.revision == Revision(number=4, replicaset="backend-7d9f", images=("backend:v2",))
    assert found.previous_revision == Revision(number=3, replicaset="backend-6c5f", images=("backend:v1",))
    assert "previous: revision 3 (ReplicaSet backend-6c5f, image backend:v1) with 2 ready pods" in found.evidence
    assert found.pods == ("backend-7d9f-x1",)
    assert found.concerns(ObjectRef(kind="ReplicaSet", name="backend-7d9f", namespace=NS))
    assert found.concerns(ObjectRef(kind="Pod", name="backend-7d9f-x1", namespace=NS))
    assert not found.concerns(ObjectRef(kind="Pod", name="backend-6c5f-0", namespace=NS))


def test_without_a_healthy_previous_revision_it_is_a_crash_loop_with_the_revision() -> None:
    found = only(run(**release(old_ready=0)))
    assert found.cause == CRASH_LOOP
    assert found.revision is not None and found.revision.number == 4
    assert "rollout undo" not in found.suggestion


def test_a_completed_rollout_is_judged_by_the_events_of_the_replaced_pods() -> None:
    parts = release(old_ready=0)
    old = parts["replicasets"][0]
    gone = {"kind": "Pod", "metadata": {"name": "backend-6c5f-abcde", "namespace": NS, "uid": uid()}}
    started = event(gone, "Started", "Started container app", type="Normal", last=900)
    found = only(run(**parts, events=[started]))
    assert found.cause == BAD_RELEASE
    assert "its pods ran without Warning Events until the rollout replaced them" in found.evidence[1]
    crashed_too = event(gone, "BackOff", "Back-off restarting failed container app", last=900)
    assert only(run(**parts, events=[started, crashed_too])).cause == CRASH_LOOP
    assert old["metadata"]["name"] == "backend-6c5f"


def test_pods_of_one_workload_and_cause_are_one_diagnosis_with_a_stable_id() -> None:
    parts = release(old_ready=2)
    first = only(run(**parts))
    new = parts["replicasets"][1]
    parts["pods"].append(
        pod(
            "backend-7d9f-x2",
            owners=owned_by(new),
            statuses=[status(state=BACKOFF, last=terminated(code=2), restarts=9, ready=False)],
        )
    )
    second = only(run(**parts))
    assert second.pods == ("backend-7d9f-x1", "backend-7d9f-x2")
    assert second.id == first.id and second.summary != first.summary
    assert second.summary.endswith("; 2 of 4 pods")


def test_a_replicaset_refused_by_a_quota() -> None:
    web = deployment("web", replicas=4, available=2)
    rs = replicaset("web-5b8c", web, revision=1, image="nginx:1.27", replicas=4, ready=2)
    rs["status"]["replicas"] = 2
    refused = event(
        rs,
        "FailedCreate",
        'Error creating: pods "web-5b8c-" is forbidden: exceeded quota: pod-limit, requested: pods=1, used: pods=2, '
        "limited: pods=2",
        count=12,
    )
    quota = {
        "kind": "ResourceQuota",
        "metadata": {"name": "pod-limit", "namespace": NS},
        "spec": {"hard": {"pods": "2"}},
        "status": {"hard": {"pods": "2"}, "used": {"pods": "2"}},
    }
    pods = [pod(f"web-5b8c-{i}", owners=owned_by(rs)) for i in range(2)]
    found = only(run(deployments=[web], replicasets=[rs], pods=pods, events=[refused], resourcequotas=[quota]))
    assert found.cause == QUOTA_EXCEEDED
    assert found.target == ObjectRef(kind="Deployment", name="web", namespace=NS)
    assert found.summary == (
        "deployment shop/web: ReplicaSet web-5b8c cannot create pods: exceeded quota pod-limit (requested pods=1, "
        "used pods=2, limited pods=2); 2 of 4 pods exist"
    )
    assert "ResourceQuota pod-limit uses pods 2 of 2" in found.evidence
    assert ObjectRef(kind="ResourceQuota", name="pod-limit", namespace=NS) in found.related
    assert "kubectl edit resourcequota pod-limit -n shop" in found.suggestion
    rs["status"]["replicas"] = 4  # the quota was raised and the pods exist: the old Event is history
    web["status"]["availableReplicas"] = 4
    assert run(deployments=[web], replicasets=[rs], pods=pods, events=[refused]) == []


def test_a_deployment_short_of_replicas_without_a_pod_level_cause() -> None:
    unavailable = "Deployment does not have minimum availability."
    deadline = 'ReplicaSet "web-1" has timed out progressing.'
    stalled = [
        cond("Available", "False", since=900, reason="MinimumReplicasUnavailable", message=unavailable),
        cond("Progressing", "False", since=300, reason="ProgressDeadlineExceeded", message=deadline),
    ]
    web = deployment("web", replicas=3, available=1, conditions=stalled)
    found = only(run(deployments=[web]))
    assert found.cause == DEPLOYMENT_UNAVAILABLE
    assert found.summary == (
        "deployment shop/web: 1 of 3 replicas available for 15 min; the rollout exceeded its progress deadline; "
        "no pod shows a known cause"
    )
    fresh = deployment("web", replicas=3, available=1, conditions=[cond("Available", "False", since=10)])
    assert run(deployments=[fresh]) == []  # a rollout in progress


def test_pods_pending_for_no_known_reason_make_the_deployment_unavailable() -> None:
    web = deployment("web", replicas=2, available=0, conditions=[cond("Available", "False", since=600)])
    rs = replicaset("web-1", web, revision=1, image="nginx:1.27", ready=0)
    gate = cond("PodScheduled", "False", since=600, reason="SchedulingGated", message="Scheduling is blocked")
    pods = [
        pod(f"web-1-{i}", owners=owned_by(rs), phase="Pending", node=None, statuses=[], conditions=[gate])
        for i in range(2)
    ]
    found = only(run(deployments=[web], replicasets=[rs], pods=pods))
    assert found.cause == DEPLOYMENT_UNAVAILABLE
    assert found.pods == ("web-1-0", "web-1-1")
    assert found.summary.startswith("deployment shop/web: 0 of 2 replicas available for 10 min")
    assert any("SchedulingGated" in line for line in found.evidence)


def test_a_pod_level_cause_explains_the_deployment() -> None:
    parts = release(old_ready=0)
    parts["deployments"][0]["status"]["conditions"] = [cond("Available", "False", since=900)]
    assert [d.cause for d in run(**parts)] == [CRASH_LOOP]


def test_an_hpa_that_cannot_get_metrics_names_the_missing_request() -> None:
    message = (
        "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in "
        "container app of Pod web-5b8c-1"
    )
    hpa = {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web-hpa", "namespace": NS, "uid": uid()},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
        "status": {
            "conditions": [
                cond("AbleToScale", "True", reason="SucceededGetScale"),
                cond("ScalingActive", "False", reason="FailedGetResourceMetric", message=message),
            ]
        },
    }
    found = only(run(hpas=[hpa]))
    assert found.cause == HPA_METRICS_UNAVAILABLE
    assert found.target == ObjectRef(kind="Deployment", name="web", namespace=NS)
    assert found.summary.startswith(
        "deployment shop/web: HorizontalPodAutoscaler web-hpa cannot scale it: ScalingActive=False "
        "(FailedGetResourceMetric): the HPA was unable to compute"
    )
    assert (
        found.suggestion
        == "set resources.requests.cpu of container app in deployment/web: utilization is a share of it"
    )
    assert found.concerns(ObjectRef(kind="HorizontalPodAutoscaler", name="web-hpa", namespace=NS))
    hpa["status"]["conditions"][1] = cond("ScalingActive", "True", reason="ValidMetricFound")
    assert run(hpas=[hpa]) == []


def test_a_failed_job_absorbs_its_pods_and_quotes_the_last_failure() -> None:
    job = {
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": NS, "uid": uid()},
        "spec": {"backoffLimit": 1},
        "status": {
            "failed": 2,
            "conditions": [
                cond(
                    "Failed",
                    "True",
                    reason="BackoffLimitExceeded",
                    message="Job has reached the specified backoff limit",
                )
            ],
        },
    }
    pods = [
        pod(
            f"migrate-{i}",
            phase="Failed",
            restartPolicy="Never",
            owners=owned_by(job),
            statuses=[status(state=terminated(code=1, finished=100 - 50 * i), ready=False)],
        )
        for i in range(2)
    ]
    logs = {(NS, "migrate-1", "app"): ("2026-03-01T12:29:00Z ERROR could not connect to postgres:5432",)}
    found = only(run(jobs=[job], pods=pods, logs=logs))
    assert found.cause == JOB_FAILED
    assert found.target == ObjectRef(kind="Job", name="migrate", namespace=NS)
    assert found.summary == (
        "job shop/migrate: the job failed (BackoffLimitExceeded: Job has reached the specified backoff limit) after "
        "2 failed pods; the last one: container app: exit 1 after log line 'could not connect to postgres:5432' "
        "(the pod is Failed, 0 restarts)"
    )
    assert found.pods == ("migrate-0", "migrate-1")
    assert found.suggestion.endswith("then re-run it: kubectl delete job migrate -n shop, then apply it again")


def test_a_node_that_is_not_ready_takes_its_pods_unexplained_trouble() -> None:
    lost = node("worker-2", ready="Unknown", message="Kubelet stopped posting node status.")
    stranded = pod(
        "web-1",
        node="worker-2",
        statuses=[status(state=running(900), ready=False)],
        conditions=[cond("PodScheduled", "True"), cond("Ready", "False", since=180)],
    )
    crashing = pod(
        "api-1", node="worker-2", statuses=[status(state=BACKOFF, last=terminated(), restarts=3, ready=False)]
    )
    diagnoses = run(nodes=[node("worker-1"), lost], pods=[stranded, crashing])
    assert [d.cause for d in diagnoses] == [NODE_NOT_READY, CRASH_LOOP]
    down = diagnoses[0]
    assert down.target == ObjectRef(kind="Node", name="worker-2")
    assert down.summary == (
        "node worker-2 is not Ready (Unknown: Kubelet stopped posting node status.) for 3 min; 2 pods on it cannot "
        "run or report"
    )
    assert down.pods == ("shop/api-1", "shop/web-1")
    assert down.concerns(ObjectRef(kind="Pod", name="web-1", namespace=NS))
    assert "kubectl drain worker-2" in down.suggestion


def test_a_namespace_sees_only_the_nodes_its_pods_use() -> None:
    lost = node("worker-9", ready="False")
    assert run(namespace=NS, nodes=[lost], pods=[pod("web")]) == []
    assert [d.cause for d in run(nodes=[lost])] == [NODE_NOT_READY]


def test_unexplained_pending_and_not_ready_pods_are_unknown_after_their_grace() -> None:
    gated = pod(
        "web",
        phase="Pending",
        node=None,
        statuses=[],
        conditions=[cond("PodScheduled", "False", reason="SchedulingGated", message="Scheduling is blocked")],
        created=400,
    )
    found = only(run(pods=[gated]))
    assert found.cause == "unknown"
    assert found.summary == "pod shop/web: the pod has been Pending for 6 min 40 s"
    assert "condition PodScheduled=False (SchedulingGated): Scheduling is blocked since " + ago(600) in found.evidence
    young = pod("web", phase="Pending", node=None, statuses=[], conditions=[], created=20)
    assert run(pods=[young]) == []


def test_readiness_in_a_new_revision_is_a_bad_release() -> None:
    parts = release(old_ready=2)
    new = parts["replicasets"][1]
    probed = container("app", readinessProbe={"httpGet": {"path": "/ready", "port": 80}}, ports=[{"containerPort": 80}])
    unready = pod(
        "backend-7d9f-x1", owners=owned_by(new), containers=[probed], statuses=[status(state=running(600), ready=False)]
    )
    failing = event(
        unready, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500", container_name="app"
    )
    parts["pods"][-1] = unready
    found = only(run(**parts, events=[failing]))
    assert found.cause == BAD_RELEASE
    assert "(revision 4, image backend:v2) never becomes ready while revision 3" in found.summary
    assert READINESS_PROBE not in {d.cause for d in run(**parts, events=[failing])}


def test_a_new_hpa_waiting_for_its_first_metrics_is_not_a_problem_yet() -> None:
    def hpa(since: float) -> dict[str, Any]:
        return {
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web-hpa", "namespace": NS, "uid": uid()},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
            "status": {"conditions": [cond("ScalingActive", "False", since=since, reason="FailedGetResourceMetric")]},
        }

    assert run(hpas=[hpa(since=30)]) == []
    assert [d.cause for d in run(hpas=[hpa(since=300)])] == [HPA_METRICS_UNAVAILABLE]


def test_a_deployment_scaling_up_within_its_budget_is_not_unavailable() -> None:
    def scaling(available: str) -> dict[str, Any]:
        web = deployment("web", replicas=4, available=3)
        web["metadata"]["creationTimestamp"] = ago(1800)
        web["status"]["conditions"] = [cond("Available", available, since=600)]
        return web

    assert run(deployments=[scaling("True")]) == []  # a fourth pod is starting; the Deployment is Available
    assert [d.cause for d in run(deployments=[scaling("False")])] == [DEPLOYMENT_UNAVAILABLE]
