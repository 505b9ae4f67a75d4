"""One kaido process per store file: an exclusive advisory lock on `<store>.lock`.

sqlite's own locks let two processes share a file, which for kaido means two agents writing the
same audit log and both believing they own it. So the store takes `flock(LOCK_EX | LOCK_NB)` on a
side file before it touches the database and holds it until close; a second opener fails at once
with the holder's pid, which the holder writes into the lock file. The kernel drops the lock when
the process dies, so a crash never leaves a stale lock behind; the file itself is left in place
(removing it would let a later opener lock a different inode than a concurrent one).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from kaido.store import errors

__all__ = ["FileLock"]


class FileLock:
    """An exclusive flock held on `path` for this object's lifetime (until `release`)."""

    def __init__(self, path: Path, *, store: Path) -> None:
        self.path = path
        self._fd: int | None = None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise errors.StoreError(
                f"cannot create the lock file {path} for store {store}: {e.strerror}; make the directory "
                "writable by this user or set agent.storePath to a writable location"
            ) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            os.close(fd)
            raise errors.in_use(store, _holder(path)) from e
        except OSError as e:
            os.close(fd)
            raise errors.StoreError(f"cannot lock {path} for store {store}: {e.strerror}") from e
        # Written only once the lock is ours, so the holder's pid is never overwritten by a loser.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _holder(path: Path) -> str:
    """The pid the lock holder wrote, or "unknown" if it has not written it yet."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "unknown"
    return text if text.isdigit() else "unknown"
