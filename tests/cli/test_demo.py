"""`kaido demo`: the chatbot-dev scenario and the agent, narrated until stopped (40 s, the simulator 120x faster)."""

from __future__ import annotations

import subprocess

from tests.support.agent import KAIDO


def test_demo_narrates_what_the_agent_sees_and_stops_cleanly() -> None:
    completed = subprocess.run(
        [str(KAIDO), "demo", "--duration", "40", "--speed", "120", "--port", "0"],
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
    # The scenario's bad backend release (at 1 h of simulated time) is diagnosed and rolled back.
    release = next(i for i, line in enumerate(lines) if "rolled out revision 2 (chatbot/backend:1.5.0-bad)" in line)
    diagnosed = next(i for i, line in enumerate(lines) if "crash-loops while revision 1" in line)
    rolled_back = next(i for i, line in enumerate(lines) if "back to the template of revision 1" in line)
    assert release < diagnosed < rolled_back
    assert lines[-1] == "kaido demo: stopped"
