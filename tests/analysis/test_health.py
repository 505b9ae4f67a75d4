"""Pod and node health rules on bodies shaped like the kubelet's (and the simulator's) statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kaido.analysis.findings import Finding
from kaido.analysis.health import HealthSettings, node_findings, pod_findings, summarize
from kaido.core.refs import ObjectRef

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
SETTINGS = HealthSettings()


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def terminated(reason: str = "Error", code: int = 1, *, finished: float = 20, ran: float = 5) -> dict[str, Any]:
    return {
        "terminated": {
            "exitCode": code,
            "reason": reason,
            "startedAt": ago(finished + ran),
            "finishedAt": ago(finished),
            "containerID": "containerd://0f3a",
        }
    }


def container(
    name: str = "app",
    state: dict | None = None,
    *,
    restarts: int = 0,
    last: dict | None = None,
    ready: bool | None = None,
) -> dict[str, Any]:
    state = state or {"running": {"startedAt": ago(600)}}
    return {
        "name": name,
        "state": state,
        "lastState": last or {},
        "ready": ("running" in state) if ready is None else ready,
        "restartCount": restarts,
        "image": "docker.io/kaido/web:1.0",
        "imageID": "docker.io/kaido/web@sha256:5e1f",
        "started": "running" in state,
    }


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}}


def cond(kind: str, status: str, since: float, reason: str = "", message: str = "") -> dict[str, Any]:
    out = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": ago(since)}
    out.update({k: v for k, v in (("reason", reason), ("message", message)) if v})
    return out


def pod(
    *containers: dict[str, Any],
    phase: str = "Running",
    created: float = 900,
    started: float | None = 899,
    ready_since: float = 880,
    init: tuple[dict[str, Any], ...] = (),
    conditions: list[dict[str, Any]] | None = None,
    **status: Any,
) -> dict[str, Any]:
    """A pod of the chatbot-dev backend Deployment, with the kubelet's five conditions."""
    containers = containers or (container(),)
    unready = [c["name"] for c in containers if not c["ready"]]
    if phase in ("Succeeded", "Failed"):
        ready = cond("Ready", "False", ready_since, "PodCompleted" if phase == "Succeeded" else "PodFailed")
    elif unready:
        message = f"containers with unready status: [{' '.join(unready)}]"
        ready = cond("Ready", "False", ready_since, "ContainersNotReady", message)
    else:
        ready = cond("Ready", "True", ready_since)
    body: dict[str, Any] = {
        "metadata": {
            "name": "backend-7d9f-x2",
            "namespace": "chatbot-dev",
            "uid": "0b7c",
            "creationTimestamp": ago(created),
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "backend-7d9f", "controller": True}
            ],
        },
        "spec": {
            "nodeName": "kaido-worker-1",
            "containers": [{"name": c["name"], "image": "kaido/web:1.0"} for c in containers],
            "initContainers": [{"name": c["name"], "image": "busybox:1.36"} for c in init],
        },
        "status": {
            "phase": phase,
            "conditions": conditions
            if conditions is not None
            else [
                cond("PodReadyToStartContainers", "True", 898),
                cond("Initialized", "True", 898),
                ready,
                {**ready, "type": "ContainersReady"},
                cond("PodScheduled", "True", 899),
            ],
            "containerStatuses": list(containers),
            **status,
        },
    }
    if init:
        body["status"]["initContainerStatuses"] = list(init)
    if started is not None:
        body["status"]["startTime"] = ago(started)
    return body


def kinds(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.kind, f.severity, f.container) for f in findings]


CRASH = waiting(
    "CrashLoopBackOff", "back-off 40s restarting failed container=app pod=backend-7d9f-x2_chatbot-dev(0b7c)"
)
PULL_ERROR = 'failed to pull and unpack image "docker.io/kaido/web:1.1": not found'
PENDING_CONDITIONS = [cond("PodScheduled", "True", 119), cond("Ready", "False", 119, "ContainersNotReady")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(pod(), [], id="healthy"),
        pytest.param(
            pod(container(state=CRASH, restarts=4, last=terminated())),
            [("crash-loop-back-off", "critical", "app")],
            id="crash-loop-explains-not-ready",
        ),
        pytest.param(
            pod(container(state=CRASH, restarts=3, last=terminated("OOMKilled", 137, finished=700))),
            [("crash-loop-back-off", "critical", "app"), ("oom-killed", "warning", "app")],
            id="oom-then-back-off-counts-however-old",
        ),
        pytest.param(
            pod(container(restarts=1, last=terminated("OOMKilled", 137, finished=31))),
            [("oom-killed", "warning", "app")],
            id="oom-recent-and-running-again",
        ),
        pytest.param(
            pod(container(restarts=1, last=terminated("OOMKilled", 137, finished=301))),
            [],
            id="oom-outside-the-window-and-running-since",
        ),
        pytest.param(
            pod(
                container(state=waiting("ImagePullBackOff", f"Back-off pulling image: {PULL_ERROR}")),
                phase="Pending",
                created=400,
                conditions=PENDING_CONDITIONS,
            ),
            [("image-pull-back-off", "critical", "app")],
            id="image-pull-back-off-explains-pending",
        ),
        pytest.param(
            pod(container(state=waiting("ErrImagePull", PULL_ERROR)), phase="Pending", created=5),
            [("image-pull-back-off", "critical", "app")],
            id="err-image-pull-needs-no-grace",
        ),
        pytest.param(
            pod(container(state=waiting("InvalidImageName", "couldn't parse image name")), phase="Pending"),
            [("image-pull-back-off", "critical", "app")],
            id="invalid-image-name",
        ),
        pytest.param(
            pod(
                container(state=waiting("CreateContainerConfigError", 'configmap "app-config" not found')),
                phase="Pending",
            ),
            [("container-config-error", "critical", "app")],
            id="config-error",
        ),
        pytest.param(
            pod(container(state=waiting("ContainerCreating")), phase="Pending", created=59, started=58),
            [],
            id="creating-within-grace",
        ),
        pytest.param(
            pod(container(state=waiting("ContainerCreating")), phase="Pending", created=61, started=60),
            [("pod-pending", "warning", None)],
            id="creating-past-grace",
        ),
        pytest.param(
            pod(
                container(state=waiting("PodInitializing")),
                init=(container("migrate", state=CRASH, restarts=2, last=terminated()),),
                phase="Pending",
            ),
            [("crash-loop-back-off", "critical", "migrate")],
            id="init-container-crash-loop",
        ),
        pytest.param(pod(container(ready=False), ready_since=59), [], id="not-ready-within-grace"),
        pytest.param(
            pod(container(ready=False), ready_since=60), [("pod-not-ready", "warning", None)], id="not-ready-at-grace"
        ),
        pytest.param(
            pod(container(ready=False), ready_since=600, started=30), [], id="not-ready-but-started-within-grace"
        ),
        pytest.param(
            pod(container(ready=False), phase="Unknown", ready_since=120),
            [("pod-not-ready", "warning", None)],
            id="unknown-phase-on-a-lost-node",
        ),
        pytest.param(
            pod(container(state=terminated("Completed", 0, finished=100)), phase="Succeeded"), [], id="succeeded"
        ),
        pytest.param(
            pod(container(state=terminated("Error", 3, finished=100)), phase="Failed"),
            [("pod-failed", "warning", None)],
            id="failed",
        ),
        pytest.param(
            pod(container(state=terminated("OOMKilled", 137, finished=100)), phase="Failed"),
            [("oom-killed", "warning", "app"), ("pod-failed", "warning", None)],
            id="failed-by-oom",
        ),
    ],
)
def test_pod_findings(body, expected) -> None:
    assert kinds(pod_findings(body, now=NOW, settings=SETTINGS)) == expected


def test_a_pod_being_deleted_is_not_reported() -> None:
    body = pod(container(state=CRASH, restarts=9, last=terminated()))
    body["metadata"]["deletionTimestamp"] = ago(1)
    assert pod_findings(body, now=NOW, settings=SETTINGS) == []


def test_crash_loop_summary_evidence_and_workload() -> None:
    body = pod(container(state=CRASH, restarts=4, last=terminated()))
    replicaset = {"metadata": {"name": "backend-7d9f", "ownerReferences": [{"kind": "Deployment", "name": "backend"}]}}
    (finding,) = pod_findings(body, now=NOW, settings=SETTINGS, owner_lookup=lambda kind, ns, name: replicaset)
    assert finding.summary == (
        "container app of pod chatbot-dev/backend-7d9f-x2 is in CrashLoopBackOff after 4 restarts "
        "(last exit: Error, code 1)"
    )
    assert finding.target == ObjectRef(kind="Pod", name="backend-7d9f-x2", namespace="chatbot-dev", uid="0b7c")
    assert finding.workload == ObjectRef(kind="Deployment", name="backend", namespace="chatbot-dev")
    assert finding.evidence == (
        "container app: waiting CrashLoopBackOff: back-off 40s restarting failed container=app "
        "pod=backend-7d9f-x2_chatbot-dev(0b7c); last terminated 2026-03-01T12:29:40Z with Error (exit code 1); "
        "restarts 4",
    )
    assert finding.observed_at == NOW
    assert finding.value("restarts") == 4


def test_summaries_name_the_cause() -> None:
    image = pod(container(state=waiting("ImagePullBackOff", PULL_ERROR)), phase="Pending")
    assert pod_findings(image, now=NOW, settings=SETTINGS)[0].summary == (
        "container app of pod chatbot-dev/backend-7d9f-x2 cannot pull image kaido/web:1.0 (ImagePullBackOff)"
    )
    config = pod(container(state=waiting("CreateContainerConfigError", 'secret "db" not found')), phase="Pending")
    assert pod_findings(config, now=NOW, settings=SETTINGS)[0].summary == (
        'container app of pod chatbot-dev/backend-7d9f-x2 cannot start: secret "db" not found '
        "(CreateContainerConfigError)"
    )
    oom = pod(container(restarts=1, last=terminated("OOMKilled", 137, finished=31)))
    oom["spec"]["containers"][0]["resources"] = {"limits": {"memory": "512Mi"}}
    assert pod_findings(oom, now=NOW, settings=SETTINGS)[0].summary == (
        "container app of pod chatbot-dev/backend-7d9f-x2 was OOMKilled at its 512Mi memory limit "
        "(finished 2026-03-01T12:29:29Z); restarted 1 time"
    )
    evicted = pod(
        container(state=terminated("Error", 137, finished=100)),
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory.",
    )
    assert pod_findings(evicted, now=NOW, settings=SETTINGS)[0].summary == (
        "pod chatbot-dev/backend-7d9f-x2 failed: Evicted: The node was low on resource: memory."
    )
    failed = pod(container(state=terminated("Error", 3, finished=100)), phase="Failed")
    assert pod_findings(failed, now=NOW, settings=SETTINGS)[0].summary == (
        "pod chatbot-dev/backend-7d9f-x2 failed: container app exited with code 3 (Error)"
    )


def test_not_ready_summary_and_evidence() -> None:
    body = pod(container(ready=False), ready_since=150)
    (finding,) = pod_findings(body, now=NOW, settings=SETTINGS)
    assert finding.summary == (
        "pod chatbot-dev/backend-7d9f-x2 has not been Ready for 2 min 30 s (grace 1 min): "
        "containers with unready status: [app]"
    )
    assert finding.evidence[:3] == (
        "condition Ready=False (ContainersNotReady): containers with unready status: [app] since 2026-03-01T12:27:30Z",
        "condition ContainersReady=False (ContainersNotReady): containers with unready status: [app] "
        "since 2026-03-01T12:27:30Z",
        "on node kaido-worker-1",
    )
    assert (finding.value("not_ready_seconds"), finding.value("grace_seconds")) == (150, 60)


def test_unschedulable_pod_is_pending_with_the_schedulers_message() -> None:
    message = (
        "0/3 nodes are available: 3 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    conditions = [cond("PodScheduled", "False", 119, "Unschedulable", message)]
    body = pod(phase="Pending", created=120, started=None, conditions=conditions)
    del body["status"]["containerStatuses"]
    (finding,) = pod_findings(body, now=NOW, settings=SETTINGS)
    assert finding.kind == "pod-pending"
    assert (
        finding.summary
        == f"pod chatbot-dev/backend-7d9f-x2 has been Pending for 2 min: it cannot be scheduled: {message}"
    )
    assert finding.evidence[0] == f"condition PodScheduled=False (Unschedulable): {message} since 2026-03-01T12:28:01Z"
    young = pod(phase="Pending", created=30, started=None, conditions=conditions)
    assert pod_findings(young, now=NOW, settings=SETTINGS) == []


def test_a_pod_without_status_is_pending_once_past_grace() -> None:
    body = {"metadata": {"name": "new", "namespace": "default", "creationTimestamp": ago(90)}, "spec": {}}
    (finding,) = pod_findings(body, now=NOW, settings=SETTINGS)
    assert finding.summary == "pod default/new has been Pending for 1 min 30 s"
    assert finding.workload is None


def test_grace_periods_come_from_the_settings() -> None:
    patient = HealthSettings(not_ready_grace=600, pending_grace=600)
    assert pod_findings(pod(container(ready=False), ready_since=300), now=NOW, settings=patient) == []
    creating = pod(container(state=waiting("ContainerCreating")), phase="Pending", created=300, started=299)
    assert pod_findings(creating, now=NOW, settings=patient) == []


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pod_findings(pod(), now=NOW.replace(tzinfo=None), settings=SETTINGS)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"restart_threshold": -1}, "restart_threshold=-1"),
        ({"restart_window": 0}, "restart_window=0"),
        ({"not_ready_grace": -5}, "not_ready_grace=-5"),
        ({"pending_grace": -1.0}, "pending_grace=-1.0"),
    ],
)
def test_settings_are_validated(fields, message) -> None:
    with pytest.raises(ValueError, match=message):
        HealthSettings(**fields)


# ----- nodes -----------------------------------------------------------------------------------------------


def node(*conditions: dict[str, Any], unschedulable: bool = False, taints: list | None = None, created: float = 86400):
    healthy = [
        cond("MemoryPressure", "False", 3600, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", 3600, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", 3600, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", 3600, "KubeletReady", "kubelet is posting ready status"),
    ]
    replaced = {c["type"] for c in conditions}
    spec: dict[str, Any] = {"podCIDR": "10.244.2.0/24"}
    if unschedulable:
        spec["unschedulable"] = True
    if taints:
        spec["taints"] = taints
    return {
        "metadata": {"name": "kaido-worker-2", "uid": "n2", "creationTimestamp": ago(created)},
        "spec": spec,
        "status": {"conditions": [c for c in healthy if c["type"] not in replaced] + list(conditions)},
    }


LOST = "Kubelet stopped posting node status."
UNREACHABLE = [
    {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ago(120)},
    {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ago(120)},
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(node(), [], id="healthy"),
        pytest.param(
            node(
                *(
                    cond(k, "Unknown", 120, "NodeStatusUnknown", LOST)
                    for k in ("Ready", "MemoryPressure", "DiskPressure")
                ),
                taints=UNREACHABLE,
            ),
            [("node-not-ready", "critical", None)],
            id="lost-node-is-unknown-not-under-pressure",
        ),
        pytest.param(
            node(cond("Ready", "False", 30, "KubeletNotReady", "PLEG is not healthy")),
            [("node-not-ready", "critical", None)],
            id="not-ready",
        ),
        pytest.param(
            node(
                cond("MemoryPressure", "True", 60, "KubeletHasInsufficientMemory"),
                cond("DiskPressure", "True", 60, "KubeletHasDiskPressure"),
            ),
            [("node-pressure", "warning", None)],
            id="pressure",
        ),
        pytest.param(node(unschedulable=True), [("node-unschedulable", "info", None)], id="cordoned"),
        pytest.param({"metadata": {"name": "n", "creationTimestamp": ago(10)}}, [], id="just-registered"),
        pytest.param(
            {"metadata": {"name": "n", "creationTimestamp": ago(60)}},
            [("node-not-ready", "critical", None)],
            id="never-reported",
        ),
        pytest.param(
            {"metadata": {"name": "n"}}, [("node-not-ready", "critical", None)], id="never-reported-unknown-age"
        ),
    ],
)
def test_node_findings(body, expected) -> None:
    assert kinds(node_findings(body, now=NOW, settings=SETTINGS)) == expected


def test_node_summaries() -> None:
    lost = node(cond("Ready", "Unknown", 120, "NodeStatusUnknown", LOST), taints=UNREACHABLE)
    (finding,) = node_findings(lost, now=NOW, settings=SETTINGS)
    assert finding.summary == f"node kaido-worker-2 is not Ready (Unknown: {LOST}) for 2 min"
    assert finding.target == ObjectRef(kind="Node", name="kaido-worker-2", uid="n2")
    assert finding.evidence == (
        f"condition Ready=Unknown (NodeStatusUnknown): {LOST} since 2026-03-01T12:28:00Z",
        "taint node.kubernetes.io/unreachable:NoSchedule",
        "taint node.kubernetes.io/unreachable:NoExecute",
    )
    pressed = node(cond("MemoryPressure", "True", 60, "KubeletHasInsufficientMemory"), cond("PIDPressure", "True", 60))
    assert node_findings(pressed, now=NOW, settings=SETTINGS)[0].summary == (
        "node kaido-worker-2 reports MemoryPressure and PIDPressure"
    )
    cordoned = node_findings(node(unschedulable=True), now=NOW, settings=SETTINGS)[0]
    assert cordoned.summary == "node kaido-worker-2 is cordoned (spec.unschedulable): no new pods are scheduled on it"


# ----- summary -----------------------------------------------------------------------------------------------


def test_summarize_counts_pods_nodes_and_findings() -> None:
    pods = [
        pod(),
        pod(container(ready=False), ready_since=300),
        pod(container(state=waiting("ContainerCreating")), phase="Pending"),
        pod(container(state=terminated("Completed", 0)), phase="Succeeded"),
        {"metadata": {"name": "bare"}},
    ]
    nodes = [node(), node(cond("Ready", "Unknown", 120)), node(unschedulable=True)]
    findings = [f for p in pods for f in pod_findings(p, now=NOW, settings=SETTINGS)]
    findings += [f for n in nodes for f in node_findings(n, now=NOW, settings=SETTINGS)]
    summary = summarize(pods, nodes, findings)
    assert summary.status == "critical"
    assert summary.to_json() == {
        "status": "critical",
        "pods": {"total": 5, "by_phase": {"Pending": 2, "Running": 2, "Succeeded": 1}, "ready": 1, "not_ready": 1},
        "nodes": {"total": 3, "ready": 2, "not_ready": 1, "unschedulable": 1},
        "findings": {
            "total": 5,
            "by_severity": {"info": 1, "warning": 3, "critical": 1},
            "by_kind": {"node-not-ready": 1, "node-unschedulable": 1, "pod-not-ready": 1, "pod-pending": 2},
        },
    }


def test_summary_status_follows_the_worst_finding() -> None:
    cordoned = node_findings(node(unschedulable=True), now=NOW, settings=SETTINGS)
    assert summarize([pod()], [node()], []).status == "healthy"
    assert summarize([], [], cordoned).status == "healthy"
    warning = pod_findings(pod(container(ready=False), ready_since=300), now=NOW, settings=SETTINGS)
    assert summarize([], [], [*cordoned, *warning]).status == "degraded"
    assert summarize([], [], []).to_json()["findings"] == {
        "total": 0,
        "by_severity": {"info": 0, "warning": 0, "critical": 0},
        "by_kind": {},
    }
