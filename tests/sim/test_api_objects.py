"""Object semantics of the simulated API, through its HTTP surface (in-process)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from kaido.sim.cluster import SimCluster

CORE = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"


def deployment(name: str = "web", replicas: int = 2, image: str = "nginx:1.27") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


def configmap(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **extra}, "data": {"k": "v"}}


async def test_create_sets_server_owned_metadata(client: httpx2.AsyncClient) -> None:
    response = await client.post(f"{APPS}/deployments", json=deployment())
    assert response.status_code == 201
    meta = response.json()["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] == "2026-03-01T12:00:00Z"
    assert int(meta["resourceVersion"]) > 0
    assert meta["generation"] == 1
    assert meta["namespace"] == "default"
    spec = response.json()["spec"]
    assert spec["strategy"]["type"] == "RollingUpdate"  # defaulted like the real API server
    assert spec["revisionHistoryLimit"] == 10


async def test_resource_versions_are_global_and_monotonic(client: httpx2.AsyncClient) -> None:
    versions = []
    for name in ("a", "b", "c"):
        created = (await client.post(f"{CORE}/configmaps", json=configmap(name))).json()
        versions.append(int(created["metadata"]["resourceVersion"]))
    deleted = await client.delete(f"{CORE}/configmaps/a")
    assert deleted.status_code == 200
    listed = (await client.get(f"{CORE}/configmaps")).json()
    assert versions == sorted(versions)
    assert int(listed["metadata"]["resourceVersion"]) > versions[-1]  # the delete bumped it too


async def test_generate_name_is_filled_in(client: httpx2.AsyncClient) -> None:
    created = (await client.post(f"{CORE}/configmaps", json=configmap("", generateName="cfg-"))).json()
    assert created["metadata"]["name"].startswith("cfg-")
    assert len(created["metadata"]["name"]) == len("cfg-") + 5


async def test_duplicate_create_is_409_already_exists(client: httpx2.AsyncClient) -> None:
    await client.post(f"{CORE}/configmaps", json=configmap("dup"))
    again = await client.post(f"{CORE}/configmaps", json=configmap("dup"))
    assert again.status_code == 409
    body = again.json()
    assert body["kind"] == "Status" and body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'


async def test_missing_object_is_404_status(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"{APPS}/deployments/nope")
    assert response.status_code == 404
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


async def test_stale_update_is_409_conflict(client: httpx2.AsyncClient) -> None:
    created = (await client.post(f"{CORE}/configmaps", json=configmap("c"))).json()
    first = {**created, "data": {"k": "v2"}}
    assert (await client.put(f"{CORE}/configmaps/c", json=first)).status_code == 200
    stale = {**created, "data": {"k": "v3"}}
    response = await client.put(f"{CORE}/configmaps/c", json=stale)
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert "the object has been modified" in response.json()["message"]


async def test_generation_bumps_on_spec_change_only(client: httpx2.AsyncClient) -> None:
    await client.post(f"{APPS}/deployments", json=deployment())
    labelled = await client.patch(
        f"{APPS}/deployments/web",
        content=json.dumps({"metadata": {"labels": {"team": "a"}}}),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert labelled.json()["metadata"]["generation"] == 1
    scaled = await client.patch(
        f"{APPS}/deployments/web",
        content=json.dumps({"spec": {"replicas": 5}}),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert scaled.json()["metadata"]["generation"] == 2


async def test_invalid_object_is_422_with_causes(client: httpx2.AsyncClient) -> None:
    bad = deployment()
    del bad["spec"]["selector"]
    response = await client.post(f"{APPS}/deployments", json=bad)
    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == "Invalid"
    assert any(cause["field"] == "spec.selector" for cause in body["details"]["causes"])


async def test_no_op_update_keeps_the_resource_version(client: httpx2.AsyncClient) -> None:
    created = (await client.post(f"{CORE}/configmaps", json=configmap("same"))).json()
    again = (await client.put(f"{CORE}/configmaps/same", json=created)).json()
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_label_selector_and_paging(client: httpx2.AsyncClient) -> None:
    for index in range(5):
        cm = configmap(f"cm-{index}", labels={"batch": "even" if index % 2 == 0 else "odd"})
        await client.post(f"{CORE}/configmaps", json=cm)
    even = (await client.get(f"{CORE}/configmaps", params={"labelSelector": "batch=even"})).json()
    assert [item["metadata"]["name"] for item in even["items"]] == ["cm-0", "cm-2", "cm-4"]
    names, token = [], None
    while True:
        params = {"limit": "2", **({"continue": token} if token else {})}
        page = (await client.get(f"{CORE}/configmaps", params=params)).json()
        names += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
    assert names == [f"cm-{i}" for i in range(5)]


async def test_dry_run_does_not_persist(client: httpx2.AsyncClient) -> None:
    response = await client.post(f"{CORE}/configmaps", params={"dryRun": "All"}, json=configmap("ghost"))
    assert response.status_code == 201
    assert (await client.get(f"{CORE}/configmaps/ghost")).status_code == 404
    await client.post(f"{CORE}/configmaps", json=configmap("real"))
    deleted = await client.request(
        "DELETE",
        f"{CORE}/configmaps/real",
        content=json.dumps({"dryRun": ["All"]}),
        headers={"content-type": "application/json"},
    )
    assert deleted.status_code == 200
    assert (await client.get(f"{CORE}/configmaps/real")).status_code == 200


async def test_finalizers_hold_deletion_until_removed(client: httpx2.AsyncClient) -> None:
    await client.post(f"{CORE}/configmaps", json=configmap("held", finalizers=["example.com/hold"]))
    deleting = (await client.delete(f"{CORE}/configmaps/held")).json()
    assert deleting["metadata"]["deletionTimestamp"]
    still = await client.get(f"{CORE}/configmaps/held")
    assert still.status_code == 200
    patch = [{"op": "remove", "path": "/metadata/finalizers"}]
    await client.patch(
        f"{CORE}/configmaps/held", content=json.dumps(patch), headers={"content-type": "application/json-patch+json"}
    )
    assert (await client.get(f"{CORE}/configmaps/held")).status_code == 404


def owned(name: str, owner: dict[str, Any]) -> dict[str, Any]:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
    return configmap(name, ownerReferences=[ref])


@pytest.mark.parametrize(("policy", "child_survives"), [("Background", False), ("Foreground", False), ("Orphan", True)])
async def test_propagation_policies(client: httpx2.AsyncClient, policy: str, child_survives: bool) -> None:
    owner = (await client.post(f"{CORE}/configmaps", json=configmap("owner"))).json()
    await client.post(f"{CORE}/configmaps", json=owned("child", owner))
    response = await client.request(
        "DELETE",
        f"{CORE}/configmaps/owner",
        content=json.dumps({"propagationPolicy": policy}),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert (await client.get(f"{CORE}/configmaps/owner")).status_code == 404
    child = await client.get(f"{CORE}/configmaps/child")
    assert (child.status_code == 200) is child_survives
    if child_survives:
        assert "ownerReferences" not in child.json()["metadata"]


async def test_scale_subresource(client: httpx2.AsyncClient) -> None:
    await client.post(f"{APPS}/deployments", json=deployment(replicas=2))
    scale = (await client.get(f"{APPS}/deployments/web/scale")).json()
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 2
    assert scale["status"]["selector"] == "app=web"
    patched = await client.patch(
        f"{APPS}/deployments/web/scale",
        content=json.dumps({"spec": {"replicas": 4}}),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200 and patched.json()["spec"]["replicas"] == 4
    assert (await client.get(f"{APPS}/deployments/web")).json()["spec"]["replicas"] == 4


async def test_status_subresource_splits_spec_and_status(client: httpx2.AsyncClient) -> None:
    created = (await client.post(f"{APPS}/deployments", json=deployment())).json()
    with_status = {**created, "status": {"replicas": 7}, "spec": {**created["spec"], "replicas": 3}}
    via_status = (await client.put(f"{APPS}/deployments/web/status", json=with_status)).json()
    assert via_status["status"]["replicas"] == 7
    assert via_status["spec"]["replicas"] == 2  # spec ignored on /status
    via_main = {**via_status, "status": {"replicas": 0}}
    updated = (await client.put(f"{APPS}/deployments/web", json=via_main)).json()
    assert updated["status"]["replicas"] == 7  # status ignored on the main resource


async def test_hpa_is_served_in_v1_and_v2(client: httpx2.AsyncClient) -> None:
    hpa_v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 70,
        },
    }
    created = await client.post("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", json=hpa_v1)
    assert created.status_code == 201
    assert created.json()["spec"]["targetCPUUtilizationPercentage"] == 70
    v2 = (await client.get("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")).json()
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    ]


async def test_events_are_served_by_both_event_apis(client: httpx2.AsyncClient) -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container",
        "type": "Warning",
        "count": 3,
    }
    await client.post(f"{CORE}/events", json=event)
    new_api = (await client.get("/apis/events.k8s.io/v1/namespaces/default/events/web.1")).json()
    assert new_api["regarding"]["name"] == "web"
    assert new_api["note"] == "Back-off restarting failed container"
    assert new_api["deprecatedCount"] == 3


async def test_namespace_deletion_removes_its_objects(client: httpx2.AsyncClient) -> None:
    await client.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}})
    await client.post("/api/v1/namespaces/tmp/configmaps", json=configmap("x"))
    assert (await client.delete("/api/v1/namespaces/tmp")).status_code == 200
    assert (await client.get("/api/v1/namespaces/tmp")).status_code == 404
    assert (await client.get("/api/v1/namespaces/tmp/configmaps/x")).status_code == 404
    missing = await client.post("/api/v1/namespaces/tmp/configmaps", json=configmap("y"))
    assert missing.status_code == 404 and missing.json()["message"] == 'namespaces "tmp" not found'


async def test_eviction_respects_pod_disruption_budgets(client: httpx2.AsyncClient, cluster: SimCluster) -> None:
    for name in ("p1", "p2"):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
        }
        created = (await client.post(f"{CORE}/pods", json=pod)).json()
        created["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        await client.put(f"{CORE}/pods/{name}/status", json=created)
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "db"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "db"}}},
    }
    await client.post("/apis/policy/v1/namespaces/default/poddisruptionbudgets", json=pdb)
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p1", "namespace": "default"}}
    blocked = await client.post(f"{CORE}/pods/p1/eviction", json=eviction)
    assert blocked.status_code == 429
    assert blocked.json()["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert blocked.headers["retry-after"] == "10"
    pdb_now = (await client.get("/apis/policy/v1/namespaces/default/poddisruptionbudgets/db")).json()
    pdb_now["spec"]["minAvailable"] = 1
    await client.put("/apis/policy/v1/namespaces/default/poddisruptionbudgets/db", json=pdb_now)
    allowed = await client.post(f"{CORE}/pods/p1/eviction", json=eviction)
    assert allowed.status_code == 201
    assert (await client.get(f"{CORE}/pods/p1")).status_code == 404


async def test_self_subject_access_review_is_allowed(client: httpx2.AsyncClient) -> None:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}},
    }
    response = await client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review)
    assert response.status_code == 201
    assert response.json()["status"]["allowed"] is True


async def test_unknown_patch_type_is_415(client: httpx2.AsyncClient) -> None:
    await client.post(f"{CORE}/configmaps", json=configmap("p"))
    response = await client.patch(f"{CORE}/configmaps/p", content=b"{}", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"


async def test_server_side_apply_creates_then_updates(client: httpx2.AsyncClient) -> None:
    body = json.dumps(configmap("applied"))
    headers = {"content-type": "application/apply-patch+yaml"}
    params = {"fieldManager": "kubectl", "force": "true"}
    created = await client.patch(f"{CORE}/configmaps/applied", content=body, headers=headers, params=params)
    assert created.status_code == 201
    changed = json.dumps({**configmap("applied"), "data": {"k": "new"}})
    updated = await client.patch(f"{CORE}/configmaps/applied", content=changed, headers=headers, params=params)
    assert updated.status_code == 200 and updated.json()["data"] == {"k": "new"}
