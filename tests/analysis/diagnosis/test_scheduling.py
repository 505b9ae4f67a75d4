"""Pods the scheduler cannot place: which resource is short, which label, taint or rule rules nodes out."""

from __future__ import annotations

import pytest

from kaido.analysis.diagnosis import MOUNT_FAILURE, UNSCHEDULABLE_PLACEMENT, UNSCHEDULABLE_RESOURCES
from kaido.analysis.diagnosis.scheduling import split_reasons
from tests.analysis.diagnosis.builders import NS, ago, cond, container, event, node, only, pod, run

NODES = [node(f"worker-{i}") for i in (1, 2, 3)]


def pending(message: str, *, containers: list | None = None, **spec: object) -> dict:
    unscheduled = cond("PodScheduled", "False", since=120, reason="Unschedulable", message=message)
    return pod(
        "trainer", phase="Pending", node=None, statuses=[], conditions=[unscheduled], containers=containers, **spec
    )


def test_split_reasons_leaves_the_preemption_part_out() -> None:
    message = (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint(s). no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not "
        "helpful for scheduling."
    )
    assert split_reasons(message) == (3, [(1, "Insufficient cpu"), (2, "node(s) had untolerated taint(s)")])
    assert split_reasons("0/2 nodes are available: 2 Insufficient nvidia.com/gpu.") == (
        2,
        [(2, "Insufficient nvidia.com/gpu")],
    )
    assert split_reasons("no nodes available to schedule pods") == (None, [])


def test_an_extended_resource_no_node_has() -> None:
    gpu = container("t", "python:3.12", resources={"limits": {"nvidia.com/gpu": "1"}})
    trainer = pending("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.", containers=[gpu])
    found = only(run(pods=[trainer], nodes=NODES))
    assert found.cause == UNSCHEDULABLE_RESOURCES
    assert found.summary == "pod shop/trainer: cannot be scheduled: 0/3 nodes have nvidia.com/gpu (the pod requests 1)"
    assert (
        found.suggestion == "add nodes that offer nvidia.com/gpu or remove the nvidia.com/gpu request from pod/trainer"
    )
    assert found.severity == "warning"


def test_a_request_larger_than_any_node() -> None:
    big = container("t", resources={"requests": {"cpu": "8"}})
    found = only(run(pods=[pending("0/3 nodes are available: 3 Insufficient cpu.", containers=[big])], nodes=NODES))
    assert (
        found.summary
        == "pod shop/trainer: cannot be scheduled: the pod requests 8 cpu but the largest node allocates 4"
    )
    assert "lower the cpu request of pod/trainer to at most 4" in found.suggestion


def test_nodes_that_are_full() -> None:
    medium = container("t", resources={"requests": {"memory": "6Gi"}})
    message = "0/3 nodes are available: 3 Insufficient memory."
    found = only(run(pods=[pending(message, containers=[medium])], nodes=NODES))
    assert "3 nodes of 3 lack free memory for the pod's request of 6Gi" in found.summary


def test_resources_win_over_placement_when_both_appear() -> None:
    message = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."
    found = only(run(pods=[pending(message)], nodes=NODES))
    assert found.cause == UNSCHEDULABLE_RESOURCES


def test_a_node_selector_that_matches_no_node() -> None:
    nodes = [node("worker-1", labels={"disktype": "hdd"}), node("worker-2"), node("worker-3")]
    message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    found = only(run(pods=[pending(message, nodeSelector={"disktype": "ssd"})], nodes=nodes))
    assert found.cause == UNSCHEDULABLE_PLACEMENT
    assert found.summary == (
        "pod shop/trainer: cannot be scheduled: nodeSelector disktype=ssd matches none of the 3 nodes "
        "(nodes have disktype: hdd, none)"
    )
    assert found.suggestion.startswith("label a node disktype=ssd (kubectl label node <node> disktype=ssd)")


def test_taints_the_pod_does_not_tolerate() -> None:
    tainted = [node(f"gpu-{i}", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]) for i in (1, 2)]
    message = "0/2 nodes are available: 2 node(s) had untolerated taint(s)."
    tolerated = [{"key": "other", "operator": "Exists"}]
    found = only(run(pods=[pending(message, tolerations=tolerated)], nodes=tainted))
    assert found.cause == UNSCHEDULABLE_PLACEMENT
    assert found.summary == (
        "pod shop/trainer: cannot be scheduled: 2 nodes have taints the pod does not tolerate: "
        "dedicated=gpu:NoSchedule (2 nodes)"
    )
    assert "add a toleration for dedicated=gpu:NoSchedule" in found.suggestion
    assert "kubectl taint nodes <node> dedicated-" in found.suggestion


def test_the_taint_wording_before_kubernetes_1_27() -> None:
    tainted = [node("cp-1", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])]
    message = (
        "0/2 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/control-plane: }, that the pod "
        "didn't tolerate, 1 node(s) were unschedulable."
    )
    assert split_reasons(message)[1] == [
        (1, "node(s) had taint {node-role.kubernetes.io/control-plane: }, that the pod didn't tolerate"),
        (1, "node(s) were unschedulable"),
    ]
    found = only(run(pods=[pending(message)], nodes=tainted))
    assert found.summary == (
        "pod shop/trainer: cannot be scheduled: 1 node has taints the pod does not tolerate: "
        "node-role.kubernetes.io/control-plane:NoSchedule (1 node); 1 node is cordoned"
    )


def test_a_tolerated_taint_is_not_blamed() -> None:
    tainted = [node("gpu-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])]
    message = "0/1 nodes are available: 1 node(s) had untolerated taint(s)."
    everything = [{"operator": "Exists"}]
    found = only(run(pods=[pending(message, tolerations=everything)], nodes=tainted))
    assert found.summary.endswith("1 node has taints the pod does not tolerate")


def test_required_anti_affinity() -> None:
    rule = {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "web"}}}
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [rule]}}
    message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    found = only(run(pods=[pending(message, affinity=affinity)], nodes=NODES))
    assert found.cause == UNSCHEDULABLE_PLACEMENT
    assert "required pod anti-affinity (kubernetes.io/hostname) rules out 3 nodes that already run a match" in (
        found.summary
    )
    assert "preferredDuringScheduling" in found.suggestion


def test_cordoned_nodes() -> None:
    found = only(run(pods=[pending("0/3 nodes are available: 3 node(s) were unschedulable.")], nodes=NODES))
    assert found.summary == "pod shop/trainer: cannot be scheduled: 3 nodes are cordoned"
    assert "kubectl uncordon" in found.suggestion


def test_the_last_failed_scheduling_event_serves_without_the_condition() -> None:
    trainer = pod("trainer", phase="Pending", node=None, statuses=[], conditions=[])
    older = event(trainer, "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.", last=300)
    newer = event(trainer, "FailedScheduling", "0/3 nodes are available: 3 node(s) were unschedulable.", last=10)
    found = only(run(pods=[trainer], events=[newer, older], nodes=NODES))
    assert found.summary.endswith("3 nodes are cordoned")


@pytest.mark.parametrize("phase", ["Pending", "Bound"])
def test_an_unbound_claim_is_a_mount_failure_explained_by_the_claims_events(phase: str) -> None:
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": NS, "uid": "c1", "creationTimestamp": ago(300)},
        "spec": {"storageClassName": "fast-ssd"},
        "status": {"phase": phase},
    }
    failed = event(claim, "ProvisioningFailed", 'storageclass.storage.k8s.io "fast-ssd" not found', count=40)
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    database = pending(
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found", volumes=volumes
    )
    found = only(run(pods=[database], pvcs=[claim], events=[failed], nodes=NODES))
    assert found.cause == MOUNT_FAILURE
    if phase == "Pending":
        assert found.summary == (
            "pod shop/trainer: PersistentVolumeClaim data is Pending: "
            'storageclass.storage.k8s.io "fast-ssd" not found; the pod cannot be scheduled until it is bound'
        )
        assert found.suggestion.startswith("create StorageClass fast-ssd, or re-create PersistentVolumeClaim data")
    else:  # bound since: the scheduler's message is all there is
        assert "the pod's volumes hold it back from scheduling" in found.summary


def test_a_claim_that_does_not_exist() -> None:
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    message = '0/3 nodes are available: persistentvolumeclaim "data" not found. not found'
    found = only(run(pods=[pending(message, volumes=volumes)], nodes=NODES))
    assert found.cause == MOUNT_FAILURE
    assert (
        found.summary == "pod shop/trainer: PersistentVolumeClaim data does not exist, so the pod cannot be scheduled"
    )
