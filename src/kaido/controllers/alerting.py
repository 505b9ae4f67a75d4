"""Alerting wiring: the monitor's data as rule inputs, the engine on a timer, the dispatcher.

Every replica keeps its channels ready, but only the leader evaluates rules and sends, so one
problem is notified once however many agents run. A policy reload rebuilds the channels.
Log-based metrics (errors, warnings, slow requests) come from the log watcher when it exists;
until then this source reports none, and rules over them never fire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaido.analysis.findings import Finding
from kaido.analysis.health import restarts_in_window
from kaido.analysis.status import parse_time, workload_of
from kaido.analysis.usage import node_usage_percent, pod_usage_percent
from kaido.controllers.monitor import Monitor
from kaido.core.clock import Clock
from kaido.notify import AlertEngine, Dispatcher, MetricValue, Notification
from kaido.notify.rules import workload_label

__all__ = ["Alerting", "ClusterMetrics"]

log = logging.getLogger(__name__)

_POD_PERCENT = {"cpu-usage": "cpu", "memory-usage": "memory"}
_NODE_PERCENT = {"node-cpu": "cpu", "node-memory": "memory"}


@dataclass
class ClusterMetrics:
    """The rules' MetricSource over the monitor's latest usage and restart history."""

    monitor: Monitor

    def values(self, metric: str, *, per: float | None, now: datetime) -> Sequence[MetricValue]:
        if metric in _POD_PERCENT:
            return self._pod_percent(_POD_PERCENT[metric])
        if metric in _NODE_PERCENT:
            return self._node_percent(_NODE_PERCENT[metric])
        if metric == "restarts" and per is not None:
            return self._restarts(per, now)
        return []

    def _labels(self, pod: Mapping[str, Any]) -> dict[str, str]:
        meta = pod.get("metadata") or {}
        labels = {"namespace": str(meta.get("namespace") or ""), "pod": str(meta.get("name") or "")}
        workload = workload_of(pod, self.monitor.owner)
        if workload is not None:
            labels["workload"] = workload_label(workload.kind, workload.name)
        return labels

    def _pod_percent(self, resource: str) -> list[MetricValue]:
        found = []
        for (namespace, name), usage in self.monitor.pod_usage.items():
            pod = self.monitor.pods.get(name, namespace)
            if pod is None:
                continue
            for u in pod_usage_percent(pod, usage):
                if u.resource == resource:
                    found.append(MetricValue({**self._labels(pod), "container": u.container or ""}, u.percent))
        return found

    def _node_percent(self, resource: str) -> list[MetricValue]:
        found = []
        for name, (cpu, memory) in self.monitor.node_usage.items():
            node = self.monitor.nodes.get(name) if self.monitor.nodes is not None else None
            if node is not None:
                found += [
                    MetricValue({"node": name}, u.percent)
                    for u in node_usage_percent(node, cpu, memory)
                    if u.resource == resource
                ]
        return found

    def _restarts(self, window: float, now: datetime) -> list[MetricValue]:
        found = []
        for pod in self.monitor.pods.list():
            history = self.monitor.restart_history(pod)
            if history:
                started = parse_time((pod.get("status") or {}).get("startTime"))
                count = restarts_in_window(history, now=now, window=window, started_at=started)
                found.append(MetricValue(self._labels(pod), float(count)))
        return found


@dataclass
class Alerting:
    """Evaluates the policy's alert rules every `interval` seconds while leading, and delivers."""

    engine: AlertEngine
    dispatcher: Dispatcher
    metrics: ClusterMetrics
    findings: Callable[[], list[Finding]]
    clock: Clock
    is_leader: Callable[[], bool]
    on_notify: Callable[[Notification], None] = lambda _n: None
    interval: float = 5.0
    evaluations: int = field(default=0)

    def step(self) -> list[Notification]:
        """One evaluation: the notifications now due, submitted to their channels."""
        due = self.engine.evaluate(findings=self.findings(), metrics=self.metrics)
        self.evaluations += 1
        for notification in due:
            self.dispatcher.submit(notification)
            self.on_notify(notification)
        return due

    async def run(self) -> None:
        await self.engine.load()
        while True:
            if self.is_leader():
                self.step()
            await self.clock.sleep(self.interval)
