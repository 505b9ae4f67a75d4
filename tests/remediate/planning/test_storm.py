"""The storm guard pauses healing while too many workloads fail at once, and resumes after a calm spell."""

from __future__ import annotations

from kaido.remediate.planning import Gates, Storm, observe_storm
from tests.remediate.planning.builders import at, run, start, view
from tests.remediate.planning.test_planner import P


def test_more_workloads_failing_than_the_threshold_start_a_storm_once() -> None:
    storm, said = observe_storm(Storm(), failing=5, threshold=5, now=at(0))
    assert not storm.active and said is None  # at the threshold: not yet
    storm, said = observe_storm(storm, failing=6, threshold=5, now=at(1))
    assert storm.active and said is not None and said.severity == "critical"
    assert said.message.startswith("storm guard: 6 workloads are failing at once (healing.stormThreshold 5)")
    storm, said = observe_storm(storm, failing=8, threshold=5, now=at(2))
    assert storm.active and said is None and storm.failing == 8


def test_the_storm_ends_only_after_a_calm_spell() -> None:
    storm, _ = observe_storm(Storm(), failing=9, threshold=2, now=at(0))
    storm, said = observe_storm(storm, failing=1, threshold=2, now=at(30), calm=60)
    assert storm.active and said is None
    storm, _ = observe_storm(storm, failing=3, threshold=2, now=at(40), calm=60)  # over again: calm restarts
    storm, said = observe_storm(storm, failing=2, threshold=2, now=at(99), calm=60)
    assert storm.active and said is None
    storm, said = observe_storm(storm, failing=2, threshold=2, now=at(100), calm=60)
    assert not storm.active and storm.reason == ""
    assert said is not None and said.message.startswith("storm over: 2 workloads failing (threshold 2)")


def test_a_storm_holds_every_action_and_incidents_are_still_recorded() -> None:
    storm, _ = observe_storm(Storm(), failing=9, threshold=2, now=at(0))
    v = view("crash-loop")
    held = run(start(v), v, 0, P, Gates(storm=storm.reason))
    assert held.act is None and held.episode.active and held.episode.held == storm.reason
    assert run(held.episode, v, 1, P, Gates()).act is not None  # once the storm is over
