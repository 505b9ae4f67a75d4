"""Two agents against one simulator: one leader acts, the follower serves reads, a kill hands over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent import AgentProcess, wait_for
from tests.support.sim import ROOT, SimThread

LEASE = {"KAIDO_AGENT__LEASE_DURATION": "3s", "KAIDO_AGENT__RENEW_DEADLINE": "2s", "KAIDO_AGENT__RETRY_PERIOD": "0.5s"}
TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    thread = SimThread(
        kubeconfig=tmp_path / "kubeconfig", scenario=ROOT / "examples/scenarios/chatbot-dev.yaml"
    ).start()
    yield thread
    thread.stop()


def _pair(sim: SimThread, tmp_path: Path) -> list[AgentProcess]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"api:\n  writeTokenFile: {token_file}\n")
    agents = []
    for name in ("agent-a", "agent-b"):
        env = LEASE | {"POD_NAME": name, "POD_NAMESPACE": "default"}
        agents.append(AgentProcess(sim.kubeconfig, tmp_path, args=("--config", str(policy)), env=env).start())
    for agent in agents:
        agent.wait_ready()
    return agents


def _leaders(agents: list[AgentProcess]) -> list[str]:
    found = []
    for agent in agents:
        status, body = agent.get("/api/v1/health")
        if status == 200 and body["agent"]["leader"]:
            found.append(body["agent"]["identity"])
    return found


def test_exactly_one_leader_acts_and_a_killed_leader_hands_over(sim: SimThread, tmp_path: Path) -> None:
    agents = _pair(sim, tmp_path)
    try:
        wait_for(lambda: len(_leaders(agents)) == 1, timeout=10, what="one leader")
        for _ in range(10):  # sampled over a few renewals: never two
            assert len(_leaders(agents)) == 1
            time.sleep(0.3)
        leader = next(a for a in agents if a.get("/api/v1/health")[1]["agent"]["leader"])
        follower = next(a for a in agents if a is not leader)

        # The follower keeps its cache warm and serves reads, but refuses to act.
        status, health = follower.get("/api/v1/health")
        assert status == 200 and health["agent"]["synced"] and health["cluster"]["pods"]["total"] > 0
        assert follower.get("/api/v1/findings")[0] == 200
        request = {
            "action": "Scale",
            "target": "deploy/frontend-deployment",
            "namespace": "chatbot-dev",
            "params": {"replicas": 3},
        }
        status, body = follower.post("/api/v1/actions", request, token=TOKEN)
        assert status == 409 and "not the leader" in body["error"]

        status, record = leader.post("/api/v1/actions", request, token=TOKEN)
        assert status == 201 and record["state"] == "succeeded", record["detail"]
        scale = sim.call(lambda: sim.cluster.store.get(_deployments(), "chatbot-dev", "frontend-deployment"))
        assert scale["spec"]["replicas"] == 3

        leader.process.kill()  # type: ignore[union-attr]  # no release: the follower must wait out the lease
        killed_at = time.monotonic()
        wait_for(lambda: _leaders([follower]), timeout=15, interval=0.05, what="the follower to take over")
        handover = time.monotonic() - killed_at
        assert handover <= 3 + 0.5 + 1.0, f"handover took {handover:.1f} s"
    finally:
        for agent in agents:
            agent.kill()


def _deployments() -> object:
    from kaido.sim.resources import RESOURCES

    return next(r for r in RESOURCES if r.plural == "deployments")


def test_writes_need_the_bearer_token(sim: SimThread, tmp_path: Path) -> None:
    agents = _pair(sim, tmp_path)
    try:
        wait_for(lambda: len(_leaders(agents)) == 1, timeout=10, what="one leader")
        leader = next(a for a in agents if a.get("/api/v1/health")[1]["agent"]["leader"])
        request = {
            "action": "RolloutRestart",
            "target": "deploy/backend-deployment",
            "namespace": "chatbot-dev",
            "dryRun": True,
        }
        assert leader.post("/api/v1/actions", request)[0] == 401
        assert leader.post("/api/v1/actions", request, token="wrong")[0] == 401
        status, record = leader.post("/api/v1/actions", request, token=TOKEN)
        assert (status, record["state"], record["mode"]) == (201, "dry-run", "dry-run")
        status, body = leader.post(
            "/api/v1/actions", {"action": "Reboot", "target": "deploy/backend-deployment"}, token=TOKEN
        )
        assert status == 422 and "Reboot" in body["error"] and "RolloutRestart" in body["error"]
        status, body = leader.post(
            "/api/v1/actions",
            {"action": "Scale", "target": "deploy/backend-deployment", "params": {"replica": 2}},
            token=TOKEN,
        )
        assert status == 422 and "replica" in body["error"] and "replicas" in body["error"]
        actions = leader.get("/api/v1/actions")[1]["items"]
        assert [a["action"] for a in actions] == ["RolloutRestart"]
    finally:
        for agent in agents:
            agent.kill()
