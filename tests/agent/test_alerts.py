"""Alerts end to end: the agent's leader evaluates the policy's rules, delivers to a webhook, and
people silence them with `kaido alerts`."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.agent import KAIDO, AgentProcess, wait_for
from tests.support.sim import ROOT, SimThread

TOKEN = "alerts-test-token"
SECRET = "hmac-secret-for-tests"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    thread = SimThread(
        kubeconfig=tmp_path / "kubeconfig", scenario=ROOT / "examples/scenarios/chatbot-dev.yaml"
    ).start()
    yield thread
    thread.stop()


def _policy(tmp_path: Path, url: str) -> Path:
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "hmac").write_text(SECRET)
    policy = {
        "api": {"writeTokenFile": str(tmp_path / "token")},
        "alerts": {
            "rules": [
                {
                    "name": "crash-looping",
                    "severity": "warning",
                    "conditions": [{"finding": "crash-loop-back-off"}],
                }
            ],
            "routes": [{"channels": ["hook"], "groupBy": ["alertname"], "groupWait": "1s", "groupInterval": "2s"}],
            "channels": {"hook": {"type": "webhook", "url": url, "hmacSecretFile": str(tmp_path / "hmac")}},
        },
    }
    path = tmp_path / "policy.yaml"
    path.write_text(json.dumps(policy))  # JSON is YAML
    return path


def _cli(agent: AgentProcess, *args: str, token: bool = True) -> subprocess.CompletedProcess[str]:
    extra = ["--token-file", str(agent.workdir / "token")] if token else []
    return subprocess.run(
        [str(KAIDO), "alerts", "--url", agent.url, *extra, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_rules_fire_to_a_signed_webhook_and_silences_mute_them(
    sim: SimThread, tmp_path: Path, httpserver: HTTPServer
) -> None:
    received: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        body = request.get_data()
        stamp = request.headers["X-Kaido-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert request.headers["X-Kaido-Signature"] == f"sha256={expected}"
        received.append(json.loads(body))
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    agent = AgentProcess(
        sim.kubeconfig, tmp_path, args=("--config", str(_policy(tmp_path, httpserver.url_for("/hook"))))
    ).start()
    try:
        agent.wait_ready()
        wait_for(lambda: received, timeout=30, what="a notification at the webhook")
        first = received[0]
        assert first["status"] == "firing"
        assert first["alerts"][0]["labels"]["alertname"] == "crash-looping"
        assert first["alerts"][0]["labels"]["namespace"] == "chatbot-dev"
        alerts = agent.get("/api/v1/alerts")[1]["items"]
        assert [a["state"] for a in alerts if a["labels"]["alertname"] == "crash-looping"] == ["firing"]
        deliveries = agent.get("/api/v1/notifications")[1]["items"]
        assert deliveries and deliveries[0]["channel"] == "hook" and deliveries[0]["outcome"] == "sent"
        assert 'kaido_notifications_total{channel="hook"' in agent.get("/metrics")[1]

        denied = _cli(agent, "silence", "add", "alertname=crash-looping", "--comment", "x", token=False)
        assert denied.returncode == 1 and "401" in denied.stderr and "Bearer" in denied.stderr

        bad = _cli(agent, "silence", "add", "alertname~crash", "--comment", "typo")
        assert bad.returncode == 1 and "alertname~crash" in bad.stderr

        added = _cli(agent, "silence", "add", "alertname=crash-looping", "--comment", "known issue", "--author", "sre")
        assert added.returncode == 0, added.stderr
        silence_id = added.stdout.split()[1]
        listed = _cli(agent, "list")
        assert "crash-looping" in listed.stdout and "(silenced)" in listed.stdout
        silences = _cli(agent, "silence", "list").stdout
        assert silence_id in silences and "by sre" in silences and "known issue" in silences

        expired = _cli(agent, "silence", "expire", silence_id)
        assert expired.returncode == 0, expired.stderr
        assert "(silenced)" not in _cli(agent, "list").stdout
        assert _cli(agent, "silence", "expire", "no-such-id").returncode == 1
    finally:
        agent.kill()
