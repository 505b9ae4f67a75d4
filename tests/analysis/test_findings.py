"""Findings: stable ids, validation, JSON and the sentence helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kaido.analysis.findings import (
    CRASH_LOOP_BACK_OFF,
    HEALTH_KINDS,
    POD_CPU_HIGH,
    POD_MEMORY_HIGH,
    SEVERITIES,
    USAGE_KINDS,
    Finding,
    describe_duration,
    finding_id,
    severity_rank,
)
from kaido.core.refs import ObjectRef

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POD = ObjectRef(kind="Pod", name="backend-7d9f-x2", namespace="chatbot-dev", uid="u-1")
DEPLOY = ObjectRef(kind="Deployment", name="backend", namespace="chatbot-dev")


def make(kind: str = POD_CPU_HIGH, target: ObjectRef = POD, container: str | None = "backend", **extra) -> Finding:
    fields = {"summary": "container backend uses 92% of its 500m CPU limit (threshold 80%)", "observed_at": NOW}
    return Finding.create(kind, "warning", target, container=container, **{**fields, **extra})


def test_same_inputs_give_the_same_id() -> None:
    assert make().id == make().id
    assert make().id == finding_id(POD_CPU_HIGH, POD, "backend")
    assert len(make().id) == 16


def test_the_id_ignores_text_numbers_time_severity_and_uid() -> None:
    base = make()
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert make(summary="uses 99%", observed_at=later, values=(("percent", 99.0),), evidence=("x",)).id == base.id
    critical = Finding.create(POD_CPU_HIGH, "critical", POD, summary="s", observed_at=NOW, container="backend")
    assert critical.id == base.id
    recreated = ObjectRef(kind="Pod", name=POD.name, namespace=POD.namespace, uid="u-2")
    assert make(target=recreated).id == base.id


@pytest.mark.parametrize(
    "other",
    [
        {"container": "sidecar"},
        {"container": None},
        {"kind": POD_MEMORY_HIGH},
        {"target": ObjectRef(kind="Pod", name="backend-7d9f-x3", namespace="chatbot-dev")},
        {"target": ObjectRef(kind="Pod", name="backend-7d9f-x2", namespace="chatbot-prod")},
        {"target": ObjectRef(kind="Node", name="backend-7d9f-x2")},
    ],
)
def test_a_different_container_kind_or_target_gives_a_different_id(other) -> None:
    assert make(**other).id != make().id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "PodNotReady"}, "kebab-case"),
        ({"kind": "pod_not_ready"}, "kebab-case"),
        ({"kind": ""}, "kebab-case"),
        ({"severity": "error"}, "severity 'error'"),
        ({"observed_at": datetime(2026, 3, 1, 12, 0)}, "timezone-aware"),  # noqa: DTZ001 - the point of the test
    ],
)
def test_invalid_findings_are_refused(fields, message) -> None:
    base = {"kind": "pod-not-ready", "severity": "warning", "summary": "s", "observed_at": NOW}
    values = {**base, **fields}
    with pytest.raises(ValueError, match=message):
        Finding.create(values.pop("kind"), values.pop("severity"), POD, **values)


def test_to_json_is_plain_json_with_every_field() -> None:
    finding = make(workload=DEPLOY, evidence=("cpu usage 460m of the 500m limit (92%)",), values=(("percent", 92.0),))
    data = json.loads(json.dumps(finding.to_json()))
    assert data == {
        "id": finding.id,
        "kind": "pod-cpu-high",
        "severity": "warning",
        "target": {"kind": "Pod", "namespace": "chatbot-dev", "name": "backend-7d9f-x2", "uid": "u-1"},
        "workload": {"kind": "Deployment", "namespace": "chatbot-dev", "name": "backend"},
        "container": "backend",
        "summary": "container backend uses 92% of its 500m CPU limit (threshold 80%)",
        "evidence": ["cpu usage 460m of the 500m limit (92%)"],
        "values": {"percent": 92.0},
        "observed_at": "2026-03-01T12:00:00+00:00",
    }
    node = Finding.create("node-not-ready", "critical", ObjectRef(kind="Node", name="n1"), summary="s", observed_at=NOW)
    assert node.to_json()["workload"] is None
    assert node.to_json()["target"] == {"kind": "Node", "namespace": None, "name": "n1"}


def test_value_reads_a_named_number() -> None:
    finding = make(values=(("percent", 92.5), ("threshold", 80.0)))
    assert (finding.value("percent"), finding.value("threshold"), finding.value("missing")) == (92.5, 80.0, None)


def test_findings_are_values() -> None:
    assert make() == make()
    assert len({make(), make()}) == 1
    with pytest.raises(AttributeError):
        make().severity = "critical"  # type: ignore[misc]


def test_severities_rank_in_order() -> None:
    assert SEVERITIES == ("info", "warning", "critical")
    assert sorted(["critical", "info", "warning"], key=severity_rank) == ["info", "warning", "critical"]


def test_the_kinds_are_distinct_kebab_case() -> None:
    kinds = [*HEALTH_KINDS, *USAGE_KINDS]
    assert len(set(kinds)) == len(kinds) == 16
    assert CRASH_LOOP_BACK_OFF in kinds
    for kind in kinds:
        make(kind=kind)  # validates


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.9, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (300, "5 min"),
        (3600, "1 h"),
        (3605, "1 h"),
        (7500, "2 h 5 min"),
        (-5, "0 s"),
    ],
)
def test_durations_read_like_a_sentence(seconds, text) -> None:
    assert describe_duration(seconds) == text
