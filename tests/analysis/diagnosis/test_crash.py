"""Crash loops explained by the exit code and the log line, and OOM kills against the memory limit."""

from __future__ import annotations

from kaido.analysis.diagnosis import CRASH_LOOP, OOM_KILLED
from kaido.core.refs import ObjectRef
from tests.analysis.diagnosis.builders import (
    NS,
    container,
    only,
    pod,
    run,
    running,
    status,
    terminated,
    waiting,
)

BACKOFF = waiting("CrashLoopBackOff", "back-off 40s restarting failed container=app pod=web_shop(1)")
KEY = (NS, "web", "app")


def crashing(restarts: int = 4, **last: object) -> dict:
    return pod("web", statuses=[status(state=BACKOFF, last=terminated(**last), restarts=restarts, ready=False)])


def test_exit_code_and_the_log_line_that_explains_it() -> None:
    logs = {
        KEY: (
            "2026-03-01T12:29:30Z INFO starting acme/api version=1.0",
            "2026-03-01T12:29:31Z FATAL DEPLOY_ENV is not set",
        )
    }
    found = only(run(pods=[crashing()], logs=logs))
    assert found.cause == CRASH_LOOP
    assert found.target == ObjectRef(kind="Pod", name="web", namespace=NS)
    assert found.summary == (
        "pod shop/web: container app: exit 1 after log line 'DEPLOY_ENV is not set' (CrashLoopBackOff, 4 restarts)"
    )
    assert "log of the previous instance: 2026-03-01T12:29:31Z FATAL DEPLOY_ENV is not set" in found.evidence
    assert found.suggestion == (
        "set the environment variable DEPLOY_ENV of container app: "
        "kubectl set env pod/web -n shop -c app DEPLOY_ENV=<value>"
    )
    assert found.severity == "critical" and found.pods == ("web",) and found.containers == ("app",)


def test_a_go_panic_is_named_by_its_first_line_not_the_stack() -> None:
    logs = {
        KEY: (
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6f8a2c]",
            "goroutine 1 [running]:",
            "main.main()",
            "\t/app/main.go:42 +0x1a5",
        )
    }
    found = only(run(pods=[crashing(code=2)], logs=logs))
    assert "exit 2 after log line 'panic: runtime error: invalid memory address or nil pointer dereference'" in (
        found.summary
    )


def test_an_empty_log_says_so_and_points_at_the_command() -> None:
    spec = container("app", "busybox", command=["/bin/sh", "-c", "sleep 5 && exit 1"])
    crasher = pod(
        "web", containers=[spec], statuses=[status(state=BACKOFF, last=terminated(ran=5), restarts=7, ready=False)]
    )
    found = only(run(pods=[crasher], logs={KEY: ()}))
    assert (
        found.summary
        == "pod shop/web: container app: exit 1 after 5 s with no log output (CrashLoopBackOff, 7 restarts)"
    )
    assert "command of container app: /bin/sh -c sleep 5 && exit 1" in found.evidence
    assert "sleep 5 && exit 1" in found.suggestion


def test_unread_logs_are_not_called_empty() -> None:
    found = only(run(pods=[crashing()]))
    assert "no log output" not in found.summary
    assert "exit 1 after 5 s" in found.summary


def test_exit_zero_under_restart_policy_always_is_a_loop_too() -> None:
    found = only(run(pods=[crashing(code=0, reason="Completed")], logs={KEY: ("hello",)}))
    assert found.cause == CRASH_LOOP
    assert "exit 0 after log line 'hello', but restartPolicy Always restarts it" in found.summary
    assert "run it as a Job" in found.suggestion


def test_a_container_running_between_two_crashes_is_still_in_a_loop() -> None:
    between = pod("web", statuses=[status(state=running(2), last=terminated(finished=12), restarts=6, ready=False)])
    found = only(run(pods=[between]))
    assert found.cause == CRASH_LOOP
    assert "(running again, 6 restarts)" in found.summary


def test_one_old_restart_of_a_ready_container_is_not_a_problem() -> None:
    recovered = pod("web", statuses=[status(state=running(3000), last=terminated(finished=3000), restarts=1)])
    assert run(pods=[recovered]) == []
    recent_but_ready = pod("web", statuses=[status(state=running(60), last=terminated(finished=60), restarts=1)])
    assert run(pods=[recent_but_ready]) == []


def test_a_failed_pod_that_will_not_restart_names_its_exit() -> None:
    failed = pod(
        "migrate",
        phase="Failed",
        restartPolicy="Never",
        statuses=[status(state=terminated(code=3, finished=100), ready=False)],
    )
    logs = {(NS, "migrate", "app"): ('ERROR relation "users" does not exist',)}
    found = only(run(pods=[failed], logs=logs))
    assert found.cause == CRASH_LOOP
    assert "exit 3 after log line 'relation \"users\" does not exist' (the pod is Failed, 0 restarts)" in found.summary
    assert "kubectl logs migrate -c app -n shop" in found.suggestion  # the current instance: no --previous


def test_signals_are_spelled_out() -> None:
    found = only(run(pods=[crashing(code=139)], logs={KEY: ("starting",)}))
    assert "exit 139 (segmentation fault (SIGSEGV))" in found.summary


def test_oom_killed_at_the_limit_with_restarts_in_the_pods_lifetime() -> None:
    limited = container("app", resources={"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi"}})
    oom = pod(
        "web",
        containers=[limited],
        statuses=[status(state=BACKOFF, last=terminated(137, "OOMKilled"), restarts=3, ready=False)],
        created=600,
    )
    found = only(run(pods=[oom]))
    assert found.cause == OOM_KILLED
    assert found.summary.startswith(
        "pod shop/web: OOMKilled: container app reached its 256Mi memory limit (last killed"
    )
    assert found.summary.endswith("; 3 restarts in 10 min")
    assert "kubectl set resources pod/web -n shop -c app --limits=memory=384Mi" in found.suggestion


def test_oom_without_a_limit_blames_the_node() -> None:
    oom = pod("web", statuses=[status(state=running(5), last=terminated(137, "OOMKilled", finished=8), restarts=1)])
    found = only(run(pods=[oom]))
    assert found.cause == OOM_KILLED
    assert "has no memory limit and was killed when its node ran out of memory" in found.summary
    assert "set resources.requests.memory and limits.memory" in found.suggestion


def test_init_containers_are_named_as_such() -> None:
    waiting_init = pod(
        "web",
        phase="Pending",
        initContainers=[container("migrate")],
        statuses=[status(state=waiting("PodInitializing"), ready=False)],
    )
    waiting_init["status"]["initContainerStatuses"] = [
        status("migrate", state=BACKOFF, last=terminated(code=1), restarts=2, ready=False)
    ]
    found = only(run(pods=[waiting_init], logs={(NS, "web", "migrate"): ("could not connect to db",)}))
    assert found.summary.startswith("pod shop/web: init container migrate: exit 1 after log line 'could not connect")
    assert found.containers == ("migrate",)
