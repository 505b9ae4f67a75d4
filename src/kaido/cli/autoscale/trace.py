"""Request-rate traces: a CSV of (moment, count) rows read into evenly spaced buckets.

The first column is a timestamp (ISO 8601, or `YYYY-MM-DD HH:MM:SS`) or an integer index; the
second is the number of requests in that bucket. A header row is expected and skipped. With
timestamps the resolution is the most common gap between rows, and every row lands in the bucket
of its moment (rows sharing a bucket add up; missing buckets count 0). With an index the
resolution is `step` (seconds) and row i lands in bucket i minus the first index.

`window` cuts a span out of a trace and `scaled` multiplies its counts; `rebinned` sums buckets
into coarser ones (a 1-second trace replayed on a 5-second simulator tick keeps its volume).
"""

from __future__ import annotations

import csv
import itertools
import math
import statistics
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["Trace", "TraceError", "read_trace"]

MAX_BUCKETS = 50_000_000  # a trace sparser than this is a mistake (a timestamp in the wrong unit)


class TraceError(ValueError):
    """The trace file cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Trace:
    counts: tuple[float, ...]  # requests per bucket
    resolution: float  # seconds per bucket
    start: datetime | None  # the moment of bucket 0 (None: an index trace, relative time only)
    source: str

    @property
    def duration(self) -> float:
        return len(self.counts) * self.resolution

    def rates(self) -> list[float]:
        """Requests per second in each bucket."""
        return [count / self.resolution for count in self.counts]

    def window(self, *, offset: float = 0.0, duration: float | None = None) -> Trace:
        """The buckets from `offset` seconds after the start, for `duration` seconds (None: to the end)."""
        first = math.floor(offset / self.resolution + 1e-9)
        if offset < 0 or first >= len(self.counts):
            raise TraceError(
                f"{self.source}: --start {offset:.0f}s is outside the trace, which spans {self.duration:.0f}s"
            )
        last = len(self.counts) if duration is None else first + math.ceil(duration / self.resolution - 1e-9)
        start = None if self.start is None else self.start + timedelta(seconds=first * self.resolution)
        return replace(self, counts=self.counts[first : min(last, len(self.counts))], start=start)

    def scaled(self, factor: float) -> Trace:
        return replace(self, counts=tuple(count * factor for count in self.counts))

    def rebinned(self, resolution: float) -> Trace:
        """Buckets of `resolution` seconds (a whole multiple of the current one), each the sum of its parts."""
        factor = round(resolution / self.resolution)
        if factor <= 1:
            return self
        counts = tuple(sum(self.counts[i : i + factor]) for i in range(0, len(self.counts), factor))
        return replace(self, counts=counts, resolution=self.resolution * factor)


def read_trace(path: Path, *, step: float | None = None, default_step: float | None = None) -> Trace:
    """The trace in the CSV at `path`; `step` (else `default_step`) is the bucket length of an index column."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [(number, row) for number, row in enumerate(csv.reader(handle), start=1) if row and any(row)]
    except OSError as error:
        raise TraceError(f"{path}: cannot read it: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise TraceError(f"{path}: not a text CSV file ({error.reason})") from error
    if len(rows) < 2:
        raise TraceError(f"{path}: expected a header row and at least one data row")
    data = [(number, row) for number, row in rows[1:]]
    for number, row in data:
        if len(row) < 2:
            raise TraceError(f"{path}:{number}: expected two columns (moment, count), got {row!r}")
    counts = [_count(path, number, row[1]) for number, row in data]
    first = data[0][1][0].strip()
    if _is_index(first):
        return _index_trace(path, data, counts, step if step is not None else default_step)
    return _timestamp_trace(path, data, counts)


def _count(path: Path, number: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"{path}:{number}: the count {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise TraceError(f"{path}:{number}: the count {text!r} must be a finite number >= 0")
    return value


def _is_index(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _index_trace(path: Path, data: list[tuple[int, list[str]]], counts: list[float], step: float | None) -> Trace:
    if step is None:
        raise TraceError(f"{path}: the first column is an index; give its resolution with --step (1s or 1m)")
    indexes = []
    for number, row in data:
        if not _is_index(row[0].strip()):
            raise TraceError(f"{path}:{number}: expected an integer index like the first row, got {row[0]!r}")
        indexes.append(int(row[0]))
    first = min(indexes)
    return _bucketed(path, [(i - first) * step for i in indexes], counts, step, start=None)


def _timestamp_trace(path: Path, data: list[tuple[int, list[str]]], counts: list[float]) -> Trace:
    moments = [_moment(path, number, row[0]) for number, row in data]
    origin = min(moments)
    offsets = [(m - origin).total_seconds() for m in moments]
    gaps = Counter(b - a for a, b in itertools.pairwise(sorted(offsets)) if b > a)
    resolution = gaps.most_common(1)[0][0] if gaps else 60.0
    return _bucketed(path, offsets, counts, resolution, start=origin)


def _moment(path: Path, number: int, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TraceError(
            f"{path}:{number}: {text!r} is neither an integer index nor a timestamp (ISO 8601 or YYYY-MM-DD HH:MM:SS)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _bucketed(
    path: Path, offsets: list[float], counts: list[float], resolution: float, *, start: datetime | None
) -> Trace:
    size = math.floor(max(offsets) / resolution) + 1
    if size > MAX_BUCKETS:
        raise TraceError(f"{path}: {size} buckets of {resolution:g}s; is the first column in the unit you meant?")
    buckets = [0.0] * size
    for offset, count in zip(offsets, counts, strict=True):
        buckets[math.floor(offset / resolution + 1e-9)] += count
    return Trace(tuple(buckets), float(resolution), start, str(path))


def describe(trace: Trace) -> str:
    """One line: span, resolution and rates, for the report."""
    rates = trace.rates()
    return (
        f"{trace.duration / 3600:.1f} h at {trace.resolution:g} s; "
        f"median {statistics.median(rates):.1f} rps, peak {max(rates):.1f} rps"
    )
