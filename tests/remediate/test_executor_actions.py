"""Each action in enforce mode against the simulator over HTTP: its effect, its audit record, its Event."""

from __future__ import annotations

import pytest

from kaido.core.refs import ObjectRef
from kaido.kube.client import Kube
from kaido.kube.errors import NotFound
from kaido.kube.resources import DEPLOYMENTS, HPAS, PDBS, PODS, REPLICASETS
from kaido.remediate.actions import (
    ApplyHPA,
    PatchResources,
    RestartPod,
    Rollback,
    RolloutRestart,
    Scale,
    SetHPAMinReplicas,
)
from kaido.remediate.executor import ACTION_ANNOTATION, LAST_ACTION, MANAGED_BY, RESTARTED_AT
from kaido.store import Store
from tests.remediate.conftest import MakeExecutor
from tests.remediate.support import events_about, eventually, pods_of, ready_deployment, settled


def ref(obj: dict) -> ObjectRef:
    return ObjectRef.of(obj)


async def test_restart_pod_deletes_it_and_its_replicaset_replaces_it(
    kube: Kube, ns: str, store: Store, make_executor: MakeExecutor
) -> None:
    await ready_deployment(kube, ns, "web")
    victim = (await pods_of(kube, ns, "web"))[0]
    action = RestartPod(target=ref(victim), epoch=victim["metadata"]["uid"])

    record = await make_executor().execute(action, mode="enforce", reason="crash loop on web")

    assert record.state == "succeeded", record.detail
    assert record.detail == f"deleted pod {ns}/{victim['metadata']['name']}; its controller recreates it"
    assert store.get_action(action.idempotency_key()) == record
    with pytest.raises(NotFound):
        await kube.get(PODS, victim["metadata"]["name"], namespace=ns)
    await settled(kube, ns, "web")
    names = {p["metadata"]["name"] for p in await pods_of(kube, ns, "web")}
    assert len(names) == 2 and victim["metadata"]["name"] not in names
    [event] = await events_about(kube, ns, victim["metadata"]["name"], reason="RestartPod")
    assert event["type"] == "Normal"
    assert event["involvedObject"]["kind"] == "Pod" and event["involvedObject"]["uid"] == victim["metadata"]["uid"]
    assert event["message"].startswith("crash loop on web: succeeded: deleted pod")
    assert event["reportingInstance"] == "kaido-0"


async def test_an_eviction_respects_the_disruption_budget(
    kube: Kube, ns: str, make_executor: MakeExecutor, registry
) -> None:
    await ready_deployment(kube, ns, "api")
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "api"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "api"}}},
    }
    await kube.create(PDBS, pdb, namespace=ns)
    victim = (await pods_of(kube, ns, "api"))[0]
    action = RestartPod(target=ref(victim), epoch="1", evict=True)

    record = await make_executor().execute(action, mode="enforce", reason="memory leak")

    assert record.state == "failed"
    assert "disruption budget" in record.detail and "api" in record.detail
    assert (await kube.get(PODS, victim["metadata"]["name"], namespace=ns))["metadata"]["uid"] == victim["metadata"][
        "uid"
    ]
    [event] = await events_about(kube, ns, victim["metadata"]["name"], reason="RestartPod")
    assert event["type"] == "Warning" and "failed" in event["message"]
    labels = {"action": "RestartPod", "reason": "TooManyRequests"}
    assert registry.get_sample_value("kaido_action_failures_total", labels) == 1


async def test_rollout_restart_sets_restarted_at_like_kubectl_and_rolls_the_pods(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web")
    old_pods = {p["metadata"]["name"] for p in await pods_of(kube, ns, "web")}
    action = RolloutRestart(target=ref(before), epoch=str(before["metadata"]["generation"]))

    record = await make_executor().execute(action, mode="enforce", reason="stale connections")

    assert record.state == "succeeded", record.detail
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    template = after["spec"]["template"]["metadata"]["annotations"]
    assert template[ACTION_ANNOTATION] == action.idempotency_key()
    assert template[RESTARTED_AT].endswith("Z") and RESTARTED_AT in record.detail
    assert after["metadata"]["annotations"][LAST_ACTION] == action.idempotency_key()
    await settled(kube, ns, "web")
    new_pods = {p["metadata"]["name"] for p in await pods_of(kube, ns, "web")}
    assert not new_pods & old_pods, "every pod was replaced"
    sets = await kube.list(REPLICASETS, namespace=ns, label_selector="app=web")
    assert len(sets.items) == 2
    assert await events_about(kube, ns, "web", reason="RolloutRestart")


async def test_scale_changes_replicas_through_the_scale_subresource(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "web", replicas=1)
    action = Scale(target=ref(before), epoch="forecast-14h", replicas=3)

    record = await make_executor().execute(action, mode="enforce", reason="peak predicted at 14:00")

    assert record.state == "succeeded" and record.detail == f"scaled Deployment {ns}/web to 3 replicas"
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    assert after["spec"]["replicas"] == 3
    assert after["metadata"]["annotations"][LAST_ACTION] == action.idempotency_key()
    await settled(kube, ns, "web")
    assert len(await pods_of(kube, ns, "web")) == 3
    assert kube.requests[("patch", "apps/deployments/scale")] == 1


async def test_rollback_restores_the_previous_release(kube: Kube, ns: str, make_executor: MakeExecutor) -> None:
    await ready_deployment(kube, ns, "backend", image="nginx:1.27")
    bad = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.27-bad"}]}}}}
    await kube.patch(DEPLOYMENTS, "backend", bad, namespace=ns, patch_type="strategic")

    async def at_revision_2() -> bool:
        d = await kube.get(DEPLOYMENTS, "backend", namespace=ns)
        return d["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision") == "2"

    await eventually(at_revision_2, what="revision 2 of the bad release")
    current = await kube.get(DEPLOYMENTS, "backend", namespace=ns)
    action = Rollback(target=ref(current), epoch="incident-7/rollback", revision=1)

    record = await make_executor().execute(action, mode="enforce", reason="bad release: crash loop after rollout")

    assert record.state == "succeeded", record.detail
    assert record.detail == f"rolled Deployment {ns}/backend back to the template of revision 1 (nginx:1.27)"
    after = await kube.get(DEPLOYMENTS, "backend", namespace=ns)
    template = after["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "pod-template-hash" not in template["metadata"]["labels"]
    assert after["metadata"]["annotations"][LAST_ACTION] == action.idempotency_key()
    await settled(kube, ns, "backend")
    assert {p["spec"]["containers"][0]["image"] for p in await pods_of(kube, ns, "backend")} == {"nginx:1.27"}
    # like `kubectl rollout undo`, the old ReplicaSet is reused and becomes the newest revision
    assert (await kube.get(DEPLOYMENTS, "backend", namespace=ns))["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"
    ] == "3"


async def test_rollback_to_a_revision_that_is_not_kept_fails_and_says_which_are(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    current = await ready_deployment(kube, ns, "backend")
    action = Rollback(target=ref(current), epoch="e", revision=5)

    record = await make_executor().execute(action, mode="enforce", reason="bad release")

    assert record.state == "failed"
    assert "no ReplicaSet of this Deployment has revision 5 (revisions kept: 1)" in record.detail
    [event] = await events_about(kube, ns, "backend", reason="Rollback")
    assert event["type"] == "Warning"


async def test_patch_resources_sets_one_containers_requests_and_limits(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    before = await ready_deployment(kube, ns, "worker")
    action = PatchResources(
        target=ref(before),
        epoch="oom-1",
        container="main",
        requests={"memory": "256Mi", "cpu": "100m"},
        limits={"memory": "512Mi"},
    )

    executor = make_executor()
    record = await executor.execute(action, mode="enforce", reason="OOMKilled 3 times")

    assert record.state == "succeeded", record.detail
    after = await kube.get(DEPLOYMENTS, "worker", namespace=ns)
    [container] = after["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.27", "the strategic patch merged into the container, not replaced it"
    assert container["resources"] == {"requests": {"memory": "256Mi", "cpu": "100m"}, "limits": {"memory": "512Mi"}}
    assert after["metadata"]["annotations"][LAST_ACTION] == action.idempotency_key()

    missing = PatchResources(target=ref(before), epoch="oom-2", container="sidecar", limits={"memory": "1Gi"})
    failed = await executor.execute(missing, mode="enforce", reason="OOMKilled")
    assert failed.state == "failed"
    assert failed.detail == f"PatchResources Deployment {ns}/worker: it has no container 'sidecar' (containers: main)"


async def test_apply_hpa_creates_a_labelled_hpa_then_updates_it(
    kube: Kube, ns: str, make_executor: MakeExecutor
) -> None:
    await ready_deployment(kube, ns, "web")
    target = ObjectRef("HorizontalPodAutoscaler", "web", ns)
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 6,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
    }
    executor = make_executor()

    created = await executor.execute(
        ApplyHPA(target=target, epoch="policy-1", spec=spec), mode="enforce", reason="policy"
    )

    assert created.state == "succeeded" and created.detail.startswith(f"created HorizontalPodAutoscaler {ns}/web")
    hpa = await kube.get(HPAS, "web", namespace=ns)
    assert hpa["metadata"]["labels"][MANAGED_BY] == "kaido"
    assert hpa["spec"]["maxReplicas"] == 6

    changed = {**spec, "maxReplicas": 10}
    changed.pop("metrics")
    updated = await executor.execute(
        ApplyHPA(target=target, epoch="policy-2", spec=changed), mode="enforce", reason="policy"
    )

    assert updated.state == "succeeded" and updated.detail.startswith("updated")
    hpa = await kube.get(HPAS, "web", namespace=ns)
    assert hpa["spec"]["maxReplicas"] == 10
    assert hpa["metadata"]["labels"][MANAGED_BY] == "kaido"
    assert (
        hpa["metadata"]["annotations"][LAST_ACTION]
        == ApplyHPA(target=target, epoch="policy-2", spec=changed).idempotency_key()
    )

    raised = await executor.execute(
        SetHPAMinReplicas(target=target, epoch="peak-1", min_replicas=4), mode="enforce", reason="peak ahead"
    )
    assert raised.state == "succeeded"
    assert (await kube.get(HPAS, "web", namespace=ns))["spec"]["minReplicas"] == 4


async def test_apply_hpa_leaves_an_hpa_kaido_does_not_manage(kube: Kube, ns: str, make_executor: MakeExecutor) -> None:
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 4}
    theirs = {"metadata": {"name": "web", "labels": {MANAGED_BY: "helm"}}, "spec": {**spec, "minReplicas": 1}}
    await kube.create(HPAS, theirs, namespace=ns)
    target = ObjectRef("HorizontalPodAutoscaler", "web", ns)

    executor = make_executor()
    refused = await executor.execute(
        ApplyHPA(target=target, epoch="p", spec={**spec, "maxReplicas": 9}), mode="enforce", reason="policy"
    )

    assert refused.state == "failed" and "managed by helm" in refused.detail and "adopt" in refused.detail
    assert (await kube.get(HPAS, "web", namespace=ns))["spec"]["maxReplicas"] == 4
    adopted = await executor.execute(
        ApplyHPA(target=target, epoch="p2", spec={**spec, "maxReplicas": 9}, adopt=True),
        mode="enforce",
        reason="policy",
    )
    assert adopted.state == "succeeded"
    assert (await kube.get(HPAS, "web", namespace=ns))["metadata"]["labels"][MANAGED_BY] == "kaido"


async def test_a_raise_only_scale_raises_and_never_lowers(kube: Kube, ns: str, make_executor: MakeExecutor) -> None:
    before = await ready_deployment(kube, ns, "web", replicas=2)
    executor = make_executor()
    up = Scale(target=ref(before), epoch="floor 1 4", replicas=4, raise_only=True)

    record = await executor.execute(up, mode="enforce", reason="minReplicas raised to 4")

    assert record.state == "succeeded" and record.detail == f"scaled Deployment {ns}/web from 2 to 4 replicas"
    after = await kube.get(DEPLOYMENTS, "web", namespace=ns)
    assert after["spec"]["replicas"] == 4
    assert after["metadata"]["annotations"][LAST_ACTION] == up.idempotency_key()
    down = Scale(target=ref(before), epoch="floor 2 3", replicas=3, raise_only=True)
    record = await executor.execute(down, mode="enforce", reason="minReplicas raised to 3")
    assert record.state == "succeeded" and record.detail == f"nothing to do: Deployment {ns}/web already has 4 replicas"
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["replicas"] == 4


class _ScaledMeanwhile:
    """A cluster writer whose first read of a Deployment is followed by someone else scaling it."""

    def __init__(self, kube: Kube, replicas: int) -> None:
        self._kube, self._replicas, self.reads = kube, replicas, 0

    def __getattr__(self, name: str):
        return getattr(self._kube, name)

    async def get(self, res, name, *, namespace=None):
        obj = await self._kube.get(res, name, namespace=namespace)
        self.reads += 1
        if self.reads == 1:
            await self._kube.patch(res, name, {"spec": {"replicas": self._replicas}}, namespace=namespace)
        return obj


@pytest.mark.parametrize(("meanwhile", "expected"), [(6, 6), (3, 5)])
async def test_a_raise_only_scale_rereads_when_the_replicas_change_under_it(
    kube: Kube, ns: str, make_executor: MakeExecutor, meanwhile: int, expected: int
) -> None:
    before = await ready_deployment(kube, ns, "web", replicas=2)
    writer = _ScaledMeanwhile(kube, meanwhile)  # an HPA scales between kaido's read and its write
    action = Scale(target=ref(before), epoch="floor 1 5", replicas=5, raise_only=True)

    record = await make_executor(writer=writer).execute(action, mode="enforce", reason="minReplicas raised to 5")

    assert record.state == "succeeded", record.detail
    assert writer.reads == 2  # the write conditional on the first read failed; the second read decided
    assert (await kube.get(DEPLOYMENTS, "web", namespace=ns))["spec"]["replicas"] == expected
