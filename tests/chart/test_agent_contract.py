"""What the chart hands the agent is what kaido accepts: its policy schema and `kaido run`'s options.

These tests import kaido itself, so a renamed policy field or CLI option fails here rather than in
a crash-looping pod.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel

from kaido.config.policy import Policy
from kaido.config.sections import Mode, Modes
from tests.chart.helm import CHART, Helm, Manifest, one

CONFIGS: dict[str, dict[str, Any] | None] = {
    "defaults": None,
    "write-token": {"writeToken": {"existingSecret": "kaido-write-token"}},
    "tuned": {
        "policy": {
            "paused": True,
            "modes": {"predictive": "enforce", "logs": "off"},
            "agent": {"leaseName": "ops-leader", "metricsInterval": "15s"},
            "healing": {"allowResourceChanges": True, "memoryCap": "2Gi"},
        }
    },
}


def policy_of(manifests: list[Manifest]) -> dict[str, Any]:
    return dict(yaml.safe_load(one(manifests, "ConfigMap")["data"]["policy.yaml"]))


def aliases(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


@pytest.mark.parametrize("values", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_rendered_policy_is_a_valid_kaido_policy(helm: Helm, values: dict[str, Any] | None) -> None:
    data = policy_of(helm.template(values))
    policy = Policy.model_validate(data, by_alias=True, by_name=False)
    assert policy.modes.healing == "enforce"
    assert policy.agent.lease_namespace is None


def test_values_reach_the_policy(helm: Helm) -> None:
    policy = Policy.model_validate(policy_of(helm.template(CONFIGS["tuned"])), by_alias=True, by_name=False)
    assert policy.paused is True
    assert policy.modes.predictive == "enforce"
    assert policy.modes.rollback == "enforce"  # the chart's defaults merge with the override
    assert policy.agent.lease_name == "ops-leader"  # the release name is only the default
    assert policy.agent.metrics_interval == 15.0
    assert str(policy.healing.memory_cap_quantity) == "2Gi"


def test_the_values_schema_follows_the_policy_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    policy = schema["properties"]["policy"]
    assert set(policy["properties"]) == aliases(Policy)
    assert set(policy["properties"]["modes"]["properties"]) == aliases(Modes)
    assert schema["definitions"]["mode"]["enum"] == list(get_args(Mode))


def test_the_chart_passes_only_options_kaido_run_has(helm: Helm) -> None:
    from kaido.cli.main import main

    run = main.commands["run"]
    options = {option for param in run.params for option in param.opts}
    deployment = one(helm.template({"watchNamespace": "apps"}), "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "run"
    passed = {arg for arg in container["args"] if arg.startswith("-")}
    assert passed == {"--config", "--port", "--policy-configmap", "--namespace"}
    assert passed <= options, f"kaido run has no {sorted(passed - options)}"
