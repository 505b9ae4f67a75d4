"""Where an alert goes: the policy's routes pick channels and timings, `group_by` picks its group.

Routes are tried in order and the first whose `match` globs all fit the alert's labels wins, unless
it says `continue`, in which case later routes are tried too and every match is a destination
(Alertmanager's model). A label the alert lacks reads as "", so only `""` or `*` matches it. A
rule that names its own channels overrides the routes' channels: its alerts take the grouping and
timings of the first matching route only, since sending to the same channels once per matching route
would duplicate every notification. An alert no route matches goes to the built-in `events`
channel with the default timings, so that no alert is ever dropped for want of a route.

A destination's group key is a hash of the route, the channels and the values of the route's
`group_by` labels, so the same group keeps the same key across evaluations and restarts; it is
also short enough to serve as a de-duplication key for paging services.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kaido.config.alerts import EVENTS_CHANNEL, Route
from kaido.core.ids import stable_id

__all__ = ["FALLBACK_ROUTE", "Destination", "group_key", "group_labels", "route_alert", "route_matches"]

FALLBACK_ROUTE: Final = Route(channels=[EVENTS_CHANNEL])
_ALL_LABELS: Final = "..."  # Alertmanager's group_by value for "group by every label"


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """One group an alert belongs to, with the route whose timings apply and the channels it notifies."""

    route_id: str  # the route's index in the policy, or "fallback"
    route: Route
    channels: tuple[str, ...]
    group_labels: Mapping[str, str]
    group_key: str


def route_matches(route: Route, labels: Mapping[str, str]) -> bool:
    """Whether every `match` glob of `route` fits the alert's label of that name."""
    return all(fnmatch.fnmatchcase(labels.get(name, ""), glob) for name, glob in route.match.items())


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """The alert's values of the `group_by` labels it has (all of its labels for `...`)."""
    if _ALL_LABELS in group_by:
        return dict(sorted(labels.items()))
    return {name: labels[name] for name in sorted(set(group_by)) if name in labels}


def group_key(route_id: str, channels: Sequence[str], labels: Mapping[str, str]) -> str:
    return stable_id("alert-group", route_id, ",".join(channels), *(f"{k}={v}" for k, v in sorted(labels.items())))


def _destination(route_id: str, route: Route, channels: Sequence[str], labels: Mapping[str, str]) -> Destination:
    grouped = group_labels(labels, route.group_by)
    return Destination(
        route_id=route_id,
        route=route,
        channels=tuple(channels),
        group_labels=grouped,
        group_key=group_key(route_id, channels, grouped),
    )


def route_alert(
    labels: Mapping[str, str], *, routes: Sequence[Route], rule_channels: Sequence[str] = ()
) -> list[Destination]:
    """The destinations of an alert with `labels`; `rule_channels` are its rule's own channels, if any."""
    matched: list[tuple[str, Route]] = []
    for index, route in enumerate(routes):
        if route_matches(route, labels):
            matched.append((str(index), route))
            if not route.continue_ or rule_channels:
                break
    if not matched:
        matched = [("fallback", FALLBACK_ROUTE)]
    if rule_channels:
        route_id, route = matched[0]
        return [_destination(route_id, route, rule_channels, labels)]
    return [_destination(route_id, route, route.channels, labels) for route_id, route in matched]
