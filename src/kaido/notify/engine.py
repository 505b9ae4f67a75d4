"""The alert engine: one evaluation turns findings and metrics into the notifications due now.

    engine = AlertEngine(settings=lambda: policy().alerts, store=store, clock=clock)
    await engine.load()                                    # silences from the store
    notifications = engine.evaluate(findings=findings, metrics=source)   # every evaluation period
    for n in notifications: ...                            # hand them to the dispatcher

Each evaluation, at the clock's now: every rule is evaluated (`kaido.notify.rules`), the alerts
move through their lifecycle (`lifecycle`), firing alerts are routed into groups (`routing`,
`grouping`), silences and inhibition decide which alerts are muted, and the groups whose timer has
come return their notifications. Everything is held in memory except silences, which a person
creates and expects to outlive a restart; after a restart alerts are re-derived from the cluster
within one evaluation (and `for`), and a still-firing group notifies again after its group_wait.

The engine never sends anything itself: delivery, retries and channel failures are the
dispatcher's, so an evaluation is a quick synchronous step the leader runs on a timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from kaido.analysis.findings import Finding
from kaido.config.alerts import AlertRule, AlertSettings
from kaido.core.clock import Clock
from kaido.notify.grouping import Group, flush_due, sync_groups
from kaido.notify.inhibition import InhibitRule, inhibited
from kaido.notify.lifecycle import advance
from kaido.notify.model import Alert, Notification
from kaido.notify.routing import Destination, route_alert
from kaido.notify.rules import Candidate, MetricSource, evaluate_rule
from kaido.notify.silences import MatcherError, Silence, SilenceError, UnknownSilenceError
from kaido.store import Store

__all__ = ["DEFAULT_SILENCE", "AlertEngine"]

log = logging.getLogger(__name__)

DEFAULT_SILENCE: Final = 3600.0  # seconds, when neither a duration nor an end is given (amtool's default)
_STATE_ORDER: Final = {"firing": 0, "pending": 1, "resolved": 2}
_SEVERITY_ORDER: Final = {"critical": 0, "warning": 1, "info": 2}


def _no_dashboard() -> str | None:
    return None


class AlertEngine:
    """Rules, alert lifecycle, groups, silences and inhibition; produces Notifications, sends none."""

    def __init__(
        self,
        *,
        settings: Callable[[], AlertSettings],
        store: Store,
        clock: Clock,
        dashboard_url: Callable[[], str | None] = _no_dashboard,
        inhibit_rules: Sequence[InhibitRule] = (InhibitRule(),),
        resolved_retention: float = 900.0,
    ) -> None:
        """`settings` is read at every evaluation, so a reloaded policy applies at the next one."""
        self._settings = settings
        self._store = store
        self._clock = clock
        self._dashboard_url = dashboard_url
        self._inhibit_rules = tuple(inhibit_rules)
        self._retention = resolved_retention  # how long a resolved alert stays visible
        self._alerts: dict[str, Alert] = {}
        self._groups: dict[str, Group] = {}
        self._silences: dict[str, Silence] = {}

    async def load(self) -> None:
        """Read the silences from the store (expired ones too, for the record)."""
        loaded: dict[str, Silence] = {}
        for record in self._store.list_silences(include_expired=True):
            try:
                loaded[record.id] = Silence.from_record(record)
            except MatcherError as e:
                log.warning("silence %s in %s is unusable and is ignored: %s", record.id, self._store.path, e)
        self._silences = loaded

    # evaluation

    def evaluate(self, *, findings: Iterable[Finding], metrics: MetricSource) -> list[Notification]:
        """One step at the clock's now: rules, lifecycle, groups, mutes; returns the notifications due."""
        now = self._clock.now()
        settings = self._settings()
        holding, unknown = self._holding(settings.rules, list(findings), metrics, now)
        self._alerts = advance(self._alerts, holding, now=now, retention=self._retention, unknown_rules=unknown)
        rules = {rule.name: rule for rule in settings.rules}
        destinations: dict[str, list[Destination]] = {
            fp: route_alert(alert.labels, routes=settings.routes, rule_channels=_channels(rules.get(alert.name)))
            for fp, alert in self._alerts.items()
            if alert.state == "firing"
        }
        sync_groups(self._groups, self._alerts, destinations, now=now)
        silenced, inhibited_by = self._mutes(now)
        return flush_due(
            self._groups, now=now, muted=silenced.keys() | inhibited_by.keys(), dashboard_url=self._dashboard_url()
        )

    def next_flush(self) -> datetime | None:
        """When the earliest group is due, so a caller may evaluate then rather than wait a whole period."""
        return min((g.next_flush for g in self._groups.values()), default=None)

    def _holding(
        self, rules: Sequence[AlertRule], findings: list[Finding], metrics: MetricSource, now: datetime
    ) -> tuple[dict[str, Candidate], set[str]]:
        holding: dict[str, Candidate] = {}
        unknown: set[str] = set()
        for rule in rules:
            try:
                candidates = evaluate_rule(rule, findings=findings, metrics=metrics, now=now)
            except Exception as e:  # a failing metric source must not silence the other rules
                log.warning(
                    "alert rule %s could not be evaluated (%s: %s); its alerts keep their state until it can",
                    rule.name,
                    type(e).__name__,
                    e,
                )
                unknown.add(rule.name)
                continue
            holding.update((c.fingerprint, c) for c in candidates)
        return holding, unknown

    def _mutes(self, now: datetime) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Silenced (fingerprint -> silence ids) and inhibited (fingerprint -> source fingerprints) alerts."""
        known = dict(self._alerts)
        for group in self._groups.values():
            for fp, alert in group.alerts.items():
                known.setdefault(fp, alert)
        active = [s for s in self._silences.values() if s.is_active(now)]
        silenced: dict[str, list[str]] = {}
        for fp, alert in known.items():
            ids = sorted(s.id for s in active if s.matches(alert.labels))
            if ids:
                silenced[fp] = ids
        by = inhibited(
            [*self._alerts.values(), *(a for fp, a in known.items() if fp not in self._alerts)], self._inhibit_rules
        )
        return silenced, by

    # views

    def alerts(self) -> list[dict[str, Any]]:
        """Every known alert (pending, firing, recently resolved) with its mutes and groups; worst first."""
        silenced, inhibited_by = self._mutes(self._clock.now())
        groups: dict[str, list[str]] = {}
        for group in self._groups.values():
            for fp in group.alerts:
                groups.setdefault(fp, []).append(group.key)
        ordered = sorted(
            self._alerts.values(),
            key=lambda a: (_STATE_ORDER[a.state], _SEVERITY_ORDER.get(a.severity, 3), a.name, a.fingerprint),
        )
        return [
            {
                **alert.to_json(),
                "silenced": alert.fingerprint in silenced,
                "silenced_by": silenced.get(alert.fingerprint, []),
                "inhibited": alert.fingerprint in inhibited_by,
                "inhibited_by": inhibited_by.get(alert.fingerprint, []),
                "groups": sorted(groups.get(alert.fingerprint, [])),
            }
            for alert in ordered
        ]

    def groups(self) -> list[dict[str, Any]]:
        """The alert groups with their channels, alerts and notification timer, oldest first."""
        ordered = sorted(self._groups.values(), key=lambda g: (g.created_at, g.key))
        return [group.to_json() for group in ordered]

    def silences(self, *, include_expired: bool = False) -> list[Silence]:
        """Silences newest first; expired ones only when asked."""
        now = self._clock.now()
        chosen = [s for s in self._silences.values() if include_expired or s.state(now) != "expired"]
        return sorted(chosen, key=lambda s: (s.starts_at, s.id), reverse=True)

    def get_silence(self, silence_id: str) -> Silence:
        silence = self._silences.get(silence_id)
        if silence is None:
            raise UnknownSilenceError(
                f"no silence has id {silence_id!r}; list the silences (expired ones included) to find its id"
            )
        return silence

    # silences

    async def create_silence(
        self,
        matchers: Sequence[str],
        *,
        duration: float | None = None,
        ends_at: datetime | None = None,
        created_by: str,
        comment: str,
    ) -> Silence:
        """Mute alerts matching every matcher from now for `duration` seconds or until `ends_at` (1 h by default).

        Raises SilenceError (MatcherError naming the bad matcher) for anything that must be fixed first.
        """
        now = self._clock.now()
        if duration is not None and ends_at is not None:
            raise SilenceError("give a silence either a duration or an end time, not both")
        if duration is not None and duration <= 0:
            raise SilenceError(f"a silence's duration must be positive, not {duration:g} s")
        if ends_at is None:
            ends_at = now + timedelta(seconds=DEFAULT_SILENCE if duration is None else duration)
        elif ends_at.tzinfo is None:
            raise SilenceError(f"the end time {ends_at.isoformat()} has no timezone; give it one (e.g. UTC)")
        silence = Silence.create(matchers, now=now, ends_at=ends_at, created_by=created_by, comment=comment)
        await self._store.save_silence(silence.to_record())
        self._silences[silence.id] = silence
        shown = ", ".join(str(m) for m in silence.matchers)
        log.info("silence %s created by %s until %s: %s", silence.id, silence.created_by, ends_at.isoformat(), shown)
        return silence

    async def expire_silence(self, silence_id: str) -> Silence:
        """End the silence now (UnknownSilenceError for an unknown id); an expired one is returned as it is."""
        silence = self.get_silence(silence_id)
        now = self._clock.now()
        if silence.state(now) == "expired":
            return silence
        expired = silence.expire(now)
        await self._store.save_silence(expired.to_record())
        self._silences[silence_id] = expired
        log.info("silence %s expired", silence_id)
        return expired


def _channels(rule: AlertRule | None) -> list[str]:
    return list(rule.channels) if rule is not None else []
