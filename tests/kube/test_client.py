"""kaido.kube's client against the simulator over TCP: verbs, paging, patches, errors, watches, retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kaido.kube.client import Kube, WatchEvent
from kaido.kube.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    KubeConfigError,
    KubeError,
    NotFound,
    RetryPolicy,
    ServerError,
    TooManyRequests,
    Unauthorized,
    Unreachable,
    error_from_response,
    retry_delay,
)
from kaido.kube.resources import (
    CONFIGMAPS,
    DEPLOYMENTS,
    EVENTS,
    NODE_METRICS,
    NODES,
    PDBS,
    POD_METRICS,
    PODS,
    ApiCall,
    resource_for,
)
from kaido.sim.cluster import SimCluster, User
from tests.kube.conftest import FAST_RETRY
from tests.support.sim import SimThread


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": data}


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}]}]},
            },
        },
    }


def pod(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
    }


# --- pure parts: resources, errors, retry policy ------------------------------------------------------------


def test_resources_build_paths_and_resolve_names() -> None:
    assert DEPLOYMENTS.api_version == "apps/v1"
    assert PODS.api_version == "v1"
    assert PODS.path() == "/api/v1/pods"
    assert PODS.path(namespace="a", name="p", subresource="eviction") == "/api/v1/namespaces/a/pods/p/eviction"
    assert DEPLOYMENTS.path(namespace="ns", name="web") == "/apis/apps/v1/namespaces/ns/deployments/web"
    assert NODE_METRICS.path(name="n1") == "/apis/metrics.k8s.io/v1beta1/nodes/n1"
    assert resource_for("deploy") is DEPLOYMENTS
    assert resource_for("Deployment") is DEPLOYMENTS
    assert resource_for("deployments.apps") is DEPLOYMENTS
    assert resource_for("pods") is PODS  # not the metrics type with the same plural
    assert resource_for("pods.metrics.k8s.io") is POD_METRICS
    assert resource_for("PodMetrics") is POD_METRICS
    with pytest.raises(ValueError, match=r"unknown resource type 'widgets'.*deploy"):
        resource_for("widgets")
    with pytest.raises(ValueError, match="pods are namespaced: pass the namespace of 'web'"):
        PODS.path(name="web")
    with pytest.raises(ValueError, match="nodes are cluster-scoped"):
        NODES.path(namespace="default")


def test_calls_name_their_target_and_rbac_rule() -> None:
    get = ApiCall("GET", "get", DEPLOYMENTS, namespace="chatbot-dev", name="backend")
    assert get.target == "GET deployments chatbot-dev/backend"
    assert get.rbac == ("get", "apps/deployments")
    evict = ApiCall("POST", "create", PODS, namespace="a", name="p", subresource="eviction")
    assert (evict.target, evict.rbac) == ("POST pods/eviction a/p", ("create", "/pods/eviction"))
    assert ApiCall("GET", "watch", PODS).target == "WATCH pods in all namespaces"
    assert ApiCall("GET", "list", POD_METRICS, namespace="x").target == "GET pods.metrics.k8s.io in namespace x"


def status(code: int, reason: str, message: str, **extra: Any) -> bytes:
    return json.dumps(
        {"kind": "Status", "apiVersion": "v1", "code": code, "reason": reason, "message": message, **extra}
    ).encode()


@pytest.mark.parametrize(
    ("code", "reason", "kind", "hint"),
    [
        (401, "Unauthorized", Unauthorized, "token"),
        (403, "Forbidden", Forbidden, "Role"),
        (404, "NotFound", NotFound, "check the name"),
        (409, "AlreadyExists", Conflict, "replace or patch it instead"),
        (409, "Conflict", Conflict, "current resourceVersion"),
        (410, "Expired", Gone, "list again"),
        (422, "Invalid", Invalid, "fix the fields"),
        (429, "TooManyRequests", TooManyRequests, "retry after 3 s"),
        (503, "ServiceUnavailable", ServerError, "retry later"),
    ],
)
def test_status_bodies_map_to_the_error_tree(code: int, reason: str, kind: type[KubeError], hint: str) -> None:
    error = error_from_response(code, status(code, reason, "it said so"), target="GET pods a/b", retry_after=3)
    assert type(error) is kind
    assert (error.status, error.reason, error.target) == (code, reason, "GET pods a/b")
    assert str(error).startswith("GET pods a/b failed: it said so; ")
    assert hint in str(error)
    assert error.retryable == (code in (429, 503))


def test_error_messages_carry_field_causes_and_quote_non_status_bodies() -> None:
    causes = {"causes": [{"field": "metadata.name", "message": "must be lowercase"}]}
    error = error_from_response(422, status(422, "Invalid", "bad", details=causes), target="POST configmaps x")
    assert "metadata.name: must be lowercase" in str(error)
    plain = error_from_response(502, b"<html>bad gateway</html>", target="GET pods", server="https://k:6443")
    assert isinstance(plain, ServerError)
    assert "https://k:6443 answered HTTP 502: <html>bad gateway</html>" in str(plain)


def test_retry_policy_backs_off_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=3.0, max_retry_after=20)
    failed = ServerError("x")
    assert retry_delay(failed, attempt=1, policy=policy, jitter=0.0) == 0.5
    assert retry_delay(failed, attempt=1, policy=policy, jitter=0.999) == pytest.approx(1.0, abs=0.01)
    assert retry_delay(failed, attempt=3, policy=policy, jitter=0.999) == pytest.approx(3.0, abs=0.01)  # capped
    assert retry_delay(failed, attempt=4, policy=policy, jitter=0.5) is None  # attempts used up
    assert retry_delay(TooManyRequests("x", retry_after=7), attempt=1, policy=policy, jitter=0.5) == 7
    assert retry_delay(TooManyRequests("x", retry_after=60), attempt=1, policy=policy, jitter=0.5) == 20
    assert retry_delay(NotFound("x"), attempt=1, policy=policy, jitter=0.5) is None
    assert retry_delay(Unreachable("x"), attempt=2, policy=policy, jitter=0.0) == 1.0


# --- verbs against the simulator -----------------------------------------------------------------------------


async def test_create_get_list_and_count_requests(kube: Kube, namespace: str) -> None:
    created = await kube.create(CONFIGMAPS, configmap("a", x="1"), namespace=namespace)
    assert created["metadata"]["resourceVersion"]
    fetched = await kube.get(CONFIGMAPS, "a", namespace=namespace)
    assert fetched["data"] == {"x": "1"}
    assert (fetched["apiVersion"], fetched["kind"]) == ("v1", "ConfigMap")
    listed = await kube.list(CONFIGMAPS, namespace=namespace)
    assert [item["metadata"]["name"] for item in listed.items] == ["a"]
    assert all(item["kind"] == "ConfigMap" and item["apiVersion"] == "v1" for item in listed.items)
    assert int(listed.resource_version) >= int(created["metadata"]["resourceVersion"])
    assert kube.requests[("create", "/configmaps")] == 1
    assert kube.requests[("get", "/configmaps")] == 1
    assert kube.requests[("list", "/configmaps")] == 1
    assert ("create", "/namespaces") in kube.requests


async def test_list_follows_continue_pages_and_selectors(kube: Kube, namespace: str) -> None:
    for index in range(7):
        body = configmap(f"cm-{index}") | {"metadata": {"name": f"cm-{index}", "labels": {"odd": str(index % 2)}}}
        await kube.create(CONFIGMAPS, body, namespace=namespace)
    before = kube.requests.get(("list", "/configmaps"), 0)
    listed = await kube.list(CONFIGMAPS, namespace=namespace, limit=3)
    assert sorted(item["metadata"]["name"] for item in listed.items) == [f"cm-{i}" for i in range(7)]
    assert kube.requests[("list", "/configmaps")] - before == 3  # pages of 3, 3 and 1
    odd = await kube.list(CONFIGMAPS, namespace=namespace, label_selector="odd=1")
    assert sorted(item["metadata"]["name"] for item in odd.items) == ["cm-1", "cm-3", "cm-5"]
    named = await kube.list(CONFIGMAPS, namespace=namespace, field_selector="metadata.name=cm-4")
    assert [item["metadata"]["name"] for item in named.items] == ["cm-4"]
    everywhere = await kube.list(CONFIGMAPS, label_selector="odd")
    assert len(everywhere.items) == 7


async def test_list_falls_back_to_a_full_list_when_the_continue_token_expires() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        params = dict(request.url.params)
        seen.append(params)
        if "continue" in params:
            return httpx2.Response(410, content=status(410, "Expired", "continue token too old"))
        if params.get("limit"):
            page = {"metadata": {"resourceVersion": "5", "continue": "tok"}, "items": [{"metadata": {"name": "a"}}]}
            return httpx2.Response(200, json=page)
        items = [{"metadata": {"name": n}} for n in ("a", "b")]
        return httpx2.Response(200, json={"metadata": {"resourceVersion": "9"}, "items": items})

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler), base_url="http://api")
    async with Kube(http, retry=FAST_RETRY) as kube:
        listed = await kube.list(CONFIGMAPS, namespace="x", limit=1)
    assert [i["metadata"]["name"] for i in listed.items] == ["a", "b"]
    assert listed.resource_version == "9"
    assert [("continue" in p, "limit" in p) for p in seen] == [(False, True), (True, True), (False, False)]


async def test_replace_is_conditional_on_the_resource_version(kube: Kube, namespace: str) -> None:
    first = await kube.create(CONFIGMAPS, configmap("c", v="1"), namespace=namespace)
    updated = await kube.replace(CONFIGMAPS, first | {"data": {"v": "2"}})
    assert updated["data"] == {"v": "2"}
    with pytest.raises(Conflict) as stale:
        await kube.replace(CONFIGMAPS, first | {"data": {"v": "3"}})
    assert stale.value.reason == "Conflict"
    assert f"PUT configmaps {namespace}/c failed" in str(stale.value)
    with pytest.raises(Conflict) as exists:
        await kube.create(CONFIGMAPS, configmap("c"), namespace=namespace)
    assert exists.value.reason == "AlreadyExists"
    assert kube.requests[("update", "/configmaps")] == 2


async def test_patch_types(kube: Kube, namespace: str) -> None:
    await kube.create(CONFIGMAPS, configmap("p", a="1", b="2"), namespace=namespace)
    merged = await kube.patch(CONFIGMAPS, "p", {"data": {"a": "10", "b": None}}, namespace=namespace)
    assert merged["data"] == {"a": "10"}
    ops = [{"op": "add", "path": "/data/c", "value": "3"}, {"op": "test", "path": "/data/a", "value": "10"}]
    patched = await kube.patch(CONFIGMAPS, "p", ops, namespace=namespace, patch_type="json")
    assert patched["data"] == {"a": "10", "c": "3"}

    await kube.create(DEPLOYMENTS, deployment("web"), namespace=namespace)
    container = {"name": "app", "env": [{"name": "B", "value": "2"}]}
    strategic = {"spec": {"template": {"spec": {"containers": [container]}}}}
    web = await kube.patch(DEPLOYMENTS, "web", strategic, namespace=namespace, patch_type="strategic")
    [merged_container] = web["spec"]["template"]["spec"]["containers"]
    assert merged_container["image"] == "nginx:1.27"  # merged by name, not replaced
    assert {e["name"] for e in merged_container["env"]} == {"A", "B"}

    applied = {"metadata": {"name": "q"}, "data": {"k": "v"}}
    result = await kube.patch(CONFIGMAPS, "q", applied, namespace=namespace, patch_type="apply", force=True)
    assert result["data"] == {"k": "v"}

    dry = await kube.patch(CONFIGMAPS, "p", {"data": {"a": "dry"}}, namespace=namespace, dry_run=True)
    assert dry["data"]["a"] == "dry"
    assert (await kube.get(CONFIGMAPS, "p", namespace=namespace))["data"]["a"] == "10"
    with pytest.raises(ValueError, match="must be a JSON list"):
        await kube.patch(CONFIGMAPS, "p", {"data": {}}, namespace=namespace, patch_type="json")
    assert kube.requests[("patch", "apps/deployments")] == 1


async def test_delete_with_preconditions_and_dry_run(kube: Kube, namespace: str) -> None:
    obj = await kube.create(CONFIGMAPS, configmap("d"), namespace=namespace)
    await kube.delete(CONFIGMAPS, "d", namespace=namespace, dry_run=True)
    await kube.get(CONFIGMAPS, "d", namespace=namespace)  # still there
    with pytest.raises(Conflict):
        await kube.delete(CONFIGMAPS, "d", namespace=namespace, uid="not-the-uid")
    await kube.delete(CONFIGMAPS, "d", namespace=namespace, uid=obj["metadata"]["uid"], propagation="Background")
    with pytest.raises(NotFound) as missing:
        await kube.get(CONFIGMAPS, "d", namespace=namespace)
    assert missing.value.status == 404
    assert f"GET configmaps {namespace}/d failed" in str(missing.value)


async def test_evict_respects_pod_disruption_budgets(kube: Kube, namespace: str) -> None:
    for name in ("free", "guarded"):
        await kube.create(PODS, pod(name, {"app": name}), namespace=namespace)
        ready = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
        await kube.patch(PODS, name, ready, namespace=namespace, subresource="status")
    pdb = {"metadata": {"name": "keep"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}}
    await kube.create(PDBS, pdb, namespace=namespace)

    await kube.evict("free", namespace=namespace, dry_run=True)
    await kube.get(PODS, "free", namespace=namespace)
    await kube.evict("free", namespace=namespace)
    with contextlib.suppress(NotFound):  # gone, or terminating with a deletionTimestamp
        assert (await kube.get(PODS, "free", namespace=namespace))["metadata"].get("deletionTimestamp")
    with pytest.raises(TooManyRequests) as refused:
        await kube.evict("guarded", namespace=namespace)
    assert "disruption budget" in str(refused.value)
    assert "PodDisruptionBudget does not allow" in str(refused.value)
    assert kube.requests[("create", "/pods/eviction")] == 3
    assert kube.requests[("patch", "/pods/status")] == 2


async def test_post_event_records_a_core_event_about_the_object(kube: Kube, namespace: str) -> None:
    obj = await kube.create(CONFIGMAPS, configmap("cfg"), namespace=namespace)
    event = await kube.post_event(
        regarding=obj, reason="Restarted", message="restarted after 3 crashes", type="Warning",
        action="RestartPod", reporting_instance="kaido-0",
    )  # fmt: skip
    assert event["metadata"]["namespace"] == namespace
    assert event["involvedObject"] | {} == {
        "apiVersion": "v1", "kind": "ConfigMap", "name": "cfg", "namespace": namespace,
        "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"],
    }  # fmt: skip
    assert (event["reason"], event["type"], event["action"]) == ("Restarted", "Warning", "RestartPod")
    assert (event["reportingComponent"], event["reportingInstance"]) == ("kaido.io/agent", "kaido-0")
    listed = await kube.list(EVENTS, namespace=namespace, field_selector="involvedObject.name=cfg")
    assert [e["message"] for e in listed.items] == ["restarted after 3 crashes"]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1", "uid": "u1"}}
    node_event = await kube.post_event(regarding=node, reason="Noticed", message="m", action="Observe",
                                       reporting_instance="kaido-0")  # fmt: skip
    assert node_event["metadata"]["namespace"] == "default"


# --- errors -----------------------------------------------------------------------------------------------------


async def test_invalid_objects_raise_invalid_with_the_field(kube: Kube, namespace: str) -> None:
    with pytest.raises(Invalid) as invalid:
        await kube.create(CONFIGMAPS, configmap("Not_A_Name"), namespace=namespace)
    assert invalid.value.status == 422
    assert "metadata.name" in str(invalid.value)


async def test_bad_token_is_unauthorized_and_missing_rbac_is_forbidden(tmp_path: Path) -> None:
    sim = SimThread(kubeconfig=tmp_path / "admin", cluster=SimCluster(seed=1, rbac=True), tls=True).start()
    try:
        bad = sim.write_kubeconfig(tmp_path / "bad", token="kaido.not-a-token")
        async with await Kube.connect(kubeconfig=bad, retry=FAST_RETRY) as kube:
            with pytest.raises(Unauthorized, match="check the token"):
                await kube.list(PODS, namespace="default")
        nobody = sim.call(lambda: sim.cluster.issue_token(User("nobody"))[0])
        weak = sim.write_kubeconfig(tmp_path / "weak", token=nobody, user_name="nobody")
        async with await Kube.connect(kubeconfig=weak, retry=FAST_RETRY) as kube:
            with pytest.raises(Forbidden, match=r"GET pods default/x failed: .*grant this verb"):
                await kube.get(PODS, "x", namespace="default")
        async with await Kube.connect(kubeconfig=sim.kubeconfig, retry=FAST_RETRY) as kube:  # admin over TLS
            assert (await kube.list(NODES)).resource_version
    finally:
        sim.stop()


async def test_closed_port_is_unreachable_after_retries(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "users": [{"name": "u", "user": {}}],
        })
    )  # fmt: skip
    caplog.set_level(logging.WARNING, logger="kaido.kube.client")
    async with await Kube.connect(kubeconfig=config, retry=FAST_RETRY) as kube:
        with pytest.raises(Unreachable, match=f"is the API server at http://127.0.0.1:{port} running"):
            await kube.get(PODS, "web", namespace="default")
        assert kube.requests[("get", "/pods")] == 3
        with pytest.raises(Unreachable):
            await kube.create(CONFIGMAPS, configmap("x"), namespace="default")
        assert kube.requests[("create", "/configmaps")] == 1  # writes are not retried
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("attempt 1/3 failed (Unreachable); retrying GET pods default/web") for m in messages)
    assert any(m.startswith("attempt 2/3 failed") for m in messages)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("clusters: [unclosed", "cannot use kubeconfig .*/kubeconfig"),
        ("apiVersion: v1\nkind: Config\n", "cannot use kubeconfig .*/kubeconfig: missing entry 'clusters'"),
    ],
)
async def test_malformed_kubeconfig_names_the_file(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(content)
    with pytest.raises(KubeConfigError, match=match) as raised:
        await Kube.connect(kubeconfig=path)
    assert "--kubeconfig" in str(raised.value)


async def test_missing_kubeconfig_and_unknown_context(tmp_path: Path, sim: SimThread) -> None:
    with pytest.raises(KubeConfigError, match=r"nope\.yaml"):
        await Kube.connect(kubeconfig=tmp_path / "nope.yaml")
    with pytest.raises(KubeConfigError, match="context 'staging'"):
        await Kube.connect(kubeconfig=sim.kubeconfig, context="staging")


async def test_an_unreadable_token_file_is_a_config_error(tmp_path: Path, sim: SimThread) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": sim.url}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "users": [{"name": "u", "user": {"tokenFile": str(tmp_path / "missing-token")}}],
        })
    )  # fmt: skip
    async with await Kube.connect(kubeconfig=config, retry=FAST_RETRY) as kube:
        with pytest.raises(
            KubeConfigError, match=r"GET pods default/web failed: cannot get credentials: .*missing-token"
        ):
            await kube.get(PODS, "web", namespace="default")


# --- watches ----------------------------------------------------------------------------------------------------


async def test_watch_delivers_events_and_bookmarks_then_ends_at_the_timeout(kube: Kube, namespace: str) -> None:
    start = await kube.list(CONFIGMAPS, namespace=namespace)
    events: list[WatchEvent] = []

    async def consume() -> None:
        async for event in kube.watch(
            CONFIGMAPS, namespace=namespace, resource_version=start.resource_version, timeout_seconds=2
        ):
            events.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    await kube.create(CONFIGMAPS, configmap("w"), namespace=namespace)
    await kube.patch(CONFIGMAPS, "w", {"data": {"a": "1"}}, namespace=namespace)
    await kube.delete(CONFIGMAPS, "w", namespace=namespace)
    await asyncio.wait_for(task, timeout=10)  # the server's timeoutSeconds ends the iterator without an error
    changes = [(e.type, e.object["metadata"]["name"]) for e in events if e.type != "BOOKMARK"]
    assert changes == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    assert all(e.object["kind"] == "ConfigMap" for e in events if e.type != "BOOKMARK")
    bookmarks = [e for e in events if e.type == "BOOKMARK"]
    assert bookmarks, "the simulator sends a bookmark every 0.2 s"
    assert int(bookmarks[-1].object["metadata"]["resourceVersion"]) >= int(start.resource_version)
    assert kube.requests[("watch", "/configmaps")] == 1


async def test_watch_from_an_expired_resource_version_raises_gone(kube: Kube, namespace: str) -> None:
    stale = (await kube.create(CONFIGMAPS, configmap("churn"), namespace=namespace))["metadata"]["resourceVersion"]
    for index in range(45):  # more than the simulator's history of 40 events
        await kube.patch(CONFIGMAPS, "churn", {"data": {"i": str(index)}}, namespace=namespace)
    with pytest.raises(Gone) as gone:
        async for _ in kube.watch(CONFIGMAPS, namespace=namespace, resource_version=stale, timeout_seconds=2):
            pass
    assert gone.value.status == 410
    assert f"WATCH configmaps in namespace {namespace} failed" in str(gone.value)
    assert "list again" in str(gone.value)


async def test_cancelling_a_watch_closes_its_stream(kube: Kube, namespace: str, sim: SimThread) -> None:
    def watchers() -> int:
        return sim.call(lambda: len(sim.cluster.store.watchers))

    before = watchers()
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in kube.watch(CONFIGMAPS, namespace=namespace, timeout_seconds=60):
            started.set()

    await kube.create(CONFIGMAPS, configmap("seen"), namespace=namespace)
    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), timeout=5)
    assert watchers() == before + 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(50):
        if watchers() == before:
            break
        await asyncio.sleep(0.05)
    assert watchers() == before


# --- retries on injected faults -------------------------------------------------------------------------------


async def test_reads_retry_through_injected_server_errors(kube: Kube, namespace: str, faults: Any) -> None:
    await kube.create(CONFIGMAPS, configmap("r"), namespace=namespace)
    faults("error-rate=0.3,error-codes=500/503")
    for _ in range(20):
        assert (await kube.get(CONFIGMAPS, "r", namespace=namespace))["metadata"]["name"] == "r"
    assert kube.requests[("get", "/configmaps")] > 20  # some answers failed and were retried


async def test_persistent_errors_surface_after_the_last_attempt(
    kube: Kube, namespace: str, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kaido.kube.client")
    faults("error-rate=1.0,error-codes=429")
    with pytest.raises(TooManyRequests) as throttled:
        await kube.list(CONFIGMAPS, namespace=namespace)
    assert throttled.value.retry_after == 1.0
    assert "retry after 1 s" in str(throttled.value)
    faults("error-rate=1.0,error-codes=500")
    with pytest.raises(ServerError):
        await kube.get(CONFIGMAPS, "r", namespace=namespace)
    with pytest.raises(ServerError):
        await kube.create(CONFIGMAPS, configmap("never"), namespace=namespace)
    assert kube.requests[("list", "/configmaps")] == 3
    assert kube.requests[("create", "/configmaps")] == 1
    retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert f"attempt 1/3 failed (429 TooManyRequests); retrying GET configmaps in namespace {namespace}" in retried[0]
    assert any(f"(500 InternalError); retrying GET configmaps {namespace}/r" in m for m in retried)
