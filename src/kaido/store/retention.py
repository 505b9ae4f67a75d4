"""Retention: how long each resolution is kept, and the compaction that enforces it.

Raw samples are kept for a day, 5-minute rollups for a week and hourly rollups for a month by
default; a rollup bucket goes once all of it is older than its horizon. Compaction runs on the
writer: after a batch, once `interval` seconds have passed on the store's clock since the last run
(and right after opening, to catch up on a store that was stopped for a while), and whenever
`Store.compact()` is awaited. Each step deletes at most `batch_rows` rows per table in one short
transaction; while a step finds more, the next one runs after the next batch of writes, so a large
backlog never holds up new samples. Series left with no rows at any resolution are then deleted.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kaido.core.clock import Clock
from kaido.store.codec import to_millis
from kaido.store.schema import FIVE_MINUTES_MS, ONE_HOUR_MS

__all__ = ["Compaction", "Compactor", "Retention"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long, in seconds, each resolution of the metric series is kept."""

    raw: float = 86400  # individual samples
    five_minute: float = 7 * 86400  # 5-minute rollups
    hourly: float = 30 * 86400  # 1-hour rollups

    def __post_init__(self) -> None:
        for name in ("raw", "five_minute", "hourly"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Retention.{name} must be a positive number of seconds, not {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Compaction:
    """Rows deleted by compaction; `more` when a step stopped at its batch limit."""

    samples: int = 0
    five_minute: int = 0
    hourly: int = 0
    series: int = 0
    more: bool = False

    def __add__(self, other: Compaction) -> Compaction:
        return Compaction(
            self.samples + other.samples,
            self.five_minute + other.five_minute,
            self.hourly + other.hourly,
            self.series + other.series,
            other.more,
        )


class Compactor:
    """Decides when compaction is due and builds its steps; every step runs on the writer."""

    def __init__(
        self,
        *,
        retention: Retention,
        clock: Clock,
        interval: float,
        batch_rows: int,
        on_series_deleted: Callable[[], None],
    ) -> None:
        self.retention = retention
        self._clock = clock
        self._interval = interval
        self._batch_rows = batch_rows
        self._on_series_deleted = on_series_deleted
        self._next_at: float | None = None  # clock.monotonic() of the next periodic run; None: now
        self._more = False

    def due(self) -> Callable[[sqlite3.Connection], Compaction] | None:
        """The writer's maintenance hook: a step if one is due, else None."""
        now = self._clock.monotonic()
        if not self._more and self._next_at is not None and now < self._next_at:
            return None
        self._next_at = now + self._interval
        return self.step(self._clock.now())

    def step(self, now: datetime) -> Callable[[sqlite3.Connection], Compaction]:
        """One bounded compaction transaction against the horizons as of `now`."""
        now_ms = to_millis(now, "compaction time")

        def run(conn: sqlite3.Connection) -> Compaction:
            result = self._delete(conn, now_ms)
            self._more = result.more
            if result.samples or result.five_minute or result.hourly or result.series:
                log.info("store compaction deleted %s", result)
            return result

        return run

    def _delete(self, conn: sqlite3.Connection, now_ms: int) -> Compaction:
        r, limit = self.retention, self._batch_rows
        samples = _delete_before(conn, "samples", "ts", now_ms - round(r.raw * 1000), limit)
        # A bucket goes once its end (start + width) is at or before the horizon.
        five = _delete_before(
            conn, "rollup_5m", "bucket", now_ms - round(r.five_minute * 1000) - FIVE_MINUTES_MS + 1, limit
        )
        hourly = _delete_before(conn, "rollup_1h", "bucket", now_ms - round(r.hourly * 1000) - ONE_HOUR_MS + 1, limit)
        more = limit in (samples, five, hourly)
        series = 0
        if not more:
            series = _delete_empty_series(conn, limit)
            more = series == limit
            if series:
                self._on_series_deleted()
        return Compaction(samples, five, hourly, series, more)


def _delete_before(conn: sqlite3.Connection, table: str, column: str, horizon_ms: int, limit: int) -> int:
    """Delete up to `limit` rows of `table` whose `column` is below `horizon_ms`."""
    key = "series_id, " + column
    cursor = conn.execute(
        f"DELETE FROM {table} WHERE ({key}) IN "  # noqa: S608 - table and columns are constants of this module
        f"(SELECT {key} FROM {table} WHERE {column} < ? LIMIT ?)",
        (horizon_ms, limit),
    )
    return cursor.rowcount


def _delete_empty_series(conn: sqlite3.Connection, limit: int) -> int:
    cursor = conn.execute(
        """DELETE FROM series WHERE id IN (
            SELECT id FROM series AS s
            WHERE NOT EXISTS (SELECT 1 FROM samples WHERE series_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM rollup_5m WHERE series_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM rollup_1h WHERE series_id = s.id)
            LIMIT ?)""",
        (limit,),
    )
    return cursor.rowcount
