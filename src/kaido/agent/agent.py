"""The composition root of `kaido run`: build every component, run them, drain on stop.

All replicas list and watch, monitor and serve reads; only the Lease holder executes actions. The
order of shutdown matters: stop deciding, let an in-flight action finish, release the Lease so a
successor need not wait, flush the store, then close the HTTP server and the API connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from kaido import __version__
from kaido.agent.requests import ActionRejectedError, action_from_request
from kaido.agent.supervisor import Supervisor
from kaido.agent.telemetry import AgentCollector
from kaido.agent.timeline import Timeline
from kaido.analysis.changes import describe_workload_change
from kaido.analysis.findings import Finding
from kaido.analysis.health import summarize
from kaido.config import Policy, PolicyHolder, parse_duration, watch_file
from kaido.controllers.alerting import Alerting, ClusterMetrics
from kaido.controllers.healer import Healer
from kaido.controllers.monitor import Monitor
from kaido.controllers.requests import RequestRates
from kaido.controllers.scaler import Scaler
from kaido.core.clock import Clock
from kaido.core.refs import ObjectRef, parse_target
from kaido.kube.cache import Delta
from kaido.kube.client import Kube
from kaido.kube.informer import Informer, Informers, MergedInformers
from kaido.kube.lease import LeaderElector
from kaido.kube.resources import (
    CONFIGMAPS,
    DEPLOYMENTS,
    EVENTS,
    HPAS,
    NODES,
    PODS,
    REPLICASETS,
    SERVICES,
)
from kaido.notify import AlertEngine, Dispatcher, Notification, SilenceError, UnknownSilenceError, build_channels
from kaido.notify.model import Channel
from kaido.remediate.executor import Executor
from kaido.remediate.planning import Transition
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.store import Store
from kaido.store.records import IncidentRecord

__all__ = ["Agent", "AgentOptions"]

log = logging.getLogger(__name__)

HEARTBEAT = 1.0
STUCK_AFTER = 10.0  # the loop is considered stuck when the heartbeat is this late


@dataclass(frozen=True, kw_only=True)
class AgentOptions:
    identity: str
    namespaces: tuple[str, ...] = ()  # empty: the whole cluster
    own_namespace: str = "default"
    policy_file: str | None = None
    policy_configmap: str | None = None  # name of a ConfigMap in own_namespace with key policy.yaml
    environ: Mapping[str, str] = field(default_factory=dict)  # where channels find secrets named by variable


class Agent:
    """One running agent; implements the API's AgentView."""

    def __init__(self, *, kube: Kube, store: Store, policy: PolicyHolder, clock: Clock, options: AgentOptions) -> None:
        self.kube, self.store, self.holder, self.clock, self.options = kube, store, policy, clock, options
        self.timeline = Timeline()
        self.registry = CollectorRegistry(auto_describe=True)
        self.supervisor = Supervisor(clock)
        self.informers = Informers(kube, clock=clock)
        scopes: tuple[str | None, ...] = options.namespaces or (None,)
        self._watch(scopes)
        self._elect()
        self._act()
        self._control(scopes)
        self._alert()
        self._beat = clock.monotonic()
        self.holder.subscribe(self._on_policy)

    def _watch(self, scopes: tuple[str | None, ...]) -> None:
        """The caches every controller shares: each resource once across the namespace scopes."""
        watched = {"pods": PODS, "replicasets": REPLICASETS, "deployments": DEPLOYMENTS, "hpas": HPAS, "events": EVENTS}
        self.caches: dict[str, Any] = {
            name: MergedInformers([self.informers.add(resource, namespace=ns) for ns in scopes])
            for name, resource in watched.items()
        }
        # The scaler's alone (the healer checks its caches by name): the Service in front of a workload.
        self._services = MergedInformers([self.informers.add(SERVICES, namespace=ns) for ns in scopes])
        self._nodes = self.informers.add(NODES) if not self.options.namespaces else None
        if self._nodes is not None:
            self.caches["nodes"] = self._nodes
        self._policy_cm: Informer | None = None
        if self.options.policy_configmap:
            self._policy_cm = self.informers.add(CONFIGMAPS, namespace=self.options.own_namespace)

    def _elect(self) -> None:
        """Leader election on the Lease the policy names."""
        agent = self.holder.current.agent
        self.elector = LeaderElector(
            self.kube,
            name=agent.lease_name,
            namespace=agent.lease_namespace or self.options.own_namespace,
            identity=self.options.identity,
            lease_duration=agent.lease_duration,
            renew_deadline=agent.renew_deadline,
            retry_period=agent.retry_period,
            clock=self.clock,
            on_change=self._on_leadership,
        )

    def _act(self) -> None:
        """The executor every action goes through, under the policy's rate limits."""
        limits = self.holder.current.rate_limits
        self.limiter = RateLimiter(
            global_limit=Limit(limits.global_.actions, limits.global_.per),
            per_workload=Limit(limits.per_workload.actions, limits.per_workload.per),
        )
        self.executor = Executor(
            self.kube,
            self.store,
            clock=self.clock,
            identity=self.options.identity,
            is_leader=lambda: self.elector.is_leader,
            limiter=self.limiter,
            registry=self.registry,
            paused=lambda: self.holder.current.paused,
        )

    def _control(self, scopes: tuple[str | None, ...]) -> None:
        """The controllers: monitor, scaler, healer and the request-rate collector."""
        self.monitor = Monitor(
            kube=self.kube,
            pods=self.caches["pods"],
            nodes=self._nodes,
            replicasets=self.caches["replicasets"],
            store=self.store,
            clock=self.clock,
            policy=lambda: self.holder.current,
            on_change=self._on_findings,
            scopes=scopes,
        )
        self.scaler = Scaler(
            hpas=self.caches["hpas"],
            deployments=self.caches["deployments"],
            pods=self.caches["pods"],
            store=self.store,
            executor=self.executor,
            clock=self.clock,
            policy=lambda: self.holder.current,
            is_leader=lambda: self.elector.is_leader,
            on_decision=lambda text: self._say("scaling", text),
            nodes=self._nodes,
            services=self._services,
        )
        self.escalations: dict[str, Finding] = {}  # incident id -> a healing-escalated finding, for alert rules
        self.healer = Healer(
            kube=self.kube,
            informers=self.caches,
            executor=self.executor,
            store=self.store,
            clock=self.clock,
            policy=lambda: self.holder.current,
            is_leader=lambda: self.elector.is_leader,
            registry=self.registry,
            on_incident=self._on_incident,
            on_storm=self._on_storm,
            synced=lambda: self.informers.synced,
            limiter=self.limiter,
            identity=self.options.identity,
        )
        self.http_client = httpx2.AsyncClient(timeout=30)
        self.request_rates = RequestRates(
            kube=self.kube,
            store=self.store,
            clock=self.clock,
            policy=lambda: self.holder.current,
            http=self.http_client,
            scopes=scopes,
            on_rates=self.scaler.load_observed,  # a new rate is decided on at once
        )

    def _alert(self) -> None:
        """The alert engine, the notification dispatcher, and the agent's own metrics."""
        self.alert_engine = AlertEngine(
            settings=lambda: self.holder.current.alerts,
            store=self.store,
            clock=self.clock,
            dashboard_url=lambda: self.holder.current.api.dashboard_url,
        )
        self.dispatcher = Dispatcher(self._channels(self.holder.current), clock=self.clock, registry=self.registry)
        self.alerting = Alerting(
            engine=self.alert_engine,
            dispatcher=self.dispatcher,
            metrics=ClusterMetrics(self.monitor),
            findings=lambda: [*self.monitor.findings.values(), *self.escalations.values()],
            clock=self.clock,
            is_leader=lambda: self.elector.is_leader,
            on_notify=self._on_notify,
        )
        self.registry.register(
            AgentCollector(
                clock=self.clock,
                informers=lambda: list(self.informers),
                findings=lambda: self.monitor.findings.values(),  # noqa: PLW0108 - the dict is replaced on each pass
                is_leader=lambda: self.elector.is_leader,
                policy_state=lambda: (self.holder.generation, self.holder.last_error is not None),
                api_requests=lambda: self.kube.requests,
                identity=self.options.identity,
            )
        )

    # -- lifecycle -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then drain within the policy's drainTimeout."""
        self._say("agent", f"kaido {__version__} started as {self.options.identity}")
        self.monitor.start()
        if self._policy_cm is not None:
            self._policy_cm.subscribe(self._on_policy_configmap, name="policy")
        self.caches["deployments"].subscribe(self._on_workload, name="timeline")
        await self.healer.start()
        await self.informers.start()
        self.supervisor.start("heartbeat", self._heartbeat)
        self.supervisor.start("leader-election", self.elector.run)
        self.supervisor.start("monitor-health", self._after_sync(self.monitor.run_health))
        self.supervisor.start("monitor-usage", self._after_sync(self.monitor.run_usage))
        self.supervisor.start("request-rates", self._after_sync(self.request_rates.run))
        await self.dispatcher.start()
        self.supervisor.start("alerts", self._after_sync(self.alerting.run))
        self.supervisor.start("scaler", self._after_sync(self.scaler.run))
        self.supervisor.start("healer", self._after_sync(self.healer.run))
        if self.options.policy_file:
            path = self.options.policy_file
            self.supervisor.start("policy-file", lambda: watch_file(self.holder, Path(path), clock=self.clock))
        self.supervisor.start("announce-sync", self._after_sync(self._announce_sync))
        await stop.wait()
        await self.drain()

    async def drain(self) -> None:
        grace = self.holder.current.agent.drain_timeout
        self._say("agent", f"stopping: draining within {grace:.0f} s")
        stuck = await self.supervisor.stop(grace=grace * 0.6)
        if stuck:
            log.warning("tasks still running at shutdown: %s", ", ".join(stuck))
        await self.informers.stop()
        await self.dispatcher.stop(grace=grace * 0.3)
        await self.http_client.aclose()
        await self.store.close()

    def _after_sync(self, factory: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """`factory` started once every informer has its first list (readers must not see empty caches)."""

        async def run() -> None:
            while not self.informers.synced:
                await self.clock.sleep(0.1)
            await factory()

        return run

    async def _announce_sync(self) -> None:
        counts = ", ".join(f"{len(i)} {i.resource.plural}" for i in self.informers)
        self._say("agent", f"caches synced: {counts}")

    async def _heartbeat(self) -> None:
        while True:
            self._beat = self.clock.monotonic()
            await self.clock.sleep(HEARTBEAT)

    # -- events ----------------------------------------------------------------------------------

    def _say(self, category: Any, text: str, *, target: str | None = None, severity: str = "info") -> None:
        entry = self.timeline.add(self.clock.now(), category, text, target=target, severity=severity)
        log.info("%s", entry.text)

    def _on_leadership(self, leading: bool) -> None:
        if leading:
            self._say("leader", f"{self.options.identity} is now the leader and may act")
        else:
            self._say("leader", f"{self.options.identity} is no longer the leader; watching only")

    def _on_findings(self, new: list[Finding], resolved: list[Finding]) -> None:
        for f in new:
            self._say("finding", f.summary, target=str(f.target), severity=f.severity)
        for f in resolved:
            self._say("resolved", f"resolved: {f.summary}", target=str(f.target))

    def _channels(self, policy: Policy) -> dict[str, Channel]:
        """The policy's channels, rebuilt for each policy generation."""
        return build_channels(
            policy.alerts,
            environ=self.options.environ,
            http=self.http_client,
            clock=self.clock,
            kube=self.kube,
            reporting_instance=self.options.identity,
        )

    def _on_incident(self, incident: IncidentRecord, transition: Transition) -> None:
        self._say("incident", transition.message, target=incident.target, severity=transition.severity)
        if transition.kind == "escalated":
            kind, _, rest = incident.target.partition(" ")
            namespace, _, name = rest.rpartition("/")
            self.escalations[incident.id] = Finding.create(
                "healing-escalated",
                "critical",
                ObjectRef(kind=kind, name=name, namespace=namespace or None),
                summary=transition.message,
                observed_at=self.clock.now(),
                evidence=tuple(incident.evidence),
            )
        elif transition.kind in ("resolved", "rearmed"):
            self.escalations.pop(incident.id, None)

    def _on_storm(self, transition: Transition) -> None:
        self._say("incident", transition.message, severity=transition.severity)

    def _on_notify(self, notification: Notification) -> None:
        names = ", ".join(sorted({a.name for a in notification.alerts}))
        count, channel = len(notification.alerts), notification.channel
        self._say(
            "alert",
            f"{notification.status} alert {names} ({count}) sent to {channel}",
            severity="warning" if notification.status == "firing" else "info",
        )

    async def _on_workload(self, delta: Delta) -> None:
        if not self.informers.synced:
            return  # the initial list is summarised once, not object by object
        namespace = (delta.object.get("metadata") or {}).get("namespace") or ""
        if not self.holder.current.namespaces.admits(namespace):
            return
        new = None if delta.type == "DELETED" else delta.object
        old = delta.old if delta.type != "ADDED" else None
        for text in describe_workload_change(old, new):
            self._say("change", text, target=str(ObjectRef.of(delta.object)))

    def _on_policy(self, policy: Policy) -> None:
        self.dispatcher.replace_channels(self._channels(policy))
        self._say("policy", f"policy reloaded from {self.holder.source} (generation {self.holder.generation})")

    async def _on_policy_configmap(self, delta: Delta) -> None:
        name = delta.object.get("metadata", {}).get("name")
        if name != self.options.policy_configmap or delta.type == "DELETED":
            return
        text = (delta.object.get("data") or {}).get("policy.yaml")
        source = f"configmap {self.options.own_namespace}/{name}"
        if text is None:
            self._say("policy", f"{source} has no key policy.yaml; keeping the current policy", severity="warning")
        elif not self.holder.update(text, source=source):
            self._say("policy", f"rejected {source}: {self.holder.last_error}", severity="warning")

    # -- AgentView -------------------------------------------------------------------------------

    def liveness(self) -> tuple[bool, str]:
        late = self.clock.monotonic() - self._beat
        if late > STUCK_AFTER:
            return False, f"event loop stalled: heartbeat {late:.0f} s late"
        return True, "ok"

    def readiness(self) -> tuple[bool, list[str]]:
        waiting = [f"{i.resource.plural} cache" for i in self.informers if not i.has_synced]
        if not self.store.is_open:
            waiting.append("store")
        return not waiting, waiting

    def health(self) -> dict[str, Any]:
        pods = self.caches["pods"].list()
        nodes = self._nodes.list() if self._nodes is not None else []
        summary = summarize(pods, nodes, list(self.monitor.findings.values())).to_json()
        return {
            "agent": {
                "identity": self.options.identity,
                "version": __version__,
                "leader": self.elector.is_leader,
                "leader_identity": self.elector.holder,
                "synced": self.informers.synced,
                "policy_generation": self.holder.generation,
                "policy_error": self.holder.last_error,
                "paused": self.holder.current.paused,
                "metrics_error": self.monitor.metrics_error,
            },
            "cluster": summary,
        }

    def findings(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in sorted(self.monitor.findings.values(), key=lambda f: (f.severity, f.id))]

    def incidents(self, *, limit: int) -> list[dict[str, Any]]:
        return self.healer.incidents(limit=limit)

    async def rearm(self, body: Mapping[str, Any]) -> dict[str, Any]:
        target, namespace = body.get("target"), body.get("namespace")
        if not isinstance(target, str):
            raise ActionRejectedError(
                "target: give the workload, e.g. 'deployment/backend', with 'namespace'", status=422
            )
        try:
            ref = parse_target(target, namespace=namespace if isinstance(namespace, str) else None)
        except ValueError as e:
            raise ActionRejectedError(str(e), status=422) from e
        by = str(body.get("by") or "a person")
        found = await self.healer.rearm(ref, by=by)
        if found is None:
            raise ActionRejectedError(f"no incident for {ref}; nothing to re-arm", status=404)
        return found

    def scaling(self) -> list[dict[str, Any]]:
        return self.scaler.decisions()

    def actions(self, *, limit: int) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.store.list_actions(limit=limit)]

    def timeline_entries(self, *, after: int, limit: int) -> list[dict[str, Any]]:
        return [e.to_json() for e in self.timeline.after(after, limit=limit)]

    def alerts(self) -> list[dict[str, Any]]:
        return self.alert_engine.alerts()

    def deliveries(self, *, limit: int) -> list[dict[str, Any]]:
        return self.dispatcher.deliveries(limit)

    def silences(self, *, include_expired: bool) -> list[dict[str, Any]]:
        now = self.clock.now()
        return [s.to_json(now=now) for s in self.alert_engine.silences(include_expired=include_expired)]

    async def create_silence(self, body: Mapping[str, Any]) -> dict[str, Any]:
        matchers, duration = body.get("matchers"), body.get("duration")
        if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
            raise ActionRejectedError('matchers: give a list such as ["alertname=high-error-rate"]', status=422)
        ends_at = body.get("endsAt")
        try:
            silence = await self.alert_engine.create_silence(
                matchers,
                duration=parse_duration(duration) if duration is not None else None,
                ends_at=datetime.fromisoformat(ends_at) if isinstance(ends_at, str) else None,
                created_by=str(body.get("createdBy") or "unknown"),
                comment=str(body.get("comment") or ""),
            )
        except (SilenceError, ValueError) as e:
            raise ActionRejectedError(str(e), status=422) from e
        self._say(
            "alert", f"silence {silence.id} created by {silence.created_by}: {', '.join(map(str, silence.matchers))}"
        )
        return silence.to_json(now=self.clock.now())

    async def expire_silence(self, silence_id: str) -> dict[str, Any]:
        try:
            silence = await self.alert_engine.expire_silence(silence_id)
        except UnknownSilenceError as e:
            raise ActionRejectedError(str(e.args[0] if e.args else e), status=404) from e
        self._say("alert", f"silence {silence_id} expired")
        return silence.to_json(now=self.clock.now())

    def metrics(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    async def request_action(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if not self.elector.is_leader:
            raise ActionRejectedError(
                f"not the leader; send the request to {self.elector.holder or 'the leader'}", status=409
            )
        action, reason, dry_run = action_from_request(body)
        record = await self.executor.execute(action, mode="dry-run" if dry_run else "enforce", reason=reason)
        self._say("action", f"{action.describe()}: {record.state} ({record.detail})", target=str(action.target))
        return record.to_json()
