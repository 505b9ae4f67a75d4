"""The store's one exception and the messages for the ways a store file can be unusable.

    KaidoError
    └── StoreError     the store file or its directory cannot be used, or a write failed

Every message names the file, says what is wrong with it and what to do. The translation from
sqlite's terse errors ("file is not a database", "database is locked") lives here so that opening,
writing and reading report the same condition in the same words.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kaido.core.errors import KaidoError

__all__ = ["StoreError"]

_NEW_FILE = "set agent.storePath to a new file"


class StoreError(KaidoError):
    """The store cannot be opened or used: corrupt, locked, unwritable, too new, or closed."""


def not_a_store(path: Path | str, why: str) -> StoreError:
    return StoreError(f"{path} is not a kaido store ({why}); move it away or {_NEW_FILE}")


def corrupt(path: Path | str, detail: str) -> StoreError:
    return StoreError(
        f"{path} is corrupt (integrity check: {detail}); restore it from a backup, "
        f"or move it away (kaido then starts an empty store) or {_NEW_FILE}"
    )


def in_use(path: Path | str, pid: str) -> StoreError:
    return StoreError(
        f"{path} is in use by another kaido process (pid {pid}); stop that process, "
        "or give this one its own file with agent.storePath"
    )


def newer_schema(path: Path | str, found: int, known: int) -> StoreError:
    return StoreError(
        f"{path} was written by a newer kaido (schema version {found}; this kaido knows up to {known}); "
        f"upgrade kaido or {_NEW_FILE}"
    )


def closed(path: Path | str) -> StoreError:
    return StoreError(f"store {path} is closed; open it again with Store.open")


def from_sqlite(path: Path | str, doing: str, error: sqlite3.Error) -> StoreError:
    """Translate a sqlite error raised while `doing` something with the store at `path`."""
    text = str(error)
    lowered = text.lower()
    if "file is not a database" in lowered:
        return not_a_store(path, "file is not a database")
    if "malformed" in lowered or "corrupt" in lowered:
        return corrupt(path, text)
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{doing} {path} failed: {text}; another program holds a lock on the file, stop it or {_NEW_FILE}"
        )
    if "disk is full" in lowered or "disk i/o" in lowered:
        return StoreError(f"{doing} {path} failed: {text}; free space on (or repair) the volume holding it")
    if "readonly" in lowered or "unable to open" in lowered:
        return StoreError(
            f"{doing} {path} failed: {text}; make the file and its directory writable by this user or {_NEW_FILE}"
        )
    return StoreError(f"{doing} {path} failed: {text}")
