"""`helm lint --strict` passes in every mode, and values.schema.json rejects bad values with the path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import kaido
from tests.chart.helm import CHART, Helm, of_kind

MODES = {
    "defaults": None,
    "single-namespace": {"watchNamespace": "apps"},
    "service-monitor": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
    "write-token": {"writeToken": {"existingSecret": "kaido-write-token"}, "replicas": 1},
}


@pytest.mark.parametrize("values", MODES.values(), ids=MODES.keys())
def test_lint_is_clean(helm: Helm, values: dict[str, Any] | None) -> None:
    completed = helm.lint(values)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 chart(s) failed" in completed.stdout
    assert "[WARNING]" not in completed.stdout
    assert "[ERROR]" not in completed.stdout


def test_service_monitor_is_rendered_only_when_enabled(helm: Helm) -> None:
    assert of_kind(helm.template(), "ServiceMonitor") == []
    [monitor] = of_kind(helm.template(MODES["service-monitor"]), "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]


BAD_VALUES = [
    ({"replicas": "two"}, "at '/replicas': got string, want integer"),
    ({"replicaCount": 2}, "additional properties 'replicaCount' not allowed"),
    ({"policy": {"modes": {"healing": "always"}}}, "at '/policy/modes/healing': value must be one of"),
    ({"policy": {"heal": {}}}, "at '/policy': additional properties 'heal' not allowed"),
    ({"policy": {"agent": {"storePath": "/data/kaido.db"}}}, "at '/policy/agent/storePath'"),
    ({"watchNamespace": "Team_A"}, "at '/watchNamespace'"),
    ({"securityContext": {"readOnlyRootFilesystem": False}}, "at '/securityContext/readOnlyRootFilesystem'"),
    ({"podSecurityContext": {"runAsUser": 0}}, "at '/podSecurityContext/runAsUser'"),
    ({"resources": {"requests": {"cpu": "lots"}}}, "at '/resources/requests/cpu'"),
    ({"image": {"pullPolicy": "Sometimes"}}, "at '/image/pullPolicy'"),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES, ids=[m for _, m in BAD_VALUES])
def test_bad_values_fail_with_the_schema_error(helm: Helm, values: dict[str, Any], message: str) -> None:
    completed = helm.run("template", "kaido", str(CHART), values=values)
    assert completed.returncode != 0
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert message in completed.stderr


def test_schema_describes_every_default_value(helm: Helm) -> None:
    """The schema's top level is closed, so each default key must be declared (and nothing else)."""
    schema = yaml.safe_load((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(defaults)


def test_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == kaido.__version__
    assert chart["apiVersion"] == "v2"
