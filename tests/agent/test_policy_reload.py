"""Hot reload of the policy from a ConfigMap and from a file: bad reloads keep the last good policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent import AgentProcess, http, wait_for
from tests.support.sim import SimThread

CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    thread = SimThread(kubeconfig=tmp_path / "kubeconfig", runtime=True).start()
    yield thread
    thread.stop()


def _agent_state(agent: AgentProcess) -> dict[str, Any]:
    status, body = agent.get("/api/v1/health")
    assert status == 200
    return dict(body["agent"])


def _put_policy(sim: SimThread, text: str) -> None:
    status, body = http(
        "PATCH",
        f"{sim.url}{CM}/kaido-policy",
        {"data": {"policy.yaml": text}},
        {"Content-Type": "application/merge-patch+json"},
    )
    assert status == 200, body


def test_configmap_reload_keeps_the_last_good_policy(sim: SimThread, tmp_path: Path) -> None:
    configmap = {"metadata": {"name": "kaido-policy"}, "data": {"policy.yaml": "modes:\n  healing: observe\n"}}
    assert http("POST", sim.url + CM, configmap)[0] == 201
    agent = AgentProcess(
        sim.kubeconfig, tmp_path, args=("--policy-configmap", "kaido-policy"), env={"POD_NAMESPACE": "default"}
    ).start()
    try:
        agent.wait_ready()
        first = wait_for(lambda: _agent_state(agent)["policy_generation"] >= 1 and _agent_state(agent), timeout=10)
        assert first["policy_error"] is None

        _put_policy(sim, "modes:\n  healing: enforced\n")
        failed = wait_for(lambda: _agent_state(agent)["policy_error"], timeout=10, what="the bad reload to be reported")
        assert "modes.healing" in failed and "enforce" in failed
        assert _agent_state(agent)["policy_generation"] == first["policy_generation"]
        assert "kaido_policy_reload_failed 1.0" in agent.get("/metrics")[1]

        _put_policy(sim, "modes:\n  healing: enforce\npaused: true\n")
        state = wait_for(
            lambda: (s := _agent_state(agent))["policy_error"] is None and s, timeout=10, what="the good reload"
        )
        assert state["policy_generation"] == first["policy_generation"] + 1
        assert state["paused"] is True
        timeline = agent.get("/api/v1/timeline")[1]["items"]
        assert any("rejected configmap default/kaido-policy" in e["text"] for e in timeline)
    finally:
        agent.kill()


def test_file_reload(sim: SimThread, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("paused: false\n")
    agent = AgentProcess(sim.kubeconfig, tmp_path, args=("--config", str(policy))).start()
    try:
        agent.wait_ready()
        assert _agent_state(agent)["paused"] is False
        policy.write_text("paused: [\n")  # malformed YAML
        error = wait_for(lambda: _agent_state(agent)["policy_error"], timeout=10, what="the malformed file reported")
        assert str(policy) in error
        assert _agent_state(agent)["paused"] is False
        policy.write_text("paused: true\n")
        wait_for(lambda: _agent_state(agent)["paused"], timeout=10, what="the fixed file applied")
        assert _agent_state(agent)["policy_error"] is None
    finally:
        agent.kill()
