"""The Diagnosis value, the evidence helpers, ordering, and the snapshot's clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from kaido.analysis.diagnosis import CAUSES, CRASH_LOOP, Diagnosis, Snapshot, diagnose, latest_time
from kaido.analysis.diagnosis.evidence import describe_event, explaining_line, nearest_name
from kaido.analysis.findings import finding_id
from kaido.core.refs import ObjectRef
from tests.analysis.diagnosis.builders import NOW, NS, ago, event, node, pod, run, status, terminated, waiting

WEB = ObjectRef(kind="Deployment", name="web", namespace=NS, uid="u-1")


@pytest.mark.parametrize(
    ("lines", "explained"),
    [
        (
            ["2026-03-01T12:00:00Z INFO starting", "2026-03-01T12:00:01Z FATAL DEPLOY_ENV is not set"],
            "DEPLOY_ENV is not set",
        ),
        (["[2026-03-01 12:00:01,123] ERROR: cannot open /data"], "cannot open /data"),
        (["level=error msg=boom"], "msg=boom"),
        (
            ["Traceback (most recent call last):", '  File "app.py", line 3', "KeyError: 'DB_URL'", "exiting"],
            "KeyError: 'DB_URL'",
        ),
        (["panic: boom", "goroutine 1 [running]:", "main.main() error"], "panic: boom"),
        (["listening on :8080", "served 12 requests"], "served 12 requests"),
        (["", "  "], None),
        ([], None),
    ],
)
def test_the_line_that_explains_an_exit(lines: list[str], explained: str | None) -> None:
    assert explaining_line(lines) == explained


@pytest.mark.parametrize(
    ("wanted", "existing", "nearest"),
    [
        ("app-config", ["app-configuration", "kube-root-ca.crt"], "app-configuration"),
        ("app-confg", ["app-config", "web-config"], "app-config"),
        ("app-config", ["app-config"], None),  # itself is not a suggestion
        ("db", ["dns", "web"], "dns"),
        ("app-config", ["kube-root-ca.crt", "redis"], None),
        ("abc", ["abcdefgh"], None),  # too short to count as a prefix of a longer name
    ],
)
def test_nearest_name(wanted: str, existing: list[str], nearest: str | None) -> None:
    assert nearest_name(wanted, existing) == nearest


def test_describe_event() -> None:
    web = pod("web")
    line = describe_event(event(web, "BackOff", "Back-off restarting failed container app", count=12, last=30))
    assert line == f"event Warning BackOff x12 (last {ago(30)}): Back-off restarting failed container app"


def test_a_diagnosis_id_depends_on_cause_and_target_only() -> None:
    one = Diagnosis.create(CRASH_LOOP, "critical", WEB, summary="3 restarts")
    two = Diagnosis.create(CRASH_LOOP, "warning", WEB, summary="9 restarts", pods=("web-1",))
    assert one.id == two.id == finding_id(CRASH_LOOP, ObjectRef(kind="Deployment", name="web", namespace=NS))
    assert one.target.uid is None
    assert Diagnosis.create("oom-killed", "critical", WEB, summary="x").id != one.id


def test_unknown_causes_are_refused() -> None:
    with pytest.raises(ValueError, match="cause 'crashy' is not one of bad-release, crash-loop"):
        Diagnosis.create("crashy", "critical", WEB, summary="x")


def test_to_json_and_to_finding() -> None:
    item = Diagnosis.create(
        CRASH_LOOP,
        "critical",
        WEB,
        summary="deployment shop/web: container app: exit 1",
        evidence=("container app: waiting CrashLoopBackOff",),
        suggestion="fix it",
        pods=("web-1",),
        containers=("app",),
        related=(ObjectRef(kind="ReplicaSet", name="web-1", namespace=NS),),
    )
    assert item.to_json() == {
        "id": item.id,
        "target": {"kind": "Deployment", "namespace": NS, "name": "web"},
        "cause": "crash-loop",
        "severity": "critical",
        "summary": "deployment shop/web: container app: exit 1",
        "evidence": ["container app: waiting CrashLoopBackOff"],
        "suggestion": "fix it",
        "pods": ["web-1"],
        "containers": ["app"],
        "revision": None,
        "previous_revision": None,
        "related": [{"kind": "ReplicaSet", "namespace": NS, "name": "web-1"}],
    }
    finding = item.to_finding(observed_at=NOW)
    assert (finding.id, finding.kind, finding.workload) == (item.id, "crash-loop", item.target)


def test_every_cause_is_kebab_case_and_unique() -> None:
    assert len(set(CAUSES)) == len(CAUSES)
    assert all(cause == cause.lower() and " " not in cause for cause in CAUSES)


def test_most_severe_first_then_by_name() -> None:
    backoff = waiting("CrashLoopBackOff")
    crash = pod("b-crash", statuses=[status(state=backoff, last=terminated(), restarts=2, ready=False)])
    unknown = pod("a-pending", phase="Pending", node=None, statuses=[], conditions=[], created=3600)
    diagnoses = run(pods=[unknown, crash])
    assert [(d.severity, d.target.name) for d in diagnoses] == [("critical", "b-crash"), ("warning", "a-pending")]


def test_a_healthy_namespace_has_no_diagnosis() -> None:
    assert run(pods=[pod("web-1"), pod("web-2")], nodes=[node("worker-1")]) == []


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="has no timezone"):
        diagnose(Snapshot(), now=datetime(2026, 3, 1, 12, 0))  # noqa: DTZ001 - the naive time is the point


def test_latest_time_reads_events_and_container_states() -> None:
    web = pod("web", statuses=[status(state=running_since(5), last=terminated(finished=8))])
    assert latest_time(Snapshot(pods=(web,))) == datetime.fromisoformat(ago(5))
    newer = event(web, "BackOff", "x", last=1)
    assert latest_time(Snapshot(pods=(web,), events=(newer,))) == datetime.fromisoformat(ago(1))
    assert latest_time(Snapshot()) is None


def running_since(seconds: float) -> dict:
    return {"running": {"startedAt": ago(seconds)}}
