"""`kaido demo`: the chatbot-dev scenario and the agent, narrated until stopped (40 s, the simulator 120x faster).

The narration prints each timeline entry at its scenario time (its timestamp minus the scenario's
start), so the order of what the agent did and what the scenario did can be read off the output;
the raise ahead of the spike is also checked on the agent's own API, by the entry's timestamp.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.agent import KAIDO

SPIKE_START = 20 * 60  # s of scenario time: chatbot-dev's backend spike (x3 for 15 min, daily)
RAISE = re.compile(
    r"HPA chatbot-dev/backend-hpa: predicted [\d.]+ (?:rps|CPU cores) at \d\d:\d\d ± [\d.]+; "
    r"[\d.]+ (?:rps|CPU cores) per pod at 70% CPU; minReplicas (\d+) → (\d+).*; raised$"
)


@dataclass
class Demo:
    lines: list[str]
    stderr: str
    returncode: int
    start: datetime  # scenario time 00:00
    timeline: list[dict[str, Any]]  # the agent's timeline from its API, read when the spike began


def _seconds(line: str) -> int:
    minutes, seconds = line.split(maxsplit=1)[0].split(":")
    return int(minutes) * 60 + int(seconds)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One run of the demo for every test here: it takes 40 s."""
    stderr = tmp_path_factory.mktemp("demo") / "stderr"
    lines: list[str] = []
    api = start = None
    timeline: list[dict[str, Any]] = []
    command = [str(KAIDO), "demo", "--duration", "40", "--speed", "120", "--port", "0"]
    with (
        stderr.open("w") as errors,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True) as process,
    ):
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            if found := re.search(r"agent API on (http://127\.0\.0\.1:\d+)/", line):
                api = found.group(1)
            if found := re.search(r"scenario time 00:00 is (\S+Z)", line):
                start = datetime.fromisoformat(found.group(1))
            if " = scenario: traffic spike" in line and "begins" in line and api and not timeline:
                with urllib.request.urlopen(f"{api}/api/v1/timeline?limit=1000", timeout=10) as response:
                    timeline = json.load(response)["items"]
        returncode = process.wait(timeout=60)
    assert start is not None, lines
    return Demo(lines, stderr.read_text(), returncode, start, timeline)


def test_demo_narrates_what_the_agent_sees_and_stops_cleanly(demo: Demo) -> None:
    lines = demo.lines
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    out = "\n".join(lines)
    assert "policy" in out and "chatbot-dev.yaml" in out
    assert any("caches synced" in line for line in lines)
    assert any("is now the leader" in line for line in lines)
    assert any("deployment chatbot-dev/backend-deployment is fully available" in line for line in lines)
    crash = [line for line in lines if "test-crash-loop" in line and "CrashLoopBackOff" in line]
    assert any(line.split()[1] == "!" for line in crash)  # a finding (the healer may open its incident first)
    # The scenario's bad backend release (at 1 h of simulated time) is diagnosed and rolled back.
    release = next(i for i, line in enumerate(lines) if "rolled out revision 2 (chatbot/backend:1.5.0-bad)" in line)
    diagnosed = next(i for i, line in enumerate(lines) if "crash-loops while revision 1" in line)
    rolled_back = next(i for i, line in enumerate(lines) if "back to the template of revision 1" in line)
    assert release < diagnosed < rolled_back
    assert _seconds(lines[release]) >= 3600
    assert lines[-1] == "kaido demo: stopped"


def test_demo_meets_the_daily_spike_before_it_arrives(demo: Demo) -> None:
    assert demo.returncode == 0, demo.stderr
    narrated = [line for line in demo.lines if re.match(r"\d\d+:\d\d ", line)]
    # The replayed history is announced first, as derived, not observed.
    assert narrated[0].startswith("00:00 - history: 3 days of load replayed from the scenario's traffic model")
    assert "deployment chatbot-dev/backend-deployment" in narrated[0] and "derived, not observed" in narrated[0]
    # A scaling entry raises backend-hpa's minReplicas, with its reason, before the spike starts.
    raises = [(line, RAISE.search(line)) for line in narrated if line.split()[1] == "^"]
    before = [(line, int(m.group(2))) for line, m in raises if m and _seconds(line) < SPIKE_START]
    assert before, "\n".join(narrated)
    raised_to = max(target for _, target in before)
    assert raised_to > 2
    # The spike arrives at 20:00 to more ready pods than the two the backend started with.
    spike = next(line for line in narrated if " = scenario: traffic spike" in line and "begins" in line)
    assert spike.startswith(
        "20:00 = scenario: traffic spike (x3 for 15 min) begins on service chatbot-dev/backend-service"
    )
    ready = int(re.search(r"; (\d+) pods? ready behind it", spike).group(1))  # type: ignore[union-attr]
    assert ready > 2 and ready >= raised_to, spike
    first = RAISE.search(before[0][0])
    assert first is not None and first.group(1) == "2"  # the first raise starts from the brief's minReplicas 2
    # The agent's API says the same with timestamps: the raise precedes the spike in scenario time.
    spike_at = demo.start + timedelta(seconds=SPIKE_START)
    scaling = [e for e in demo.timeline if e["category"] == "scaling" and RAISE.search(e["text"])]
    assert scaling, demo.timeline
    assert datetime.fromisoformat(scaling[0]["at"]) < spike_at
    available = [
        e
        for e in demo.timeline
        if re.search(rf"backend-deployment is fully available: ({raised_to})/\1 replicas", e["text"])
    ]
    assert available and datetime.fromisoformat(available[0]["at"]) < spike_at
