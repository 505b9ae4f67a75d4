"""The life of an alert, one evaluation at a time: pending, firing, resolved, forgotten.

Prometheus' rule semantics, keyed by fingerprint:

- a condition that starts to hold makes a *pending* alert (or a firing one at once when `for` is 0);
- a pending alert whose condition has held for `for` seconds becomes *firing* (`active_at`);
- a pending alert whose condition stops holding is dropped without a trace (it never fired);
- a firing alert whose condition stops holding becomes *resolved* (`ends_at`), and is kept for
  `retention` seconds so views can show it and the groups can send its resolved notification;
- a resolved alert whose condition comes back starts again as pending, with a new `starts_at`.

Annotations follow the latest evaluation (the numbers move); labels never change for a fingerprint.
Alerts of rules that could not be evaluated this time (a metric source failed) are carried over
unchanged: missing data is not evidence that a problem went away.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from kaido.notify.model import Alert
from kaido.notify.rules import Candidate

__all__ = ["advance"]


def advance(
    alerts: Mapping[str, Alert],
    holding: Mapping[str, Candidate],
    *,
    now: datetime,
    retention: float,
    unknown_rules: Collection[str] = (),
) -> dict[str, Alert]:
    """The alerts after one evaluation at `now`, given the candidates whose conditions hold (by fingerprint)."""
    out: dict[str, Alert] = {}
    for fp, candidate in holding.items():
        out[fp] = _still_holding(alerts.get(fp), candidate, now)
    for fp, alert in alerts.items():
        if fp in out:
            continue
        if alert.name in unknown_rules:
            out[fp] = alert
        elif alert.state == "firing":
            out[fp] = alert.resolved(now)
        elif alert.ends_at is not None and now - alert.ends_at < timedelta(seconds=retention):
            out[fp] = alert  # resolved, kept for a while to be seen
        # a pending alert whose condition cleared is dropped: it never fired
    return out


def _still_holding(previous: Alert | None, candidate: Candidate, now: datetime) -> Alert:
    if previous is None or previous.state == "resolved":
        fire_now = candidate.for_ <= 0
        return Alert(
            labels=dict(candidate.labels),
            annotations=dict(candidate.annotations),
            state="firing" if fire_now else "pending",
            starts_at=now,
            active_at=now if fire_now else None,
        )
    annotations = dict(candidate.annotations)
    if previous.state == "pending" and now - previous.starts_at >= timedelta(seconds=candidate.for_):
        return replace(previous, annotations=annotations, state="firing", active_at=now)
    return replace(previous, annotations=annotations)
