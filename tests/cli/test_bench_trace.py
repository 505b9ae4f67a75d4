"""Reading request-rate traces for `kaido bench autoscale`: formats, windows and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaido.cli.autoscale.slo import SloMeter, SloTarget, offered_per_minute
from kaido.cli.autoscale.trace import TraceError, read_trace
from kaido.sim.behaviour import Requests


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trace.csv"
    path.write_text(text)
    return path


def test_index_trace_uses_the_step_as_resolution(tmp_path: Path) -> None:
    trace = read_trace(write(tmp_path, "minute_index,events\n0,60\n1,120\n3,30\n"), step=60)
    assert trace.resolution == 60
    assert trace.counts == (60.0, 120.0, 0.0, 30.0)  # the missing index 2 is an empty bucket
    assert trace.rates() == [1, 2, 0, 0.5]
    assert trace.start is None


def test_index_trace_without_step_says_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="give its resolution with --step"):
        read_trace(write(tmp_path, "i,n\n0,1\n1,2\n"), step=None)


@pytest.mark.parametrize(
    "first",
    ["2021-08-01T00:00:00Z", "2021-08-01 00:00:00", "2021-08-01T00:00:00+00:00"],
)
def test_timestamp_trace_infers_its_resolution(tmp_path: Path, first: str) -> None:
    second = first.replace("00:00:00", "00:00:10")
    third = first.replace("00:00:00", "00:00:30")
    trace = read_trace(write(tmp_path, f"ts,count\n{first},5\n{second},7\n{third},1\n"), step=None)
    assert trace.resolution == 10
    assert trace.counts == (5.0, 7.0, 0.0, 1.0)
    assert trace.start == datetime(2021, 8, 1, tzinfo=UTC)


def test_window_scale_and_rebin(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(10))
    trace = read_trace(write(tmp_path, "i,n\n" + rows), step=1)
    window = trace.window(offset=2, duration=4)
    assert window.counts == (2.0, 3.0, 4.0, 5.0)
    assert window.scaled(2).counts == (4.0, 6.0, 8.0, 10.0)
    assert window.rebinned(2).counts == (5.0, 9.0)
    assert window.rebinned(2).resolution == 2
    with pytest.raises(TraceError, match="outside the trace"):
        trace.window(offset=10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("i,n\n", "at least one data row"),
        ("i,n\n0\n", r":2: expected two columns"),
        ("i,n\n0,lots\n", r":2: the count 'lots' is not a number"),
        ("i,n\n0,-1\n", r":2: the count '-1' must be a finite number >= 0"),
        ("t,n\nyesterday,1\n", r":2: 'yesterday' is neither an integer index nor a timestamp"),
        ("i,n\n0,1\nnoon,2\n", r":3: expected an integer index"),
    ],
)
def test_bad_traces_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TraceError, match=message):
        read_trace(write(tmp_path, text), step=60)


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot read it"):
        read_trace(tmp_path / "absent.csv", step=60)


def test_offered_per_minute_spreads_coarse_and_sums_fine_buckets() -> None:
    assert offered_per_minute([30.0] * 4, 30) == [60.0, 60.0]
    assert offered_per_minute([600.0], 300) == [120.0] * 5


def test_slo_meter_counts_latency_errors_and_unanswered_requests() -> None:
    origin = datetime(2026, 3, 2, tzinfo=UTC)
    moment = [origin]
    meter = SloMeter(namespace="bench", labels={"app": "api"}, origin=origin, now=lambda: moment[0], target=SloTarget())
    labels = {"app": "api", "pod-template-hash": "x"}

    def at(seconds: float, *batches: Requests) -> None:
        moment[0] = origin + timedelta(seconds=seconds)
        meter.observe("bench", labels, batches)

    at(30, Requests(200, 100, 0.05))  # minute 0: fast and fine
    at(90, Requests(200, 90, 0.05), Requests(200, 10, 0.4))  # minute 1: 10 % slow -> p95 0.4 s
    at(150, Requests(200, 98, 0.05), Requests(503, 2, 0.001))  # minute 2: 2 % errors
    at(210, Requests(200, 50, 0.05))  # minute 3: half the offered requests answered by nobody
    meter.observe("other", labels, (Requests(500, 1000, 1.0),))  # another namespace does not count
    violations, requests, failed, worst = meter.verdicts([100, 100, 100, 100])
    assert violations == [1, 2, 3]
    assert requests == 400
    assert failed == 2 + 50
    assert worst == pytest.approx(0.4)
