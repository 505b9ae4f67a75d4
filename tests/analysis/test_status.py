"""Reading pod and node bodies: references without kind, timestamps, restarts, owners."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kaido.analysis.status import (
    condition,
    container_statuses,
    is_pod_ready,
    node_ref,
    parse_time,
    pod_ref,
    require_aware,
    restart_total,
    workload_of,
)
from kaido.core.refs import ObjectRef


def owned(kind: str, name: str, *, controller: bool | None = True) -> dict:
    ref = {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": f"uid-{name}"}
    if controller is not None:
        ref["controller"] = controller
    return ref


def pod_owned_by(*owners: dict) -> dict:
    return {"metadata": {"name": "backend-7d9f-x2", "namespace": "chatbot-dev", "ownerReferences": list(owners)}}


REPLICASETS = {
    "backend-7d9f": {"metadata": {"name": "backend-7d9f", "ownerReferences": [owned("Deployment", "backend")]}},
    "orphan-1": {"metadata": {"name": "orphan-1"}},
}


def lookup(kind: str, namespace: str, name: str):
    assert (kind, namespace) == ("ReplicaSet", "chatbot-dev")
    return REPLICASETS.get(name)


@pytest.mark.parametrize(
    ("owners", "use_lookup", "expected"),
    [
        ([owned("ReplicaSet", "backend-7d9f")], True, ("Deployment", "backend")),
        ([owned("ReplicaSet", "backend-7d9f")], False, ("ReplicaSet", "backend-7d9f")),
        ([owned("ReplicaSet", "gone")], True, ("ReplicaSet", "gone")),
        ([owned("ReplicaSet", "orphan-1")], True, ("ReplicaSet", "orphan-1")),
        ([owned("StatefulSet", "db")], True, ("StatefulSet", "db")),
        ([owned("DaemonSet", "agent")], True, ("DaemonSet", "agent")),
        ([owned("Job", "migrate-29")], True, ("Job", "migrate-29")),
        # the controller reference wins over other owners; without one, the first owner
        ([owned("ConfigMap", "x", controller=False), owned("StatefulSet", "db")], True, ("StatefulSet", "db")),
        ([owned("StatefulSet", "db", controller=None)], True, ("StatefulSet", "db")),
        ([], True, None),
    ],
)
def test_workload_follows_owner_references(owners, use_lookup, expected) -> None:
    found = workload_of(pod_owned_by(*owners), lookup if use_lookup else None)
    if expected is None:
        assert found is None
    else:
        kind, name = expected
        assert found == ObjectRef(kind=kind, name=name, namespace="chatbot-dev", uid=f"uid-{name}")


def test_references_need_no_kind_in_the_body() -> None:
    # items of a list response carry no kind
    body = {"metadata": {"name": "web-1", "namespace": "default", "uid": "abc"}}
    assert pod_ref(body) == ObjectRef(kind="Pod", name="web-1", namespace="default", uid="abc")
    assert node_ref({"metadata": {"name": "kaido-worker-1"}}) == ObjectRef(kind="Node", name="kaido-worker-1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:03Z", datetime(2026, 3, 1, 12, 0, 3, tzinfo=UTC)),
        ("2026-03-01T12:00:03.250000Z", datetime(2026, 3, 1, 12, 0, 3, 250000, tzinfo=UTC)),
        ("2026-03-01T13:00:03+01:00", datetime(2026, 3, 1, 13, 0, 3, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-03-01T12:00:03", datetime(2026, 3, 1, 12, 0, 3, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (17, None),
    ],
)
def test_timestamps(text, expected) -> None:
    assert parse_time(text) == expected


def test_a_naive_now_is_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        require_aware(datetime(2026, 3, 1))  # noqa: DTZ001 - the point of the test
    require_aware(datetime(2026, 3, 1, tzinfo=UTC))


def test_restarts_sum_init_containers_and_containers() -> None:
    pod = {
        "status": {
            "initContainerStatuses": [{"name": "wait", "restartCount": 2}],
            "containerStatuses": [
                {"name": "app", "restartCount": 3},
                {"name": "log", "restartCount": 0},
                {"name": "x"},
            ],
        }
    }
    assert restart_total(pod) == 5
    assert [(s.label, s.restart_count) for s in container_statuses(pod)] == [
        ("init container wait", 2),
        ("container app", 3),
        ("container log", 0),
        ("container x", 0),
    ]
    assert restart_total({}) == 0


def test_conditions_and_readiness() -> None:
    pod = {"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]}}
    assert condition(pod, "PodScheduled") == {"type": "PodScheduled", "status": "True"}
    assert condition(pod, "Initialized") is None
    assert not is_pod_ready(pod)
    assert is_pod_ready({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert not is_pod_ready({"metadata": {"name": "new"}})


def test_a_container_describes_its_state_and_last_exit() -> None:
    body = {
        "name": "app",
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container=app"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-03-01T12:00:27Z"}},
        "restartCount": 2,
    }
    (status,) = container_statuses({"status": {"containerStatuses": [body]}})
    assert status.describe() == (
        "container app: waiting CrashLoopBackOff: back-off 40s restarting failed container=app; "
        "last terminated 2026-03-01T12:00:27Z with Error (exit code 1); restarts 2"
    )
    assert status.state("lastState") == ("terminated", body["lastState"]["terminated"])
    (fresh,) = container_statuses({"status": {"containerStatuses": [{"name": "app", "state": {}}]}})
    assert fresh.describe() == "container app: no state; restarts 0"
