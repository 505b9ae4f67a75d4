"""Metric series: writing samples and reading them back raw or as 5-minute and 1-hour rollups.

A series is a metric name plus an exact label set (`series` table); its samples are rows of
(series, ms timestamp, value). Rollups are maintained by a trigger as samples are inserted (see
`kaido.store.schema`), so reading a day at 5-minute resolution reads 288 rows, not every sample.

Lookups are exact: `series("pod_cpu_cores", {"namespace": "shop"})` finds the series whose labels
are exactly `{"namespace": "shop"}`, never the per-pod series that merely include that label;
`find_series` lists the label sets that contain given labels, to then read each one.

A sample with the same series and millisecond as one already stored is dropped (the first write
wins), so re-reading an unchanged metrics.k8s.io window does not count twice. Non-finite values
are dropped too: sqlite would turn NaN into NULL, and a gap is the honest record of "no value".
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from kaido.store.codec import canonical_labels, from_millis, parse_labels, to_millis
from kaido.store.records import Sample
from kaido.store.schema import FIVE_MINUTES_MS, ONE_HOUR_MS

__all__ = ["Resolution", "Rollup", "SampleRow", "SampleWriter", "find_series", "read_points", "read_rollups"]

Resolution = Literal["raw", "5m", "1h"]
SampleRow = tuple[str, str, int, float]  # metric, canonical labels, ms since the epoch, value

ROLLUPS: Final = {"5m": ("rollup_5m", FIVE_MINUTES_MS), "1h": ("rollup_1h", ONE_HOUR_MS)}
_MAX_CACHED_SERIES = 50_000  # pods come and go; past this the id cache starts over


@dataclass(frozen=True, slots=True)
class Rollup:
    """One bucket of a series: the bucket's start and the statistics of its samples."""

    start: datetime
    count: int
    sum: float
    min: float
    max: float
    last: float  # the value of the latest sample in the bucket

    @property
    def average(self) -> float:
        return self.sum / self.count


def sample_rows(samples: Iterable[Sample]) -> list[SampleRow]:
    """Validate and encode samples for the writer, dropping non-finite values."""
    rows: list[SampleRow] = []
    for s in samples:
        if math.isfinite(s.value):
            rows.append((s.metric, canonical_labels(s.labels), to_millis(s.at, f"sample {s.metric} at"), s.value))
    return rows


class SampleWriter:
    """Inserts samples on the writer's connection, remembering series ids between batches.

    The id cache belongs to the writer; `forget` must be called when a transaction is rolled back or
    series are deleted, since a cached id might then name no row.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}

    def forget(self) -> None:
        self._ids.clear()

    def insert(self, conn: sqlite3.Connection, rows: Sequence[SampleRow]) -> int:
        """Insert `rows`; returns how many were new (duplicates of a stored sample are dropped)."""
        values = [(self._series_id(conn, metric, labels), ts, value) for metric, labels, ts, value in rows]
        cursor = conn.executemany("INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)", values)
        return cursor.rowcount

    def _series_id(self, conn: sqlite3.Connection, metric: str, labels: str) -> int:
        key = (metric, labels)
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        row = conn.execute("SELECT id FROM series WHERE metric = ? AND labels = ?", key).fetchone()
        if row is not None:
            series_id = int(row[0])
        else:
            inserted = conn.execute("INSERT INTO series (metric, labels) VALUES (?, ?)", key).lastrowid
            assert inserted is not None
            series_id = inserted
        if len(self._ids) >= _MAX_CACHED_SERIES:
            self._ids.clear()
        self._ids[key] = series_id
        return series_id


def _series_id(conn: sqlite3.Connection, metric: str, labels: Mapping[str, str]) -> int | None:
    row = conn.execute(
        "SELECT id FROM series WHERE metric = ? AND labels = ?", (metric, canonical_labels(labels))
    ).fetchone()
    return None if row is None else int(row[0])


def read_points(
    conn: sqlite3.Connection,
    metric: str,
    labels: Mapping[str, str],
    *,
    start: datetime,
    end: datetime,
    resolution: Resolution,
) -> list[tuple[datetime, float]]:
    """Samples with `start <= at <= end` (raw), or the average of each bucket overlapping that range."""
    if resolution == "raw":
        series_id = _series_id(conn, metric, labels)
        if series_id is None:
            return []
        rows = conn.execute(
            "SELECT ts, value FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts",
            (series_id, to_millis(start, "series start"), to_millis(end, "series end")),
        ).fetchall()
        return [(from_millis(ts), float(value)) for ts, value in rows]
    return [
        (r.start, r.average) for r in read_rollups(conn, metric, labels, start=start, end=end, resolution=resolution)
    ]


def read_rollups(
    conn: sqlite3.Connection,
    metric: str,
    labels: Mapping[str, str],
    *,
    start: datetime,
    end: datetime,
    resolution: Literal["5m", "1h"],
) -> list[Rollup]:
    """The buckets of one series that overlap `[start, end]`, oldest first."""
    if resolution not in ROLLUPS:
        raise ValueError(f"resolution {resolution!r} is not one of 'raw', '5m', '1h'")
    table, width = ROLLUPS[resolution]
    series_id = _series_id(conn, metric, labels)
    if series_id is None:
        return []
    rows = conn.execute(
        f"SELECT bucket, sample_count, value_sum, value_min, value_max, value_last FROM {table} "  # noqa: S608 - table is one of two constants
        "WHERE series_id = ? AND bucket > ? AND bucket <= ? ORDER BY bucket",
        (series_id, to_millis(start, "series start") - width, to_millis(end, "series end")),
    ).fetchall()
    return [
        Rollup(from_millis(b), int(n), float(s), float(lo), float(hi), float(last)) for b, n, s, lo, hi, last in rows
    ]


def find_series(conn: sqlite3.Connection, metric: str, filters: Mapping[str, str]) -> list[dict[str, str]]:
    """Label sets of the series of `metric` that carry every label in `filters`, in a stable order."""
    found: list[dict[str, str]] = []
    for (text,) in conn.execute("SELECT labels FROM series WHERE metric = ? ORDER BY labels", (metric,)):
        labels = parse_labels(text)
        if all(labels.get(name) == value for name, value in filters.items()):
            found.append(labels)
    return found
