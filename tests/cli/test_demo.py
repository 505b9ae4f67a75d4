"""`kaido demo`: the chatbot-dev scenario and the agent, narrated until stopped."""

from __future__ import annotations

import subprocess

from tests.support.agent import KAIDO


def test_demo_narrates_what_the_agent_sees_and_stops_cleanly() -> None:
    completed = subprocess.run(
        [str(KAIDO), "demo", "--duration", "12", "--speed", "10", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    out = completed.stdout
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "policy" in out and "chatbot-dev.yaml" in out
    lines = out.splitlines()
    assert any("caches synced" in line for line in lines)
    assert any("is now the leader" in line for line in lines)
    assert any("deployment chatbot-dev/backend-deployment is fully available" in line for line in lines)
    crash = [line for line in lines if "test-crash-loop" in line and "CrashLoopBackOff" in line]
    assert crash and crash[0].split()[1] == "!"
    assert lines[-1] == "kaido demo: stopped"
