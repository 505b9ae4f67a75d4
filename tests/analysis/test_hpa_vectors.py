"""The HPA conformance vectors (transcribed from upstream Kubernetes tests) against kaido.analysis.hpa.

Every vector of every section is one test case named by its upstream test. The file is
`$KAIDO_HPA_VECTORS` when set (a missing file then fails), else the development subset next to the
repository (`../shared/data/hpa/hpa_vectors_dev.json`; skipped if absent). The schema and the time
model are described in that directory's README: times are seconds relative to `now`, "zero" is Go's
zero time, and the harness constants are upstream's test values.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kaido.analysis.hpa import (
    GO_ZERO_TIME,
    Behavior,
    Branch,
    ContainerSpec,
    ContainerUsage,
    ControllerSettings,
    HPASpec,
    HPAState,
    MetricFailure,
    MetricReading,
    MetricSpec,
    MetricTarget,
    PodInfo,
    PodMetric,
    PodUsage,
    PolicyType,
    Recommendation,
    ReplicaProposal,
    ScaleEvent,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    Tolerances,
    ambiguous_selector,
    external_per_pod_replicas,
    external_replicas,
    limit_with_behavior_rate,
    limit_with_rules,
    object_per_pod_replicas,
    object_replicas,
    pods_metric_replicas,
    reconcile,
    resource_replicas,
    scale_down_limit,
    scale_up_limit,
    stabilize_recommendation,
    stabilize_with_behaviors,
)

VECTORS_ENV = "KAIDO_HPA_VECTORS"
DEFAULT_VECTORS = Path(__file__).resolve().parents[2].parent / "shared/data/hpa/hpa_vectors_dev.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)

Case = dict[str, Any]
Harness = dict[str, Any]
ReplicaResult = ReplicaProposal | MetricFailure


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "vector" not in metafunc.fixturenames:
        return
    configured = os.environ.get(VECTORS_ENV)
    path = Path(configured) if configured else DEFAULT_VECTORS
    if not path.is_file():
        problem = ("missing", f"{VECTORS_ENV}={configured}: no such file") if configured else ("absent", str(path))
        metafunc.parametrize(("section", "vector", "harness"), [(None, problem, None)], ids=["vectors-file"])
        return
    data = json.loads(path.read_text())
    params = [
        pytest.param(section, case, data.get("harness", {}), id=case.get("id", f"{section}[{i}]"))
        for section, cases in data.items()
        if isinstance(cases, list)
        for i, case in enumerate(cases)
    ]
    metafunc.parametrize(("section", "vector", "harness"), params)


def test_vector(section: str | None, vector: Any, harness: Harness | None) -> None:
    if section is None:
        kind, where = vector
        if kind == "missing":
            pytest.fail(f"HPA vectors not found: {where}")
        pytest.skip(f"HPA vectors not found at {where}; set {VECTORS_ENV} to a vector file")
    runner = RUNNERS.get(section)
    if runner is None:
        pytest.fail(f"no runner for section {section!r} (vector {vector.get('id')})")
    for expected, actual in runner(vector, harness or {}):
        if actual != expected:
            inputs = {k: v for k, v in vector.items() if k != "expected"}
            pytest.fail(
                f"{section} / {vector.get('id')}\n"
                f"inputs: {json.dumps(inputs, indent=1, sort_keys=True)}\n"
                f"expected: {expected}\nactual:   {actual}"
            )


# -- conversions -----------------------------------------------------------------------------------


def at(value: Any) -> datetime | None:
    """A vector time: seconds relative to NOW, "zero" for Go's zero time, null for unset."""
    if value is None:
        return None
    if value == "zero":
        return GO_ZERO_TIME
    return NOW + timedelta(seconds=value)


def ago(age_s: float) -> datetime:
    return NOW - timedelta(seconds=age_s)


def pod_info(p: Case, resource: str) -> PodInfo:
    def spec(c: Case) -> ContainerSpec:
        requests = {} if c.get("request_milli") is None else {resource: c["request_milli"]}
        restartable = c.get("restartable", c.get("restart_policy") == "Always")
        return ContainerSpec(c["name"], requests, restartable)

    pod_request = p.get("pod_request_milli")
    return PodInfo(
        name=p["name"],
        phase=p.get("phase", "Running"),
        ready=p.get("ready"),
        ready_transition_time=at(p.get("ready_transition_time")),
        start_time=at(p.get("start_time")),
        deleting=bool(p.get("deleting")),
        containers=tuple(spec(c) for c in p.get("containers", [])),
        init_containers=tuple(spec(c) for c in p.get("init_containers", [])),
        requests={} if pod_request is None else {resource: pod_request},
    )


def pod_usage(case: Case, resource: str) -> tuple[PodUsage, ...]:
    """What metrics.k8s.io returns: pods with `has_metrics`, plus samples of unknown pods."""
    timestamp = at(case.get("metric_timestamp", "zero")) or GO_ZERO_TIME
    window = case.get("metric_window_s", 60)
    items = []
    for p in case["pods"]:
        if p.get("has_metrics", True):
            containers = tuple(
                ContainerUsage(c["name"], {} if c.get("usage_milli") is None else {resource: c["usage_milli"]})
                for c in p.get("containers", [])
            )
            items.append(PodUsage(p["name"], timestamp, window, containers))
    for extra in case.get("extra_pod_metrics", []):
        usage = (ContainerUsage(case.get("container") or "container1", {resource: extra["usage_milli"]}),)
        items.append(PodUsage(extra["pod"], timestamp, window, usage))
    return tuple(items)


def rules(d: Case | None) -> ScalingRules | None:
    if d is None:
        return None
    policies = d.get("policies")
    return ScalingRules(
        stabilization_window_seconds=d.get("stabilization_window_seconds"),
        select_policy=None if d.get("select_policy") is None else SelectPolicy(d["select_policy"]),
        policies=None
        if policies is None
        else tuple(ScalingPolicy(PolicyType(p["type"]), p["value"], p["period_seconds"]) for p in policies),
        tolerance=d.get("tolerance"),
    )


def events(items: list[Case] | None) -> tuple[ScaleEvent, ...]:
    return tuple(ScaleEvent(e["change"], ago(e["age_s"])) for e in items or [])


def recommendations(items: list[Case] | None) -> tuple[Recommendation, ...]:
    return tuple(Recommendation(r["value"], ago(r["age_s"])) for r in items or [])


def settings_from(h: Case) -> ControllerSettings:
    tolerance = h.get("tolerance", {"down": 0.1, "up": 0.1})
    assert tolerance["down"] == tolerance["up"], "the controller flag is one tolerance"
    return ControllerSettings(
        tolerance=tolerance["up"],
        cpu_initialization_period_seconds=h.get("cpu_initialization_period_s", 120),
        delay_of_initial_readiness_seconds=h.get("delay_of_initial_readiness_s", 10),
        downscale_stabilization_window_seconds=h.get("downscale_stabilization_window_s", 300),
        scale_up_limit_factor=h.get("scale_up_limit_factor", 8.0),
        scale_up_limit_minimum=h.get("scale_up_limit_minimum", 4.0),
    )


def target(m: Case) -> MetricTarget:
    if "target_utilization" in m:
        return MetricTarget.utilization(m["target_utilization"])
    if "target_average_value_milli" in m:
        return MetricTarget.average_value(m["target_average_value_milli"])
    return MetricTarget.value(m.get("target_value_milli", 0))


Pair = tuple[Any, Any]


def pick(expected: Case, actual: Case) -> list[Pair]:
    """Compare only what the vector states."""
    return [(expected, {k: actual.get(k, "<not computed>") for k in expected})]


def proposal_fields(result: ReplicaResult, expected: Case) -> Case:
    if isinstance(result, MetricFailure):
        wanted = str(expected.get("error_contains", ""))
        found = bool(wanted) and wanted in result.message
        return {"error_contains": wanted if found else f"{result.reason}: {result.message}"}
    return {
        "replicas": result.replicas,
        "utilization": result.utilization,
        "raw_average_milli": result.usage_milli,
        "usage_milli": result.usage_milli,
        "error_contains": "<no error>",
    }


# -- sections --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calc:
    """The shared inputs of one replica-calculator vector."""

    case: Case
    pods: tuple[PodInfo, ...]
    resource: str
    tolerances: Tolerances
    settings: ControllerSettings

    @property
    def current(self) -> int:
        return int(self.case.get("current_replicas", 0))


def calc_resource(c: Calc) -> ReplicaResult:
    return resource_replicas(
        current_replicas=c.current,
        target_utilization=c.case["target_utilization"],
        resource=c.resource,
        usage=pod_usage(c.case, c.resource),
        pods=c.pods,
        now=NOW,
        container=c.case.get("container"),
        tolerances=c.tolerances,
        settings=c.settings,
    )


def calc_pods_metric(c: Calc) -> ReplicaResult:
    timestamp, window = at(c.case.get("metric_timestamp", "zero")), c.case.get("metric_window_s", 60)
    samples = [
        PodMetric(p["name"], p["metric_value_milli"], timestamp, window)
        for p in c.case["pods"]
        if p.get("metric_value_milli") is not None
    ]
    return pods_metric_replicas(
        current_replicas=c.current,
        target_average_milli=c.case["target_average_value_milli"],
        metrics=samples,
        pods=c.pods,
        now=NOW,
        tolerances=c.tolerances,
        settings=c.settings,
    )


def calc_object(c: Calc) -> ReplicaResult:
    return object_replicas(
        current_replicas=c.current,
        target_milli=c.case["target_value_milli"],
        value_milli=c.case["object_value_milli"],
        pods=c.pods,
        tolerances=c.tolerances,
    )


def calc_object_per_pod(c: Calc) -> ReplicaResult:
    return object_per_pod_replicas(
        status_replicas=c.case["status_replicas"],
        target_average_milli=c.case["target_average_value_milli"],
        value_milli=c.case["object_value_milli"],
        tolerances=c.tolerances,
    )


def calc_external(c: Calc) -> ReplicaResult:
    return external_replicas(
        current_replicas=c.current,
        target_milli=c.case["target_value_milli"],
        values_milli=c.case["external_values_milli"],
        pods=c.pods,
        tolerances=c.tolerances,
    )


def calc_external_per_pod(c: Calc) -> ReplicaResult:
    return external_per_pod_replicas(
        status_replicas=c.case["status_replicas"],
        target_average_milli=c.case["target_average_value_milli"],
        values_milli=c.case["external_values_milli"],
        tolerances=c.tolerances,
    )


CALCULATORS: dict[str, Callable[[Calc], ReplicaResult]] = {
    "GetResourceReplicas": calc_resource,
    "GetMetricReplicas": calc_pods_metric,
    "GetObjectMetricReplicas": calc_object,
    "GetObjectPerPodMetricReplicas": calc_object_per_pod,
    "GetExternalMetricReplicas": calc_external,
    "GetExternalPerPodMetricReplicas": calc_external_per_pod,
}


def run_replica_calculator(case: Case, harness: Harness) -> list[Pair]:
    calculate = CALCULATORS.get(case["function"])
    if calculate is None:
        return [(case["function"], "<unknown replica calculator function>")]
    resource = case.get("resource", "cpu")
    calc = Calc(
        case=case,
        pods=tuple(pod_info(p, resource) for p in case["pods"]),
        resource=resource,
        tolerances=Tolerances(case["tolerance"]["down"], case["tolerance"]["up"]),
        settings=settings_from(harness.get("replica_calculator", {})),
    )
    return pick(case["expected"], proposal_fields(calculate(calc), case["expected"]))


def controller_reading(m: Case, case: Case) -> MetricReading:
    known = {"Resource", "ContainerResource", "Pods", "Object", "External"}
    kind = m.get("type", "")
    if m.get("invalid_source_type") and kind in known:
        kind = "InvalidSourceType"
    spec = MetricSpec(kind, m.get("resource") or m.get("name", ""), target(m), m.get("container"))
    if m.get("fetch_error"):
        return MetricReading(spec, error="unable to fetch metrics from the metrics API")
    return MetricReading(spec, pod_usage=pod_usage(case, spec.name))


def controller_label(result: Any) -> str:
    if result.branch == Branch.NORMALIZED:
        return str(result.condition("ScalingLimited").reason)
    if result.branch == Branch.METRICS_FAILED:
        active = result.condition("ScalingActive")
        return "AmbiguousSelector" if active is not None and active.reason == "AmbiguousSelector" else "MetricsInvalid"
    return str(result.branch.value)


def run_controller(case: Case, harness: Harness) -> list[Pair]:
    spec = case["hpa"]
    behavior = spec.get("behavior")
    if behavior is not None:
        behavior = Behavior(rules(behavior.get("scale_up")), rules(behavior.get("scale_down")))
    hpa = HPASpec(max_replicas=spec["max_replicas"], min_replicas=spec.get("min_replicas"), behavior=behavior)
    recs = case.get("recommendations")
    state = HPAState(
        recommendations=None if recs is None else recommendations(recs),
        scale_up_events=events(case.get("scale_up_events")),
        scale_down_events=events(case.get("scale_down_events")),
    )
    shared = ambiguous_selector("app=test", ["test-namespace/other-hpa"]) if case.get("ambiguous_selector") else None
    result = reconcile(
        hpa,
        spec_replicas=case["spec_replicas"],
        status_replicas=case["status_replicas"] if "status_replicas" in case else case["spec_replicas"],
        readings=[controller_reading(m, case) for m in spec.get("metrics", [])],
        pods=[pod_info(p, "cpu") for p in case.get("pods", [])],
        now=NOW,
        state=state,
        settings=settings_from(harness.get("controller", {})),
        selector_problem=shared,
    )
    return pick(case["expected"], {"desired_replicas": result.desired_replicas, "reason": controller_label(result)})


def run_behavior_rate(case: Case, harness: Harness) -> list[Pair]:
    limited = limit_with_behavior_rate(
        current=case["current_replicas"],
        desired=case["desired_replicas"],
        min_replicas=case["min_replicas"],
        max_replicas=case["max_replicas"],
        scale_up=rules(case.get("scale_up_rules")),
        scale_down=rules(case.get("scale_down_rules")),
        up_events=events(case.get("scale_up_events")),
        down_events=events(case.get("scale_down_events")),
        now=NOW,
    )
    return pick(case["expected"], {"replicas": limited.replicas, "condition_reason": limited.reason})


def run_policy_limit(case: Case, harness: Harness) -> list[Pair]:
    limit = scale_down_limit if "Down" in case.get("function", "") else scale_up_limit
    value = limit(
        case["current_replicas"],
        up_events=events(case.get("scale_up_events")),
        down_events=events(case.get("scale_down_events")),
        rules=rules(case.get("rules")),
        now=NOW,
    )
    return pick(case["expected"], {"limit": value})


def run_behavior_stabilization(case: Case, harness: Harness) -> list[Pair]:
    stabilized = stabilize_with_behaviors(
        recommendations(case.get("recommendations")),
        current=case["current_replicas"],
        desired=case["desired_replicas"],
        up_window_seconds=case.get("scale_up_stabilization_window_s") or 0,
        down_window_seconds=case.get("scale_down_stabilization_window_s") or 0,
        now=NOW,
    )
    stored = [r.replicas for r in stabilized.recommendations]
    return pick(case["expected"], {"replicas": stabilized.replicas, "stored_recommendation_values": stored})


def run_legacy_stabilization(case: Case, harness: Harness) -> list[Pair]:
    stabilized = stabilize_recommendation(
        recommendations(case.get("recommendations")),
        desired=case["desired_replicas"],
        window_seconds=case.get("downscale_stabilization_window_s", 300),
        now=NOW,
    )
    actual = {"replicas": stabilized.replicas, "stored_recommendation_count": len(stabilized.recommendations)}
    return pick(case["expected"], actual)


def factor_of(text: str) -> float | None:
    found = re.search(r"\d+(?:\.\d+)?", text)
    return float(found.group()) if found else None


def run_legacy_convert(case: Case, harness: Harness) -> list[Pair]:
    """The cap depends on `scaleUpLimitFactor`; answers listed per factor are each checked."""
    minimum = harness.get("controller", {}).get("scale_up_limit_minimum", 4.0)
    expectations: list[tuple[float, Case]] = []
    plain = {k: v for k, v in case["expected"].items() if k in ("replicas", "condition_reason")}
    if plain:
        expectations.append((harness.get("controller", {}).get("scale_up_limit_factor", 8.0), plain))
    for key, value in case["expected"].items():
        if key in plain:
            continue
        if factor_of(key) is not None:
            expectations.append((factor_of(key) or 0.0, value if isinstance(value, dict) else {"replicas": value}))
        elif isinstance(value, dict):
            for sub, answer in value.items():
                factor = factor_of(sub)
                if factor is not None:
                    expectations.append((factor, answer if isinstance(answer, dict) else {"replicas": answer}))
    if not expectations:
        return [(case["expected"], "<no answer this test can read>")]
    pairs: list[Pair] = []
    for factor, expected in expectations:
        limited = limit_with_rules(
            current=case["current_replicas"],
            desired=case["desired_replicas"],
            min_replicas=case["min_replicas"],
            max_replicas=case["max_replicas"],
            factor=factor,
            minimum=minimum,
        )
        actual = {"replicas": limited.replicas, "condition_reason": limited.reason}
        label = f"scaleUpLimitFactor {factor}"
        pairs.append(({label: expected}, {label: {k: actual.get(k, "<not computed>") for k in expected}}))
    return pairs


RUNNERS: dict[str, Callable[[Case, Harness], list[Pair]]] = {
    "replica_calculator_cases": run_replica_calculator,
    "controller_cases": run_controller,
    "behavior_rate_cases": run_behavior_rate,
    "policy_limit_cases": run_policy_limit,
    "behavior_stabilization_cases": run_behavior_stabilization,
    "legacy_stabilization_cases": run_legacy_stabilization,
    "legacy_convert_rules_cases": run_legacy_convert,
}
