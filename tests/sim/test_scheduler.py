"""The scheduler controller: placement, upstream's FailedScheduling messages, events and conditions."""

from __future__ import annotations

from typing import Any

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.deployment import DeploymentController
from kaido.sim.controllers.replicaset import ReplicaSetController
from kaido.sim.controllers.scheduler import SchedulerController
from kaido.sim.controllers.scheduling import pod_requests
from kaido.sim.controllers.volumes import PersistentVolumeController, default_storage_class
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

NODES = builtin("", "v1", "nodes")
PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")
CLAIMS = builtin("", "v1", "persistentvolumeclaims")
CLASSES = builtin("storage.k8s.io", "v1", "storageclasses")
DEPLOYMENTS = builtin("apps", "v1", "deployments")
GPU = "nvidia.com/gpu"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
POST = "no new claims to deallocate, preemption: "
CONTAINER = {"name": "app", "image": "nginx:1.27"}


def add_node(cluster, name, *, labels=None, taints=None, ready="True", unschedulable=False, **allocatable: str):
    """A registered node; `allocatable` overrides 4 cpu, 8Gi memory and 110 pods, or adds resources."""
    spec: dict[str, Any] = {"taints": taints} if taints else {}
    if unschedulable:
        spec["unschedulable"] = True
    created = cluster.ops.create(NODES, None, {"metadata": {"name": name, "labels": labels or {}}, "spec": spec})
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110", **allocatable}
    conditions = [{"type": "Ready", "status": ready, "reason": "KubeletReady"}]
    created["status"] = {"capacity": resources, "allocatable": resources, "conditions": conditions}
    cluster.ops.update(NODES, None, name, created, subresource="status")


def add_pod(cluster, name, *, requests: dict[str, str] | None = None, labels=None, **spec: Any):
    resources: dict[str, Any] = {"requests": requests} if requests else {}
    if requests and GPU in requests:
        resources["limits"] = {GPU: requests[GPU]}  # extended resources need equal limits
    container = {**CONTAINER, "resources": resources}
    body = {"metadata": {"name": name, "labels": labels or {}}, "spec": {"containers": [container], **spec}}
    cluster.ops.create(PODS, "default", body)


def run(cluster: SimCluster, controller: SchedulerController | None = None) -> None:
    (controller or SchedulerController()).reconcile(cluster, cluster.clock.now())


def node_of(cluster: SimCluster, name: str, namespace: str = "default") -> str | None:
    return cluster.store.get(PODS, namespace, name)["spec"].get("nodeName")


def scheduled_condition(cluster: SimCluster, name: str) -> dict[str, Any]:
    conditions = cluster.store.get(PODS, "default", name)["status"].get("conditions") or []
    (condition,) = [c for c in conditions if c["type"] == "PodScheduled"]
    return dict(condition)


def events(cluster: SimCluster, reason: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in cluster.store.list_objects(EVENTS, "default")
        if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)
    ]


def failure(cluster: SimCluster, name: str) -> str:
    """The Unschedulable message, checked to be the same on the condition and on the one event."""
    condition = scheduled_condition(cluster, name)
    assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
    (event,) = events(cluster, "FailedScheduling", name)
    assert event["type"] == "Warning"
    assert event["source"] == {"component": "default-scheduler"}
    assert event["message"] == condition["message"]
    return str(condition["message"])


def test_binds_and_records_scheduled(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_pod(cluster, "web", requests={"cpu": "500m", "memory": "256Mi"})
    run(cluster)
    assert node_of(cluster, "web") == "node-a"
    assert scheduled_condition(cluster, "web")["status"] == "True"
    (event,) = events(cluster, "Scheduled")
    assert event["message"] == "Successfully assigned default/web to node-a"
    assert (event["type"], event["source"]["component"]) == ("Normal", "default-scheduler")


def test_fills_nodes_then_reports_insufficient_cpu(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", cpu="2")
    add_node(cluster, "node-b", cpu="2")
    for index in range(5):
        add_pod(cluster, f"p{index}", requests={"cpu": "1"})
    run(cluster)
    placed = [node_of(cluster, f"p{i}") for i in range(4)]
    assert sorted(placed) == ["node-a", "node-a", "node-b", "node-b"]  # least allocated alternates
    assert failure(cluster, "p4") == (
        "0/2 nodes are available: 2 Insufficient cpu. "
        + POST
        + "0/2 nodes are available: 2 No preemption victims found for incoming pod."
    )


def test_requests_beyond_any_node_are_not_helped_by_preemption(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", cpu="2", memory="4Gi")
    add_pod(cluster, "big", requests={"cpu": "3", "memory": "8Gi"})
    run(cluster)
    assert failure(cluster, "big") == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. "
        + POST
        + "0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


def test_too_many_pods(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", pods="2")
    for name in ("a", "b", "c"):
        add_pod(cluster, name)
    run(cluster)
    assert [node_of(cluster, n) for n in ("a", "b")] == ["node-a", "node-a"]
    assert failure(cluster, "c").startswith("0/1 nodes are available: 1 Too many pods. ")


def test_gpu_message_counts_taints_and_insufficient_gpus(cluster: SimCluster) -> None:
    add_node(cluster, "control-plane", taints=[CONTROL_PLANE_TAINT])
    add_node(cluster, "gpu-1", **{GPU: "1"})
    add_node(cluster, "gpu-2", **{GPU: "1"})
    for name in ("train-1", "train-2", "train-3"):
        add_pod(cluster, name, requests={GPU: "1"})
    run(cluster)
    assert {node_of(cluster, "train-1"), node_of(cluster, "train-2")} == {"gpu-1", "gpu-2"}
    assert failure(cluster, "train-3") == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient nvidia.com/gpu. "
        "no new claims to deallocate, preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )


def test_gpu_on_a_cluster_without_gpus(cluster: SimCluster) -> None:
    for name in ("node-a", "node-b", "node-c"):
        add_node(cluster, name)
    add_pod(cluster, "train", requests={GPU: "1"})
    run(cluster)
    assert failure(cluster, "train") == (
        "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. "
        + POST
        + "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_effective_requests_take_the_larger_of_init_and_app_containers_plus_overhead() -> None:
    pod = {
        "spec": {
            "initContainers": [
                {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "64Mi"}}},
                {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
            ],
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
            ],
            "overhead": {"cpu": "10m", "memory": "1Mi"},
        }
    }
    # init peak 2000m vs app 750m + sidecar 100m; memory: app 2Gi beats init 64Mi
    assert pod_requests(pod) == {"cpu": 2010, "memory": 2 * 1024**3 + 1024**2}


def test_node_selector(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", labels={"disk": "hdd"})
    add_node(cluster, "node-b", labels={"disk": "ssd"})
    add_pod(cluster, "db", nodeSelector={"disk": "ssd"})
    add_pod(cluster, "lost", nodeSelector={"disk": "nvme"})
    add_pod(cluster, "pinned", nodeSelector={"kubernetes.io/hostname": "node-b"})  # the kubelet's label is implied
    run(cluster)
    assert (node_of(cluster, "db"), node_of(cluster, "pinned")) == ("node-b", "node-b")
    assert failure(cluster, "lost") == (
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
        + POST
        + "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_taints_and_tolerations(cluster: SimCluster) -> None:
    add_node(cluster, "dedicated", taints=[{"key": "team", "value": "ml", "effect": "NoSchedule"}])
    add_pod(cluster, "plain")
    equal = [{"key": "team", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
    add_pod(cluster, "ml", tolerations=equal)
    add_pod(cluster, "anything", tolerations=[{"operator": "Exists"}])
    wrong = [{"key": "team", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]
    add_pod(cluster, "web", tolerations=wrong)
    run(cluster)
    assert (node_of(cluster, "ml"), node_of(cluster, "anything")) == ("dedicated", "dedicated")
    assert node_of(cluster, "web") is None
    assert failure(cluster, "plain") == (
        "0/1 nodes are available: 1 node(s) had untolerated taint(s). "
        + POST
        + "0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


def test_no_execute_taints_filter_and_prefer_no_schedule_only_scores(cluster: SimCluster) -> None:
    add_node(cluster, "draining", taints=[{"key": "maintenance", "effect": "NoExecute"}])
    add_node(cluster, "a-soft", taints=[{"key": "spot", "effect": "PreferNoSchedule"}])
    add_node(cluster, "b-clean")
    add_pod(cluster, "web")
    run(cluster)
    assert node_of(cluster, "web") == "b-clean"  # a-soft would win the name tie-break


@pytest.mark.parametrize(
    ("expression", "matching", "other"),
    [
        ({"key": "zone", "operator": "In", "values": ["x", "y"]}, {"zone": "y"}, {"zone": "z"}),
        ({"key": "zone", "operator": "NotIn", "values": ["z"]}, {"zone": "y"}, {"zone": "z"}),
        ({"key": "gpu", "operator": "Exists"}, {"gpu": "yes"}, {}),
        ({"key": "spot", "operator": "DoesNotExist"}, {}, {"spot": "true"}),
        ({"key": "gen", "operator": "Gt", "values": ["8"]}, {"gen": "9"}, {"gen": "8"}),
        ({"key": "gen", "operator": "Lt", "values": ["4"]}, {"gen": "3"}, {"gen": "4"}),
    ],
)
def test_node_affinity_operators(
    cluster: SimCluster, expression: dict[str, Any], matching: dict[str, str], other: dict[str, str]
) -> None:
    add_node(cluster, "node-a", labels=other)  # would win the name tie-break if the operator were ignored
    add_node(cluster, "node-b", labels=matching)
    terms = [{"matchExpressions": [expression]}]
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}
    add_pod(cluster, "picky", affinity=affinity)
    run(cluster)
    assert node_of(cluster, "picky") == "node-b"


def test_preferred_node_affinity_wins_the_score(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_node(cluster, "node-b", labels={"tier": "fast"})
    preference = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fast"]}]}
    affinity = {
        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50, "preference": preference}]}
    }
    add_pod(cluster, "web", affinity=affinity)
    run(cluster)
    assert node_of(cluster, "web") == "node-b"


def test_required_anti_affinity_spreads_replicas(cluster: SimCluster) -> None:
    for name in ("node-a", "node-b", "node-c"):
        add_node(cluster, name)
    term = {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    for index in range(4):
        add_pod(cluster, f"web-{index}", labels={"app": "web"}, affinity=affinity)
    run(cluster)
    assert sorted(str(node_of(cluster, f"web-{i}")) for i in range(3)) == ["node-a", "node-b", "node-c"]
    assert failure(cluster, "web-3") == (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
        + POST
        + "0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )


def test_existing_pods_anti_affinity_and_zone_topology(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", labels={"topology.kubernetes.io/zone": "z1"})
    add_node(cluster, "node-b", labels={"topology.kubernetes.io/zone": "z1"})
    add_node(cluster, "node-c", labels={"topology.kubernetes.io/zone": "z2"})
    term = {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "topology.kubernetes.io/zone"}
    affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    add_pod(
        cluster, "loner", labels={"app": "db"}, affinity=affinity, nodeSelector={"kubernetes.io/hostname": "node-a"}
    )
    run(cluster)
    assert node_of(cluster, "loner") == "node-a"
    add_pod(cluster, "cache", labels={"app": "cache"})
    run(cluster)
    assert node_of(cluster, "cache") == "node-c"  # zone z1 is refused by the loner's rule


def test_pod_affinity_follows_its_peer(cluster: SimCluster) -> None:
    for name in ("node-a", "node-b", "node-c"):
        add_node(cluster, name)
    add_pod(cluster, "db", labels={"app": "db"}, nodeSelector={"kubernetes.io/hostname": "node-b"})
    term = {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}
    add_pod(cluster, "sidecar", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}})
    run(cluster)
    assert node_of(cluster, "sidecar") == "node-b"


def test_cordoned_nodes(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", unschedulable=True)
    add_node(cluster, "node-b", unschedulable=True)
    add_pod(cluster, "web")
    tolerate = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
    add_pod(cluster, "agent", tolerations=tolerate)
    run(cluster)
    assert node_of(cluster, "agent") == "node-a"
    assert failure(cluster, "web") == (
        "0/2 nodes are available: 2 node(s) were unschedulable. "
        + POST
        + "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_not_ready_nodes_carry_the_not_ready_taint(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", ready="False")
    add_node(cluster, "node-b", ready="Unknown")
    add_pod(cluster, "web")
    tolerate = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}]
    add_pod(cluster, "daemon", tolerations=tolerate)
    run(cluster)
    assert node_of(cluster, "daemon") == "node-a"
    assert failure(cluster, "web") == (
        "0/2 nodes are available: 2 node(s) had untolerated taint(s). "
        + POST
        + "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_first_failing_filter_decides_each_node(cluster: SimCluster) -> None:
    add_node(cluster, "cordoned", unschedulable=True, taints=[CONTROL_PLANE_TAINT])
    add_node(cluster, "tainted", taints=[CONTROL_PLANE_TAINT], labels={"disk": "ssd"})
    add_node(cluster, "small", cpu="1", labels={"disk": "hdd"})
    add_node(cluster, "full", cpu="1", labels={"disk": "ssd"})
    add_pod(cluster, "blocker", requests={"cpu": "1"}, nodeSelector={"kubernetes.io/hostname": "full"})
    run(cluster)
    add_pod(cluster, "web", requests={"cpu": "500m"}, nodeSelector={"disk": "ssd"})
    run(cluster)
    assert failure(cluster, "web") == (
        "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint(s), 1 node(s) were unschedulable. "
        + POST
        + "0/4 nodes are available: 1 No preemption victims found for incoming pod, "
        "3 Preemption is not helpful for scheduling."
    )


def test_preemption_policy_never(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", cpu="1")
    add_pod(cluster, "batch", requests={"cpu": "2"}, preemptionPolicy="Never")
    run(cluster)
    assert failure(cluster, "batch") == (
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, "
        "preemption: not eligible due to preemptionPolicy=Never."
    )


def test_lower_priority_victims_leave_only_the_filter_histogram(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", cpu="1")
    add_pod(cluster, "low", requests={"cpu": "1"})
    run(cluster)
    add_pod(cluster, "high", requests={"cpu": "1"}, priority=1000)
    run(cluster)
    # Upstream nominates node-a and evicts "low"; the simulator reports the same message, evicts nothing.
    assert failure(cluster, "high") == "0/1 nodes are available: 1 Insufficient cpu."


def test_no_nodes(cluster: SimCluster) -> None:
    add_pod(cluster, "web")
    run(cluster)
    assert failure(cluster, "web") == "no nodes available to schedule pods"


def claim_volume(name: str) -> list[dict[str, Any]]:
    return [{"name": "data", "persistentVolumeClaim": {"claimName": name}}]


def add_claim(cluster: SimCluster, name: str, storage_class: str | None = None) -> None:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    cluster.ops.create(CLAIMS, "default", {"metadata": {"name": name}, "spec": spec})


def test_missing_claim(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_node(cluster, "node-b")
    add_pod(cluster, "db", volumes=claim_volume("data"))
    run(cluster)
    assert failure(cluster, "db") == '0/2 nodes are available: persistentvolumeclaim "data" not found. not found'


def test_unbound_immediate_claim_then_bound(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_node(cluster, "node-b")
    add_node(cluster, "node-c")
    add_claim(cluster, "data", "fast")  # no such class: stays Pending
    add_pod(cluster, "db", volumes=claim_volume("data"))
    run(cluster)
    expected = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"
    assert failure(cluster, "db") == expected
    cluster.ops.create(CLASSES, None, {**default_storage_class(), "metadata": {"name": "fast"}})
    PersistentVolumeController().reconcile(cluster, cluster.clock.now())
    run(cluster)
    assert node_of(cluster, "db") == "node-a"


def test_wait_for_first_consumer_claims_schedule_and_then_bind(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    local = {**default_storage_class(), "metadata": {"name": "local"}, "volumeBindingMode": "WaitForFirstConsumer"}
    cluster.ops.create(CLASSES, None, local)
    add_claim(cluster, "data", "local")
    add_pod(cluster, "db", volumes=claim_volume("data"))
    runtime = Runtime(cluster, [PersistentVolumeController(), SchedulerController()])
    runtime.reconcile()
    assert node_of(cluster, "db") == "node-a"
    assert cluster.store.get(CLAIMS, "default", "data")["status"]["phase"] == "Bound"


def test_unchanged_failures_are_not_rewritten_until_the_retry_interval(cluster: SimCluster, clock: ManualClock) -> None:
    add_node(cluster, "node-a", cpu="1")
    add_pod(cluster, "big", requests={"cpu": "2"})
    controller = SchedulerController()
    run(cluster, controller)
    version = cluster.store.resource_version
    clock.advance(60)
    run(cluster, controller)
    run(cluster, SchedulerController())  # a fresh instance remembers nothing and still stays quiet
    assert cluster.store.resource_version == version
    clock.advance(300)
    run(cluster, controller)
    (event,) = events(cluster, "FailedScheduling")
    assert event["count"] == 2
    assert event["lastTimestamp"] != event["firstTimestamp"]


def test_a_new_reason_records_a_new_event(cluster: SimCluster) -> None:
    add_node(cluster, "node-a", cpu="1")
    add_pod(cluster, "big", requests={"cpu": "2"})
    run(cluster)
    add_node(cluster, "node-b", cpu="1")
    run(cluster)
    messages = sorted(e["message"].split(".")[0] for e in events(cluster, "FailedScheduling"))
    assert messages == ["0/1 nodes are available: 1 Insufficient cpu", "0/2 nodes are available: 2 Insufficient cpu"]
    assert scheduled_condition(cluster, "big")["message"].startswith("0/2 nodes")


def test_placement_is_deterministic(clock: ManualClock) -> None:
    def place() -> dict[str, str | None]:
        cluster = SimCluster(clock=ManualClock(clock.now()), seed=3)
        for name in ("node-c", "node-b", "node-a"):
            add_node(cluster, name)
        for index in range(7):
            add_pod(cluster, f"p{index}", requests={"cpu": "300m"})
        run(cluster)
        return {f"p{i}": node_of(cluster, f"p{i}") for i in range(7)}

    first = place()
    assert first == place()
    assert first["p0"] == "node-a"  # equal scores: the first name wins


def test_queue_order_is_priority_then_age(cluster: SimCluster, clock: ManualClock) -> None:
    add_node(cluster, "node-a", cpu="1")
    add_pod(cluster, "old", requests={"cpu": "1"})
    clock.advance(5)
    add_pod(cluster, "urgent", requests={"cpu": "1"}, priority=100)
    run(cluster)
    assert (node_of(cluster, "urgent"), node_of(cluster, "old")) == ("node-a", None)


def test_skips_gated_foreign_and_terminating_pods(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_pod(cluster, "gated", schedulingGates=[{"name": "example.com/quota"}])
    add_pod(cluster, "other", schedulerName="my-scheduler")
    held = {"metadata": {"name": "leaving", "finalizers": ["example.com/hold"]}, "spec": {"containers": [CONTAINER]}}
    cluster.ops.create(PODS, "default", held)
    cluster.ops.delete(PODS, "default", "leaving")
    run(cluster)
    assert [node_of(cluster, n) for n in ("gated", "other", "leaving")] == [None, None, None]
    gated = scheduled_condition(cluster, "gated")
    assert gated["reason"] == "SchedulingGated"
    assert gated["message"] == "Scheduling is blocked due to non-empty scheduling gates"
    assert not events(cluster, "FailedScheduling")


def test_deployment_replicas_get_scheduled_and_the_runtime_settles(cluster: SimCluster) -> None:
    add_node(cluster, "node-a")
    add_node(cluster, "node-b")
    labels = {"app": "web"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
    deployment = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 4, "selector": {"matchLabels": labels}, "template": template},
    }
    cluster.ops.create(DEPLOYMENTS, "default", deployment)
    runtime = Runtime(cluster, [DeploymentController(), ReplicaSetController(), SchedulerController()])
    rounds = runtime.reconcile()
    assert rounds < runtime.max_rounds
    nodes = sorted(str(p["spec"].get("nodeName")) for p in cluster.store.list_objects(PODS, "default"))
    assert nodes == ["node-a", "node-a", "node-b", "node-b"]  # BestEffort pods spread by the 100m/200Mi defaults
    assert len(events(cluster, "Scheduled")) == 4
