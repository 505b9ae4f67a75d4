"""The simulated kubelet on virtual time: pull, config, start, probes, restarts, logs and metrics.

Pods are bound by hand (spec.nodeName) to the three default nodes; the runtime runs the node
lifecycle controller and the kubelet. Reasons and messages are upstream's (kubelet 1.35).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.kubelet import KubeletController
from kaido.sim.logs import LogOptions
from kaido.sim.nodes import NodeLifecycleController, default_nodes
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

PODS = builtin("", "v1", "pods")
EVENTS = builtin("", "v1", "events")
NODES = builtin("", "v1", "nodes")
LEASES = builtin("coordination.k8s.io", "v1", "leases")
CONFIGMAPS = builtin("", "v1", "configmaps")


def make_pod(cluster: SimCluster, name: str, *containers: dict[str, Any], node: str = "kaido-worker-1", **spec: Any):
    """Create a pod already bound to `node` (the scheduler's job is someone else's)."""
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"nodeName": node, "containers": list(containers), **spec},
    }
    return cluster.ops.create(PODS, "default", body)


def pod(cluster: SimCluster, name: str) -> dict[str, Any]:
    return cluster.store.get(PODS, "default", name)


def container(cluster: SimCluster, name: str, index: int = 0) -> dict[str, Any]:
    return pod(cluster, name)["status"]["containerStatuses"][index]


def condition(cluster: SimCluster, name: str, kind: str) -> dict[str, Any]:
    return next(c for c in pod(cluster, name)["status"]["conditions"] if c["type"] == kind)


def events(cluster: SimCluster, name: str) -> list[dict[str, Any]]:
    found = [e for e in cluster.store.list_objects(EVENTS, None) if e["involvedObject"]["name"] == name]
    return sorted(found, key=lambda e: (e["firstTimestamp"], e["reason"]))


def messages(cluster: SimCluster, name: str, reason: str) -> list[str]:
    return [e["message"] for e in events(cluster, name) if e["reason"] == reason]


def count(cluster: SimCluster, name: str, reason: str, message: str) -> int:
    return sum(e["count"] for e in events(cluster, name) if e["reason"] == reason and e["message"] == message)


def state(cluster: SimCluster, name: str) -> tuple[str, str]:
    """(state kind, reason) of the pod's first container, as `kubectl get pods` derives STATUS."""
    current = container(cluster, name)["state"]
    kind = next(iter(current))
    return kind, current[kind].get("reason", "")


@pytest.fixture
def lifecycle() -> NodeLifecycleController:
    return NodeLifecycleController()


@pytest.fixture
def kubelet(lifecycle: NodeLifecycleController) -> KubeletController:
    return KubeletController(nodes=lifecycle)


@pytest.fixture
def runtime(cluster: SimCluster, lifecycle: NodeLifecycleController, kubelet: KubeletController) -> Runtime:
    cluster.apply_manifests(default_nodes())
    runtime = Runtime(cluster, [lifecycle, kubelet])
    runtime.reconcile()
    return runtime


def busybox(script: str, **fields: Any) -> dict[str, Any]:
    return {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", script], **fields}


def nginx(**fields: Any) -> dict[str, Any]:
    return {"name": "app", "image": "nginx:1.27", **fields}


async def test_nginx_becomes_ready_with_conditions_and_events(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "web", nginx(ports=[{"containerPort": 80}]))
    runtime.reconcile()
    first = pod(cluster, "web")["status"]
    assert first["phase"] == "Pending"
    assert (first["hostIP"], first["podIP"]) == ("10.0.0.11", "10.244.1.2")
    assert state(cluster, "web") == ("waiting", "ContainerCreating")
    assert condition(cluster, "web", "PodReadyToStartContainers")["status"] == "True"
    assert condition(cluster, "web", "Ready")["message"] == "containers with unready status: [app]"

    await runtime.advance(3)
    status = pod(cluster, "web")["status"]
    assert status["phase"] == "Running"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    assert condition(cluster, "web", "Ready")["lastTransitionTime"] == "2026-03-01T12:00:03Z"
    app = container(cluster, "web")
    assert app["state"] == {"running": {"startedAt": "2026-03-01T12:00:03Z"}}
    assert (app["ready"], app["started"], app["restartCount"]) == (True, True, 0)
    assert app["image"] == "docker.io/library/nginx:1.27"
    assert app["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert app["containerID"].startswith("containerd://")
    assert status["qosClass"] == "BestEffort"
    assert [(e["reason"], e["message"]) for e in events(cluster, "web")] == [
        ("Pulling", 'Pulling image "nginx:1.27"'),
        ("Created", "Container created"),
        (
            "Pulled",
            'Successfully pulled image "nginx:1.27" in 2.206s (2.206s including waiting). Image size: 72223946 bytes.',
        ),
        ("Started", "Container started"),
    ]
    started = next(e for e in events(cluster, "web") if e["reason"] == "Started")
    assert started["source"] == {"component": "kubelet", "host": "kaido-worker-1"}
    assert started["involvedObject"]["fieldPath"] == "spec.containers{app}"
    logs = cluster.logs.read(("default", "web", "app"), LogOptions())
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in logs


async def test_second_pod_finds_the_image_present_and_gets_the_next_ip(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "one", nginx())
    runtime.reconcile()
    await runtime.advance(4)  # pulling from 1 s to 3.2 s
    make_pod(cluster, "two", nginx())
    runtime.reconcile()
    assert pod(cluster, "two")["status"]["podIP"] == "10.244.1.3"
    assert messages(cluster, "two", "Pulled") == [
        'Container image "nginx:1.27" already present on machine and can be accessed by the pod'
    ]
    assert state(cluster, "two") == ("running", "")


async def test_crash_loop_backs_off_10_20_40_seconds(cluster: SimCluster, runtime: Runtime, client: Any) -> None:
    make_pod(cluster, "crash", busybox("echo starting; sleep 5 && exit 1"))
    runtime.reconcile()
    seen: list[tuple[int, str, str, int]] = []
    for second in range(1, 100):
        await runtime.advance(1)
        app = container(cluster, "crash")
        kind, reason = state(cluster, "crash")
        if not seen or seen[-1][1:] != (kind, reason, app["restartCount"]):
            seen.append((second, kind, reason, app["restartCount"]))
    assert seen[:9] == [
        (1, "running", "", 0),
        (6, "terminated", "Error", 0),
        (7, "running", "", 1),
        (12, "terminated", "Error", 1),
        (13, "waiting", "CrashLoopBackOff", 1),
        (22, "running", "", 2),
        (27, "terminated", "Error", 2),
        (28, "waiting", "CrashLoopBackOff", 2),
        (47, "running", "", 3),
    ]
    assert seen[9:12] == [
        (52, "terminated", "Error", 3),
        (53, "waiting", "CrashLoopBackOff", 3),
        (92, "running", "", 4),
    ]
    assert seen[12:] == [(97, "terminated", "Error", 4), (98, "waiting", "CrashLoopBackOff", 4)]
    uid = pod(cluster, "crash")["metadata"]["uid"]
    backoff = f"Back-off restarting failed container app in pod crash_default({uid})"
    assert count(cluster, "crash", "BackOff", backoff) == 4

    await runtime.advance(60)  # exited at 97, waiting out 80 s
    app = container(cluster, "crash")
    assert app["state"]["waiting"] == {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 1m20s restarting failed container=app pod=crash_default({uid})",
    }
    last = app["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (1, "Error")
    assert (last["startedAt"], last["finishedAt"]) == ("2026-03-01T12:01:32Z", "2026-03-01T12:01:37Z")
    assert pod(cluster, "crash")["status"]["phase"] == "Running"
    previous = await client.get("/api/v1/namespaces/default/pods/crash/log", params={"previous": "true"})
    assert previous.status_code == 200
    assert previous.text == "starting\n"


async def test_missing_image_tag_goes_to_image_pull_back_off(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "typo", nginx(image="nginx:no-such-tag"))
    runtime.reconcile()
    await runtime.advance(1)
    error = (
        'failed to pull and unpack image "docker.io/library/nginx:no-such-tag": failed to resolve reference '
        '"docker.io/library/nginx:no-such-tag": docker.io/library/nginx:no-such-tag: not found'
    )
    assert container(cluster, "typo")["state"] == {"waiting": {"reason": "ErrImagePull", "message": error}}
    assert set(messages(cluster, "typo", "Failed")) == {
        f'Failed to pull image "nginx:no-such-tag": {error}',
        "Error: ErrImagePull",
    }
    await runtime.advance(1)
    assert container(cluster, "typo")["state"] == {
        "waiting": {
            "reason": "ImagePullBackOff",
            "message": f'Back-off pulling image "nginx:no-such-tag": ErrImagePull: {error}',
        }
    }
    assert messages(cluster, "typo", "BackOff") == ['Back-off pulling image "nginx:no-such-tag"']
    assert "Error: ImagePullBackOff" in messages(cluster, "typo", "Failed")
    assert pod(cluster, "typo")["status"]["phase"] == "Pending"
    await runtime.advance(29)  # failed at 1 s, pulled again at 11 s (10 s back-off); the next pull is at 32 s
    assert count(cluster, "typo", "Pulling", 'Pulling image "nginx:no-such-tag"') == 2


async def test_unknown_repository_is_pull_access_denied(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "typo", nginx(image="nginxx:1.27"))
    runtime.reconcile()
    await runtime.advance(1)
    assert container(cluster, "typo")["state"]["waiting"]["message"] == (
        'failed to pull and unpack image "docker.io/library/nginxx:1.27": failed to resolve reference '
        '"docker.io/library/nginxx:1.27": pull access denied, repository does not exist or may require '
        "authorization: server message: insufficient_scope: authorization failed"
    )


async def test_invalid_image_name(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "bad", nginx(image="Nginx:1.27"))
    runtime.reconcile()
    message = (
        'Failed to apply default image tag "Nginx:1.27": couldn\'t parse image name "Nginx:1.27": '
        "invalid reference format: repository name (library/Nginx) must be lowercase"
    )
    assert container(cluster, "bad")["state"] == {"waiting": {"reason": "InvalidImageName", "message": message}}
    assert messages(cluster, "bad", "InspectFailed") == [message]


async def test_missing_config_map_in_env_is_create_container_config_error(
    cluster: SimCluster, runtime: Runtime
) -> None:
    env = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}}]
    make_pod(cluster, "cfg", busybox("echo mode=$MODE; sleep 3600", env=env))
    runtime.reconcile()
    await runtime.advance(2)
    assert container(cluster, "cfg")["state"] == {
        "waiting": {"reason": "CreateContainerConfigError", "message": 'configmap "app-config" not found'}
    }
    assert 'Error: configmap "app-config" not found' in messages(cluster, "cfg", "Failed")
    assert pod(cluster, "cfg")["status"]["phase"] == "Pending"

    cluster.ops.create(CONFIGMAPS, "default", {"metadata": {"name": "app-config"}, "data": {"other": "x"}})
    await runtime.advance(10)
    assert (
        container(cluster, "cfg")["state"]["waiting"]["message"]
        == "couldn't find key mode in ConfigMap default/app-config"
    )
    present = 'Container image "busybox:1.36" already present on machine and can be accessed by the pod'
    assert count(cluster, "cfg", "Pulled", present) == 1  # the retry at 11 s

    cluster.ops.update(
        CONFIGMAPS, "default", "app-config", {"metadata": {"name": "app-config"}, "data": {"mode": "fast"}}
    )
    await runtime.advance(10)
    assert state(cluster, "cfg") == ("running", "")
    assert cluster.logs.read(("default", "cfg", "app"), LogOptions()) == "mode=fast\n"


async def test_missing_secret_in_env_from(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "sec", busybox("sleep 60", envFrom=[{"secretRef": {"name": "db"}}]))
    runtime.reconcile()
    await runtime.advance(2)
    assert container(cluster, "sec")["state"]["waiting"] == {
        "reason": "CreateContainerConfigError",
        "message": 'secret "db" not found',
    }


async def test_missing_config_map_volume_is_failed_mount(cluster: SimCluster, runtime: Runtime) -> None:
    volumes = [{"name": "cfg", "configMap": {"name": "x"}}]
    mounts = [{"name": "cfg", "mountPath": "/etc/app"}]
    make_pod(cluster, "vol", nginx(volumeMounts=mounts), volumes=volumes)
    runtime.reconcile()
    await runtime.advance(30)
    status = pod(cluster, "vol")["status"]
    assert status["phase"] == "Pending"
    assert "podIP" not in status
    assert state(cluster, "vol") == ("waiting", "ContainerCreating")
    assert condition(cluster, "vol", "PodReadyToStartContainers")["status"] == "False"
    failed = 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found'
    assert count(cluster, "vol", "FailedMount", failed) == 5  # at 0, 1, 3, 7, 15 s: back-off doubling
    mount_events = [e for e in events(cluster, "vol") if e["reason"] == "FailedMount"]
    assert all(e["type"] == "Warning" and "fieldPath" not in e["involvedObject"] for e in mount_events)

    await runtime.advance(100)
    timeout = (
        "Unable to attach or mount volumes: unmounted volumes=[cfg], unattached volumes=[cfg], "
        "failed to process volumes=[]: context deadline exceeded"
    )
    assert count(cluster, "vol", "FailedMount", timeout) == 1  # after two minutes

    cluster.ops.create(CONFIGMAPS, "default", {"metadata": {"name": "x"}, "data": {"a": "b"}})
    await runtime.advance(4)  # mounted at the next sync, then 2.2 s of pulling
    assert state(cluster, "vol") == ("running", "")


async def test_memory_leak_is_oom_killed(cluster: SimCluster, runtime: Runtime) -> None:
    limits = {"memory": "64Mi", "cpu": "500m"}
    make_pod(cluster, "leak", {"name": "app", "image": "kaido/leak:1.0", "resources": {"limits": limits}})
    runtime.reconcile()
    await runtime.advance(25)
    app = container(cluster, "leak")
    assert app["restartCount"] == 1
    terminated = app["lastState"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert pod(cluster, "leak")["status"]["qosClass"] == "Guaranteed"


async def test_liveness_probe_on_wrong_port_restarts_the_container(cluster: SimCluster, runtime: Runtime) -> None:
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10, "failureThreshold": 3}
    make_pod(cluster, "live", nginx(livenessProbe=probe))
    runtime.reconcile()
    await runtime.advance(3)
    assert state(cluster, "live") == ("running", "")
    await runtime.advance(30)  # probes 10, 20 and 30 s after the start at 12:00:03
    unhealthy = (
        'Liveness probe failed: Get "http://10.244.1.2:8080/": dial tcp 10.244.1.2:8080: connect: connection refused'
    )
    assert count(cluster, "live", "Unhealthy", unhealthy) == 3
    assert messages(cluster, "live", "Killing") == ["Container app failed liveness probe, will be restarted"]
    app = container(cluster, "live")
    assert (app["restartCount"], app["state"]["running"]["startedAt"]) == (1, "2026-03-01T12:00:33Z")
    assert app["lastState"]["terminated"]["reason"] == "Completed"  # nginx exits 0 on SIGTERM
    assert app["lastState"]["terminated"]["finishedAt"] == "2026-03-01T12:00:33Z"


async def test_exec_liveness_probe_from_the_kubernetes_docs(cluster: SimCluster, runtime: Runtime) -> None:
    script = "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"
    probe = {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5}
    make_pod(cluster, "liveness-exec", busybox(script, livenessProbe=probe))
    runtime.reconcile()
    await runtime.advance(48)  # started at 1 s; the file is gone at 31 s; failures at 31, 36 and 41 s
    failure = "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    assert count(cluster, "liveness-exec", "Unhealthy", failure) == 3
    app = container(cluster, "liveness-exec")
    assert app["restartCount"] == 1
    assert app["lastState"]["terminated"]["exitCode"] == 137


async def test_slow_starter_is_ready_only_after_its_start_time(cluster: SimCluster, runtime: Runtime) -> None:
    probe = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}
    make_pod(
        cluster,
        "slow",
        {"name": "app", "image": "kaido/slow:1.0", "ports": [{"containerPort": 8080}], "readinessProbe": probe},
    )
    runtime.reconcile()
    await runtime.advance(4)  # pulled (3.4 s) and started at 12:00:04
    assert state(cluster, "slow") == ("running", "")
    await runtime.advance(29)
    assert container(cluster, "slow")["ready"] is False
    assert condition(cluster, "slow", "Ready")["status"] == "False"
    assert count(cluster, "slow", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503") == 4
    refused = (
        'Readiness probe failed: Get "http://10.244.1.2:8080/ready": '
        "dial tcp 10.244.1.2:8080: connect: connection refused"
    )
    assert count(cluster, "slow", "Unhealthy", refused) == 2
    await runtime.advance(1)  # the probe at 30 s after the start succeeds
    assert condition(cluster, "slow", "Ready") | {"observedGeneration": 1} == {
        "type": "Ready",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-03-01T12:00:34Z",
        "observedGeneration": 1,
    }
    assert "INFO ready to serve on :8080" in cluster.logs.read(("default", "slow", "app"), LogOptions())


async def test_metrics_are_published_for_running_pods_and_nodes(
    cluster: SimCluster, runtime: Runtime, client: Any
) -> None:
    make_pod(cluster, "web", nginx())
    make_pod(cluster, "api", {"name": "app", "image": "kaido/web:1.0"}, node="kaido-worker-2")
    make_pod(cluster, "typo", nginx(image="nginx:no-such-tag"), node="kaido-worker-2")
    runtime.reconcile()
    await runtime.advance(16)
    assert set(cluster.pod_metrics) == {("default", "web"), ("default", "api")}
    web = cluster.pod_metrics[("default", "web")]
    assert web["metadata"]["labels"] == {"app": "web"}
    usage = web["containers"][0]["usage"]
    assert usage["cpu"].endswith("n") and usage["memory"].endswith("Ki")
    assert 7 * 1024 < int(usage["memory"][:-2]) < 9 * 1024  # nginx idles at about 8 MiB
    node = cluster.node_metrics["kaido-worker-2"]["usage"]
    assert int(node["memory"][:-2]) > (750 + 90) * 1024  # system plus the web service
    listed = await client.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods")
    assert sorted(item["metadata"]["name"] for item in listed.json()["items"]) == ["api", "web"]


async def test_restart_policies_and_terminal_phases(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "ok", busybox("echo done"), restartPolicy="Never")
    make_pod(cluster, "fails", busybox("exit 3"), restartPolicy="Never")
    make_pod(cluster, "retry", busybox("exit 3"), restartPolicy="OnFailure")
    make_pod(cluster, "always", busybox("exit 0"))
    runtime.reconcile()
    await runtime.advance(15)
    assert pod(cluster, "ok")["status"]["phase"] == "Succeeded"
    assert condition(cluster, "ok", "Ready")["reason"] == "PodCompleted"
    assert container(cluster, "ok")["state"]["terminated"]["reason"] == "Completed"
    assert pod(cluster, "fails")["status"]["phase"] == "Failed"
    assert condition(cluster, "fails", "ContainersReady")["reason"] == "PodFailed"
    assert container(cluster, "fails")["state"]["terminated"]["exitCode"] == 3
    assert pod(cluster, "retry")["status"]["phase"] == "Running"
    assert container(cluster, "retry")["restartCount"] >= 2
    assert state(cluster, "always") == ("waiting", "CrashLoopBackOff")
    assert container(cluster, "always")["lastState"]["terminated"]["reason"] == "Completed"


async def test_init_container_runs_first(cluster: SimCluster, runtime: Runtime) -> None:
    init = {"name": "wait", "image": "busybox:1.36", "command": ["sh", "-c", "echo waiting; sleep 5"]}
    make_pod(cluster, "init", nginx(), initContainers=[init])
    runtime.reconcile()
    await runtime.advance(3)
    status = pod(cluster, "init")["status"]
    assert status["phase"] == "Pending"
    assert condition(cluster, "init", "Initialized")["message"] == "containers with incomplete status: [wait]"
    assert container(cluster, "init")["state"] == {"waiting": {"reason": "PodInitializing"}}
    await runtime.advance(10)
    assert pod(cluster, "init")["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert condition(cluster, "init", "Initialized")["status"] == "True"
    assert state(cluster, "init") == ("running", "")


async def test_bad_release_and_missing_env_crash_with_their_logs(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "bad", {"name": "app", "image": "kaido/web:2.0-bad"})
    make_pod(cluster, "env", {"name": "app", "image": "kaido/crasher:1.0"})
    fixed = {"name": "app", "image": "kaido/crasher:1.0", "env": [{"name": "DEPLOY_ENV", "value": "dev"}]}
    make_pod(cluster, "fixed", fixed)
    runtime.reconcile()
    await runtime.advance(30)
    assert state(cluster, "bad") == ("waiting", "CrashLoopBackOff")
    bad_logs = cluster.logs.read(("default", "bad", "app"), LogOptions(previous=True)).splitlines()
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in bad_logs
    assert container(cluster, "bad")["lastState"]["terminated"]["exitCode"] == 2
    env_logs = cluster.logs.read(("default", "env", "app"), LogOptions(previous=True)).splitlines()
    assert env_logs[-1].endswith("FATAL DEPLOY_ENV is not set")
    assert state(cluster, "fixed") == ("running", "")


async def test_deleted_pod_is_forgotten(cluster: SimCluster, runtime: Runtime, kubelet: KubeletController) -> None:
    uid = make_pod(cluster, "web", nginx())["metadata"]["uid"]
    runtime.reconcile()
    await runtime.advance(16)
    assert ("default", "web") in cluster.pod_metrics
    cluster.ops.delete(PODS, "default", "web")
    await runtime.advance(15)
    assert kubelet.runtime(uid) is None
    assert ("default", "web") not in cluster.pod_metrics
    assert cluster.logs.read(("default", "web", "app"), LogOptions()) == ""


async def test_image_update_restarts_the_container(cluster: SimCluster, runtime: Runtime) -> None:
    make_pod(cluster, "web", nginx())
    runtime.reconcile()
    await runtime.advance(3)
    current = copy.deepcopy(pod(cluster, "web"))
    current["spec"]["containers"][0]["image"] = "nginx:1.28"
    cluster.ops.update(PODS, "default", "web", current)
    await runtime.advance(4)  # killed at the next sync, then 2.2 s of pulling the new image
    assert messages(cluster, "web", "Killing") == ["Container app definition changed, will be restarted"]
    app = container(cluster, "web")
    assert (app["image"], app["restartCount"]) == ("docker.io/library/nginx:1.28", 1)
