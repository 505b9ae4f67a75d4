"""`kaido bench autoscale` end to end: a short synthetic trace through the simulator and the agent."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support.agent import KAIDO


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAIDO), "bench", "autoscale", *args], capture_output=True, text=True, timeout=300, check=False
    )


def write_trace(path: Path, header: str, rows: Iterable[str]) -> Path:
    """A trace CSV: the header row, then one line per row."""
    path.write_text("".join(f"{line}\n" for line in (header, *rows)))
    return path


@pytest.fixture
def step_trace(tmp_path: Path) -> Path:
    """40 minutes: 10 at a base load, then the load jumps 3x for 30 minutes (timestamps, per minute)."""
    rows = [f"2026-03-02 10:{minute:02d}:00,{600 if minute < 10 else 1800}" for minute in range(40)]
    return write_trace(tmp_path / "step.csv", "timestamp,requests", rows)


@pytest.fixture
def surge_trace(tmp_path: Path) -> Path:
    """Two hours of a steady load with some noise, then a 3x surge for half an hour (index, per minute)."""
    rows = [f"{minute},{(600 + (minute * 37) % 60) if minute < 120 else 1800}" for minute in range(150)]
    return write_trace(tmp_path / "surge.csv", "minute,requests", rows)


def test_json_report_has_both_policies_with_the_measures(step_trace: Path) -> None:
    completed = run_bench("--trace", str(step_trace), "-o", "json", "--pod-capacity", "5")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert set(report) == {"hpa", "predictive"}
    for policy in ("hpa", "predictive"):
        result = report[policy]
        for key in ("slo_violation_minutes", "pod_minutes", "max_replicas", "scaling_actions"):
            assert isinstance(result[key], int | float), (policy, key, result)
        assert result["minutes"] == 40
        # 10 rps needs 2 pods at the 70 % target (5 rps each), 30 rps needs 9: the HPA scales up.
        assert result["max_replicas"] >= 8
        assert 2 * 40 <= result["pod_minutes"] <= result["max_replicas"] * 40
        assert result["scaling_actions"] >= 1
    # A threefold jump overloads the two pods until the HPA's new pods are ready.
    assert report["hpa"]["slo_violation_minutes"] >= 1
    assert report["hpa"]["failed_requests"] > 0
    # The minutes are listed: those of the jump, none before it (the window opens on ready pods).
    for result in report.values():
        assert len(result["violations"]) == result["slo_violation_minutes"]
        assert all(10 <= minute < 40 for minute in result["violations"]), result["violations"]


def test_one_policy_and_a_window(step_trace: Path) -> None:
    completed = run_bench(
        "--trace", str(step_trace), "--policy", "hpa", "--start", "5m", "--duration", "10m", "--pod-capacity", "5"
    )
    assert completed.returncode == 0, completed.stderr
    assert "SLO-violation minutes" in completed.stdout
    assert " of 10" in completed.stdout  # ten minutes measured
    assert "predictive" not in completed.stdout.split("\n")[0]


def test_bad_trace_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("t,n\n0,many\n")
    completed = run_bench("--trace", str(bad), "--step", "1m")
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [f"Error: {bad}:2: the count 'many' is not a number"]


def test_index_trace_without_step_assumes_minutes(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "index.csv", "minute,count", (f"{i},300" for i in range(6)))
    completed = run_bench("--trace", str(trace), "--policy", "hpa", "-o", "json")
    assert completed.returncode == 0, completed.stderr
    assert "assuming --step 1m" in completed.stderr
    assert json.loads(completed.stdout)["hpa"]["minutes"] == 6


def test_a_steady_load_is_served_from_the_first_minute(tmp_path: Path) -> None:
    """The replay warms up before the window: its first minute meets pods that are ready for it."""
    trace = write_trace(tmp_path / "steady.csv", "minute,count", (f"{i},600" for i in range(5)))
    completed = run_bench(
        "--trace", str(trace), "--step", "1m", "--pod-capacity", "5", "--pod-startup", "60s", "-o", "json"
    )
    assert completed.returncode == 0, completed.stderr
    for policy, result in json.loads(completed.stdout).items():
        assert result["violations"] == [] and result["failed_requests"] == 0, (policy, result)
        assert result["max_replicas"] == 3  # 10 rps at 3.5 rps per pod, from the start


def test_predictive_sizes_the_floor_for_a_surge_at_once(surge_trace: Path) -> None:
    """The request rate shows the whole surge at once; CPU saturates at 100 % and hides it from the HPA.

    The window starts 10 minutes before the surge, with the two hours before it as history. Pods
    take 90 s to start, so every round the HPA needs to find the real demand costs minutes.
    """
    completed = run_bench(
        "--trace", str(surge_trace), "--step", "1m", "--start", "110m", "--duration", "30m",
        "--pod-capacity", "5", "--pod-startup", "90s", "-o", "json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    hpa, predictive = report["hpa"], report["predictive"]
    assert predictive["kaido_actions"] >= 1  # it raised the HPA's floor
    assert hpa["kaido_actions"] == 0
    # 30 rps at 3.5 rps per pod (70 % of 5): nine pods, asked for at once.
    assert predictive["max_replicas"] >= 9
    assert predictive["slo_violation_minutes"] <= hpa["slo_violation_minutes"]
