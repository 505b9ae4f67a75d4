"""The store's tables and the ordered list of migrations that builds them.

`PRAGMA user_version` is the schema version: the number of migrations applied. Each migration runs
in its own transaction together with the bump of `user_version` and a row in `schema_version`
(when it was applied and what it did), so a crash leaves the file at a whole version. A file with a
version above `len(MIGRATIONS)` was written by a newer kaido and is refused rather than guessed at.
To change the schema, append a migration; never edit one that has shipped.

Rollups are kept by a trigger on `samples`: every inserted sample updates its 5-minute and 1-hour
bucket (count, sum, min, max, and the value with the latest timestamp) in the same transaction,
so rollups can never disagree with what was written, and a duplicate sample that `INSERT OR IGNORE`
drops changes no bucket.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kaido.store import errors

__all__ = ["MIGRATIONS", "Migration", "migrate"]

FIVE_MINUTES_MS = 300_000
ONE_HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Migration:
    description: str
    statements: tuple[str, ...]


def _rollup_table(name: str) -> tuple[str, str]:
    return (
        f"""CREATE TABLE {name} (
            series_id INTEGER NOT NULL REFERENCES series(id),
            bucket INTEGER NOT NULL,            -- bucket start, ms since the epoch
            sample_count INTEGER NOT NULL,
            value_sum REAL NOT NULL,
            value_min REAL NOT NULL,
            value_max REAL NOT NULL,
            value_last REAL NOT NULL,
            last_ts INTEGER NOT NULL,           -- timestamp of value_last, so late samples keep it right
            PRIMARY KEY (series_id, bucket)
        ) WITHOUT ROWID""",
        f"CREATE INDEX {name}_by_time ON {name}(bucket)",
    )


def _rollup_upsert(name: str, width_ms: int) -> str:
    return f"""INSERT INTO {name} VALUES (
            NEW.series_id, NEW.ts - NEW.ts % {width_ms}, 1, NEW.value, NEW.value, NEW.value, NEW.value, NEW.ts)
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            sample_count = sample_count + 1,
            value_sum = value_sum + excluded.value_sum,
            value_min = min(value_min, excluded.value_min),
            value_max = max(value_max, excluded.value_max),
            value_last = CASE WHEN excluded.last_ts > last_ts THEN excluded.value_last ELSE value_last END,
            last_ts = max(last_ts, excluded.last_ts);"""  # noqa: S608 - name and width are this module's constants


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "metric series with 5m and 1h rollups, the action audit log, incidents",
        (
            """CREATE TABLE schema_version (
                version INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at INTEGER NOT NULL     -- microseconds since the epoch
            )""",
            """CREATE TABLE series (
                id INTEGER PRIMARY KEY,
                metric TEXT NOT NULL,
                labels TEXT NOT NULL,           -- canonical JSON object, sorted keys
                UNIQUE (metric, labels)
            )""",
            """CREATE TABLE samples (
                series_id INTEGER NOT NULL REFERENCES series(id),
                ts INTEGER NOT NULL,            -- ms since the epoch
                value REAL NOT NULL,
                PRIMARY KEY (series_id, ts)
            ) WITHOUT ROWID""",
            "CREATE INDEX samples_by_time ON samples(ts)",
            *_rollup_table("rollup_5m"),
            *_rollup_table("rollup_1h"),
            f"""CREATE TRIGGER samples_rollup AFTER INSERT ON samples BEGIN
                {_rollup_upsert("rollup_5m", FIVE_MINUTES_MS)}
                {_rollup_upsert("rollup_1h", ONE_HOUR_MS)}
            END""",
            """CREATE TABLE actions (
                key TEXT PRIMARY KEY,           -- the idempotency key
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                params TEXT NOT NULL,           -- JSON object
                mode TEXT NOT NULL,
                reason TEXT NOT NULL,
                requested_at INTEGER NOT NULL,  -- microseconds since the epoch
                state TEXT NOT NULL,
                detail TEXT NOT NULL,
                finished_at INTEGER,
                incident_id TEXT
            )""",
            "CREATE INDEX actions_by_time ON actions(requested_at)",
            "CREATE INDEX actions_by_target ON actions(target, requested_at)",
            """CREATE TABLE incidents (
                id TEXT PRIMARY KEY,
                target TEXT NOT NULL,
                cause TEXT NOT NULL,
                summary TEXT NOT NULL,
                detected_at INTEGER NOT NULL,   -- microseconds since the epoch
                evidence TEXT NOT NULL,         -- JSON list of strings
                actions TEXT NOT NULL,          -- JSON list of idempotency keys
                outcome TEXT NOT NULL,
                first_action_at INTEGER,
                resolved_at INTEGER
            )""",
            "CREATE INDEX incidents_by_time ON incidents(detected_at)",
            "CREATE INDEX incidents_by_outcome ON incidents(outcome, detected_at)",
        ),
    ),
    Migration(
        "silences of alerts: label matchers, validity window, author and comment",
        (
            """CREATE TABLE silences (
                id TEXT PRIMARY KEY,
                matchers TEXT NOT NULL,         -- JSON list of {name, value, isRegex, isEqual}
                starts_at INTEGER NOT NULL,     -- microseconds since the epoch
                ends_at INTEGER NOT NULL,       -- expiring a silence sets this to the time it was expired
                created_by TEXT NOT NULL,
                comment TEXT NOT NULL,
                updated_at INTEGER NOT NULL
            )""",
            "CREATE INDEX silences_by_end ON silences(ends_at)",
        ),
    ),
)


def migrate(conn: sqlite3.Connection, *, path: Path | str, now_micros: int) -> int:
    """Bring the database on `conn` to the latest schema; returns the version it was found at.

    `conn` must be in autocommit mode (isolation_level None); each migration is one transaction.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    known = len(MIGRATIONS)
    if found > known:
        raise errors.newer_schema(path, found, known)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if found == 0 and tables:
        names = ", ".join(sorted(tables)[:5])
        raise errors.not_a_store(path, f"a sqlite database of another program, with tables {names}")
    if found > 0 and "schema_version" not in tables:
        raise errors.not_a_store(path, f"user_version is {found} but there is no schema_version table")
    for version in range(found + 1, known + 1):
        migration = MIGRATIONS[version - 1]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (version, migration.description, now_micros),
            )
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
