"""The healer: incidents from the informer caches, the healing ladder, and the executor, wired together.

On every cache change (and every `tick` second, since grace periods and verification depend on
time) the healer diagnoses the namespaces that show trouble, straight from the caches: pods that
are not running well or crashed recently, workloads short of ready replicas, and those with an
open incident. Each diagnosed workload gets an episode (`kaido.remediate.planning`), whose planner
decides the next step; an action goes to the executor (which acts only on the leader, once per
idempotency key), and its record goes back to the planner. Every change is saved as an incident
row, reported to `on_incident` (the agent sends it to the timeline and the alert engine), posted as
a Kubernetes Event on the workload, and counted in Prometheus metrics.

On start the healer reloads open and escalated incidents with their audited actions, so a
restarted agent continues each ladder where it stopped and never repeats an action.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge

from kaido.config import Policy
from kaido.controllers.monitor import ObjectSource
from kaido.core.clock import Clock, sleep_or_wake
from kaido.core.refs import ObjectRef
from kaido.kube.cache import Delta
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError
from kaido.kube.resources import resource_for
from kaido.remediate.executor import Executor
from kaido.remediate.planning import (
    SOURCES,
    Attempt,
    Episode,
    Gates,
    Step,
    Storm,
    Transition,
    TroubleMemo,
    WorkloadView,
    admission,
    advance,
    detect,
    effective_mode,
    episode_from_record,
    observe_storm,
    plan_for,
    rearm,
    settle,
    survey,
    to_record,
    unready_namespaces,
)
from kaido.remediate.planning.incidents import parse_target
from kaido.remediate.ratelimit import RateLimiter
from kaido.store import ActionRecord, IncidentRecord, Store

__all__ = ["SOURCES", "Healer", "OnIncident", "OnStorm"]

log = logging.getLogger(__name__)

OnIncident = Callable[[IncidentRecord, Transition], None]
OnStorm = Callable[[Transition], None]
Body = Mapping[str, Any]

_REQUIRED: Final = ("pods", "replicasets", "deployments")  # of SOURCES; the others sharpen the diagnosis
# The Event reason and type per transition; "acted" has none, as the executor posts one for every action.
_EVENT_REASONS: Final = {
    "detected": ("IncidentDetected", "Warning"), "recommended": ("HealingRecommended", "Normal"),
    "held": ("HealingHeld", "Warning"), "escalated": ("IncidentEscalated", "Warning"),
    "resolved": ("IncidentResolved", "Normal"), "rearmed": ("HealingRearmed", "Normal"),
}  # fmt: skip
_RELOAD_INCIDENTS: Final = 1000
_RELOAD_ACTIONS: Final = 5000
_EVENT_MESSAGE_MAX: Final = 1024


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.incidents = Counter(
            "kaido_incidents_total",
            "Incidents by cause once their outcome is known: resolved, or escalated to people.",
            ["cause", "outcome"],
            registry=registry,
        )
        self.open = Gauge(
            "kaido_incidents_open", "Incidents not resolved yet (escalated ones included).", registry=registry
        )
        self.storm = Gauge(
            "kaido_healing_storm", "1 while the storm guard pauses automatic healing.", registry=registry
        )


class Healer:
    """Detects incidents, runs the healing ladder through the executor, and keeps incidents in the store."""

    def __init__(
        self,
        *,
        kube: Kube,
        informers: Mapping[str, ObjectSource],
        executor: Executor,
        store: Store,
        clock: Clock,
        policy: Callable[[], Policy],
        is_leader: Callable[[], bool],
        registry: CollectorRegistry,
        on_incident: OnIncident,
        on_storm: OnStorm | None = None,
        synced: Callable[[], bool] = lambda: True,
        limiter: RateLimiter | None = None,
        identity: str | None = None,
        tick: float = 1.0,
    ) -> None:
        missing = [name for name in _REQUIRED if name not in informers]
        unknown = sorted(set(informers) - set(SOURCES))
        if missing or unknown:
            raise ValueError(
                f"healer informers: missing {', '.join(missing) or 'none'}, unknown {', '.join(unknown) or 'none'}; "
                f"pass caches named from {', '.join(SOURCES)}"
            )
        self._kube, self._sources, self._executor, self._store = kube, dict(informers), executor, store
        self._clock, self._policy, self._is_leader, self._synced = clock, policy, is_leader, synced
        self._on_incident, self._on_storm, self._limiter = on_incident, on_storm, limiter
        self._identity, self._tick = identity, tick
        self._metrics = _Metrics(registry)
        self._episodes: dict[ObjectRef, Episode] = {}
        self._saved: dict[str, IncidentRecord] = {}
        self._storm = Storm()
        self._memo = TroubleMemo()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reload unresolved incidents from the store and subscribe to the caches."""
        verify = self._policy().healing.verify_period
        by_incident: dict[str, list[ActionRecord]] = defaultdict(list)
        for action in self._store.list_actions(limit=_RELOAD_ACTIONS):
            if action.incident_id:
                by_incident[action.incident_id].append(action)
        for record in reversed(self._store.list_incidents(limit=_RELOAD_INCIDENTS)):
            if record.resolved_at is not None:
                continue
            actions = {a.key: a for a in by_incident.get(record.id, [])}
            for key in record.actions:  # listed by the incident but older than the scan
                found = actions.get(key) or self._store.get_action(key)
                if found is not None:
                    actions[key] = found
            episode = episode_from_record(record, actions.values(), verify_period=verify)
            self._episodes[episode.workload] = episode  # newest last: it wins for its workload
            self._saved[record.id] = record
        self._metrics.open.set(len(self._episodes))
        for name in ("pods", "replicasets", "deployments", "statefulsets", "daemonsets", "jobs"):
            if name in self._sources:
                self._sources[name].subscribe(self._on_delta, name="healer")

    async def _on_delta(self, delta: Delta) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Evaluate on every cache change and at least every `tick` seconds, until cancelled."""
        while True:
            self._wake.clear()
            await self.evaluate()
            await sleep_or_wake(self._clock, self._tick, self._wake)

    # -- one pass ---------------------------------------------------------------------------------

    async def evaluate(self) -> None:
        """One pass: diagnose what shows trouble, step every episode, act through the executor."""
        if not self._synced():
            return  # an empty cache would look like every workload was deleted
        async with self._lock:
            policy, now = self._policy(), self._clock.now()
            views = self._views(policy, now)
            # In trouble: diagnosed now, or with an open incident (a restarted pod looks fine until it crashes again).
            failing = sum(
                1
                for ref, v in views.items()
                if (v.diagnosis is not None or ref in self._episodes)
                and ref.kind != "Node"
                and not admission(v, policy)
            )
            self._storm, said = observe_storm(
                self._storm, failing=failing, threshold=policy.healing.storm_threshold, now=now
            )
            self._metrics.storm.set(1 if self._storm.active else 0)
            if said is not None and self._on_storm is not None:
                self._on_storm(said)
            for ref, view in sorted(views.items()):
                try:
                    await self._heal(ref, view, policy=policy, now=now)
                except Exception:
                    log.exception("healing %s failed in this pass; it is retried on the next", ref)

    async def _heal(self, ref: ObjectRef, view: WorkloadView, *, policy: Policy, now: datetime) -> None:
        excluded = admission(view, policy)
        episode = self._episodes.get(ref)
        if episode is None:
            if view.diagnosis is None or excluded:
                return
            if effective_mode(plan_for(view.diagnosis.cause, ref, policy.healing), policy) == "off":
                return
            step = detect(view, now=now)
            await self._commit(step)
            episode = step.episode
        decision = self._limiter.check(str(ref), self._clock.monotonic()) if self._limiter else None
        gates = Gates(
            excluded=excluded,
            leader=self._is_leader(),
            paused=policy.paused,
            storm=self._storm.reason,
            rate_limit=decision.reason if decision is not None and not decision.allowed else "",
        )
        step = advance(episode, view, policy=policy, gates=gates, now=now)
        await self._commit(step)
        act = step.act
        if act is None:
            return
        record = await self._executor.execute(
            act.action, mode=act.mode, reason=act.reason, workload=ref, incident_id=step.episode.id
        )
        audited = record.state == "skipped" and self._store.get_action(record.key) is not None
        verify = policy.healing.verify_period
        await self._commit(
            settle(step.episode, act, record, audited=audited, verify_period=verify, now=self._clock.now())
        )

    # -- what the caches show ----------------------------------------------------------------------

    def _views(self, policy: Policy, now: datetime) -> dict[ObjectRef, WorkloadView]:
        """Views of the workloads in namespaces that show trouble, and of every open incident's workload."""
        workloads = {name: _grouped(self._sources, name) for name in ("deployments", "statefulsets", "daemonsets")}
        namespaces = self._memo.namespaces(self._sources["pods"].list(), now=now) | unready_namespaces(workloads)
        namespaces = {ns for ns in namespaces if policy.namespaces.admits(ns)}
        if not namespaces and not self._episodes:
            return {}  # a quiet cluster: nothing to diagnose
        objects = workloads | {name: _grouped(self._sources, name) for name in self._sources if name not in workloads}
        return survey(namespaces, objects, open_refs=self._episodes, now=now)

    # -- after each step -----------------------------------------------------------------------------

    async def _commit(self, step: Step) -> None:
        """Keep, save, tell and count what the step changed."""
        episode = step.episode
        if episode.active:
            self._episodes[episode.workload] = episode
        else:
            self._episodes.pop(episode.workload, None)
        record = to_record(episode)
        if self._saved.get(episode.id) != record:
            await self._store.save_incident(record)
        if episode.active:
            self._saved[episode.id] = record
        else:
            self._saved.pop(episode.id, None)
        self._metrics.open.set(len(self._episodes))
        for transition in step.transitions:
            if transition.kind == "escalated":
                self._metrics.incidents.labels(episode.cause, "escalated").inc()
            elif transition.kind in ("resolved", "rearmed") and episode.outcome == "resolved":
                self._metrics.incidents.labels(episode.cause, "resolved").inc()
            try:
                self._on_incident(record, transition)
            except Exception:  # a listener's bug must not stop the incident's own bookkeeping
                log.exception("on_incident failed for %s of incident %s", transition.kind, episode.id)
            await self._post_event(episode, transition)

    async def _post_event(self, episode: Episode, transition: Transition) -> None:
        """A Kubernetes Event on the workload, from the leader only, so `kubectl describe` shows the incident."""
        reason = _EVENT_REASONS.get(transition.kind)
        if reason is None or self._identity is None or not self._is_leader():
            return
        ref = episode.workload
        try:
            api_version = resource_for(ref.kind).api_version
        except ValueError:
            return
        message = f"incident {episode.id}: {transition.message}"
        if len(message) > _EVENT_MESSAGE_MAX:
            message = message[: _EVENT_MESSAGE_MAX - 3] + "..."
        regarding = {
            "apiVersion": api_version,
            "kind": ref.kind,
            "metadata": {"name": ref.name, "namespace": ref.namespace},
        }
        try:
            await self._kube.post_event(
                regarding=regarding,
                reason=reason[0],
                message=message,
                type="Warning" if reason[1] == "Warning" else "Normal",
                action="Heal",
                reporting_instance=self._identity,
            )
        except KubeError as error:
            log.warning("could not post the %s Event for incident %s: %s", reason[0], episode.id, error)

    # -- for people ------------------------------------------------------------------------------------

    def incidents(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest incidents, newest first, for /api/v1/incidents; open ones carry their live state."""
        live = {episode.id: episode for episode in self._episodes.values()}
        out = []
        for record in self._store.list_incidents(limit=limit):
            data = record.to_json()
            ref = parse_target(record.target)
            data["workload"] = {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
            episode = live.get(record.id)
            if episode is not None:
                data |= {
                    "phase": episode.phase,
                    "severity": episode.severity,
                    "held": episode.held or None,
                    "verify_until": episode.verify_until.isoformat() if episode.verify_until else None,
                    "suggestion": episode.suggestion,
                    "attempts": [_attempt_json(a) for a in episode.attempts],
                }
            out.append(data)
        return out

    @property
    def storm(self) -> Storm:
        return self._storm

    def episode(self, workload: ObjectRef) -> Episode | None:
        """The open or escalated episode of a workload, if any."""
        return self._episodes.get(ObjectRef(kind=workload.kind, name=workload.name, namespace=workload.namespace))

    async def rearm(self, workload: ObjectRef, *, by: str = "a person") -> dict[str, Any] | None:
        """Close the workload's episode (an open circuit above all) so healing starts afresh; None if there is none."""
        async with self._lock:
            episode = self.episode(workload)
            if episode is None:
                return None
            closed, said = rearm(episode, now=self._clock.now(), by=by)
            await self._commit(Step(closed, transitions=(said,)))
            return to_record(closed).to_json()


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "rung": attempt.rung,
        "attempt": attempt.number,
        "action": attempt.action,
        "key": attempt.key,
        "mode": attempt.mode,
        "state": attempt.state,
        "at": attempt.at.isoformat(),
        "detail": attempt.detail,
    }


def _grouped(sources: Mapping[str, ObjectSource], name: str) -> dict[str, list[Body]]:
    """The cached objects of one source by namespace ("" for cluster-scoped ones)."""
    grouped: dict[str, list[Body]] = defaultdict(list)
    source = sources.get(name)
    for obj in source.list() if source is not None else []:
        grouped[str((obj.get("metadata") or {}).get("namespace") or "")].append(obj)
    return grouped
