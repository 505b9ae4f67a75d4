"""Evidence as people read it: Events in one line, the log line that explains an exit, the nearest name.

Each function turns raw facts into a string a diagnosis can quote, and none of them guesses: a log
without an explaining line yields its last line, a name without a close neighbour yields nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from kaido.analysis.status import parse_time

__all__ = [
    "clip",
    "describe_event",
    "event_time",
    "exit_meaning",
    "explaining_line",
    "message_of",
    "nearest_name",
    "plural",
    "quote",
]

_MAX_LINE: Final = 240  # characters of a quoted log line or message
# Words that make a log line an explanation rather than progress.
_EXPLAINS: Final = re.compile(
    r"panic|fatal|error|exception|traceback|not set|refused|denied|cannot|can't|could not|couldn't|failed|"
    r"failure|no such|not found|invalid|missing|unable|x509|timeout|timed out|killed|abort|segmentation",
    re.IGNORECASE,
)
# A leading timestamp ("2026-03-01T12:00:03Z", "2026/03/01 12:00:03", "[...]") and log level.
_STAMP: Final = re.compile(
    r"^\s*\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s*"
)
_LEVEL: Final = re.compile(
    r"^\s*\[?(?:level=)?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|[IWEF]\d{4})\]?"
    r"[\s:|-]+",
    re.IGNORECASE,
)
_SIGNALS: Final = {
    126: "the command is not executable",
    127: "the command was not found",
    130: "interrupted (SIGINT)",
    134: "aborted (SIGABRT)",
    137: "killed (SIGKILL)",
    139: "segmentation fault (SIGSEGV)",
    143: "terminated (SIGTERM)",
}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def clip(text: str, limit: int = _MAX_LINE) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quote(text: str) -> str:
    """A log line or name quoted in a sentence: 'DEPLOY_ENV is not set'."""
    return "'" + clip(text, 160) + "'"


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """When an Event was last seen: lastTimestamp, the series' last observation, eventTime, firstTimestamp."""
    series = event.get("series") or {}
    for value in (event.get("lastTimestamp"), series.get("lastObservedTime"), event.get("eventTime")):
        moment = parse_time(value)
        if moment is not None:
            return moment
    return parse_time(event.get("firstTimestamp"))


def message_of(event: Mapping[str, Any]) -> str:
    return str(event.get("message") or event.get("note") or "").strip()


def describe_event(event: Mapping[str, Any]) -> str:
    """ "event Warning BackOff x12 (last 2026-03-01T12:03:04Z): Back-off restarting failed container app ..." """
    count = event.get("count") or (event.get("series") or {}).get("count") or 1
    line = f"event {event.get('type') or 'Normal'} {event.get('reason') or '?'}"
    line += f" x{count}" if isinstance(count, int) and count > 1 else ""
    seen = event_time(event)
    line += f" (last {seen.strftime('%Y-%m-%dT%H:%M:%SZ')})" if seen else ""
    return f"{line}: {clip(message_of(event))}"


def _plain(line: str) -> str:
    """A log line without its leading timestamp and level: what the application said."""
    text = _STAMP.sub("", line, count=1)
    text = _LEVEL.sub("", text, count=1)
    return text.strip() or line.strip()


def explaining_line(lines: Sequence[str]) -> str | None:
    """The log line that best explains an exit, without its timestamp and level; None for an empty log.

    A Go panic names itself on its first line; otherwise the last line that reads like an error
    ("FATAL DEPLOY_ENV is not set", "connection refused"); otherwise the last line written.
    """
    written = [line for line in lines if line.strip()]
    if not written:
        return None
    panic = next((line for line in written if _STAMP.sub("", line, count=1).lstrip().startswith("panic:")), None)
    if panic is not None:
        return _STAMP.sub("", panic, count=1).strip()  # "panic:" is the message here, not a log level
    explaining = [line for line in written if _EXPLAINS.search(line)]
    return _plain(explaining[-1] if explaining else written[-1])


def exit_meaning(code: object) -> str:
    """What an exit code usually means, for codes that carry a signal or a shell convention; else ""."""
    return _SIGNALS.get(code, "") if isinstance(code, int) else ""


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def nearest_name(wanted: str, existing: Iterable[str]) -> str | None:
    """The existing name closest to `wanted` by edit distance, if it is plausibly what was meant.

    Plausible: a few edits away (a third of the name, at least 2), or one name extends the other
    ("app-config" and "app-configuration"). Ties go to the alphabetically first name.
    """
    budget = max(2, len(wanted) // 3)
    candidates = []
    for name in sorted(set(existing)):
        if name == wanted:
            continue
        distance = _distance(wanted, name)
        shorter, longer = sorted((wanted, name), key=len)
        if distance <= budget or (len(shorter) >= 4 and longer.startswith(shorter)):
            candidates.append((distance, name))
    return min(candidates)[1] if candidates else None
