"""Traffic profiles are pure functions of time; the model spreads a Service's rate over its ready pods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.traffic import Combined, Constant, Diurnal, Ramp, Replay, ServiceLoad, Spike, TrafficModel, load_trace

PODS = builtin("", "v1", "pods")
TRACES = Path("/work/shared/data/traces/twitter_stream_2021_08")
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_constant_and_diurnal() -> None:
    assert Constant(5).rate(1234, NOON) == 5
    diurnal = Diurnal(base=10, peak=30, peak_hour=14)
    assert diurnal.rate(0, NOON.replace(hour=14)) == pytest.approx(30)
    assert diurnal.rate(0, NOON.replace(hour=2)) == pytest.approx(10)
    assert diurnal.rate(0, NOON.replace(hour=8)) == pytest.approx(20)


def test_ramp_is_linear_between_its_moments() -> None:
    ramp = Ramp(start=60, end=120, start_rate=10, end_rate=40)
    assert [ramp.rate(t, NOON) for t in (0, 60, 90, 120, 500)] == [10, 10, 25, 40, 40]


def test_spike_multiplies_the_sum_of_the_other_parts() -> None:
    profile = Combined((Constant(5), Ramp(0, 100, 0, 10)), (Spike(start=50, duration=10, multiplier=3, extra=1),))
    assert profile.rate(40, NOON) == pytest.approx(9)
    assert profile.rate(50, NOON) == pytest.approx((5 + 5) * 3 + 1)
    assert profile.rate(60, NOON) == pytest.approx(11)


def test_replay_of_counts_per_minute_and_per_second(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_text("minute_index,events\n0,600\n1,1200\n")
    per_minute = Replay(load_trace(trace, "events"), resolution=60)
    assert [per_minute.rate(t, NOON) for t in (0, 59, 60, 120)] == [10, 10, 20, 10]  # loops past the end
    assert Replay([1, 2], loop=False, scale=2).rate(5, NOON) == 0
    seconds = tmp_path / "trace.txt"
    seconds.write_text("3 0 7\n")
    assert [Replay(load_trace(seconds)).rate(t, NOON) for t in (0, 1, 2.5)] == [3, 0, 7]
    with pytest.raises(ValueError, match="no column 'requests'"):
        load_trace(trace, "requests")


@pytest.mark.skipif(not TRACES.is_dir(), reason=f"the Twitter trace is not at {TRACES}")
def test_replay_of_the_twitter_trace() -> None:
    minutes = load_trace(TRACES / "twitter_stream_2021_08_events_per_minute.csv", "events")
    assert minutes[:2] == [2786, 2711]
    replay = Replay(minutes, resolution=60)
    assert replay.rate(30, NOON) == pytest.approx(2786 / 60)
    seconds = load_trace(TRACES / "twitter_stream_2021_08_events_per_second.txt")
    assert len(seconds) == 1_899_061 and sum(seconds[:60]) == minutes[0]


def _pod(name: str, *, ready: bool) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "acme/api"}]},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_model_spreads_a_services_rate_over_its_ready_pods() -> None:
    clock = ManualClock(NOON)
    cluster = SimCluster(clock=clock, seed=1)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}}
    service["spec"] = {"selector": {"app": "api"}, "ports": [{"port": 80}]}
    cluster.apply_manifests([service])
    pods = []
    for name, ready in (("a", True), ("b", True), ("c", False)):
        created = cluster.apply_manifests([_pod(name, ready=ready)])[0]
        created["status"] = _pod(name, ready=ready)["status"]
        pods.append(cluster.ops.update(PODS, "default", name, created, subresource="status"))
    model = TrafficModel(cluster, [ServiceLoad("default", "api", Constant(30), noise=0.1)], NOON, seed=3)
    rates = [model(pod, NOON) for pod in pods]
    assert rates[2] == 0 and rates[0] == rates[1] == pytest.approx(model.rate("default", "api", NOON) / 2)
    assert 27 <= model.rate("default", "api", NOON) <= 33
    later = NOON + timedelta(seconds=5)
    assert model.rate("default", "api", later) == TrafficModel(cluster, model.loads, NOON, seed=3).rate(
        "default", "api", later
    )
