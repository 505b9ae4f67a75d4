"""Loading a policy: every problem on one line with its source, its YAML path and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaido.config import Policy, PolicyError, load_policy, parse_policy


def problems(text: str, *, source: str = "policy.yaml") -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source=source)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_empty_document_is_the_default_policy() -> None:
    assert parse_policy("", source="cm") == Policy()
    assert parse_policy("# nothing yet\n", source="cm") == Policy()


def test_a_partial_document_keeps_every_other_default() -> None:
    policy = parse_policy("agent:\n  leaseDuration: 20s\nrateLimits:\n  global: {actions: 5}\n", source="p")
    assert policy.agent.lease_duration == 20.0
    assert policy.agent.renew_deadline == 10.0
    assert (policy.rate_limits.global_.actions, policy.rate_limits.global_.per) == (5, 60.0)
    assert policy.modes == Policy().modes


def test_unknown_keys_name_the_path_and_suggest_the_closest_key() -> None:
    text = "modes:\n  heeling: observe\nagent:\n  lease_duration: 20s\n  retention: {fiveMinutes: 3d}\n"
    assert problems(text) == [
        "policy.yaml: modes.heeling: unknown key; did you mean 'healing'?",
        "policy.yaml: agent.retention.fiveMinutes: unknown key; did you mean '5m'?",
        "policy.yaml: agent.lease_duration: unknown key; did you mean 'leaseDuration'?",
    ]


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    (line,) = problems("api:\n  zzz: 1\n")
    assert line == "policy.yaml: api.zzz: unknown key; allowed keys: port, host, writeTokenFile, dashboardUrl"


def test_a_wrong_choice_names_the_allowed_values() -> None:
    assert problems("modes:\n  healing: enforced\n") == [
        "policy.yaml: modes.healing: 'enforced' is not one of off, observe, recommend, enforce; did you mean 'enforce'?"
    ]
    (line,) = problems("healing:\n  ladder: [restart-pod, reboot-node]\n")
    assert line.startswith("policy.yaml: healing.ladder[1]: 'reboot-node' is not one of restart-pod, rollout-restart")


def test_a_wrong_channel_type_names_the_types() -> None:
    (line,) = problems("alerts:\n  channels:\n    ops: {type: teams}\n")
    assert line == (
        "policy.yaml: alerts.channels.ops.type: 'teams' is not one of "
        "slack, email, pagerduty, webhook, alertmanager, kubernetes-events"
    )


def test_a_bad_duration_says_how_to_write_one() -> None:
    (line,) = problems("monitor:\n  restartWindow: five minutes\n")
    assert line == (
        "policy.yaml: monitor.restartWindow: 'five minutes' is not a duration; "
        "write it like 30s, 5m, 1h30m, 500ms, 7d or a number of seconds"
    )


def test_numbers_out_of_range_and_wrong_types() -> None:
    assert problems("api:\n  port: 70000\nmonitor:\n  thresholds: {podCpu: 120%}\n  restartThreshold: many\n") == [
        "policy.yaml: api.port: 70000 is out of range; it must be at most 65535",
        "policy.yaml: monitor.thresholds.podCpu: '120%' is out of range; it must be at most 100",
        "policy.yaml: monitor.restartThreshold: 'many' is not an integer",
    ]


def test_an_inline_secret_says_how_to_reference_it() -> None:
    text = (
        "alerts:\n  channels:\n    ops:\n      type: slack\n      webhookUrl: https://hooks.slack.com/services/T/B/X\n"
    )
    lines = problems(text)
    assert lines[0] == (
        "policy.yaml: alerts.channels.ops.webhookUrl: secrets are not written in the policy; put it in a mounted "
        "Secret and set webhookUrlFile to its path, or in an environment variable and set webhookUrlEnv to its name"
    )
    assert not any("hooks.slack.com" in line for line in lines), "the secret itself must not be echoed"


def test_errors_inside_nested_lists_and_the_hpa_behavior_have_paths() -> None:
    text = """
scaling:
  hpas:
    - target: deployment/backend
      namespace: chatbot-dev
      maxReplicas: 10
      cpuUtilization: 70
      behavior:
        scaleDown:
          policies: [{type: Pod, value: 10, periodSeconds: 60}]
          stabilisationWindowSeconds: 300
"""
    assert problems(text) == [
        "policy.yaml: scaling.hpas[0].behavior.scaleDown.policies[0].type: 'Pod' is not one of Pods, Percent; "
        "did you mean 'Pods'?",
        "policy.yaml: scaling.hpas[0].behavior.scaleDown.stabilisationWindowSeconds: unknown key; "
        "did you mean 'stabilizationWindowSeconds'?",
    ]


def test_missing_required_keys_are_named() -> None:
    (line,) = problems("scaling:\n  hpas:\n    - {target: web, namespace: x, cpuUtilization: 50}\n")
    assert line == "policy.yaml: scaling.hpas[0].maxReplicas: required key is missing"


def test_cross_field_rules_name_the_section() -> None:
    (line,) = problems("alerts:\n  rules:\n    - {name: r, conditions: [{finding: crash-loop}], channels: [pager]}\n")
    assert line == "policy.yaml: alerts: rules[0] names channel 'pager', which is not defined; channels: events"


def test_all_problems_are_reported_at_once() -> None:
    assert len(problems("paused: maybe\nmodes: {healing: x}\napi: {port: 0}\n")) == 3


def test_malformed_yaml_names_line_and_column() -> None:
    (line,) = problems("modes:\n  healing: [observe\nagent: {}\n")
    assert line.startswith("policy.yaml: line 3, column 6: malformed YAML:")


def test_a_key_written_twice_is_an_error() -> None:
    (line,) = problems("modes:\n  healing: observe\n  healing: enforce\n")
    assert (
        line == "policy.yaml: line 3, column 3: malformed YAML: key 'healing' appears twice (first on line 2); keep one"
    )


def test_off_is_a_mode_not_a_boolean() -> None:
    assert parse_policy("modes:\n  healing: off\n", source="p").modes.healing == "off"
    (line,) = problems("modes:\n  rollback: on\n")
    assert line.startswith("policy.yaml: modes.rollback: 'on' is not one of off, observe")
    assert parse_policy("paused: yes\n", source="p").paused is True
    (line,) = problems("paused: maybe\n")
    assert line == "policy.yaml: paused: 'maybe' is not true or false"


def test_the_document_must_be_one_mapping() -> None:
    assert problems("- modes\n") == [
        "policy.yaml: (top level): expected a mapping of sections (modes, namespaces, agent, ...), not a list"
    ]
    (line,) = problems("modes: {}\n---\nmodes: {}\n")
    assert "a policy is one document" in line


def test_api_version_and_kind_are_checked() -> None:
    (line,) = problems("apiVersion: kaido.io/v1\nkind: Policy\n")
    assert (
        line
        == "policy.yaml: apiVersion: 'kaido.io/v1' is not one of kaido.io/v1alpha1; did you mean 'kaido.io/v1alpha1'?"
    )


def test_load_policy_reads_a_file_or_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("paused: true\n")
    assert load_policy(path, environ={}).paused is True
    assert load_policy(None, environ={}) == Policy()
    assert load_policy(None, environ={"KAIDO_PAUSED": "true"}).paused is True


def test_load_policy_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read the policy file \(No such file or directory\)"):
        load_policy(tmp_path / "missing.yaml", environ={})
    (tmp_path / "latin1.yaml").write_bytes(b"paused: \xe9\n")
    with pytest.raises(PolicyError, match="not UTF-8 text"):
        load_policy(tmp_path / "latin1.yaml", environ={})
