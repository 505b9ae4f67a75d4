"""From cached objects to views: only namespaces in trouble are diagnosed, and each workload gets its pods."""

from __future__ import annotations

from typing import Any

from kaido.core.refs import ObjectRef
from kaido.remediate.planning.survey import survey, unready_namespaces
from kaido.remediate.planning.views import TroubleMemo, troubled
from tests.remediate.planning.builders import NS, WEB, at, deployment


def crashing_pod(name: str, *, owner: str = "web-1", finished: str = "2026-03-01T11:59:50Z") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "resourceVersion": "7",
            "labels": {"app": "web"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": owner, "uid": f"uid-{owner}", "controller": True}],
        },
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "web:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {
                        "terminated": {
                            "exitCode": 1,
                            "reason": "Error",
                            "startedAt": "2026-03-01T11:59:45Z",
                            "finishedAt": finished,
                        }
                    },
                }
            ],
        },
    }


def replicaset(name: str = "web-1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "uid-web", "controller": True}],
        },
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "readyReplicas": 0},
    }


def recovered(pod: dict[str, Any], *, version: str = "8") -> dict[str, Any]:
    status = dict(pod["status"])
    status["conditions"] = [{"type": "Ready", "status": "True"}]
    status["containerStatuses"] = [
        {**status["containerStatuses"][0], "ready": True, "state": {"running": {"startedAt": "2026-03-01T12:00:00Z"}}}
    ]
    return {**pod, "metadata": {**pod["metadata"], "resourceVersion": version}, "status": status}


def test_a_pod_stays_worth_diagnosing_for_ten_minutes_after_a_crash() -> None:
    running = recovered(crashing_pod("web-a"))
    assert troubled(crashing_pod("web-a"), now=at(0))
    assert troubled(running, now=at(590)) and not troubled(running, now=at(610))


def test_the_memo_finds_troubled_namespaces_and_forgets_pods_that_left() -> None:
    memo = TroubleMemo()
    healthy = recovered(crashing_pod("ok"))
    healthy["metadata"] = {"name": "ok", "namespace": "calm", "resourceVersion": "1"}
    healthy["status"]["containerStatuses"] = [{"name": "app", "ready": True, "state": {"running": {}}}]
    assert memo.namespaces([crashing_pod("web-a"), healthy], now=at(0)) == {NS}
    assert memo.namespaces([recovered(crashing_pod("web-a")), healthy], now=at(700)) == set()
    assert memo.namespaces([], now=at(700)) == set()


def test_namespaces_with_workloads_short_of_ready_replicas() -> None:
    objects = {"deployments": {NS: [deployment(ready=2)], "slow": [{**deployment(ready=1), "metadata": {}}]}}
    assert unready_namespaces(objects) == {"slow"}


def test_a_survey_diagnoses_the_workload_and_groups_its_pods() -> None:
    pods = [crashing_pod("web-a"), crashing_pod("web-b")]
    objects = {
        "pods": {NS: pods},
        "replicasets": {NS: [replicaset()]},
        "deployments": {NS: [deployment()]},
    }
    quiet = ObjectRef("Deployment", "quiet", "elsewhere")
    views = survey({NS}, objects, open_refs=[quiet], now=at(0))
    web = views[WEB]
    assert web.diagnosis is not None and web.diagnosis.cause == "crash-loop"
    assert [p["metadata"]["name"] for p in web.pods] == ["web-a", "web-b"]
    assert web.body is not None and web.known
    assert views[quiet].body is None and views[quiet].diagnosis is None  # gone: its incident will close


def test_a_kind_without_a_cache_is_known_through_its_pods() -> None:
    pod = crashing_pod("db-0")
    pod["metadata"]["ownerReferences"] = [{"kind": "StatefulSet", "name": "db", "uid": "uid-db", "controller": True}]
    views = survey({NS}, {"pods": {NS: [pod]}, "replicasets": {}, "deployments": {}}, open_refs=[], now=at(0))
    db = views[ObjectRef("StatefulSet", "db", NS)]
    assert not db.known and db.exists and not db.healthy
    assert db.diagnosis is not None and db.diagnosis.cause == "crash-loop"
