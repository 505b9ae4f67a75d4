"""The store: kaido's durable state in one sqlite file in WAL mode, written by one task.

    store = await Store.open(path, clock=clock)
    await store.add_samples(samples)          # returns once queued
    if await store.begin_action(record):      # returns once committed; False: already recorded
        ...
    store.series("pod_cpu_cores", labels, start=..., end=..., resolution="5m")
    await store.close()                       # commits whatever is still queued

Writes go through the single writer (`kaido.store.writer`): audit-log, incident and silence writes
return after their commit; samples are batched and return once queued. Reads are synchronous on a
separate connection, which WAL lets proceed while the writer commits; each read is one indexed
query, cheap enough to run in the event loop. Opening checks the file (`kaido.store.opening`) and
takes a lock so that one kaido process at a time owns it; every failure is a `StoreError` naming
the file and the fix. "Now" always comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeVar

from kaido.core.clock import Clock
from kaido.store import audit, errors, silences
from kaido.store.codec import to_micros
from kaido.store.opening import Connections, open_connections
from kaido.store.records import ActionRecord, ActionState, IncidentRecord, Sample
from kaido.store.retention import Compaction, Compactor, Retention
from kaido.store.series import Resolution, Rollup, SampleWriter, find_series, read_points, read_rollups, sample_rows
from kaido.store.silences import SilenceRecord
from kaido.store.writer import Writer, WriteStats

__all__ = ["Store"]

T = TypeVar("T")

SAMPLES_PER_JOB = 1000  # so the bounded queue also bounds the samples held in memory
MAX_BATCH = 64  # jobs per transaction
COMPACT_INTERVAL = 300.0  # seconds of the store's clock between periodic compactions
COMPACT_BATCH_ROWS = 5000  # rows per table per compaction transaction


class Store:
    """Metric series with rollups and retention, the action audit log, incidents, and alert silences."""

    def __init__(self, conns: Connections, *, clock: Clock, retention: Retention, queue_size: int) -> None:
        """Use `Store.open`, which opens the file in a worker thread and starts the writer."""
        self._conns = conns
        self._clock = clock
        self._samples = SampleWriter()
        self._compactor = Compactor(
            retention=retention,
            clock=clock,
            interval=COMPACT_INTERVAL,
            batch_rows=COMPACT_BATCH_ROWS,
            on_series_deleted=self._samples.forget,
        )
        self._writer = Writer(
            conns,
            queue_size=queue_size,
            max_batch=MAX_BATCH,
            maintenance=self._compactor.due,
            on_rollback=self._samples.forget,
        )
        self._open = False

    @classmethod
    async def open(
        cls, path: Path | str, *, clock: Clock, retention: Retention | None = None, queue_size: int = 256
    ) -> Store:
        """Open or create the store at `path` (":memory:" for a throwaway one) and start its writer.

        `queue_size` bounds the writes waiting for the writer; beyond it `add_samples` waits.
        """
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, not {queue_size}")
        now = to_micros(clock.now(), "clock.now()")
        conns = await asyncio.to_thread(open_connections, path, now_micros=now)
        store = cls(conns, clock=clock, retention=retention or Retention(), queue_size=queue_size)
        store._writer.start()
        store._open = True
        return store

    @property
    def path(self) -> str:
        """The store file's absolute path, or ":memory:"."""
        return self._conns.path

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def retention(self) -> Retention:
        return self._compactor.retention

    @property
    def stats(self) -> WriteStats:
        """The writer's counters: jobs, transactions, failures, queue length."""
        return self._writer.stats

    async def close(self) -> None:
        """Commit everything queued, then close the file and release its lock. Safe to call twice."""
        if not self._open:
            return
        self._open = False
        try:
            await self._writer.stop()
        finally:
            await asyncio.to_thread(self._conns.close)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # metric series

    async def add_samples(self, samples: Iterable[Sample]) -> None:
        """Queue samples for the writer; returns once queued, waiting while the queue is full."""
        self._check_open()
        rows = sample_rows(samples)
        for i in range(0, len(rows), SAMPLES_PER_JOB):
            chunk = rows[i : i + SAMPLES_PER_JOB]
            await self._writer.enqueue(partial(self._samples.insert, rows=chunk), what=f"{len(chunk)} samples")

    async def flush(self) -> None:
        """Wait until everything queued so far is committed.

        Raises StoreError if queued writes (samples, compaction) failed since the last flush.
        """
        self._check_open()
        try:
            await self._writer.submit(lambda conn: None, what="flush barrier")
        finally:
            failures = self._writer.take_failures()  # reported by this call, whichever way it ends
        if failures:
            raise errors.StoreError(f"{len(failures)} queued write(s) to {self.path} failed: {failures[0]}")

    def series(
        self,
        metric: str,
        labels: Mapping[str, str],
        *,
        start: datetime,
        end: datetime,
        resolution: Resolution = "raw",
    ) -> list[tuple[datetime, float]]:
        """Points of the series with exactly these labels in `[start, end]`, oldest first.

        "raw" gives the samples; "5m" and "1h" the average of each bucket that overlaps the range,
        stamped with the bucket's start. A label set that is only a subset of a series' labels
        matches nothing; list the candidates with `find_series`.
        """
        return self._read(
            "reading a series from",
            lambda c: read_points(c, metric, labels, start=start, end=end, resolution=resolution),
        )

    def rollups(
        self, metric: str, labels: Mapping[str, str], *, start: datetime, end: datetime, resolution: Literal["5m", "1h"]
    ) -> list[Rollup]:
        """Count, sum, min, max and last value of each bucket overlapping `[start, end]`."""
        return self._read(
            "reading rollups from",
            lambda c: read_rollups(c, metric, labels, start=start, end=end, resolution=resolution),
        )

    def find_series(self, metric: str, /, **label_filters: str) -> list[dict[str, str]]:
        """The label sets of `metric`'s series that include every given label (sorted)."""
        return self._read("listing series in", lambda c: find_series(c, metric, label_filters))

    async def compact(self) -> Compaction:
        """Enforce retention now, in bounded steps on the writer; returns what was deleted."""
        self._check_open()
        total = Compaction()
        while True:
            step = await self._writer.submit(self._compactor.step(self._clock.now()), what="compaction")
            total += step
            if not step.more:
                return total

    # audit log

    async def begin_action(self, record: ActionRecord) -> bool:
        """Record an action about to be taken; False (nothing written) if its key is already recorded."""
        self._check_open()
        row = audit.action_row(record)
        return await self._writer.submit(lambda conn: audit.insert_action(conn, row), what=f"action {record.key}")

    async def finish_action(self, key: str, *, state: ActionState, detail: str, finished_at: datetime) -> None:
        """Record the outcome of a begun action; StoreError if `key` was never begun."""
        self._check_open()
        micros = to_micros(finished_at, f"action {key} finished_at")
        await self._writer.submit(
            lambda conn: audit.finish_action(
                conn, path=self.path, key=key, state=state, detail=detail, finished_micros=micros
            ),
            what=f"the outcome of action {key}",
        )

    def get_action(self, key: str) -> ActionRecord | None:
        return self._read("reading the audit log of", lambda c: audit.get_action(c, key))

    def list_actions(self, *, limit: int = 100, target: str | None = None) -> list[ActionRecord]:
        """The latest `limit` actions, newest first; only those on `target` when given."""
        return self._read("reading the audit log of", lambda c: audit.list_actions(c, limit=limit, target=target))

    # incidents

    async def save_incident(self, incident: IncidentRecord) -> None:
        """Insert the incident or replace the one with its id; returns once committed."""
        self._check_open()
        row = audit.incident_row(incident)
        await self._writer.submit(lambda conn: audit.save_incident(conn, row), what=f"incident {incident.id}")

    def get_incident(self, incident_id: str) -> IncidentRecord | None:
        return self._read("reading incidents from", lambda c: audit.get_incident(c, incident_id))

    def list_incidents(self, *, limit: int = 100, open_only: bool = False) -> list[IncidentRecord]:
        """The latest `limit` incidents by detection time, newest first."""
        return self._read("reading incidents from", lambda c: audit.list_incidents(c, limit=limit, open_only=open_only))

    # silences

    async def save_silence(self, silence: SilenceRecord) -> None:
        """Insert the silence or replace the one with its id (expiring is saving it with a new ends_at)."""
        self._check_open()
        row = silences.silence_row(silence)
        await self._writer.submit(lambda conn: silences.save_silence(conn, row), what=f"silence {silence.id}")

    def get_silence(self, silence_id: str) -> SilenceRecord | None:
        return self._read("reading silences from", lambda c: silences.get_silence(c, silence_id))

    def list_silences(self, *, include_expired: bool = False) -> list[SilenceRecord]:
        """Silences newest first; expired ones (ending at or before the clock's now) only when asked."""
        now = to_micros(self._clock.now(), "clock.now()")
        return self._read(
            "reading silences from",
            lambda c: silences.list_silences(c, now_micros=now, include_expired=include_expired),
        )

    def _check_open(self) -> None:
        if not self._open:
            raise errors.closed(self.path)

    def _read(self, doing: str, query: Callable[[sqlite3.Connection], T]) -> T:
        self._check_open()
        with self._conns.reading() as conn:
            try:
                return query(conn)
            except sqlite3.Error as e:
                raise errors.from_sqlite(self.path, doing, e) from e
