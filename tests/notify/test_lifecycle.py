"""The alert state machine, routing to groups, and the rule that decides whether a group notifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kaido.config.alerts import Route
from kaido.notify.grouping import Group, Sent, flush_due, needs_update, sync_groups
from kaido.notify.lifecycle import advance
from kaido.notify.model import Alert
from kaido.notify.routing import FALLBACK_ROUTE, route_alert
from kaido.notify.rules import Candidate

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LABELS = {"alertname": "mem-high", "severity": "warning", "namespace": "shop", "workload": "deployment/web"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def candidate(*, for_: float = 60, summary: str = "memory at 93%", **labels: str) -> Candidate:
    return Candidate(labels={**LABELS, **labels}, annotations={"summary": summary}, for_=for_)


def step(
    alerts: dict[str, Alert], seconds: float, *held: Candidate, unknown_rules: frozenset[str] = frozenset()
) -> dict[str, Alert]:
    holding = {c.fingerprint: c for c in held}
    return advance(alerts, holding, now=at(seconds), retention=900, unknown_rules=unknown_rules)


def test_an_alert_is_pending_until_its_condition_has_held_for_its_duration() -> None:
    c = candidate(for_=60)
    alerts = step({}, 0, c)
    assert alerts[c.fingerprint].state == "pending"
    assert alerts[c.fingerprint].starts_at == at(0)
    alerts = step(alerts, 59, candidate(summary="memory at 95%"))
    assert alerts[c.fingerprint].state == "pending"
    assert alerts[c.fingerprint].annotations["summary"] == "memory at 95%"  # the numbers follow
    alerts = step(alerts, 60, c)
    fired = alerts[c.fingerprint]
    assert (fired.state, fired.starts_at, fired.active_at) == ("firing", at(0), at(60))
    assert step(alerts, 90, c)[c.fingerprint] == fired  # stays firing, nothing moves


def test_a_rule_without_for_fires_at_once() -> None:
    c = candidate(for_=0)
    alert = step({}, 0, c)[c.fingerprint]
    assert (alert.state, alert.active_at) == ("firing", at(0))


def test_a_pending_alert_that_clears_is_dropped_without_a_trace() -> None:
    alerts = step(step({}, 0, candidate()), 30)
    assert alerts == {}


def test_firing_resolves_is_kept_for_the_retention_then_forgotten_and_can_start_over() -> None:
    c = candidate(for_=0)
    alerts = step({}, 0, c)
    alerts = step(alerts, 120)
    resolved = alerts[c.fingerprint]
    assert (resolved.state, resolved.ends_at, resolved.starts_at) == ("resolved", at(120), at(0))
    assert step(alerts, 120 + 899)[c.fingerprint] == resolved
    assert step(alerts, 120 + 900) == {}
    # Back within the retention: a new episode, with a new start.
    again = step(alerts, 300, candidate(for_=60))[c.fingerprint]
    assert (again.state, again.starts_at, again.ends_at, again.active_at) == ("pending", at(300), None, None)


def test_alerts_of_a_rule_that_could_not_be_evaluated_keep_their_state() -> None:
    c = candidate(for_=0)
    alerts = step({}, 0, c)
    assert step(alerts, 60, unknown_rules=frozenset({"mem-high"})) == alerts
    assert step(alerts, 60, unknown_rules=frozenset({"other"}))[c.fingerprint].state == "resolved"


def route(**fields: object) -> Route:
    return Route.model_validate({"channels": ["events"], **fields})


def test_the_first_matching_route_wins_unless_it_says_continue() -> None:
    routes = [
        route(match={"severity": "critical"}, channels=["pager"], **{"continue": True}),
        route(match={"namespace": "shop*"}, channels=["team"], groupBy=["alertname"]),
        route(channels=["events"]),
    ]
    critical = {**LABELS, "severity": "critical"}
    assert [(d.route_id, d.channels) for d in route_alert(critical, routes=routes)] == [
        ("0", ("pager",)),
        ("1", ("team",)),
    ]
    [team] = route_alert(LABELS, routes=routes)
    assert (team.route_id, team.group_labels) == ("1", {"alertname": "mem-high"})
    [other] = route_alert({**LABELS, "namespace": "ops"}, routes=routes)
    assert (other.route_id, other.channels, other.group_labels) == (
        "2",
        ("events",),
        {"alertname": "mem-high", "namespace": "ops"},
    )


def test_a_rules_own_channels_override_the_routes_but_keep_the_first_routes_timing() -> None:
    routes = [
        route(match={"severity": "critical"}, channels=["pager"], groupWait="1m", **{"continue": True}),
        route(channels=["team"]),
    ]
    [only] = route_alert({**LABELS, "severity": "critical"}, routes=routes, rule_channels=["mail"])
    assert (only.route_id, only.channels, only.route.group_wait) == ("0", ("mail",), 60.0)
    plain = route_alert({**LABELS, "severity": "critical"}, routes=routes)
    assert only.group_key not in {d.group_key for d in plain}  # other channels, another group


def test_an_alert_no_route_matches_goes_to_events_and_missing_labels_read_as_empty() -> None:
    routes = [route(match={"team": "*"}, channels=["team"]), route(match={"severity": "critical"})]
    [anything] = route_alert(LABELS, routes=routes)  # "*" matches the missing label "team"
    assert anything.route_id == "0"
    [fallback] = route_alert(LABELS, routes=[route(match={"team": "?*"})])
    assert (fallback.route_id, fallback.route, fallback.channels) == ("fallback", FALLBACK_ROUTE, ("events",))


def test_group_keys_are_stable_and_depend_on_the_group_labels_only() -> None:
    routes = [route()]
    [one] = route_alert(LABELS, routes=routes)
    [same] = route_alert({**LABELS, "workload": "deployment/api"}, routes=routes)
    [other] = route_alert({**LABELS, "namespace": "ops"}, routes=routes)
    assert one.group_key == same.group_key != other.group_key
    [everything] = route_alert(LABELS, routes=[route(groupBy=["..."])])
    assert everything.group_labels == LABELS


A, B = "fp-a", "fp-b"


@pytest.mark.parametrize(
    ("last", "firing", "resolved", "seconds", "expected"),
    [
        (None, {A}, set(), 0, True),  # first notification of a group
        (None, set(), {A}, 0, False),  # resolved before it was ever notified
        (Sent(frozenset({A}), frozenset(), at(0)), {A}, set(), 300, False),  # nothing new
        (Sent(frozenset({A}), frozenset(), at(0)), {A, B}, set(), 300, True),  # a new firing alert
        (Sent(frozenset({A, B}), frozenset(), at(0)), {A}, set(), 300, False),  # one left, unseen (muted)
        (Sent(frozenset({A, B}), frozenset(), at(0)), {A}, {B}, 300, True),  # one resolved
        (Sent(frozenset({A}), frozenset({B}), at(0)), {A}, {B}, 300, False),  # that resolution was told
        (Sent(frozenset({A}), frozenset(), at(0)), set(), {A}, 300, True),  # all resolved
        (Sent(frozenset({A}), frozenset(), at(0)), {A}, set(), 3599, False),
        (Sent(frozenset({A}), frozenset(), at(0)), {A}, set(), 3600, True),  # the repeat interval
        (Sent(frozenset({A}), frozenset(), at(0)), set(), set(), 3600, False),  # nothing to say
    ],
)
def test_a_flush_notifies_only_for_news_or_when_the_repeat_interval_has_passed(
    last: Sent | None, firing: set[str], resolved: set[str], seconds: float, expected: bool
) -> None:
    got = needs_update(last, frozenset(firing), frozenset(resolved), now=at(seconds), repeat_interval=3600)
    assert got is expected


def test_resolution_never_creates_a_group_and_a_vanished_alert_is_reported_resolved() -> None:
    c = candidate(for_=0)
    firing = step({}, 0, c)
    resolved = step(firing, 10)
    groups: dict[str, Group] = {}
    sync_groups(groups, resolved, {}, now=at(10))
    assert groups == {}

    destinations = {c.fingerprint: route_alert(c.labels, routes=[route(groupWait=0)])}
    sync_groups(groups, firing, destinations, now=at(0))
    [group] = groups.values()
    [first] = flush_due(groups, now=at(0), muted=(), dashboard_url=None)
    assert (first.status, first.group_key, first.channel) == ("firing", group.key, "events")
    sync_groups(groups, {}, {}, now=at(20))  # gone from the engine without resolving
    assert group.alerts[c.fingerprint].state == "resolved"
    assert flush_due(groups, now=at(299), muted=(), dashboard_url=None) == []  # the group interval
    [sent] = flush_due(groups, now=at(300), muted=(), dashboard_url="http://kaido:8080/")
    assert (sent.status, sent.dashboard_url, sent.alerts[0].ends_at) == ("resolved", "http://kaido:8080/", at(20))
    assert groups == {}


def test_a_firing_alert_routed_elsewhere_leaves_its_old_group_quietly() -> None:
    c = candidate(for_=0)
    alerts = step({}, 0, c)
    groups: dict[str, Group] = {}
    sync_groups(groups, alerts, {c.fingerprint: route_alert(c.labels, routes=[route(channels=["a"])])}, now=at(0))
    old = next(iter(groups))
    sync_groups(groups, alerts, {c.fingerprint: route_alert(c.labels, routes=[route(channels=["b"])])}, now=at(5))
    assert old not in groups
    assert [g.channels for g in groups.values()] == [("b",)]
