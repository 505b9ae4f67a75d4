"""Per-pod capacity from aligned load, pod-count and utilization series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kaido.analysis.capacity import Capacity, per_pod_capacity
from kaido.analysis.forecast import Unreliable

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def history(minutes: int = 60, *, per_pod_at_target: float = 70.0, target: float = 0.7):
    """Load, pods and utilization consistent with `per_pod_at_target`; pods/util read 20 s after the load."""
    load, pods, util = [], [], []
    for i in range(minutes):
        count = 2 + i % 4
        per_pod = 30 + (i * 7) % 40  # 30..69 rps per pod
        when = T0 + timedelta(minutes=i)
        load.append((when, count * per_pod))
        pods.append((when - timedelta(seconds=20), float(count)))
        util.append((when - timedelta(seconds=20), target * per_pod / per_pod_at_target))
    return load, pods, util


def test_capacity_from_aligned_series():
    load, pods, util = history()
    result = per_pod_capacity(load, pods, util, target_utilization=0.7)
    assert isinstance(result, Capacity)
    assert abs(result.per_pod - 70.0) < 1e-9
    assert result.samples == 60
    assert result.explanation == "70 rps per pod at 70% CPU (median of 60 samples)"


def test_outliers_do_not_move_the_median():
    load, pods, util = history()
    # A cold start: CPU burns at 3x the usual for a few minutes.
    util = [(t, v * 3 if i < 8 else v) for i, (t, v) in enumerate(util)]
    result = per_pod_capacity(load, pods, util, target_utilization=0.7)
    assert isinstance(result, Capacity)
    assert abs(result.per_pod - 70.0) < 1e-9


def test_idle_samples_are_left_out():
    load, pods, util = history(20)
    idle_load = [(T0 + timedelta(minutes=30 + i), 4.0) for i in range(40)]
    idle_util = [(t - timedelta(seconds=5), 0.1) for t, _ in idle_load]  # baseline CPU: 2 rps/pod at 10%
    idle_pods = [(t - timedelta(seconds=5), 2.0) for t, _ in idle_load]
    result = per_pod_capacity(load + idle_load, pods + idle_pods, util + idle_util, target_utilization=0.7)
    assert isinstance(result, Capacity)
    assert result.samples == 20
    assert abs(result.per_pod - 70.0) < 1e-9


def test_no_utilization_is_unreliable():
    load, pods, _ = history()
    result = per_pod_capacity(load, pods, None, target_utilization=0.7)
    assert result == Unreliable("no utilization series: cannot tell how loaded the pods were")


def test_misaligned_series_are_unreliable():
    load, _, util = history()
    stale_pods = [(T0 - timedelta(minutes=10), 3.0)]  # one reading, long before any load sample
    result = per_pod_capacity(load, stale_pods, util, target_utilization=0.7)
    assert isinstance(result, Unreliable)
    assert result.reason.startswith("only 0 aligned samples of load, pods and utilization")


def test_too_few_samples_is_unreliable():
    load, pods, util = history(5)
    result = per_pod_capacity(load, pods, util, target_utilization=0.7)
    assert isinstance(result, Unreliable)
    assert "only 5 aligned samples" in result.reason
    assert "10 needed" in result.reason
