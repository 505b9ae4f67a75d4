"""`kaido run` as a process against the simulator playing chatbot-dev: probes, API, metrics, drain."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent import KAIDO, AgentProcess, free_port, http, wait_for
from tests.support.sim import ROOT, SimThread

CHATBOT = ROOT / "examples/scenarios/chatbot-dev.yaml"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("run") / "kubeconfig", scenario=CHATBOT).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def agent(sim: SimThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    process = AgentProcess(sim.kubeconfig, tmp_path_factory.mktemp("agent")).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


def test_probes_answer_once_caches_are_synced(agent: AgentProcess) -> None:
    assert agent.get("/healthz") == (200, {"status": "ok", "reason": "ok"})
    status, body = agent.get("/readyz")
    assert (status, body["waiting_for"]) == (200, [])


def test_health_counts_the_scenario(agent: AgentProcess, sim: SimThread) -> None:
    status, body = agent.get("/api/v1/health")
    assert status == 200
    pods = len(http("GET", f"{sim.url}/api/v1/pods")[1]["items"])
    assert body["cluster"]["pods"]["total"] == pods > 0
    assert body["cluster"]["nodes"]["total"] == 3
    assert body["agent"]["leader"] is True
    assert body["agent"]["synced"] is True


def test_the_crash_looping_test_pod_becomes_a_finding(agent: AgentProcess) -> None:
    def crash_loop() -> list[dict[str, object]]:
        items = agent.get("/api/v1/findings")[1]["items"]
        return [f for f in items if "test-crash-loop" in str(f["target"]) and f["kind"] == "crash-loop-back-off"]

    found = wait_for(crash_loop, timeout=30, what="a crash-loop finding for test-crash-loop")
    assert "CrashLoopBackOff" in str(found[0]["summary"])


def test_metrics_export_informers_leadership_and_findings(agent: AgentProcess) -> None:
    status, text = agent.get("/metrics")
    assert status == 200
    assert 'kaido_informer_synced{namespace="",resource="pods"} 1.0' in text
    assert "kaido_leader{" in text and "} 1.0" in text.split("kaido_leader{", 1)[1].split("\n", 1)[0]
    assert "kaido_informer_queue_depth" in text
    assert "kaido_actions_total" in text
    assert 'kaido_api_requests_total{resource="/pods",verb="list"}' in text
    assert 'kaido_api_requests_total{resource="/pods",verb="watch"}' in text


def test_actions_are_read_only_without_a_token(agent: AgentProcess) -> None:
    status, body = agent.post("/api/v1/actions", {"action": "Scale", "target": "deploy/frontend-deployment"})
    assert status == 403
    assert "read-only" in body["detail"]
    assert agent.get("/api/v1/actions")[0] == 200


def test_sigterm_drains_within_the_bound(sim: SimThread, tmp_path: Path) -> None:
    process = AgentProcess(sim.kubeconfig, tmp_path, env={"KAIDO_AGENT__DRAIN_TIMEOUT": "5s"}).start()
    try:
        process.wait_ready()
        code, seconds = process.terminate()
    finally:
        process.kill()
    assert code == 0, process.log()
    assert seconds < 5 + 2
    assert "Traceback" not in process.log()
    assert "stopping: draining" in process.log()


def _run_fails(*args: str) -> str:
    completed = subprocess.run(
        [str(KAIDO), "run", "--port", str(free_port()), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stderr


def test_a_bad_policy_is_one_clear_error(sim: SimThread, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("modes:\n  healing: enforced\n")
    err = _run_fails("--kubeconfig", str(sim.kubeconfig), "--config", str(policy), "--store", str(tmp_path / "k.db"))
    assert "modes.healing" in err and "enforce" in err and str(policy) in err


def test_an_unreachable_api_server_is_one_clear_error(sim: SimThread, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(sim.kubeconfig.read_text().replace(sim.url, f"http://127.0.0.1:{free_port()}"))
    err = _run_fails("--kubeconfig", str(kubeconfig), "--store", str(tmp_path / "k.db"))
    assert "127.0.0.1" in err


def test_a_store_in_use_is_one_clear_error(agent: AgentProcess, sim: SimThread) -> None:
    err = _run_fails("--kubeconfig", str(sim.kubeconfig), "--store", str(agent.workdir / f"kaido-{agent.port}.db"))
    assert "in use" in err


def test_the_bare_crash_looping_pod_is_an_escalated_incident(agent: AgentProcess) -> None:
    def incident() -> list[dict[str, object]]:
        items = agent.get("/api/v1/incidents")[1]["items"]
        return [i for i in items if "test-crash-loop" in str(i["target"])]

    found = wait_for(incident, timeout=30, what="an incident for the test-crash-loop pod")
    assert found[0]["cause"] == "crash-loop" and found[0]["outcome"] == "escalated"
    assert found[0]["actions"] == []  # a pod without a controller is never deleted
    status, scaling = agent.get("/api/v1/scaling")
    assert status == 200 and scaling["count"] == 0  # the default policy manages no HPA
