"""The alert engine over simulated time: grouping timings, dedup, flapping, silences, inhibition, routes.

The cluster is a metric source the tests drive (memory usage per workload in namespace `shop`); the
engine evaluates every 10 s of a ManualClock, as the leader's evaluation loop would.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kaido.config.alerts import AlertSettings
from kaido.core import ManualClock
from kaido.notify.engine import AlertEngine
from kaido.notify.model import Notification
from kaido.notify.rules import MetricValue
from kaido.notify.silences import MatcherError, SilenceError, UnknownSilenceError
from kaido.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STEP = 10.0
ROUTE = {"channels": ["events"], "groupWait": "30s", "groupInterval": "5m", "repeatInterval": "4h"}


def mem_rule(
    name: str = "mem-high", *, threshold: float = 90, severity: str = "warning", **fields: Any
) -> dict[str, Any]:
    conditions = [{"metric": "memory-usage", "threshold": threshold}]
    return {"name": name, "severity": severity, "conditions": conditions, "for": 0, **fields}


def policy(*rules: dict[str, Any], routes: Sequence[dict[str, Any]] = (ROUTE,), **extra: Any) -> AlertSettings:
    return AlertSettings.model_validate({"rules": list(rules) or [mem_rule()], "routes": list(routes), **extra})


class Cluster:
    """Memory usage (% of limit) per deployment in namespace shop; a missing workload is not reported."""

    def __init__(self) -> None:
        self.memory: dict[str, float] = {}
        self.broken = False

    def values(self, metric: str, *, per: float | None, now: datetime) -> Sequence[MetricValue]:
        if self.broken:
            raise ConnectionError("metrics.k8s.io did not answer")
        if metric != "memory-usage":
            return []
        return [
            MetricValue({"namespace": "shop", "workload": f"deployment/{w}", "pod": f"{w}-1"}, v)
            for w, v in sorted(self.memory.items())
        ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def store(clock: ManualClock) -> AsyncIterator[Store]:
    async with await Store.open(":memory:", clock=clock) as s:
        yield s


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


Sent = list[tuple[float, Notification]]


def run(
    engine: AlertEngine,
    clock: ManualClock,
    cluster: Cluster,
    *,
    until: float,
    script: Callable[[float], None] = lambda t: None,
) -> Sent:
    """Evaluate every STEP seconds from the clock's now up to (not including) `until` seconds after T0."""
    sent: Sent = []
    while clock.monotonic() < until:
        t = clock.monotonic()
        script(t)
        sent += [(t, n) for n in engine.evaluate(findings=[], metrics=cluster)]
        clock.advance(STEP)
    return sent


def engine_for(settings: AlertSettings, store: Store, clock: ManualClock, **kw: Any) -> AlertEngine:
    return AlertEngine(settings=lambda: settings, store=store, clock=clock, **kw)


def workloads(n: Notification) -> list[tuple[str, str]]:
    return [(a.labels["workload"].removeprefix("deployment/"), a.state) for a in n.alerts]


async def test_a_resolved_problem_sends_one_resolved_notification(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(), store, clock, dashboard_url=lambda: "http://kaido.example/")
    sent = run(
        engine, clock, cluster, until=3 * 3600, script=lambda t: cluster.memory.update(web=95 if t < 100 else 50)
    )
    assert [(t, n.status, workloads(n)) for t, n in sent] == [
        (30, "firing", [("web", "firing")]),
        (330, "resolved", [("web", "resolved")]),
    ]
    firing, resolved = (n for _, n in sent)
    assert firing.group_key == resolved.group_key
    assert firing.group_labels == {"alertname": "mem-high", "namespace": "shop"}
    assert firing.dashboard_url == "http://kaido.example/"
    assert (
        firing.alerts[0].annotations["summary"] == "memory of deployment shop/web at 95% of its limit (threshold 90%)"
    )
    assert resolved.alerts[0].ends_at == T0 + timedelta(seconds=100)
    assert engine.groups() == []


async def test_group_wait_sends_alerts_that_start_together_in_one_notification(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(), store, clock)

    def script(t: float) -> None:
        cluster.memory["web"] = 95
        if t >= 10:
            cluster.memory["api"] = 97

    sent = run(engine, clock, cluster, until=300, script=script)
    assert [(t, workloads(n)) for t, n in sent] == [(30, [("web", "firing"), ("api", "firing")])]


async def test_group_interval_holds_news_of_a_notified_group_until_its_next_flush(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(), store, clock)

    def script(t: float) -> None:
        cluster.memory["web"] = 95
        if t >= 60:
            cluster.memory["api"] = 95
        if t >= 100:
            cluster.memory["db"] = 95

    sent = run(engine, clock, cluster, until=1800, script=script)
    assert [(t, len(n.alerts)) for t, n in sent] == [(30, 1), (330, 3)]
    [group] = engine.groups()
    assert group["next_flush"] == (T0 + timedelta(seconds=1830)).isoformat()
    assert engine.next_flush() == T0 + timedelta(seconds=1830)


async def test_an_unchanged_firing_group_is_repeated_every_repeat_interval(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(routes=[{**ROUTE, "repeatInterval": "1h"}]), store, clock)
    cluster.memory["web"] = 95
    sent = run(engine, clock, cluster, until=9000)
    assert [t for t, _ in sent] == [30, 3630, 7230]
    assert {a.fingerprint for _, n in sent for a in n.alerts} == {sent[0][1].alerts[0].fingerprint}
    assert {a.starts_at for _, n in sent for a in n.alerts} == {T0}  # the same alert, not a new one each time


async def test_an_hour_of_flapping_produces_the_few_notifications_the_semantics_predict(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    # The condition holds for 2 minutes and clears for 2, from t=0, for an hour; `for` is 1 minute.
    # One 8-minute cycle of a web problem (times mod 480 s):
    #   0 pending, 60 firing (a new group, flush due at 90), 90 FIRING notification, 120 resolved;
    #   240 pending again, 300 firing, 360 resolved, 390 the group's next flush (90 + 5 min) sees it
    #   resolved: RESOLVED notification, and the group is removed; 480 the next cycle starts afresh.
    # The re-fire at 300 is absorbed: the group never told anyone it resolved at 120.
    # Firing at 90 + 480k (k = 0..7, up to 3450) and resolved at 390 + 480k (k = 0..6, up to 3270): 15.
    rule = mem_rule(**{"for": "1m"})
    engine = engine_for(policy(rule), store, clock)
    sent = run(
        engine, clock, cluster, until=3600, script=lambda t: cluster.memory.update(web=95 if t % 240 < 120 else 50)
    )
    expected = sorted([(90 + 480 * k, "firing") for k in range(8)] + [(390 + 480 * k, "resolved") for k in range(7)])
    assert [(t, n.status) for t, n in sent] == expected
    assert len(sent) == 15  # against 15 episodes: without grouping, 30 notifications
    # Dedup: the same group never says the same thing twice in a row.
    said = [(n.group_key, n.status, tuple(a.fingerprint for a in n.alerts)) for _, n in sent]
    assert all(a != b for a, b in itertools.pairwise(said))


async def test_a_silence_suppresses_and_expiring_it_lets_the_next_notification_through(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(), store, clock)
    silence = await engine.create_silence(
        ['alertname="mem-high"', 'workload=~"deployment/(web|db)"'],
        duration=7200,
        created_by="alice",
        comment="web is being resized",
    )
    cluster.memory["web"] = 95
    assert run(engine, clock, cluster, until=400) == []
    [alert] = engine.alerts()
    assert (alert["state"], alert["silenced"], alert["silenced_by"]) == ("firing", True, [silence.id])

    cluster.memory["api"] = 95  # not silenced: notified alone, at the group's next flush
    sent = run(engine, clock, cluster, until=700)
    assert [(t, workloads(n)) for t, n in sent] == [(630, [("api", "firing")])]

    expired = await engine.expire_silence(silence.id)
    assert expired.ends_at == clock.now()
    sent = run(engine, clock, cluster, until=1000)
    assert [(t, workloads(n)) for t, n in sent] == [(930, [("web", "firing"), ("api", "firing")])]
    assert not any(a["silenced"] for a in engine.alerts())
    assert engine.silences() == []
    assert engine.silences(include_expired=True) == [expired]


async def test_a_critical_alert_inhibits_the_warnings_of_its_own_workload_only(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    rules = [mem_rule("mem-critical", threshold=95, severity="critical"), mem_rule("mem-warning", threshold=80)]
    engine = engine_for(policy(*rules), store, clock)
    cluster.memory.update(web=99, api=85)
    sent = run(engine, clock, cluster, until=60)
    assert sorted((n.group_labels["alertname"], tuple(workloads(n))) for _, n in sent) == [
        ("mem-critical", (("web", "firing"),)),
        ("mem-warning", (("api", "firing"),)),
    ]
    views = {(a["labels"]["alertname"], a["labels"]["workload"]): a for a in engine.alerts()}
    critical = views["mem-critical", "deployment/web"]
    assert views["mem-warning", "deployment/web"]["inhibited_by"] == [critical["fingerprint"]]
    assert not views["mem-warning", "deployment/api"]["inhibited"]
    assert not critical["inhibited"]

    cluster.memory["web"] = 90  # the critical alert resolves; its warning is news now
    sent = run(engine, clock, cluster, until=400)
    assert sorted((t, n.group_labels["alertname"], tuple(workloads(n))) for t, n in sent) == [
        (330, "mem-critical", (("web", "resolved"),)),
        (330, "mem-warning", (("web", "firing"), ("api", "firing"))),
    ]


async def test_routes_with_continue_and_a_rules_own_channels_decide_the_notifications(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    hook = {"type": "webhook", "url": "http://127.0.0.1:9/hook"}
    settings = policy(
        mem_rule("mem-critical", threshold=95, severity="critical"),
        mem_rule("mem-warning", threshold=80, channels=["pager"]),
        mem_rule("mem-info", threshold=50, severity="info"),
        routes=[
            {**ROUTE, "match": {"severity": "critical"}, "channels": ["pager"], "continue": True},
            {**ROUTE, "match": {"severity": "warning"}, "channels": ["nobody"]},
            {**ROUTE, "match": {"namespace": "sh*"}, "channels": ["team", "events"], "groupBy": ["namespace"]},
        ],
        channels={"pager": hook, "team": hook, "nobody": hook},
    )
    engine = engine_for(settings, store, clock, inhibit_rules=())  # routing alone: nothing inhibited
    cluster.memory["web"] = 99
    sent = run(engine, clock, cluster, until=60)
    got = sorted((n.channel, tuple(sorted(a.name for a in n.alerts))) for _, n in sent)
    assert got == [
        ("events", ("mem-critical", "mem-info")),  # the critical one continued to the namespace route
        ("pager", ("mem-critical",)),
        ("pager", ("mem-warning",)),  # the rule's own channel, not its first route's "nobody"
        ("team", ("mem-critical", "mem-info")),
    ]
    team, events = (n for _, n in sent if n.channel in ("team", "events"))
    assert team.group_key == events.group_key  # one group, one notification per channel


async def test_silences_survive_a_restart_of_the_engine_and_the_store(
    tmp_path: Path, clock: ManualClock, cluster: Cluster
) -> None:
    path = tmp_path / "kaido.db"
    async with await Store.open(path, clock=clock) as store:
        engine = engine_for(policy(), store, clock)
        kept = await engine.create_silence(['workload="deployment/web"'], created_by="bob", comment="resizing")
        gone = await engine.create_silence(['workload="deployment/api"'], duration=600, created_by="bob", comment="x")
        gone = await engine.expire_silence(gone.id)
    assert kept.ends_at == T0 + timedelta(hours=1)  # the default length

    async with await Store.open(path, clock=clock) as store:
        engine = engine_for(policy(), store, clock)
        await engine.load()
        assert engine.silences() == [kept]
        assert {s.id for s in engine.silences(include_expired=True)} == {kept.id, gone.id}
        assert engine.get_silence(gone.id) == gone
        cluster.memory.update(web=95, api=95)
        sent = run(engine, clock, cluster, until=60)
        assert [workloads(n) for _, n in sent] == [[("api", "firing")]]


async def test_silence_requests_that_cannot_work_are_refused_with_the_reason(store: Store, clock: ManualClock) -> None:
    engine = engine_for(policy(), store, clock)
    ok: dict[str, Any] = {"created_by": "alice", "comment": "why"}
    with pytest.raises(MatcherError, match=r"matcher 'namespace=~chatbot-\('"):
        await engine.create_silence(['alertname="x"', "namespace=~chatbot-("], **ok)
    with pytest.raises(SilenceError, match="either a duration or an end time"):
        await engine.create_silence(['alertname="x"'], duration=60, ends_at=T0 + timedelta(hours=1), **ok)
    with pytest.raises(SilenceError, match="duration must be positive"):
        await engine.create_silence(['alertname="x"'], duration=0, **ok)
    with pytest.raises(SilenceError, match="must end in the future"):
        await engine.create_silence(['alertname="x"'], ends_at=T0 - timedelta(minutes=1), **ok)
    with pytest.raises(UnknownSilenceError, match="no silence has id 'nope'"):
        await engine.expire_silence("nope")
    assert engine.silences(include_expired=True) == []
    assert store.list_silences(include_expired=True) == []


async def test_a_failing_metric_source_keeps_alerts_as_they_are(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    engine = engine_for(policy(), store, clock)
    cluster.memory["web"] = 95
    assert len(run(engine, clock, cluster, until=60)) == 1
    cluster.broken = True
    assert run(engine, clock, cluster, until=900) == []  # no resolved notification: nothing is known
    assert [a["state"] for a in engine.alerts()] == ["firing"]
    cluster.broken = False
    cluster.memory["web"] = 50
    sent = run(engine, clock, cluster, until=1300)
    assert [n.status for _, n in sent] == ["resolved"]


async def test_a_reloaded_policy_applies_at_the_next_evaluation(
    store: Store, clock: ManualClock, cluster: Cluster
) -> None:
    current = [policy()]
    engine = AlertEngine(settings=lambda: current[0], store=store, clock=clock)
    cluster.memory["web"] = 95
    assert len(run(engine, clock, cluster, until=60)) == 1
    current[0] = policy(mem_rule(threshold=97))  # the threshold went up: the alert no longer holds
    sent = run(engine, clock, cluster, until=400)
    assert [(t, n.status) for t, n in sent] == [(330, "resolved")]
