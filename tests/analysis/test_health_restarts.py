"""The restart rate: "more than N restarts in the window", counted from samples of the restart count."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaido.analysis.health import HealthSettings, pod_findings, restarts_in_window
from tests.analysis.test_health import NOW, SETTINGS, container, kinds, pod, terminated


def at(seconds_ago: float) -> datetime:
    return NOW - timedelta(seconds=seconds_ago)


@pytest.mark.parametrize(
    ("history", "started", "expected"),
    [
        pytest.param([], None, 0, id="no-history"),
        pytest.param([(at(290), 10), (at(200), 13), (at(10), 16)], None, 6, id="increases-inside"),
        pytest.param([(at(400), 0), (at(250), 6)], None, 6, id="an-increase-observed-inside-counts"),
        pytest.param([(at(400), 2), (at(350), 4), (at(100), 7)], None, 3, id="what-was-seen-before-is-a-baseline"),
        pytest.param([(at(400), 0), (at(300), 4), (at(250), 6)], None, 2, id="observed-exactly-at-the-window-start"),
        pytest.param([(at(200), 10), (at(100), 2), (at(50), 8)], None, 6, id="counter-reset"),
        pytest.param([(at(100), 3), (at(50), 6)], 120, 6, id="pod-started-inside-the-window"),
        pytest.param([(at(100), 3), (at(50), 6)], 300, 6, id="pod-started-at-the-window-start"),
        pytest.param([(at(100), 3), (at(50), 6)], 3600, 3, id="old-pod-history-starting-inside"),
        pytest.param([(at(200), 9), (at(100), 3), (at(50), 6)], 150, 6, id="samples-before-the-start-are-dropped"),
        pytest.param([(at(50), 6), (at(100), 3)], None, 3, id="unsorted"),
        pytest.param([(at(-10), 9), (at(50), 6)], None, 0, id="future-samples-are-ignored"),
    ],
)
def test_restarts_in_window(history, started, expected) -> None:
    started_at = at(started) if started is not None else None
    assert restarts_in_window(history, now=NOW, window=300, started_at=started_at) == expected


def restarting(restarts: int, *, started: float) -> dict[str, Any]:
    return pod(container(restarts=restarts, last=terminated(finished=30)), started=started, ready_since=25)


def test_high_restart_rate_from_history() -> None:
    history = [(at(290), 10), (at(200), 13), (at(10), 16)]
    (finding,) = pod_findings(restarting(16, started=3600), now=NOW, restart_history=history, settings=SETTINGS)
    assert finding.kind == "high-restart-rate"
    assert finding.summary == "pod chatbot-dev/backend-7d9f-x2 restarted 6 times in the last 5 min (threshold 5)"
    assert (finding.value("restarts"), finding.value("threshold"), finding.value("window_seconds")) == (6, 5, 300)
    assert finding.evidence == (
        "container app: running; last terminated 2026-03-01T12:29:30Z with Error (exit code 1); restarts 16",
    )


def test_a_young_pod_counts_all_its_restarts_without_history() -> None:
    assert kinds(pod_findings(restarting(6, started=120), now=NOW, settings=SETTINGS)) == [
        ("high-restart-rate", "warning", None)
    ]
    assert pod_findings(restarting(5, started=120), now=NOW, settings=SETTINGS) == []  # 5 is not more than 5
    assert pod_findings(restarting(40, started=3600), now=NOW, settings=SETTINGS) == []  # when? unknown


def test_restart_threshold_and_window_come_from_the_settings() -> None:
    strict = HealthSettings(restart_threshold=2, restart_window=60)
    history = [(at(50), 0), (at(5), 3)]
    assert len(pod_findings(restarting(3, started=3600), now=NOW, restart_history=history, settings=strict)) == 1
    summary = pod_findings(restarting(3, started=3600), now=NOW, restart_history=history, settings=strict)[0].summary
    assert summary == "pod chatbot-dev/backend-7d9f-x2 restarted 3 times in the last 1 min (threshold 2)"


@st.composite
def restart_scenarios(draw):
    """A pod's life in seconds before now: its start, its restarts, and a watcher's samples of the count.

    The watcher starts at `watch` and samples when it sees a restart (as the kubelet reports it) and
    at other moments; restarts happen at half seconds, samples at whole and half seconds.
    """
    window = draw(st.integers(min_value=1, max_value=900))
    started = draw(st.integers(min_value=0, max_value=2000))
    events = [e + 0.5 for e in draw(st.lists(st.integers(min_value=0, max_value=max(0, started - 1)), max_size=30))]
    watch = draw(st.integers(min_value=0, max_value=started))
    extra = draw(st.lists(st.integers(min_value=-50, max_value=watch), max_size=10))
    return window, started, events, watch, extra


def observed(events: list[float], watch: int, extra: list[int]) -> list[tuple[datetime, int]]:
    moments = [watch, *extra, *(e for e in events if e <= watch)]
    return [(at(m), sum(1 for e in events if e >= m)) for m in moments]


@settings(max_examples=300, deadline=None)
@given(restart_scenarios(), st.booleans())
def test_the_restart_count_never_exceeds_the_restarts_in_the_window(scenario, know_start) -> None:
    window, started, events, watch, extra = scenario
    history = observed(events, watch, extra)
    truth = sum(1 for e in events if e < window)
    counted = restarts_in_window(history, now=NOW, window=window, started_at=at(started) if know_start else None)
    assert 0 <= counted <= truth
    if watch >= window or (know_start and started <= window):
        assert counted == truth  # watched the whole window, or the whole life of a pod that started in it
    body = pod(container(restarts=len(events)), started=started)
    found = pod_findings(body, now=NOW, restart_history=history, settings=HealthSettings(restart_window=window))
    rate = [f for f in found if f.kind == "high-restart-rate"]
    assert all((f.value("restarts") or 0) <= truth for f in rate)
