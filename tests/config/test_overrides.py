"""Environment overrides: KAIDO_<SECTION>__<FIELD>, validated like YAML, unknown paths rejected."""

from __future__ import annotations

import pytest

from kaido.config import Policy, PolicyError, parse_policy

HPA = """
scaling:
  hpas:
    - {target: deployment/backend, namespace: chatbot-dev, maxReplicas: 10, cpuUtilization: 70}
alerts:
  channels:
    team-slack: {type: slack, webhookUrlEnv: SLACK_URL}
"""


def env_problems(environ: dict[str, str], text: str = "") -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="policy.yaml", environ=environ)
    return caught.value.problems


def test_overrides_set_values_the_way_yaml_would() -> None:
    policy = parse_policy(
        "modes: {healing: enforce}\nagent: {leaseDuration: 30s}\n",
        source="policy.yaml",
        environ={
            "KAIDO_MODES__HEALING": "observe",
            "KAIDO_AGENT__LEASE_DURATION": "20s",
            "KAIDO_PAUSED": "true",
            "KAIDO_RATE_LIMITS__GLOBAL__ACTIONS": "5",
            "KAIDO_AGENT__RETENTION__FIVE_MINUTE": "3d",
            "PATH": "/usr/bin",  # not ours: ignored
        },
    )
    assert policy.modes.healing == "observe"
    assert policy.agent.lease_duration == 20.0
    assert policy.paused is True
    assert policy.rate_limits.global_.actions == 5
    assert policy.agent.retention.five_minute == 3 * 86400
    assert Policy().diff(policy) == [
        "paused",
        "modes.healing",
        "agent.leaseDuration",
        "agent.retention.5m",
        "rateLimits.global.actions",
    ]


def test_the_yaml_spelling_of_a_key_works_too() -> None:
    assert parse_policy("", source="p", environ={"KAIDO_RATELIMITS__PERWORKLOAD__ACTIONS": "1"}).rate_limits == (
        Policy().rate_limits.model_copy(
            update={"per_workload": Policy().rate_limits.per_workload.model_copy(update={"actions": 1})}
        )
    )
    assert (
        parse_policy("", source="p", environ={"KAIDO_AGENT__RETENTION__5M": "2d"}).agent.retention.five_minute == 172800
    )


def test_lists_maps_items_and_nulls() -> None:
    policy = parse_policy(
        HPA,
        source="p",
        environ={
            "KAIDO_NAMESPACES__ALLOW": "team-a, team-b",
            "KAIDO_NAMESPACES__DENY": "[kube-system]",
            "KAIDO_SCALING__HPAS__0__MAX_REPLICAS": "20",
            "KAIDO_ALERTS__CHANNELS__TEAM_SLACK__CHANNEL": "#ops",
            "KAIDO_MONITOR__THRESHOLDS": "{podCpu: 70}",
            "KAIDO_AGENT__LEASE_NAMESPACE": "",
        },
    )
    assert policy.namespaces.allow == ["team-a", "team-b"]
    assert policy.namespaces.deny == ["kube-system"]
    assert policy.scaling.hpas[0].max_replicas == 20
    assert policy.alerts.channels["team-slack"].model_dump()["channel"] == "#ops"
    assert (policy.monitor.thresholds.pod_cpu, policy.monitor.thresholds.pod_memory) == (70, 85)
    assert policy.agent.lease_namespace is None


def test_an_invalid_override_is_blamed_on_its_variable() -> None:
    assert env_problems({"KAIDO_MODES__HEALING": "enforced"}) == [
        "env KAIDO_MODES__HEALING: modes.healing: 'enforced' is not one of off, observe, recommend, enforce; "
        "did you mean 'enforce'?"
    ]
    assert env_problems({"KAIDO_AGENT__RENEW_DEADLINE": "1m"}) == [
        "env KAIDO_AGENT__RENEW_DEADLINE: agent: leaseDuration (15s) must be longer than renewDeadline (60s), "
        "which must be longer than retryPeriod (2s) > 0"
    ]
    assert env_problems({"KAIDO_API__PORT": "http"}) == ["env KAIDO_API__PORT: api.port: 'http' is not an integer"]


def test_an_override_for_an_unknown_path_is_an_error() -> None:
    assert env_problems({"KAIDO_AGENT__LEASE_DURATON": "20s"}) == [
        "env KAIDO_AGENT__LEASE_DURATON: agent.lease_duraton: unknown key; did you mean KAIDO_AGENT__LEASE_DURATION?"
    ]
    (line,) = env_problems({"KAIDO_NOPE": "1"})
    assert line.startswith("env KAIDO_NOPE: nope: unknown key; allowed: apiVersion, kind, paused, modes")
    assert env_problems({"KAIDO_PAUSED__NOW": "1"}) == [
        "env KAIDO_PAUSED__NOW: paused.now: paused is a single value, not a section"
    ]
    assert env_problems({"KAIDO_SCALING__HPAS__0__MAX_REPLICAS": "3"}) == [
        "env KAIDO_SCALING__HPAS__0__MAX_REPLICAS: scaling.hpas[0]: not an index of this list (it has 0 items)"
    ]
    (line,) = env_problems({"KAIDO_MODES__": "off"})
    assert "empty path part" in line


def test_file_problems_come_before_overrides_are_considered() -> None:
    assert env_problems({"KAIDO_NOPE": "1"}, text="modes: {healing: x}\n")[0].startswith("policy.yaml: modes.healing:")


def test_every_bad_override_is_reported_together() -> None:
    lines = env_problems({"KAIDO_NOPE": "1", "KAIDO_MODES__HEALING": "x", "KAIDO_API__PORT": "0"})
    assert [line.split(":")[0] for line in lines] == [
        "env KAIDO_NOPE",
        "env KAIDO_MODES__HEALING",
        "env KAIDO_API__PORT",
    ]


def test_a_malformed_flow_value_is_reported() -> None:
    (line,) = env_problems({"KAIDO_NAMESPACES__ALLOW": "[a, b"})
    assert line.startswith("env KAIDO_NAMESPACES__ALLOW: line 1, column 6: malformed YAML")
