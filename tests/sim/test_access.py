"""Authentication and authorization in the app, in-process: 401 and 403 bodies, open endpoints, reviews."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from kaido.core import ManualClock
from kaido.sim.app import create_app
from kaido.sim.cluster import ADMIN_USER, SimCluster

POD_READER = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "pod-reader", "namespace": "default"},
    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
}
ROBOT_READS = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "robot-reads", "namespace": "default"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
    "subjects": [{"kind": "ServiceAccount", "name": "robot"}],
}
ROBOT = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot", "namespace": "default"}}


@pytest.fixture
def secured(clock: ManualClock) -> SimCluster:
    cluster = SimCluster(clock=clock, seed=7, rbac=True)
    cluster.apply_manifests([ROBOT, POD_READER, ROBOT_READS])
    return cluster


@pytest.fixture
async def anonymous(secured: SimCluster) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=create_app(secured))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sim") as client:
        yield client


@pytest.fixture
async def admin(secured: SimCluster) -> AsyncIterator[httpx2.AsyncClient]:
    token, _ = secured.issue_token(ADMIN_USER)
    transport = httpx2.ASGITransport(app=create_app(secured))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(transport=transport, base_url="http://sim", headers=headers) as client:
        yield client


async def robot_client(secured: SimCluster, admin: httpx2.AsyncClient) -> httpx2.AsyncClient:
    issued = await admin.post("/api/v1/namespaces/default/serviceaccounts/robot/token", json={"spec": {}})
    assert issued.status_code == 201, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['status']['token']}"}
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(secured)), base_url="http://sim", headers=headers
    )


UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic a2FpZG86a2FpZG8="])
async def test_requests_without_a_known_token_are_unauthorized(
    anonymous: httpx2.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for url in ("/api/v1/namespaces/default/pods", "/api", "/openapi/v3"):
        response = await anonymous.get(url, headers=headers)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("url", ["/healthz", "/livez", "/readyz", "/version"])
async def test_health_and_version_need_no_token(anonymous: httpx2.AsyncClient, url: str) -> None:
    assert (await anonymous.get(url)).status_code == 200


async def test_the_admin_may_do_anything(admin: httpx2.AsyncClient) -> None:
    assert (await admin.get("/api/v1/nodes")).status_code == 200
    assert (await admin.get("/api/v1/namespaces/default/secrets")).status_code == 200
    assert (await admin.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin")).status_code == 200


async def test_a_service_account_gets_what_its_role_grants(secured: SimCluster, admin: httpx2.AsyncClient) -> None:
    async with await robot_client(secured, admin) as robot:
        assert (await robot.get("/api/v1/namespaces/default/pods")).status_code == 200
        assert (await robot.get("/apis")).status_code == 200
        denied = await robot.delete("/api/v1/namespaces/default/pods/web")
    assert denied.status_code == 403
    assert denied.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "web" is forbidden: User "system:serviceaccount:default:robot" cannot delete resource "pods" '
        'in API group "" in the namespace "default"',
        "reason": "Forbidden",
        "details": {"name": "web", "kind": "pods"},
        "code": 403,
    }


async def test_authorization_comes_before_the_resource_is_looked_up(
    secured: SimCluster, admin: httpx2.AsyncClient
) -> None:
    async with await robot_client(secured, admin) as robot:
        response = await robot.get("/apis/example.com/v1/widgets")
    assert response.status_code == 403
    assert (
        'cannot list resource "widgets" in API group "example.com" at the cluster scope' in response.json()["message"]
    )
    assert (await admin.get("/apis/example.com/v1/widgets")).status_code == 404


async def test_a_token_dies_with_its_service_account(secured: SimCluster, admin: httpx2.AsyncClient) -> None:
    async with await robot_client(secured, admin) as robot:
        assert (await robot.get("/api/v1/namespaces/default/pods")).status_code == 200
        deleted = await admin.delete("/api/v1/namespaces/default/serviceaccounts/robot")
        assert deleted.status_code == 200, deleted.text
        assert (await robot.get("/api/v1/namespaces/default/pods")).status_code == 401


async def test_tokens_are_issued_only_for_existing_service_accounts(admin: httpx2.AsyncClient) -> None:
    response = await admin.post("/api/v1/namespaces/default/serviceaccounts/ghost/token", json={"spec": {}})
    assert response.status_code == 404


async def access_review(client: httpx2.AsyncClient, spec: dict[str, Any]) -> dict[str, Any]:
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
    response = await client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["status"])


async def test_access_reviews_use_the_same_evaluator(secured: SimCluster, admin: httpx2.AsyncClient) -> None:
    async with await robot_client(secured, admin) as robot:
        list_pods = {"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}
        assert await access_review(robot, list_pods) == {
            "allowed": True,
            "reason": 'RBAC: allowed by RoleBinding "robot-reads/default" of Role "pod-reader" '
            'to ServiceAccount "robot/default"',
        }
        delete_pods = {"resourceAttributes": {"namespace": "default", "verb": "delete", "resource": "pods"}}
        assert await access_review(robot, delete_pods) == {"allowed": False}
        assert await access_review(robot, {"nonResourceAttributes": {"path": "/api", "verb": "get"}}) == {
            "allowed": True,
            "reason": 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" '
            'to Group "system:authenticated"',
        }
    assert (await access_review(admin, delete_pods))["allowed"] is True


async def test_an_access_review_needs_exactly_one_kind_of_attributes(admin: httpx2.AsyncClient) -> None:
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}}
    response = await admin.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=body)
    assert response.status_code == 422
    assert "exactly one of nonResourceAttributes or resourceAttributes" in response.json()["message"]


async def test_rules_reviews_list_what_the_user_holds(secured: SimCluster, admin: httpx2.AsyncClient) -> None:
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}}
    async with await robot_client(secured, admin) as robot:
        response = await robot.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", json=body)
        whoami = await robot.post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
    status = response.json()["status"]
    assert {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]} in status["resourceRules"]
    assert {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]} in (
        status["nonResourceRules"]
    )
    assert status["incomplete"] is False and "evaluationError" not in status
    assert whoami.json()["status"]["userInfo"]["username"] == "system:serviceaccount:default:robot"


async def test_a_binding_to_a_missing_role_is_reported(secured: SimCluster, admin: httpx2.AsyncClient) -> None:
    dangling = {**ROBOT_READS, "metadata": {"name": "dangling", "namespace": "default"}}
    dangling["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "gone"}
    assert (
        await admin.post("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", json=dangling)
    ).status_code == 201
    async with await robot_client(secured, admin) as robot:
        response = await robot.get("/api/v1/namespaces/default/secrets")
    assert response.json()["message"].endswith(': RBAC: role.rbac.authorization.k8s.io "gone" not found')


async def test_without_rbac_nothing_changes(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/api/v1/namespaces/default/secrets")).status_code == 200
    status = await access_review(client, {"resourceAttributes": {"verb": "delete", "resource": "nodes"}})
    assert status == {"allowed": True}
