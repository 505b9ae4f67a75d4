"""The agent's Prometheus metrics: read at scrape time from the live components.

Counters owned by a component (the executor's action counters) are registered by that component
on the same registry; this collector adds the gauges that describe state: informer progress and
queue depth, findings by kind and severity, leadership, policy generation and errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kaido.analysis.findings import Finding
from kaido.core.clock import Clock
from kaido.kube.informer import Informer

__all__ = ["AgentCollector"]


@dataclass(eq=False)  # the registry keys collectors by identity
class AgentCollector(Collector):
    clock: Clock
    informers: Callable[[], Iterable[Informer]]
    findings: Callable[[], Iterable[Finding]]
    is_leader: Callable[[], bool]
    policy_state: Callable[[], tuple[int, bool]]  # (generation, last reload failed)
    api_requests: Callable[[], Mapping[tuple[str, str], int]]  # (verb, group/resource) -> count
    identity: str

    def collect(self) -> Iterator[Metric]:
        yield from self._informer_metrics()
        found = GaugeMetricFamily("kaido_findings", "Current findings", labels=["kind", "severity"])
        for (kind, severity), n in sorted(Counter((f.kind, f.severity) for f in self.findings()).items()):
            found.add_metric([kind, severity], n)
        yield found
        leader = GaugeMetricFamily("kaido_leader", "1 when this agent holds the leader Lease", labels=["identity"])
        leader.add_metric([self.identity], 1.0 if self.is_leader() else 0.0)
        yield leader
        generation, failed = self.policy_state()
        yield GaugeMetricFamily("kaido_policy_generation", "Policy reloads applied since start", value=generation)
        yield GaugeMetricFamily(
            "kaido_policy_reload_failed", "1 when the last policy reload was rejected", value=failed
        )
        requests = CounterMetricFamily(
            "kaido_api_requests",
            "Kubernetes API requests by verb and group/resource (what RBAC must allow)",
            labels=["verb", "resource"],
        )
        for (verb, resource), n in sorted(self.api_requests().items()):
            requests.add_metric([verb, resource], n)
        yield requests

    def _informer_metrics(self) -> Iterator[Metric]:
        labels = ["resource", "namespace"]
        synced = GaugeMetricFamily("kaido_informer_synced", "1 once the initial list is cached", labels=labels)
        objects = GaugeMetricFamily("kaido_informer_objects", "Objects in the informer cache", labels=labels)
        age = GaugeMetricFamily(
            "kaido_informer_last_event_age_seconds", "Seconds since the informer last heard from the API", labels=labels
        )
        depth = GaugeMetricFamily("kaido_informer_queue_depth", "Deltas waiting for subscribers", labels=labels)
        events = CounterMetricFamily("kaido_informer_events", "Watch events received", labels=labels)
        relists = CounterMetricFamily("kaido_informer_relists", "Full relists (after 410 Gone)", labels=labels)
        errors = CounterMetricFamily("kaido_informer_errors", "List or watch failures", labels=labels)
        now = self.clock.now()
        for informer in self.informers():
            key = [informer.resource.plural, informer.namespace or ""]
            stats = informer.stats
            synced.add_metric(key, 1.0 if informer.has_synced else 0.0)
            objects.add_metric(key, len(informer))
            if stats.last_event_at is not None:
                age.add_metric(key, max(0.0, (now - stats.last_event_at).total_seconds()))
            depth.add_metric(key, stats.queue_depth)
            events.add_metric(key, stats.events)
            relists.add_metric(key, stats.relists)
            errors.add_metric(key, stats.errors)
        yield from (synced, objects, age, depth, events, relists, errors)
