"""Opening a store file: check the location, take the lock, verify the file, migrate, connect.

The checks run in the order that gives the most useful error: a missing or unwritable directory
first, then another kaido process holding the lock, then a file that is not sqlite or is damaged
(`PRAGMA quick_check`), then a schema from a newer kaido. Only then are the connections handed out:
one for the single writer (used from one worker thread at a time, hence `check_same_thread=False`)
and one for reads, which WAL lets run while the writer commits.

An in-memory store (":memory:", for tests) has a single connection, because two connections to
":memory:" would be two databases; a thread lock then makes each read wait for the writer's
current transaction to finish, which is what WAL gives a file without waiting.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from kaido.store import errors
from kaido.store.locking import FileLock
from kaido.store.schema import migrate

__all__ = ["MEMORY", "Connections", "open_connections"]

MEMORY = ":memory:"
# Only kaido writes the file (the flock guarantees it), so a short wait covers checkpoints and a
# reader starting up; anything longer is another program holding the file, which should fail fast.
BUSY_TIMEOUT_MS = 2000


@dataclass(slots=True)
class Connections:
    """The store's sqlite connections and the lock that makes the file this process's own."""

    path: str
    write: sqlite3.Connection
    read: sqlite3.Connection
    guard: threading.Lock | None  # set when `read` is `write` (in-memory store)
    lock: FileLock | None

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        with self.guard or nullcontext():
            yield self.write

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self.guard or nullcontext():
            yield self.read

    def close(self) -> None:
        """Close the reader first, so the writer's close is the last and checkpoints the WAL."""
        try:
            if self.read is not self.write:
                self.read.close()
            self.write.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def open_connections(path: Path | str, *, now_micros: int) -> Connections:
    """Open (creating if needed) the store at `path`; blocking, so callers run it in a thread."""
    if str(path) == MEMORY:
        conn = _connect(MEMORY)
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path=MEMORY, now_micros=now_micros)
        return Connections(path=MEMORY, write=conn, read=conn, guard=threading.Lock(), lock=None)
    file = Path(path).expanduser().absolute()
    _check_location(file)
    lock = FileLock(file.with_name(file.name + ".lock"), store=file)
    opened: list[sqlite3.Connection] = []
    try:
        write = _connect(str(file))
        opened.append(write)
        _prepare_writer(write, file)
        migrate(write, path=file, now_micros=now_micros)
        read = _connect(str(file))
        opened.append(read)
        read.execute("PRAGMA query_only = ON")  # reads must never take the writer's place
        return Connections(path=str(file), write=write, read=read, guard=None, lock=lock)
    except BaseException as e:
        for conn in opened:
            conn.close()
        lock.release()
        if isinstance(e, sqlite3.Error):
            raise errors.from_sqlite(file, "opening", e) from e
        raise


def _connect(target: str) -> sqlite3.Connection:
    # isolation_level=None: the writer issues BEGIN/COMMIT itself and reads run in autocommit.
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _prepare_writer(conn: sqlite3.Connection, file: Path) -> None:
    """WAL and its settings, then an integrity check before anything is written."""
    mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    if mode != "wal":
        raise errors.StoreError(
            f"{file}: sqlite could not switch to WAL mode (journal_mode is {mode}); put the store on a "
            "local filesystem (not NFS or a read-only volume) or set agent.storePath elsewhere"
        )
    # NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise errors.corrupt(file, "; ".join(problems))


def _check_location(file: Path) -> None:
    """Fail with the fix when the path cannot hold a store, before sqlite says 'unable to open'."""
    hint = "or set agent.storePath to a writable location"
    if file.is_dir():
        raise errors.StoreError(f"store path {file} is a directory; name a file in it, e.g. {file / 'kaido.db'}")
    parent = file.parent
    if not parent.exists():
        raise errors.StoreError(
            f"cannot open store {file}: directory {parent} does not exist; create it (or mount a volume there) {hint}"
        )
    if not parent.is_dir():
        raise errors.StoreError(f"cannot open store {file}: {parent} is not a directory; {hint.removeprefix('or ')}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise errors.StoreError(
            f"cannot open store {file}: directory {parent} is not writable by uid {os.getuid()}; "
            f"fix its permissions {hint}"
        )
    if file.exists() and not os.access(file, os.R_OK | os.W_OK):
        raise errors.StoreError(
            f"cannot open store {file}: the file is not readable and writable by uid {os.getuid()}; "
            f"fix its permissions {hint}"
        )
