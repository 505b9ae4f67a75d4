"""Rules turn findings and metric values into alert candidates: labels that identify, annotations that explain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.analysis.findings import Finding
from kaido.config.alerts import AlertRule, AlertSettings
from kaido.core.refs import ObjectRef
from kaido.notify.model import Alert, fingerprint
from kaido.notify.rules import Candidate, MetricSnapshot, MetricValue, evaluate_rule

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NS = "chatbot-dev"


def rule(**fields: Any) -> AlertRule:
    return AlertRule.model_validate({"name": "test-rule", **fields})


def default(name: str) -> AlertRule:
    return next(r for r in AlertSettings().rules if r.name == name)


def value(v: float, *, workload: str = "backend", pod: str | None = None, **labels: str) -> MetricValue:
    base = {"namespace": NS, "workload": f"deployment/{workload}", "pod": pod or f"{workload}-7d9f-abcde"}
    return MetricValue({**base, **labels}, v)


def snapshot(**metrics: Sequence[MetricValue]) -> MetricSnapshot:
    return MetricSnapshot({name.replace("_", "-"): values for name, values in metrics.items()})


def evaluate(r: AlertRule, metrics: MetricSnapshot | None = None, findings: Sequence[Finding] = ()) -> list[Candidate]:
    return evaluate_rule(r, findings=findings, metrics=metrics or MetricSnapshot(), now=NOW)


class RecordingSource:
    """A metric source that answers from a table and remembers which windows it was asked for."""

    def __init__(self, table: dict[str, list[MetricValue]]) -> None:
        self.table = table
        self.asked: list[tuple[str, float | None]] = []

    def values(self, metric: str, *, per: float | None, now: datetime) -> Sequence[MetricValue]:
        self.asked.append((metric, per))
        return self.table.get(metric, [])


def test_fingerprint_depends_on_labels_only_not_on_their_order_or_the_annotations() -> None:
    labels = {"alertname": "high-error-rate", "severity": "critical", "namespace": NS, "workload": "deployment/x"}
    reordered = dict(reversed(list(labels.items())))
    one = Alert(labels=labels, annotations={"summary": "12 errors"}, state="firing", starts_at=NOW)
    two = Alert(
        labels=reordered, annotations={"summary": "40 errors", "evidence": "..."}, state="pending", starts_at=NOW
    )
    assert one.fingerprint == two.fingerprint == fingerprint(labels)
    assert len(one.fingerprint) == 16
    assert fingerprint({**labels, "workload": "deployment/y"}) != one.fingerprint


@pytest.mark.parametrize(
    ("rule_name", "metric", "fires", "quiet"),
    [
        ("high-error-rate", "log-errors", 6, 5),
        ("high-warning-rate", "log-warnings", 11, 10),
        ("performance-degradation", "slow-requests", 6, 5),
        ("resource-exhaustion", "memory-usage", 93, 90),
        ("resource-exhaustion", "cpu-usage", 90.5, 90),
    ],
)
def test_the_briefs_default_rules_fire_strictly_above_their_thresholds(
    rule_name: str, metric: str, fires: float, quiet: float
) -> None:
    r = default(rule_name)
    [candidate] = evaluate(r, MetricSnapshot({metric: [value(fires)]}))
    assert candidate.labels == {
        "alertname": rule_name,
        "severity": r.severity,
        "namespace": NS,
        "workload": "deployment/backend",
    }
    assert candidate.annotations["description"] == r.description
    assert evaluate(r, MetricSnapshot({metric: [value(quiet)]})) == []
    # Other metrics do not trigger the rule.
    assert evaluate(r, MetricSnapshot({"restarts": [value(1000)]})) == []


def test_count_rules_read_their_window_from_the_source() -> None:
    source = RecordingSource({"log-errors": [value(9)]})
    assert len(evaluate_rule(default("high-error-rate"), findings=[], metrics=source, now=NOW)) == 1
    assert source.asked == [("log-errors", 60.0)]
    source = RecordingSource({})
    evaluate_rule(default("resource-exhaustion"), findings=[], metrics=source, now=NOW)
    assert source.asked == [("memory-usage", None), ("cpu-usage", None)]


def test_summaries_say_what_on_which_workload_with_the_numbers() -> None:
    [memory] = evaluate(default("resource-exhaustion"), snapshot(memory_usage=[value(93)]))
    assert (
        memory.annotations["summary"] == "memory of deployment chatbot-dev/backend at 93% of its limit (threshold 90%)"
    )
    [errors] = evaluate(default("high-error-rate"), snapshot(log_errors=[value(12)]))
    assert errors.annotations["summary"] == (
        "12 error lines in 1 min in the logs of deployment chatbot-dev/backend (threshold 5)"
    )
    request_based = value(97.25, basis="request")
    [cpu] = evaluate(default("resource-exhaustion"), snapshot(cpu_usage=[request_based]))
    assert cpu.annotations["summary"] == "CPU of deployment chatbot-dev/backend at 97.2% of its request (threshold 90%)"


def test_counts_add_up_over_a_workloads_pods_and_usage_is_judged_pod_by_pod() -> None:
    pods = [value(3, pod="backend-1"), value(3, pod="backend-2"), value(0, pod="backend-3")]
    [errors] = evaluate(default("high-error-rate"), snapshot(log_errors=pods))
    assert errors.annotations["summary"].startswith("6 error lines in 1 min")
    assert errors.annotations["evidence"] == "pod backend-1: 3 in 1 min\npod backend-2: 3 in 1 min"

    usage = [value(50, pod="backend-1"), value(95, pod="backend-2", container="app")]
    [memory] = evaluate(default("resource-exhaustion"), snapshot(memory_usage=usage))
    assert "at 95%" in memory.annotations["summary"]
    assert memory.annotations["evidence"] == "pod backend-2 container app: 95%"
    # Two workloads, two alerts; their identities differ only by the workload.
    both = evaluate(default("resource-exhaustion"), snapshot(memory_usage=[value(95), value(99, workload="agent")]))
    assert sorted(c.labels["workload"] for c in both) == ["deployment/agent", "deployment/backend"]


def test_any_fires_on_either_condition_and_all_needs_both_on_the_same_workload() -> None:
    conditions = [{"metric": "memory-usage", "threshold": 90}, {"metric": "cpu-usage", "threshold": 90}]
    metrics = snapshot(memory_usage=[value(95), value(95, workload="agent")], cpu_usage=[value(95)])
    any_rule = rule(conditions=conditions)
    all_rule = rule(conditions=conditions, combine="all")
    assert {c.labels["workload"] for c in evaluate(any_rule, metrics)} == {"deployment/backend", "deployment/agent"}
    [both] = evaluate(all_rule, metrics)
    assert both.labels["workload"] == "deployment/backend"
    assert both.annotations["summary"] == (
        "memory of deployment chatbot-dev/backend at 95% of its limit (threshold 90%); "
        "CPU of deployment chatbot-dev/backend at 95% of its limit (threshold 90%)"
    )


def test_operators_other_than_greater_than_are_named_in_the_summary() -> None:
    r = rule(conditions=[{"metric": "memory-usage", "op": "<=", "threshold": 5}])
    [low] = evaluate(r, snapshot(memory_usage=[value(5), value(3, pod="backend-2"), value(80, pod="backend-3")]))
    assert low.annotations["summary"] == "memory of deployment chatbot-dev/backend at 3% of its limit (threshold <= 5%)"


def test_namespace_globs_filter_subjects_and_leave_out_nodes() -> None:
    r = rule(conditions=[{"metric": "node-cpu", "threshold": 80}, {"metric": "cpu-usage", "threshold": 80}])
    metrics = snapshot(
        node_cpu=[MetricValue({"node": "worker-1"}, 95)],
        cpu_usage=[value(95), MetricValue({"namespace": "kube-system", "pod": "coredns-1"}, 99)],
    )
    assert len(evaluate(r, metrics)) == 3
    node = next(c for c in evaluate(r, metrics) if "node" in c.labels)
    assert node.labels == {"alertname": "test-rule", "severity": "warning", "node": "worker-1"}
    assert node.annotations["summary"] == "CPU of node worker-1 at 95% of allocatable (threshold 80%)"
    filtered = evaluate(rule(conditions=r.conditions, namespaces=["chatbot-*"]), metrics)
    assert [c.labels.get("workload") for c in filtered] == ["deployment/backend"]


def finding(kind: str, pod: str, *, workload: str | None = "backend", summary: str = "", **kw: Any) -> Finding:
    return Finding.create(
        kind,
        "critical",
        ObjectRef("Pod", pod, NS),
        summary=summary or f"{kind} on {pod}",
        observed_at=NOW,
        workload=ObjectRef("Deployment", workload, NS) if workload else None,
        **kw,
    )


def test_a_finding_condition_fires_per_workload_with_the_findings_evidence() -> None:
    escalated = [
        finding("healing-escalated", "backend-1", summary="backend restarted 3 times, still crashing",
                evidence=("exit code 1", "restart pod failed")),
        finding("healing-escalated", "backend-2", evidence=("exit code 1",)),
        finding("healing-escalated", "mcp-0", workload=None),
        finding("crash-loop-back-off", "frontend-1", workload="frontend"),
    ]  # fmt: skip
    candidates = evaluate(default("healing-escalated"), findings=escalated)
    by_subject = {c.labels.get("workload") or c.labels["pod"]: c for c in candidates}
    assert set(by_subject) == {"deployment/backend", "mcp-0"}
    backend = by_subject["deployment/backend"]
    assert backend.labels == {
        "alertname": "healing-escalated",
        "severity": "critical",
        "namespace": NS,
        "workload": "deployment/backend",
        "finding": "healing-escalated",
    }
    assert backend.annotations["summary"] == "backend restarted 3 times, still crashing (and 1 more like it)"
    assert backend.annotations["evidence"].splitlines() == [
        "backend restarted 3 times, still crashing",
        "exit code 1",
        "restart pod failed",
        "healing-escalated on backend-2",
    ]
    assert by_subject["mcp-0"].labels["namespace"] == NS


def test_the_finding_label_is_set_only_when_it_cannot_change() -> None:
    two = rule(conditions=[{"finding": "oom-killed"}, {"finding": "crash-loop-back-off"}])
    [candidate] = evaluate(two, findings=[finding("oom-killed", "backend-1")])
    assert "finding" not in candidate.labels
    assert candidate.for_ == 0.0
    assert rule(conditions=[{"finding": "oom-killed"}], **{"for": "2m"}).for_ == 120.0
