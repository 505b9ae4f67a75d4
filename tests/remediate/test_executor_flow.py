"""The executor's path around the write: dry run, idempotency across restarts and crashes, leadership,
pause, rate limits, Events and metrics — against the simulator over HTTP and a real store file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from kaido.core.clock import RealClock
from kaido.core.refs import ObjectRef
from kaido.kube.client import Kube
from kaido.kube.errors import Forbidden
from kaido.kube.resources import DEPLOYMENTS, PODS, Resource
from kaido.remediate.actions import PatchResources, RestartPod, RolloutRestart, Scale
from kaido.remediate.executor import LAST_ACTION, RESTARTED_AT
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.store import ActionRecord, Store
from tests.remediate.conftest import MakeExecutor
from tests.remediate.support import events_about, pods_of, ready_deployment

WRITES = ("create", "update", "patch", "delete")


def writes(kube: Kube) -> dict[tuple[str, str], int]:
    return {key: count for key, count in kube.requests.items() if key[0] in WRITES}


async def test_a_dry_run_is_validated_by_the_api_server_and_changes_nothing(
    kube: Kube, ns: str, store: Store, make_executor: MakeExecutor, registry: CollectorRegistry
) -> None:
    before = await ready_deployment(kube, ns, "web")
    pod = (await pods_of(kube, ns, "web"))[0]
    executor = make_executor()

    scaled = await executor.execute(
        Scale(target=ObjectRef.of(before), epoch="1", replicas=5), mode="dry-run", reason="r"
    )
    restarted = await executor.execute(
        RolloutRestart(target=ObjectRef.of(before), epoch="1"), mode="dry-run", reason="r"
    )
    deleted = await executor.execute(RestartPod(target=ObjectRef.of(pod), epoch="1"), mode="dry-run", reason="r")

    for record in (scaled, restarted, deleted):
        assert record.state == "dry-run" and record.mode == "dry-run"
        assert record.detail.startswith("dry run accepted by the API server, nothing changed: would ")
        assert store.get_action(record.key) == record
    assert scaled.detail.endswith(f"would scale deployment {ns}/web to 5 replicas")
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert LAST_ACTION not in after["metadata"].get("annotations", {})
    assert (await kube.get(PODS, pod["metadata"]["name"], namespace=ns))["metadata"]["uid"] == pod["metadata"]["uid"]
    assert writes(kube)[("patch", "apps/deployments/scale")] == 1, "the write was sent, as a dry run"
    assert await events_about(kube, ns, "web") == [] and await events_about(kube, ns, pod["metadata"]["name"]) == []
    assert (
        registry.get_sample_value("kaido_actions_total", {"action": "Scale", "mode": "dry-run", "outcome": "dry-run"})
        == 1
    )


async def test_a_dry_run_the_api_server_rejects_fails_with_its_reason(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    wrong = PatchResources(
        target=ObjectRef.of(before), epoch="1", container="main", requests={"memory": "2Gi"}, limits={"memory": "1Gi"}
    )

    record = await make_executor().execute(wrong, mode="dry-run", reason="rightsizing")

    assert record.state == "failed"
    assert "must be less than or equal to memory limit of 1Gi" in record.detail
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


async def test_an_action_on_a_missing_object_fails_clearly_and_posts_a_warning(
    kube: Kube, ns: str, make_executor: MakeExecutor, registry: CollectorRegistry
) -> None:
    action = Scale(target=ObjectRef("Deployment", "missing", ns), epoch="1", replicas=2)

    record = await make_executor().execute(action, mode="enforce", reason="load rising")

    assert record.state == "failed"
    assert record.detail.startswith(
        f'PATCH deployments/scale {ns}/missing failed: deployments.apps "missing" not found'
    )
    [event] = await events_about(kube, ns, "missing", reason="Scale")
    assert event["type"] == "Warning"
    assert event["message"].startswith("load rising: failed: ")
    assert registry.get_sample_value("kaido_action_failures_total", {"action": "Scale", "reason": "NotFound"}) == 1


async def test_the_same_action_twice_acts_once(
    kube: Kube, ns: str, make_executor: MakeExecutor, registry: CollectorRegistry
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = RolloutRestart(target=ObjectRef.of(before), epoch="gen-1")
    executor = make_executor()

    first = await executor.execute(action, mode="enforce", reason="stuck workers")
    stamp = (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["template"]["metadata"]["annotations"][
        RESTARTED_AT
    ]
    patches = writes(kube)[("patch", "apps/deployments")]
    again = await executor.execute(action, mode="enforce", reason="stuck workers")

    assert again == first
    assert writes(kube)[("patch", "apps/deployments")] == patches
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    assert after["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] == stamp
    assert len(await events_about(kube, ns, "web", reason="RolloutRestart")) == 1
    labels = {"action": "RolloutRestart", "mode": "enforce"}
    assert registry.get_sample_value("kaido_actions_total", {**labels, "outcome": "succeeded"}) == 1
    assert registry.get_sample_value("kaido_actions_total", {**labels, "outcome": "duplicate"}) == 1


async def test_the_same_action_at_the_same_time_acts_once(kube: Kube, ns: str, make_executor: MakeExecutor) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = RolloutRestart(target=ObjectRef.of(before), epoch="gen-1")
    executor = make_executor()

    records = await asyncio.gather(*(executor.execute(action, mode="enforce", reason="r") for _ in range(3)))

    assert sorted(r.state for r in records) == ["started", "started", "succeeded"]
    assert writes(kube)[("patch", "apps/deployments")] == 1


async def test_a_restarted_agent_does_not_repeat_an_action(
    kube: Kube, ns: str, store: Store, store_path: Path, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = RolloutRestart(target=ObjectRef.of(before), epoch="gen-1")
    first = await make_executor().execute(action, mode="enforce", reason="r")
    await store.close()
    version = (await kube.get(DEPLOYMENTS, "web", namespace=ns))["metadata"]["resourceVersion"]

    async with await Store.open(store_path, clock=RealClock()) as reopened:
        again = await make_executor(on=reopened, metrics=CollectorRegistry()).execute(
            action, mode="enforce", reason="r"
        )

    assert again == first and again.state == "succeeded"
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["metadata"]["resourceVersion"] == version


class HangsAfterWriting:
    """A client that performs each write and then never returns: the agent dies mid-action."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.written = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    async def patch(self, res: Resource, name: str, patch: Any, **kwargs: Any) -> dict[str, Any]:
        await self.kube.patch(res, name, patch, **kwargs)
        self.written.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_an_action_interrupted_after_its_write_is_settled_from_the_cluster_not_repeated(
    kube: Kube, ns: str, store: Store, store_path: Path, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = RolloutRestart(target=ObjectRef.of(before), epoch="gen-1")
    dying = HangsAfterWriting(kube)
    task = asyncio.create_task(make_executor(writer=dying).execute(action, mode="enforce", reason="r"))
    await asyncio.wait_for(dying.written.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.get_action(action.idempotency_key()).state == "started"
    await store.close()
    version = (await kube.get(DEPLOYMENTS, "web", namespace=ns))["metadata"]["resourceVersion"]
    patches = writes(kube)[("patch", "apps/deployments")]

    async with await Store.open(store_path, clock=RealClock()) as reopened:
        record = await make_executor(on=reopened, metrics=CollectorRegistry()).execute(
            action, mode="enforce", reason="r"
        )
        assert reopened.get_action(action.idempotency_key()) == record

    assert record.state == "succeeded"
    assert record.detail.startswith(
        "interrupted, but the effect is in place: the pod template carries kaido.io/action="
    )
    assert writes(kube)[("patch", "apps/deployments")] == patches
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["metadata"]["resourceVersion"] == version


async def test_an_action_interrupted_before_its_write_is_not_repeated(
    kube: Kube, ns: str, store: Store, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = Scale(target=ObjectRef.of(before), epoch="gen-1", replicas=4)
    # what a crash right after the audit log claimed the key leaves behind
    claimed = ActionRecord(
        key=action.idempotency_key(),
        action=action.kind,
        target=str(action.target),
        params=action.params(),
        mode="enforce",
        reason="r",
        requested_at=RealClock().now(),
    )
    assert await store.begin_action(claimed)

    record = await make_executor().execute(action, mode="enforce", reason="r")

    assert record.state == "failed" and record.detail == "interrupted; not repeated"
    assert store.get_action(action.idempotency_key()).state == "failed"
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["replicas"] == 2


async def test_a_follower_and_a_paused_kaido_write_nothing(
    kube: Kube, ns: str, store: Store, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = Scale(target=ObjectRef.of(before), epoch="1", replicas=4)
    requests = dict(kube.requests)

    follower = await make_executor(leader=False).execute(action, mode="enforce", reason="r")
    paused = await make_executor(paused=True, metrics=CollectorRegistry()).execute(action, mode="enforce", reason="r")

    assert (follower.state, follower.detail) == ("skipped", "not the leader")
    assert (paused.state, paused.detail) == ("skipped", "kaido is paused")
    assert kube.requests == requests, "not even a read"
    assert store.get_action(action.idempotency_key()) is None, "the decision stays free for when kaido may act"
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["replicas"] == 2


async def test_the_rate_limit_stops_the_fourth_action_in_the_window(
    kube: Kube, ns: str, store: Store, make_executor: MakeExecutor, registry: CollectorRegistry
) -> None:
    before = await ready_deployment(kube, ns, "web")
    executor = make_executor(limiter=RateLimiter(global_limit=Limit(10, 600), per_workload=Limit(3, 600)))
    workload = ObjectRef.of(before)

    records = [
        await executor.execute(Scale(target=workload, epoch=str(n), replicas=n), mode="enforce", reason="r")
        for n in (2, 3, 4, 5)
    ]

    assert [r.state for r in records] == ["succeeded", "succeeded", "succeeded", "skipped"]
    assert records[3].detail.startswith(f"rate limit for Deployment {ns}/web reached (3 actions per 600s)")
    assert store.get_action(records[3].key).state == "skipped"
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["replicas"] == 4
    assert len(await events_about(kube, ns, "web", reason="Scale")) == 3
    labels = {"action": "Scale", "mode": "enforce"}
    assert registry.get_sample_value("kaido_actions_total", {**labels, "outcome": "succeeded"}) == 3
    assert registry.get_sample_value("kaido_actions_total", {**labels, "outcome": "skipped"}) == 1
    assert registry.get_sample_value("kaido_action_duration_seconds_count", {"action": "Scale"}) == 3


class EventsForbidden:
    """The real client, except that RBAC forbids creating Events."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    async def post_event(self, **kwargs: Any) -> dict[str, Any]:
        raise Forbidden("POST events failed: forbidden", status=403, reason="Forbidden", target="POST events")


async def test_an_event_that_cannot_be_posted_does_not_fail_the_action(
    kube: Kube, ns: str, make_executor: MakeExecutor, registry: CollectorRegistry
) -> None:
    before = await ready_deployment(kube, ns, "web")
    action = Scale(target=ObjectRef.of(before), epoch="1", replicas=3)

    record = await make_executor(writer=EventsForbidden(kube)).execute(action, mode="enforce", reason="r")

    assert record.state == "succeeded"
    assert registry.get_sample_value("kaido_action_event_failures_total", {"action": "Scale"}) == 1


async def test_restarting_a_pod_that_was_already_replaced_does_nothing(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    await ready_deployment(kube, ns, "web")
    pod = (await pods_of(kube, ns, "web"))[0]
    stale = ObjectRef("Pod", pod["metadata"]["name"], ns, uid="an-earlier-incarnation")

    record = await make_executor().execute(RestartPod(target=stale, epoch="1"), mode="enforce", reason="r")

    assert record.state == "succeeded" and record.detail.startswith("nothing to do")
    assert (await kube.get(PODS, pod["metadata"]["name"], namespace=ns))["metadata"]["uid"] == pod["metadata"]["uid"]


def test_one_executor_per_metrics_registry(make_executor: MakeExecutor) -> None:
    make_executor()
    with pytest.raises(ValueError, match="make one Executor per CollectorRegistry"):
        make_executor()
