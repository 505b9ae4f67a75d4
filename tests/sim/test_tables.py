"""Server-side Tables: the exact cells upstream's printers produce for realistic objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kaido.sim.errors import ApiError
from kaido.sim.printers import human_duration
from kaido.sim.resources import RESOURCES, ResourceType, builtin
from kaido.sim.tables import render_table, wants_table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)

PODS = builtin("", "v1", "pods")
NODES = builtin("", "v1", "nodes")
EVENTS = builtin("", "v1", "events")
DEPLOYMENTS = builtin("apps", "v1", "deployments")
HPA_V2 = builtin("autoscaling", "v2", "horizontalpodautoscalers")
HPA_V1 = builtin("autoscaling", "v1", "horizontalpodautoscalers")


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, created: float = 600, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "uid": f"uid-{name}", "creationTimestamp": ago(created), **extra}


def table(resource: ResourceType, *objects: dict[str, Any], **options: Any) -> dict[str, Any]:
    options.setdefault("resource_version", "42")
    return render_table(resource, list(objects), now=NOW, **options)


def cells(resource: ResourceType, obj: dict[str, Any]) -> list[Any]:
    rows = table(resource, obj)["rows"]
    assert len(rows) == 1
    result: list[Any] = rows[0]["cells"]
    return result


def headers(rendered: dict[str, Any], *, wide: bool = False) -> list[str]:
    """The header line kubectl prints: names upper-cased, priority-1 columns only with -o wide."""
    return [c["name"].upper() for c in rendered["columnDefinitions"] if wide or c["priority"] == 0]


def container(name: str, **status: Any) -> dict[str, Any]:
    return {"name": name, "image": f"registry.local/{name}:1.0", "restartCount": 0, "ready": False, **status}


def pod(
    name: str = "web-7d4b9c-x2x", *, phase: str = "Running", statuses: list[dict[str, Any]] | None = None, **parts: Any
) -> dict[str, Any]:
    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}], **parts.pop("spec", {})}
    status = {"phase": phase, "containerStatuses": statuses or [], **parts.pop("status", {})}
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta(name, **parts), "spec": spec, "status": status}


RUNNING = {"running": {"startedAt": ago(500)}}


# --- human_duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-3, "<invalid>"),
        (-2, "<invalid>"),
        (-1.9, "0s"),  # less than two seconds in the future counts as now
        (0, "0s"),
        (1, "1s"),
        (70, "70s"),
        (119.9, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (190, "3m10s"),
        (599, "9m59s"),
        (600, "10m"),
        (630, "10m"),
        (70 * 60, "70m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 5 * 60, "3h5m"),
        (8 * 3600 - 1, "7h59m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 3599, "47h"),
        (48 * 3600, "2d"),
        (49 * 3600, "2d1h"),
        (8 * 86400 - 1, "7d23h"),
        ((8 * 24 + 2) * 3600, "8d"),
        (400 * 86400, "400d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        ((365 * 2 * 24 + 25) * 3600, "2y1d"),
        ((365 * 3 + 50) * 86400, "3y50d"),
        ((365 * 8 * 24 + 2) * 3600, "8y"),
        ((365 * 8 + 50) * 86400, "8y"),
        (365 * 12 * 86400, "12y"),
    ],
)
def test_human_duration_follows_upstream(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


# --- pods ----------------------------------------------------------------------------------------


def test_crash_looping_pod_shows_reason_and_last_restart() -> None:
    crashing = container(
        "app",
        restartCount=3,
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
        lastState={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(45)}},
    )
    obj = pod(statuses=[crashing], spec={"nodeName": "kind-worker"}, status={"podIP": "10.244.1.5"})
    assert cells(PODS, obj) == [
        "web-7d4b9c-x2x", "0/1", "CrashLoopBackOff", "3 (45s ago)", "10m", "10.244.1.5", "kind-worker", "<none>",
        "<none>"
    ]  # fmt: skip


def test_restarts_sum_over_containers_and_take_the_latest_termination() -> None:
    sidecar = container(
        "proxy",
        ready=True,
        state=RUNNING,
        restartCount=1,
        lastState={"terminated": {"exitCode": 137, "finishedAt": ago(3 * 3600)}},
    )
    app = container(
        "app",
        ready=True,
        state=RUNNING,
        restartCount=2,
        lastState={"terminated": {"exitCode": 1, "finishedAt": ago(190)}},
    )
    spec = {"containers": [{"name": "app"}, {"name": "proxy"}]}
    assert cells(PODS, pod(statuses=[app, sidecar], spec=spec))[1:4] == ["2/2", "Running", "3 (3m10s ago)"]


def test_pending_pod_that_is_not_scheduled() -> None:
    unscheduled = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
    obj = pod("queued", phase="Pending", created=5, status={"conditions": [unscheduled]})
    assert cells(PODS, obj) == ["queued", "0/1", "Pending", "0", "5s", "<none>", "<none>", "<none>", "<none>"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"waiting": {"reason": "ContainerCreating"}}, "ContainerCreating"),
        ({"waiting": {"reason": "ImagePullBackOff"}}, "ImagePullBackOff"),
        ({"waiting": {"reason": "ErrImagePull"}}, "ErrImagePull"),
        ({"waiting": {"reason": "CreateContainerConfigError"}}, "CreateContainerConfigError"),
        ({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, "OOMKilled"),
        ({"terminated": {"exitCode": 1, "reason": "Error"}}, "Error"),
        ({"terminated": {"exitCode": 3}}, "ExitCode:3"),
        ({"terminated": {"exitCode": 0, "signal": 9}}, "Signal:9"),
    ],
)
def test_container_state_names_the_pod(state: dict[str, Any], expected: str) -> None:
    assert cells(PODS, pod(phase="Pending", statuses=[container("app", state=state)]))[2] == expected


@pytest.mark.parametrize(
    ("init_state", "expected"),
    [
        ({"waiting": {"reason": "PodInitializing"}}, "Init:0/1"),
        ({"running": {}}, "Init:0/1"),
        ({"waiting": {"reason": "CrashLoopBackOff"}}, "Init:CrashLoopBackOff"),
        ({"terminated": {"exitCode": 1, "reason": "Error"}}, "Init:Error"),
        ({"terminated": {"exitCode": 2}}, "Init:ExitCode:2"),
    ],
)
def test_init_containers_name_the_pod_while_initializing(init_state: dict[str, Any], expected: str) -> None:
    obj = pod(
        phase="Pending",
        spec={"initContainers": [{"name": "migrate"}]},
        status={"initContainerStatuses": [container("migrate", state=init_state, restartCount=2)]},
        statuses=[container("app", state={"waiting": {"reason": "PodInitializing"}})],
    )
    assert cells(PODS, obj)[1:4] == ["0/1", expected, "2"]


def test_sidecar_init_container_counts_as_a_container() -> None:
    spec = {"initContainers": [{"name": "mesh", "restartPolicy": "Always"}]}
    mesh = container("mesh", started=True, ready=True, state=RUNNING, restartCount=1)
    initialized = {"type": "Initialized", "status": "True"}
    obj = pod(
        spec=spec,
        status={"initContainerStatuses": [mesh], "conditions": [initialized]},
        statuses=[container("app", ready=True, state=RUNNING)],
    )
    assert cells(PODS, obj)[1:4] == ["2/2", "Running", "1"]


def test_terminating_and_node_lost_pods() -> None:
    running = [container("app", ready=True, state=RUNNING)]
    assert cells(PODS, pod(statuses=running, deletionTimestamp=ago(3)))[2] == "Terminating"
    lost = pod(statuses=running, deletionTimestamp=ago(3), status={"reason": "NodeLost"})
    assert cells(PODS, lost)[2] == "Unknown"
    assert cells(PODS, pod(statuses=running, status={"reason": "NodeLost"}))[2] == "NodeLost"
    finished = pod(phase="Succeeded", deletionTimestamp=ago(3))
    assert cells(PODS, finished)[2] == "Succeeded"


def test_completed_pod_row_is_marked_completed() -> None:
    done = container("app", state={"terminated": {"exitCode": 0, "reason": "Completed"}})
    rendered = table(PODS, pod(phase="Succeeded", statuses=[done]))
    assert rendered["rows"][0]["cells"][1:4] == ["0/1", "Completed", "0"]
    assert rendered["rows"][0]["conditions"] == [
        {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
    ]
    assert "conditions" not in table(PODS, pod())["rows"][0]


def test_completed_container_next_to_a_running_one() -> None:
    statuses = [
        container("job", state={"terminated": {"exitCode": 0, "reason": "Completed"}}),
        container("sidecar", ready=True, state=RUNNING),
    ]
    spec = {"containers": [{"name": "job"}, {"name": "sidecar"}]}
    assert cells(PODS, pod(statuses=statuses, spec=spec))[1:3] == ["1/2", "NotReady"]
    ready = {"conditions": [{"type": "Ready", "status": "True"}]}
    assert cells(PODS, pod(statuses=statuses, spec=spec, status=ready))[2] == "Running"


def test_pod_wide_cells() -> None:
    gates = {"readinessGates": [{"conditionType": "lb/ready"}, {"conditionType": "mesh/ready"}], "nodeName": "n1"}
    status = {
        "podIPs": [{"ip": "10.0.0.7"}, {"ip": "fd00::7"}],
        "nominatedNodeName": "n2",
        "conditions": [{"type": "lb/ready", "status": "True"}, {"type": "mesh/ready", "status": "False"}],
    }
    assert cells(PODS, pod(spec=gates, status=status))[5:] == ["10.0.0.7", "n1", "n2", "1/2"]


# --- workloads -----------------------------------------------------------------------------------


def test_deployment_mid_rollout() -> None:
    deployment = {
        "metadata": meta("web", created=2 * 86400 + 3600),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web", "tier": "front"}},
            "template": {
                "spec": {
                    "containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log", "image": "fluent-bit:3"}]
                }
            },
        },
        "status": {"replicas": 4, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2},
    }
    rendered = table(DEPLOYMENTS, deployment)
    assert headers(rendered) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert headers(rendered, wide=True)[5:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert rendered["rows"][0]["cells"] == [
        "web", "2/3", 1, 2, "2d1h", "web,log", "nginx:1.27,fluent-bit:3", "app=web,tier=front"
    ]  # fmt: skip


def test_replica_set_stateful_set_and_daemon_set() -> None:
    template = {"spec": {"containers": [{"name": "db", "image": "postgres:16"}], "nodeSelector": {"disk": "ssd"}}}
    selector = {
        "matchLabels": {"app": "db"},
        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}],
    }
    spec = {"replicas": 2, "selector": selector, "template": template}
    rs = {"metadata": meta("db-5f7"), "spec": spec, "status": {"replicas": 2, "readyReplicas": 1}}
    assert cells(builtin("apps", "v1", "replicasets"), rs) == [
        "db-5f7", 2, 2, 1, "10m", "db", "postgres:16", "app=db,env in (dev,prod)"
    ]  # fmt: skip
    sts = {"metadata": meta("db"), "spec": spec, "status": {"readyReplicas": 2}}
    assert cells(builtin("apps", "v1", "statefulsets"), sts) == ["db", "2/2", "10m", "db", "postgres:16"]
    counts = {
        "desiredNumberScheduled": 3,
        "currentNumberScheduled": 3,
        "numberReady": 2,
        "updatedNumberScheduled": 3,
        "numberAvailable": 2,
    }
    ds = {"metadata": meta("agent"), "spec": {"selector": selector, "template": template}, "status": counts}
    assert cells(builtin("apps", "v1", "daemonsets"), ds) == [
        "agent", 3, 3, 2, 3, 2, "disk=ssd", "10m", "db", "postgres:16", "app=db,env in (dev,prod)"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"type": "Complete", "status": "True"}], "Complete"),
        ([{"type": "Failed", "status": "True"}], "Failed"),
        ([{"type": "Suspended", "status": "True"}], "Suspended"),
        ([{"type": "FailureTarget", "status": "True"}], "FailureTarget"),
        ([{"type": "Complete", "status": "False"}], "Running"),
    ],
)
def test_job_status(conditions: list[dict[str, str]], expected: str) -> None:
    job = {"metadata": meta("backup"), "spec": {"completions": 1}, "status": {"conditions": conditions}}
    assert cells(builtin("batch", "v1", "jobs"), job)[1] == expected


def test_job_completions_and_duration() -> None:
    jobs = builtin("batch", "v1", "jobs")
    done = {
        "metadata": meta("backup"),
        "spec": {"completions": 3, "template": {"spec": {"containers": []}}},
        "status": {
            "succeeded": 3,
            "startTime": ago(500),
            "completionTime": ago(377),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    assert cells(jobs, done) == ["backup", "Complete", "3/3", "2m3s", "10m", "", "", "<none>"]
    running = {"metadata": meta("crunch"), "spec": {"parallelism": 4}, "status": {"startTime": ago(30)}}
    assert cells(jobs, running)[2:4] == ["0/1 of 4", "30s"]
    assert cells(jobs, {"metadata": meta("new"), "spec": {}})[2:4] == ["0/1", ""]


def test_cron_job() -> None:
    cron = {
        "metadata": meta("nightly", created=3 * 86400),
        "spec": {
            "schedule": "0 2 * * *",
            "timeZone": "Europe/Paris",
            "suspend": False,
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:1"}]}}}},
        },
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(36000)},
    }
    assert cells(builtin("batch", "v1", "cronjobs"), cron) == [
        "nightly", "0 2 * * *", "Europe/Paris", "False", 1, "10h", "3d", "b", "b:1", "<none>"
    ]  # fmt: skip


# --- nodes, services, networking -----------------------------------------------------------------


def node(name: str, ready: str | None = "True", **spec: Any) -> dict[str, Any]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    info = {
        "kubeletVersion": "v1.35.0",
        "osImage": "Debian GNU/Linux 12 (bookworm)",
        "kernelVersion": "6.1.0-18",
        "containerRuntimeVersion": "containerd://1.7.13",
    }
    addresses = [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": name}]
    labels = {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": name}
    return {
        "metadata": {"name": name, "labels": labels, "creationTimestamp": ago(3 * 86400)},
        "spec": spec,
        "status": {"conditions": conditions, "nodeInfo": info, "addresses": addresses},
    }


def test_cordoned_node() -> None:
    rendered = table(NODES, node("kind-control-plane", unschedulable=True))
    assert headers(rendered) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert headers(rendered, wide=True)[5:] == [
        "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"
    ]  # fmt: skip
    assert rendered["rows"][0]["cells"] == [
        "kind-control-plane", "Ready,SchedulingDisabled", "control-plane", "3d", "v1.35.0", "172.18.0.2", "<none>",
        "Debian GNU/Linux 12 (bookworm)", "6.1.0-18", "containerd://1.7.13"
    ]  # fmt: skip


def test_node_status_and_roles() -> None:
    assert cells(NODES, node("n", ready="Unknown"))[1] == "NotReady"
    assert cells(NODES, node("n", ready="False"))[1] == "NotReady"
    assert cells(NODES, node("n", ready=None))[1] == "Unknown"
    plain = node("worker")
    plain["metadata"]["labels"] = {"kubernetes.io/role": "edge", "node-role.kubernetes.io/gpu": ""}
    assert cells(NODES, plain)[2] == "edge,gpu"
    plain["metadata"]["labels"] = {}
    assert cells(NODES, plain)[2] == "<none>"


def test_services() -> None:
    services = builtin("", "v1", "services")
    web = {
        "metadata": meta("web"),
        "spec": {
            "clusterIP": "10.96.0.10",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
        },
    }
    assert cells(services, web) == ["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "10m", "app=web"]
    node_port = {
        "metadata": meta("np"),
        "spec": {
            "type": "NodePort",
            "clusterIPs": ["10.96.0.11"],
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
        },
    }
    assert cells(services, node_port)[1:5] == ["NodePort", "10.96.0.11", "<none>", "80:30080/TCP"]
    balancer = {"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.12"}}
    assert cells(services, balancer)[3:5] == ["<pending>", "<none>"]
    balancer["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}]}}
    assert cells(services, balancer)[3] == "203.0.113.9,lb.example.com"
    headless = {"metadata": meta("db"), "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}
    assert cells(services, headless)[2:6] == ["None", "<none>", "5432/TCP", "10m"]


def test_endpoints_and_ingress() -> None:
    subset = {"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 5)], "ports": [{"port": 8080}]}
    endpoints = {"metadata": meta("web"), "subsets": [subset]}
    assert (
        cells(builtin("", "v1", "endpoints"), endpoints)[1] == "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more..."
    )
    assert cells(builtin("", "v1", "endpoints"), {"metadata": meta("none")})[1] == "<none>"
    ingress = {
        "metadata": meta("site"),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["a.example"]}],
            "rules": [{"host": "a.example"}, {"host": "b.example"}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}},
    }
    ingresses = builtin("networking.k8s.io", "v1", "ingresses")
    assert cells(ingresses, ingress) == ["site", "nginx", "a.example,b.example", "192.0.2.1", "80, 443", "10m"]
    ingress["spec"] = {"rules": [{"host": f"{c}.example"} for c in "abcde"]}
    assert cells(ingresses, ingress)[1:3] == ["<none>", "a.example,b.example,c.example + 2 more..."]
    ingress["spec"] = {"rules": [{}, {"host": "a.example"}, {"host": "b.example"}, {"host": "c.example"}]}
    assert cells(ingresses, ingress)[2:5] == ["a.example,b.example,c.example", "192.0.2.1", "80"]
    ingress["spec"] = {"rules": [{}]}
    assert cells(ingresses, ingress)[2] == "*"


# --- events and autoscalers ----------------------------------------------------------------------


def test_event_seen_three_times() -> None:
    event = {
        "metadata": meta("web-1.17f2a3b4c5d6e7f8", created=600),
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"},
        "reason": "BackOff",
        "type": "Warning",
        "message": "Back-off restarting failed container app\n",
        "source": {"component": "kubelet", "host": "kind-worker"},
        "firstTimestamp": ago(600),
        "lastTimestamp": ago(300),
        "count": 3,
    }
    rendered = table(EVENTS, event)
    assert headers(rendered) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert headers(rendered, wide=True) == [
        "LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"
    ]  # fmt: skip
    assert rendered["rows"][0]["cells"] == [
        "5m",
        "Warning",
        "BackOff",
        "pod/web-1",
        "spec.containers{app}",
        "kubelet, kind-worker",
        "Back-off restarting failed container app",
        "10m",
        3,
        "web-1.17f2a3b4c5d6e7f8",
    ]


def test_events_k8s_io_event_with_series() -> None:
    event = {
        "metadata": meta("web.1", created=900),
        "regarding": {"kind": "Deployment", "name": "web"},
        "reason": "ScalingReplicaSet",
        "type": "Normal",
        "note": "Scaled up replica set web-5f7 to 3",
        "eventTime": ago(900),
        "reportingController": "deployment-controller",
        "series": {"count": 4, "lastObservedTime": ago(60)},
    }
    assert cells(builtin("events.k8s.io", "v1", "events"), event) == [
        "60s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller",
        "Scaled up replica set web-5f7 to 3", "15m", 4, "web.1"
    ]  # fmt: skip
    singleton = {"metadata": meta("x"), "involvedObject": {"kind": "Node"}, "eventTime": ago(30)}
    assert cells(EVENTS, singleton)[0:4] + cells(EVENTS, singleton)[7:9] == ["30s", "", "", "node", "30s", 1]


def hpa(metrics: list[dict[str, Any]], current: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": meta("web", created=3600),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": metrics,
        },
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": current},
    }


CPU_80 = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}


def test_hpa_v2_cpu_target_and_current_value() -> None:
    current = [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "45m"}}}
    ]
    rendered = table(HPA_V2, hpa([CPU_80], current))
    assert headers(rendered) == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert rendered["rows"][0]["cells"] == ["web", "Deployment/web", "cpu: 45%/80%", "2", 10, 3, "60m"]
    assert cells(HPA_V2, hpa([CPU_80], []))[2] == "cpu: <unknown>/80%"


def test_hpa_v2_other_metric_kinds_and_overflow() -> None:
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "0.5Gi"}},
    }
    pods = {
        "type": "Pods",
        "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "1k"}},
    }
    current = [
        {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "268435456"}}},
        {"type": "Pods", "pods": {"metric": {"name": "rps"}, "current": {"averageValue": "1500m"}}},
    ]
    assert cells(HPA_V2, hpa([memory, pods], current))[2] == "memory: 268435456/512Mi, 1500m/1k"
    assert cells(HPA_V2, hpa([memory, pods, CPU_80], []))[2] == "memory: <unknown>/512Mi, <unknown>/1k + 1 more..."
    assert cells(HPA_V2, hpa([], []))[2] == "<none>"


def test_hpa_v1_cpu_percentage() -> None:
    v1 = {
        "metadata": meta("api"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "api"},
            "minReplicas": 1,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 50,
        },
        "status": {"currentReplicas": 2, "currentCPUUtilizationPercentage": 30},
    }
    assert cells(HPA_V1, v1) == ["api", "Deployment/api", "cpu: 30%/50%", "1", 5, 2, "10m"]
    del v1["status"]["currentCPUUtilizationPercentage"]
    assert cells(HPA_V1, v1)[2] == "cpu: <unknown>/50%"


# --- configuration, storage, access, metrics -----------------------------------------------------


def test_metadata_shaped_kinds() -> None:
    namespace = {"metadata": meta("team-a"), "status": {"phase": "Terminating"}}
    assert cells(builtin("", "v1", "namespaces"), namespace) == ["team-a", "Terminating", "10m"]
    config = {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert cells(builtin("", "v1", "configmaps"), config) == ["cfg", 3, "10m"]
    secret = {"metadata": meta("tls"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}
    assert cells(builtin("", "v1", "secrets"), secret) == ["tls", "kubernetes.io/tls", 2, "10m"]
    account = {"metadata": meta("default")}
    assert cells(builtin("", "v1", "serviceaccounts"), account) == ["default", 0, "10m"]
    lease = {"metadata": meta("kaido"), "spec": {"holderIdentity": "kaido-0_abc"}}
    assert cells(builtin("coordination.k8s.io", "v1", "leases"), lease) == ["kaido", "kaido-0_abc", "10m"]
    policy = {"metadata": meta("deny"), "spec": {"podSelector": {}}}
    assert cells(builtin("networking.k8s.io", "v1", "networkpolicies"), policy) == ["deny", "<none>", "10m"]
    budget = {"metadata": meta("web"), "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}}
    assert cells(builtin("policy", "v1", "poddisruptionbudgets"), budget) == ["web", "50%", "N/A", 1, "10m"]


def test_resource_quota_splits_requests_and_limits() -> None:
    quota = {
        "metadata": meta("compute"),
        "status": {
            "hard": {"requests.cpu": "2", "requests.memory": "4Gi", "limits.cpu": "4", "pods": "10"},
            "used": {"requests.cpu": "500m", "requests.memory": "1Gi", "limits.cpu": "1"},
        },
    }
    rendered = table(builtin("", "v1", "resourcequotas"), quota)
    assert headers(rendered) == ["NAME", "REQUEST", "LIMIT", "AGE"]
    assert rendered["rows"][0]["cells"] == [
        "compute", "pods: 0/10, requests.cpu: 500m/2, requests.memory: 1Gi/4Gi", "limits.cpu: 1/4", "10m"
    ]  # fmt: skip


def test_volumes_and_claims() -> None:
    pv = {
        "metadata": meta("pv-1"),
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "standard",
            "claimRef": {"namespace": "default", "name": "data"},
        },
        "status": {"phase": "Bound"},
    }
    assert cells(builtin("", "v1", "persistentvolumes"), pv) == [
        "pv-1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "standard", "<unset>", "", "10m", "<unset>"
    ]  # fmt: skip
    claims = builtin("", "v1", "persistentvolumeclaims")
    pending = {
        "metadata": meta("data"),
        "spec": {"storageClassName": "standard", "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"},
    }
    assert cells(claims, pending) == ["data", "Pending", "", "", "", "standard", "<unset>", "10m", "Filesystem"]
    bound = {
        "metadata": meta("data"),
        "spec": {"volumeName": "pv-1", "storageClassName": "standard"},
        "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]},
    }
    assert cells(claims, bound)[1:6] == ["Bound", "pv-1", "10Gi", "RWO", "standard"]
    default = {
        "metadata": meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
        "provisioner": "rancher.io/local-path",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    assert cells(builtin("storage.k8s.io", "v1", "storageclasses"), default) == [
        "standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False, "10m"
    ]  # fmt: skip


def test_rbac_kinds() -> None:
    role = {"metadata": {"name": "reader", "creationTimestamp": "2026-02-28T09:30:00Z"}}
    rendered = table(builtin("rbac.authorization.k8s.io", "v1", "roles"), role)
    assert headers(rendered) == ["NAME", "CREATED AT"]
    assert rendered["columnDefinitions"][1]["type"] == "date"
    assert rendered["rows"][0]["cells"] == ["reader", "2026-02-28T09:30:00Z"]
    binding = {
        "metadata": meta("read"),
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "name": "ana"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "namespace": "ci", "name": "bot"},
            {"kind": "User", "name": "bo"},
        ],
    }
    assert cells(builtin("rbac.authorization.k8s.io", "v1", "rolebindings"), binding) == [
        "read", "ClusterRole/view", "10m", "ana, bo", "devs", "ci/bot"
    ]  # fmt: skip


def test_pod_metrics_sum_containers() -> None:
    metrics = {
        "metadata": meta("web-1"),
        "window": "20.043s",
        "timestamp": ago(5),
        "containers": [
            {"name": "app", "usage": {"cpu": "12000000n", "memory": "30Mi"}},
            {"name": "proxy", "usage": {"cpu": "3000000n", "memory": "2Mi"}},
        ],
    }
    rendered = table(builtin("metrics.k8s.io", "v1beta1", "pods"), metrics)
    assert headers(rendered) == ["NAME", "CPU", "MEMORY", "WINDOW"]
    assert rendered["rows"][0]["cells"] == ["web-1", "15m", "32Mi", "20.043s"]
    assert table(builtin("metrics.k8s.io", "v1beta1", "nodes"))["columnDefinitions"] == []


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: f"{r.group or 'core'}/{r.version}/{r.plural}")
def test_every_kind_fills_every_column(resource: ResourceType) -> None:
    bare = {"metadata": {"name": "x"}}
    rendered = table(resource, bare)
    assert len(rendered["rows"][0]["cells"]) == len(rendered["columnDefinitions"])
    assert rendered["rows"][0]["cells"][0] in ("x", "<unknown>")  # events lead with LAST SEEN


# --- the Table envelope --------------------------------------------------------------------------


def test_table_envelope_and_include_object_variants() -> None:
    obj = pod()
    rendered = table(PODS, obj, continue_token="eyJ2IjoxfQ")
    assert rendered["kind"] == "Table"
    assert rendered["apiVersion"] == "meta.k8s.io/v1"
    assert rendered["metadata"] == {"resourceVersion": "42", "continue": "eyJ2IjoxfQ"}
    name_column = rendered["columnDefinitions"][0]
    assert name_column["description"].startswith("Name must be unique within a namespace.")
    assert name_column | {"description": ""} == {
        "name": "Name", "type": "string", "format": "name", "description": "", "priority": 0
    }  # fmt: skip
    assert rendered["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }
    assert table(PODS, obj, include_object="Object")["rows"][0]["object"] == obj
    bare = {"metadata": meta("x")}
    assert table(HPA_V1, bare, include_object="Object")["rows"][0]["object"] == {
        "kind": "HorizontalPodAutoscaler",
        "apiVersion": "autoscaling/v1",
        "metadata": bare["metadata"],
    }
    assert table(PODS, obj, include_object="None")["rows"][0]["object"] is None
    assert "continue" not in table(PODS, obj)["metadata"]


def test_pod_columns_default_and_wide() -> None:
    rendered = table(PODS)
    assert rendered["rows"] == []
    assert headers(rendered) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert headers(rendered, wide=True) == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"
    ]  # fmt: skip


def test_watch_events_after_the_first_carry_no_columns() -> None:
    rendered = table(PODS, pod(), include_columns=False)
    assert rendered["columnDefinitions"] == []
    assert len(rendered["rows"][0]["cells"]) == 9


def test_unknown_include_object_is_a_bad_request() -> None:
    with pytest.raises(ApiError) as raised:
        table(PODS, pod(), include_object="Everything")
    assert raised.value.code == 400


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (KUBECTL_ACCEPT, True),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", True),
        ("application/json; as=Table; g=meta.k8s.io; v=v1", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", False),
        ("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io", True),
        ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0, application/json", False),
        ("application/json;as=Table;v=v2;g=meta.k8s.io, application/json", False),
        ("application/json;as=Table;v=v1;g=example.com", False),
        ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", False),
        ("application/vnd.kubernetes.protobuf, application/json;as=Table;v=v1;g=meta.k8s.io", True),
        ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", False),
    ],
)
def test_wants_table(accept: str, expected: bool) -> None:
    assert wants_table(accept) is expected
