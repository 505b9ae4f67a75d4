"""The single writer: one asyncio task owns every write to the store and commits them in batches.

Callers put jobs (a function of the write connection) on a bounded queue. The writer takes the
first job waiting, then every further one already queued (up to `max_batch`), and runs the lot in
one transaction in a worker thread (`asyncio.to_thread`: sqlite has no async API, and one thread at
a time uses the connection). Each job runs inside a savepoint, so a job that fails is undone alone
and the rest of the batch still commits. Jobs that carry a future are resolved after the commit,
so `await submit(...)` returns only once the write is durable; jobs without one (metric samples)
return once queued, and a full queue makes their producer wait — that is the backpressure.

Because there is one writer, writes never contend for sqlite's lock, and the order of the queue
is the order of the commits: a barrier job (`flush`) resolves only after everything before it.
Between batches the writer asks `maintenance` for a job (the store's compaction) and runs it in a
transaction of its own, so housekeeping happens on the writer and interleaves with new writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from kaido.store import errors
from kaido.store.opening import Connections

__all__ = ["Apply", "WriteStats", "Writer"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Apply = Callable[[sqlite3.Connection], T]


@dataclass(frozen=True, slots=True)
class WriteStats:
    """Counters of the writer since the store was opened."""

    jobs: int = 0  # jobs committed or failed
    transactions: int = 0  # transactions committed
    failed_jobs: int = 0
    queued: int = 0  # jobs waiting right now


@dataclass(slots=True)
class _Job:
    apply: Callable[[sqlite3.Connection], Any]
    what: str  # names the write in error messages, e.g. "500 samples"
    future: asyncio.Future[Any] | None  # None: nobody waits for this job


@dataclass(slots=True)
class _Counters:
    jobs: int = 0
    transactions: int = 0
    failed_jobs: int = 0
    unreported: list[str] = field(default_factory=list)  # failures of unawaited jobs since the last take


_MAX_UNREPORTED = 20  # enough to see what went wrong; a failing disk must not grow memory
_STOP = _Job(apply=lambda conn: None, what="stop", future=None)


class Writer:
    """Owns the write connection; start it once, submit jobs, stop it to drain and end the task."""

    def __init__(
        self,
        conns: Connections,
        *,
        queue_size: int,
        max_batch: int,
        maintenance: Callable[[], Apply[Any] | None],
        on_rollback: Callable[[], None],
    ) -> None:
        self._conns = conns
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=queue_size)
        self._max_batch = max_batch
        self._maintenance = maintenance
        self._on_rollback = on_rollback
        self._counters = _Counters()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"kaido store writer {self._conns.path}")

    @property
    def stats(self) -> WriteStats:
        c = self._counters
        return WriteStats(c.jobs, c.transactions, c.failed_jobs, self._queue.qsize())

    async def submit(self, apply: Apply[T], *, what: str) -> T:
        """Queue a write and wait until it is committed; raises what the job raised."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._put(_Job(apply, what, future))
        return cast("T", await future)

    async def enqueue(self, apply: Apply[Any], *, what: str) -> None:
        """Queue a write and return; its failure is logged and reported by `take_failures`."""
        await self._put(_Job(apply, what, None))

    def take_failures(self) -> list[str]:
        """Failures of unawaited jobs since the last call."""
        failures, self._counters.unreported = self._counters.unreported, []
        return failures

    async def stop(self) -> None:
        """Commit everything queued so far, then end the writer task."""
        if self._task is None:
            return
        if not self._task.done():
            await self._queue.put(_STOP)
        task, self._task = self._task, None
        await task

    async def _put(self, job: _Job) -> None:
        if self._task is None or self._task.done():
            raise errors.closed(self._conns.path)
        await self._queue.put(job)

    async def _run(self) -> None:
        batch: list[_Job] = []
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                stop = _STOP in batch
                batch = [job for job in batch if job is not _STOP]
                if batch:
                    await self._commit(batch)
                batch = []
                if stop:
                    return
                maintenance = self._maintenance()
                if maintenance is not None:
                    await self._commit([_Job(maintenance, "compaction", None)])
        finally:
            # Cancelled (the loop is shutting down) or stopped: nobody may wait forever.
            self._fail_pending(batch)

    async def _commit(self, batch: list[_Job]) -> None:
        try:
            outcomes = await asyncio.to_thread(self._transaction, batch)
        except Exception as e:  # the transaction failed as a whole: every job in it failed
            self._on_rollback()
            outcomes = [_Failed(_as_store_error(self._conns.path, batch, e)) for _ in batch]
        else:
            self._counters.transactions += 1
        reported: set[str] = set()
        for job, outcome in zip(batch, outcomes, strict=True):
            self._counters.jobs += 1
            if isinstance(outcome, _Failed):
                self._counters.failed_jobs += 1
                error = _as_store_error(self._conns.path, [job], outcome.error)
                if job.future is None:
                    if str(error) not in reported:  # a failed batch fails every job alike: say it once
                        reported.add(str(error))
                        log.error("store writer: %s", error)
                        self._report(str(error))
                elif not job.future.done():
                    job.future.set_exception(error)
            elif job.future is not None and not job.future.done():
                job.future.set_result(outcome)

    def _report(self, failure: str) -> None:
        unreported = self._counters.unreported
        if len(unreported) < _MAX_UNREPORTED:
            unreported.append(failure)

    def _transaction(self, batch: list[_Job]) -> list[Any]:
        """Run `batch` in one transaction (in the worker thread); a failed job becomes a `_Failed`."""
        outcomes: list[Any] = []
        with self._conns.writing() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for job in batch:
                    conn.execute("SAVEPOINT job")
                    try:
                        outcome = job.apply(conn)
                    except Exception as e:  # one bad job must not undo the others in its batch
                        if not conn.in_transaction:
                            raise  # sqlite already rolled back everything (disk full, I/O error)
                        conn.execute("ROLLBACK TO job")
                        self._on_rollback()
                        outcome = _Failed(e)
                    conn.execute("RELEASE job")
                    outcomes.append(outcome)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # keep the error that made us roll back
                        conn.execute("ROLLBACK")
                raise
        return outcomes

    def _fail_pending(self, batch: list[_Job]) -> None:
        closed = errors.closed(self._conns.path)
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        for job in batch:
            if job.future is not None and not job.future.done():
                job.future.set_exception(closed)


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


def _as_store_error(path: str, batch: list[_Job], error: Exception) -> errors.StoreError:
    names = [job.what for job in batch[:3]] + (["..."] if len(batch) > 3 else [])
    what = batch[0].what if len(batch) == 1 else f"{len(batch)} jobs ({', '.join(names)})"
    if isinstance(error, errors.StoreError):
        return error
    if isinstance(error, sqlite3.Error):
        translated = errors.from_sqlite(path, f"writing {what} to", error)
    else:
        translated = errors.StoreError(f"writing {what} to {path} failed: {error!r}")
    translated.__cause__ = error
    return translated
