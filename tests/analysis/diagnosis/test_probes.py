"""Liveness kills and readiness failures, with the probe's port checked against the container's."""

from __future__ import annotations

from kaido.analysis.diagnosis import CRASH_LOOP, LIVENESS_PROBE, READINESS_PROBE
from kaido.analysis.diagnosis.probes import describe_probe, port_mismatch
from tests.analysis.diagnosis.builders import (
    cond,
    container,
    event,
    only,
    pod,
    run,
    running,
    status,
    terminated,
    waiting,
)

NGINX = container(
    "web",
    "nginx:1.27",
    ports=[{"containerPort": 80}],
    livenessProbe={"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10},
    readinessProbe={"httpGet": {"path": "/ready", "port": 80}},
)
REFUSED = 'Liveness probe failed: Get "http://10.244.1.5:8080/": dial tcp 10.244.1.5:8080: connect: connection refused'


def killed_by_liveness(*, kill_age: float = 20) -> tuple[dict, list[dict]]:
    backoff = waiting("CrashLoopBackOff", "back-off 20s restarting failed container=web")
    web = pod(
        "web",
        containers=[NGINX],
        statuses=[status("web", state=backoff, last=terminated(0, "Completed", finished=20, ran=40), restarts=2)],
    )
    events = [
        event(web, "Unhealthy", REFUSED, container_name="web", count=6, last=kill_age + 5),
        event(
            web,
            "Killing",
            "Container web failed liveness probe, will be restarted",
            container_name="web",
            last=kill_age,
        ),
    ]
    return web, events


def test_probe_descriptions() -> None:
    assert describe_probe({"httpGet": {"path": "/healthz", "port": 8080}}) == "http :8080/healthz"
    assert describe_probe({"httpGet": {"port": "https", "scheme": "HTTPS"}}) == "https :https/"
    assert describe_probe({"tcpSocket": {"port": 5432}}) == "tcp :5432"
    assert describe_probe({"exec": {"command": ["cat", "/tmp/ready"]}}) == "exec cat /tmp/ready"


def test_port_mismatch_against_declared_ports() -> None:
    assert port_mismatch({"httpGet": {"port": 8080}}, NGINX) == ("the container listens on 80", 80)
    assert port_mismatch({"httpGet": {"port": 80}}, NGINX) == ("", None)
    assert port_mismatch({"tcpSocket": {"port": "http"}}, NGINX) == ("the container declares no port named http", 80)
    assert port_mismatch({"httpGet": {"port": 8080}}, container("x")) == ("", None)  # nothing declared, nothing known


def test_a_liveness_probe_on_the_wrong_port() -> None:
    web, events = killed_by_liveness()
    found = only(run(pods=[web], events=events))
    assert found.cause == LIVENESS_PROBE
    assert found.summary == (
        "pod shop/web: liveness probe http :8080/ of container web failed: connection refused; "
        "the container listens on 80 (CrashLoopBackOff, 2 restarts)"
    )
    assert found.suggestion == "set livenessProbe.httpGet.port of container web in pod/web to 80"
    assert found.severity == "critical"


def test_a_kill_from_an_earlier_instance_does_not_explain_this_exit() -> None:
    web, events = killed_by_liveness(kill_age=3000)
    assert only(run(pods=[web], events=events)).cause == CRASH_LOOP


def test_readiness_failures_of_a_running_container() -> None:
    web = pod("web", containers=[NGINX], statuses=[status("web", state=running(300), ready=False)])
    failing = event(
        web, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404", container_name="web"
    )
    found = only(run(pods=[web], events=[failing]))
    assert found.cause == READINESS_PROBE
    assert found.summary == (
        "pod shop/web: readiness probe http :80/ready of container web failed: HTTP 404 (not ready for 5 min)"
    )
    assert found.suggestion == "make http :80/ready answer 2xx or 3xx, or point readinessProbe at an endpoint that does"
    assert found.severity == "warning"


def test_a_starting_container_is_given_its_grace() -> None:
    fresh = [cond("PodScheduled", "True", since=12), cond("Ready", "False", since=12)]
    web = pod("web", containers=[NGINX], statuses=[status("web", state=running(10), ready=False)], conditions=fresh)
    failing = event(web, "Unhealthy", "Readiness probe failed: connection refused", container_name="web", last=5)
    assert run(pods=[web], events=[failing]) == []


def test_readiness_failures_before_this_instance_started_do_not_count() -> None:
    web = pod("web", containers=[NGINX], statuses=[status("web", state=running(120), ready=False)])
    stale = event(web, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", last=600)
    found = only(run(pods=[web], events=[stale]))
    assert found.cause != READINESS_PROBE  # not ready for 10 min without a known reason: unknown
