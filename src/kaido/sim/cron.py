"""Cron schedules as CronJobs use them: five fields, names, ranges, steps and the @ shortcuts.

`next_fire(schedule, after)` gives the first scheduled minute after a moment, which is all the
CronJob controller needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["CronSchedule", "next_fire", "parse_schedule"]

_SHORTCUTS: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS: Final = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_DAYS: Final = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_Field = tuple[str, int, int, dict[str, int]]
_FIELDS: Final[tuple[_Field, ...]] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day of month was "*": then only the weekday restricts (and vice versa), as cron does
    any_weekday: bool

    def matches(self, moment: datetime) -> bool:
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        weekday = (moment.weekday() + 1) % 7
        day_ok, weekday_ok = moment.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def parse_schedule(text: str) -> CronSchedule:
    """Parse a schedule; a ValueError names the field that is wrong."""
    fields = _SHORTCUTS.get(text.strip(), text).split()
    if len(fields) != 5:
        raise ValueError(f"schedule {text!r}: expected 5 fields (minute hour day-of-month month day-of-week)")
    values = [_parse_field(part, *spec, schedule=text) for part, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset(7 if v == 7 else v for v in values[4])
    return CronSchedule(
        values[0],
        values[1],
        values[2],
        values[3],
        frozenset(d % 7 for d in weekdays),
        any_day=fields[2] in ("*", "?"),
        any_weekday=fields[4] in ("*", "?"),
    )


def _parse_field(part: str, name: str, low: int, high: int, names: dict[str, int], *, schedule: str) -> frozenset[int]:
    out: set[int] = set()
    for item in part.lower().split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else (1 if not step_text else 0)
        if step == 0:
            raise ValueError(f"schedule {schedule!r}: bad step {step_text!r} in the {name} field")
        if body in ("*", "?"):
            start, end = low, high
        else:
            first, _, last = body.partition("-")
            start = _value(first, names, name, schedule)
            end = _value(last, names, name, schedule) if last else (high if step_text else start)
        upper = 7 if name == "day of week" else high
        if not low <= start <= upper or not low <= end <= upper or start > end:
            raise ValueError(f"schedule {schedule!r}: {item!r} is outside {low}-{high} in the {name} field")
        out.update(range(start, end + 1, step))
    return frozenset(out)


def _value(text: str, names: dict[str, int], field: str, schedule: str) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"schedule {schedule!r}: {text!r} is not a number or name in the {field} field")
    return int(text)


def next_fire(schedule: CronSchedule, after: datetime) -> datetime | None:
    """The first minute strictly after `after` the schedule fires at (searches at most 400 days ahead)."""
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = after + timedelta(days=400)
    while moment <= limit:
        if schedule.matches(moment):
            return moment
        moment += timedelta(minutes=1)
    return None
