"""The policy schema: defaults from the brief, section rules, channels, diff and dump."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from kaido.config import (
    AgentSettings,
    AlertSettings,
    EmailChannel,
    FindingCondition,
    HPASpec,
    MetricCondition,
    Modes,
    NamespaceFilter,
    PagerDutyChannel,
    Policy,
    Route,
    SecretError,
    SlackChannel,
    WebhookChannel,
    dump_policy,
    load_policy,
    parse_policy,
    paths,
    read_secret,
)
from kaido.core import ObjectRef

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "policy").glob("*.yaml"))


def test_defaults_carry_the_briefs_thresholds() -> None:
    policy = Policy()
    thresholds = policy.monitor.thresholds
    assert (thresholds.pod_cpu, thresholds.pod_memory) == (80, 85)
    assert (thresholds.node_cpu, thresholds.node_memory, thresholds.node_disk) == (85, 90, 80)
    assert (policy.monitor.restart_threshold, policy.monitor.restart_window) == (5, 300.0)
    assert (policy.monitor.pod_interval, policy.monitor.node_interval) == (30.0, 60.0)
    assert policy.logs.interval == 60.0


def test_default_alert_rules_are_the_briefs() -> None:
    rules = {rule.name: rule for rule in Policy().alerts.rules}
    assert list(rules)[:4] == ["high-error-rate", "high-warning-rate", "performance-degradation", "resource-exhaustion"]
    errors = rules["high-error-rate"]
    assert errors.severity == "critical"
    assert errors.conditions == [MetricCondition(metric="log-errors", op=">", threshold=5, per=60.0)]
    assert rules["high-warning-rate"].conditions[0] == MetricCondition(metric="log-warnings", threshold=10, per=60)
    assert rules["performance-degradation"].conditions[0] == MetricCondition(
        metric="slow-requests", threshold=5, per=60
    )
    exhaustion = rules["resource-exhaustion"]
    assert exhaustion.severity == "critical"
    assert exhaustion.combine == "any"
    assert {(c.metric, c.threshold) for c in exhaustion.conditions if isinstance(c, MetricCondition)} == {
        ("memory-usage", 90),
        ("cpu-usage", 90),
    }
    assert rules["healing-escalated"].conditions == [FindingCondition(finding="healing-escalated")]


def test_default_modes_and_guards() -> None:
    policy = Policy()
    assert (policy.modes.healing, policy.modes.rollback, policy.modes.scaling) == ("enforce",) * 3
    assert (policy.modes.predictive, policy.modes.rightsizing) == ("recommend",) * 2
    assert policy.paused is False
    assert (policy.rate_limits.global_.actions, policy.rate_limits.global_.per) == (10, 60.0)
    assert (policy.rate_limits.per_workload.actions, policy.rate_limits.per_workload.per) == (3, 600.0)
    assert policy.healing.ladder == ["restart-pod", "rollout-restart", "scale-down-up"]
    assert policy.healing.memory_cap_quantity.as_int() == 4 * 2**30
    assert policy.agent.retention.five_minute == 7 * 86400
    assert Modes.uniform("enforce").predictive == "enforce"


@pytest.mark.parametrize(
    ("namespace", "admitted"),
    [("chatbot-dev", True), ("team-a", True), ("kube-system", False), ("other", False), ("team-secret", False)],
)
def test_namespace_filter_deny_wins_and_globs_match(namespace: str, admitted: bool) -> None:
    ns = NamespaceFilter(allow=["chatbot-dev", "team-*"], deny=["kube-*", "*-secret"])
    assert ns.admits(namespace) is admitted


def test_empty_allow_list_admits_everything_not_denied() -> None:
    assert NamespaceFilter().admits("anything")
    assert not NamespaceFilter().admits("kube-node-lease")


def test_lease_timings_must_nest() -> None:
    with pytest.raises(ValidationError, match=r"leaseDuration \(10s\) must be longer than renewDeadline \(10s\)"):
        AgentSettings(lease_duration=10, renew_deadline=10)


def test_hpa_spec_checks_target_bounds_and_metrics() -> None:
    spec = HPASpec(target="deploy/backend-deployment", namespace="chatbot-dev", max_replicas=10, cpu_utilization=70)
    assert spec.ref == ObjectRef(kind="Deployment", name="backend-deployment", namespace="chatbot-dev")
    assert spec.hpa_name == "backend-deployment"
    with pytest.raises(ValidationError, match="an HPA can scale a Deployment"):
        HPASpec(target="pod/web", namespace="x", max_replicas=2, cpu_utilization=50)
    with pytest.raises(ValidationError, match=r"maxReplicas \(2\) is below minReplicas \(3\)"):
        HPASpec(target="web", namespace="x", min_replicas=3, max_replicas=2, cpu_utilization=50)
    with pytest.raises(ValidationError, match="set cpuUtilization, memoryUtilization or both"):
        HPASpec(target="web", namespace="x", max_replicas=2)
    # Utilization is a % of requests, so above 100 is a valid HPA target.
    assert (
        HPASpec.model_validate(
            {"target": "web", "namespace": "x", "maxReplicas": 2, "cpuUtilization": "150%"}
        ).cpu_utilization
        == 150
    )


def test_metric_conditions_are_counts_per_window_or_percentages() -> None:
    with pytest.raises(ValidationError, match="is a count; say over which window"):
        MetricCondition(metric="restarts", threshold=3)
    with pytest.raises(ValidationError, match="is a percentage; remove per"):
        MetricCondition(metric="cpu-usage", threshold=90, per=60)
    with pytest.raises(ValidationError, match="not within 0-100"):
        MetricCondition(metric="node-disk", threshold=150)


def test_rules_and_routes_must_name_defined_channels() -> None:
    with pytest.raises(ValidationError, match=r"routes\[0\] names channel 'pager'.*channels: events, ops"):
        AlertSettings(
            channels={"ops": SlackChannel(type="slack", webhook_url_env="OPS")}, routes=[Route(channels=["pager"])]
        )
    settings = AlertSettings(channels={}, routes=[Route(channels=["events"])])
    assert set(settings.all_channels()) == {"events"}


def test_secret_references_need_exactly_one_source() -> None:
    with pytest.raises(ValidationError, match=r"set webhookUrlFile .* or webhookUrlEnv"):
        SlackChannel(type="slack")
    with pytest.raises(ValidationError, match="not both"):
        PagerDutyChannel(type="pagerduty", routing_key_file="/k", routing_key_env="K")
    with pytest.raises(ValidationError, match="KAIDO_ variables are policy overrides"):
        SlackChannel(type="slack", webhook_url_env="KAIDO_SLACK")
    with pytest.raises(ValidationError, match="a password needs a username"):
        EmailChannel.model_validate(
            {"type": "email", "smtpHost": "mail", "from": "a@b.c", "to": ["d@e.f"], "passwordEnv": "SMTP_PASSWORD"}
        )


def test_channels_read_their_secrets_by_reference(tmp_path: Path) -> None:
    key = tmp_path / "routing-key"
    key.write_text("abc123\n")
    assert PagerDutyChannel(type="pagerduty", routing_key_file=str(key)).routing_key(environ={}) == "abc123"
    slack = SlackChannel(type="slack", webhook_url_env="SLACK_WEBHOOK_URL")
    assert slack.webhook_url(environ={"SLACK_WEBHOOK_URL": "https://hooks.example/x"}) == "https://hooks.example/x"
    assert WebhookChannel(type="webhook", url="http://x").hmac_secret(environ={}) is None
    with pytest.raises(SecretError, match="slack webhook URL: environment variable SLACK_WEBHOOK_URL is not set"):
        slack.webhook_url(environ={})
    with pytest.raises(SecretError, match="slack webhook URL: environment variable SLACK_WEBHOOK_URL is empty"):
        slack.webhook_url(environ={"SLACK_WEBHOOK_URL": " "})
    with pytest.raises(SecretError, match=r"cannot read .*missing"):
        read_secret(file=str(tmp_path / "missing"), env=None, environ={}, what="x")


def test_diff_names_changed_yaml_paths() -> None:
    before = Policy()
    after = parse_policy(
        "modes: {healing: observe}\nrateLimits: {global: {actions: 5}}\nalerts: {rules: []}\n", source="t"
    )
    assert before.diff(after) == ["modes.healing", "rateLimits.global.actions", "alerts.rules"]
    assert before.diff(before) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_parses_and_dumps_back(example: Path) -> None:
    policy = load_policy(example, environ={})
    assert parse_policy(dump_policy(policy), source="dump") == policy


def test_the_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} >= {"default.yaml", "chatbot-dev.yaml", "brief-mapping.yaml"}


def test_default_example_is_exactly_the_default_policy() -> None:
    assert load_policy(ROOT / "examples/policy/default.yaml", environ={}) == Policy()


def test_brief_mapping_example_carries_the_briefs_values() -> None:
    policy = load_policy(ROOT / "examples/policy/brief-mapping.yaml", environ={})
    (hpa,) = policy.scaling.hpas
    assert (hpa.hpa_name, hpa.ref.name, hpa.min_replicas, hpa.max_replicas) == (
        "backend-hpa",
        "backend-deployment",
        2,
        10,
    )
    assert (hpa.cpu_utilization, hpa.memory_utilization) == (70, 80)
    assert hpa.behavior is not None
    assert hpa.behavior["scaleDown"] == {
        "stabilizationWindowSeconds": 300,
        "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
    }
    channels = {rule.name: rule.channels for rule in policy.alerts.rules}
    assert channels["resource-exhaustion"] == ["slack", "email", "pagerduty"]
    assert policy.healing.max_attempts_per_rung == 3


def _yaml_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        keys.add(key)
        for inner in _models_in(info.annotation):
            keys |= _yaml_keys(inner)
    return keys


def _models_in(tp: Any) -> list[type[BaseModel]]:
    shape = paths.unwrap(tp)
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        return [shape]
    return [m for arg in getattr(shape, "__args__", ()) for m in _models_in(arg)]


def test_docs_mention_every_policy_key() -> None:
    docs = (ROOT / "docs/policy.md").read_text()
    mentioned = set(re.findall(r"`([A-Za-z0-9]+)", docs)) | set(re.findall(r"[.`]([A-Za-z0-9]+)`", docs))
    missing = sorted(_yaml_keys(Policy) - mentioned)
    assert not missing, f"docs/policy.md does not document {missing}"
