"""The monitor: pod and node health from the informer cache, usage from metrics.k8s.io.

Health is event-driven: a pod is re-examined when its informer delivers a change, and pods with an
open or pending problem are re-examined on every pass (grace periods depend on time, not on
changes). Usage is polled every `agent.metricsInterval` into the store and checked against the
policy's thresholds. Findings that appear or clear are reported to `on_change`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kaido.analysis.findings import USAGE_KINDS, Finding
from kaido.analysis.health import HealthSettings, node_findings, pod_findings
from kaido.analysis.status import restart_total
from kaido.analysis.usage import Thresholds, node_usage_findings, pod_usage_findings
from kaido.config import Policy
from kaido.core.clock import Clock
from kaido.kube.cache import Delta
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError
from kaido.kube.metrics import node_usage, pod_usage
from kaido.store import Store
from kaido.store.records import Sample

__all__ = ["Monitor"]

log = logging.getLogger(__name__)

Key = tuple[str, str]
OnChange = Callable[[list[Finding], list[Finding]], None]


class ObjectSource(Protocol):
    """Cached objects of one resource: an informer, or several informers read as one."""

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None: ...

    def list(self) -> list[dict[str, Any]]: ...

    def subscribe(self, handler: Callable[[Delta], Awaitable[None]], *, name: str) -> object: ...


@dataclass
class Monitor:
    kube: Kube
    pods: ObjectSource
    nodes: ObjectSource | None
    replicasets: ObjectSource
    store: Store
    clock: Clock
    policy: Callable[[], Policy]
    on_change: OnChange
    scopes: tuple[str | None, ...] = (None,)  # namespaces to read usage in; None: all (needs a ClusterRole)
    evaluate_interval: float = 1.0
    resolve_hold: float = 60.0
    findings: dict[str, Finding] = field(default_factory=dict)
    metrics_error: str | None = None
    pod_usage: dict[Key, dict[str, tuple[float, float]]] = field(default_factory=dict)  # latest, per container
    node_usage: dict[str, tuple[float, float]] = field(default_factory=dict)  # latest (cores, bytes)
    _dirty: set[Key] = field(default_factory=set)
    _troubled: set[Key] = field(default_factory=set)
    _restarts: dict[str, deque[tuple[Any, int]]] = field(default_factory=dict)
    _health: dict[Key, list[Finding]] = field(default_factory=dict)
    _usage: dict[str, list[Finding]] = field(default_factory=dict)
    _first_seen: dict[str, datetime] = field(default_factory=dict)
    _last_seen: dict[str, datetime] = field(default_factory=dict)

    def start(self) -> None:
        """Subscribe to pod changes (call before the informers start)."""
        self.pods.subscribe(self._on_pod, name="monitor")

    async def _on_pod(self, delta: Delta) -> None:
        key: Key = delta.key
        if delta.type == "DELETED":
            self._restarts.pop(_uid(delta.object), None)
            self._troubled.discard(key)
            self._dirty.add(key)
            return
        self._note_restarts(delta.object, delta.old)
        self._dirty.add(key)

    def _note_restarts(self, pod: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        total, uid, now = restart_total(pod), _uid(pod), self.clock.now()
        history = self._restarts.get(uid)
        if history is None:
            if total == 0:
                return  # most pods never restart: keep no history for them (memory at 10k pods)
            history = self._restarts[uid] = deque(maxlen=64)
            before = restart_total(old) if old is not None else None
            if before is not None and before < total:
                history.append((now, before))  # the count we last saw, so this increase is counted
        if not history or history[-1][1] != total:
            history.append((now, total))

    def restart_history(self, pod: Mapping[str, Any]) -> list[tuple[datetime, int]]:
        """The (time, total restarts) samples kept for `pod` (empty when it never restarted)."""
        return list(self._restarts.get(_uid(pod), ()))

    def _settings(self) -> HealthSettings:
        monitor = self.policy().monitor
        return HealthSettings(restart_threshold=monitor.restart_threshold, restart_window=monitor.restart_window)

    def _thresholds(self) -> Thresholds:
        t = self.policy().monitor.thresholds
        return Thresholds(
            pod_cpu=t.pod_cpu,
            pod_memory=t.pod_memory,
            node_cpu=t.node_cpu,
            node_memory=t.node_memory,
            node_disk=t.node_disk,
        )

    def owner(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        if kind == "ReplicaSet":
            return self.replicasets.get(name, namespace)
        return None

    def evaluate(self) -> None:
        """One health pass over changed and troubled pods and all nodes."""
        now, settings, policy = self.clock.now(), self._settings(), self.policy()
        for key in self._dirty | self._troubled:
            namespace, name = key
            pod = self.pods.get(name, namespace)
            if pod is None or not policy.namespaces.admits(namespace):
                self._health.pop(key, None)
                self._troubled.discard(key)
                continue
            history = self.restart_history(pod)
            found = pod_findings(pod, now=now, restart_history=history, owner_lookup=self.owner, settings=settings)
            self._health[key] = found
            if found or _unsettled(pod):
                self._troubled.add(key)
            else:
                self._troubled.discard(key)
        self._dirty.clear()
        node_keys: set[Key] = set()
        for node in self.nodes.list() if self.nodes is not None else []:
            key = ("", node["metadata"]["name"])
            node_keys.add(key)
            self._health[key] = node_findings(node, now=now, settings=settings)
        for key in [k for k in self._health if k[0] == "" and k not in node_keys]:
            del self._health[key]
        self._publish()

    def _publish(self) -> None:
        """Report findings that appeared or cleared, with hysteresis on both sides.

        A usage finding must hold for `monitor.for` before it counts (one hot sample is not a
        problem), and any finding must be gone for `resolve_hold` before it clears, so a pod that
        flips between CrashLoopBackOff and a short Running spell reads as one problem, not many.
        """
        now = self.clock.now()
        hold_usage = self.policy().monitor.for_
        observed: dict[str, Finding] = {}
        for group in [*self._health.values(), *self._usage.values()]:
            for finding in group:
                observed[finding.id] = finding
        for key in [k for k in self._first_seen if k not in observed]:
            del self._first_seen[key]
        current: dict[str, Finding] = {}
        for key, finding in observed.items():
            first = self._first_seen.setdefault(key, now)
            self._last_seen[key] = now
            if key in self.findings or finding.kind not in USAGE_KINDS or (now - first).total_seconds() >= hold_usage:
                current[key] = finding
        for key, finding in self.findings.items():
            if key not in current and (now - self._last_seen[key]).total_seconds() < self.resolve_hold:
                current[key] = finding
        new = [f for i, f in current.items() if i not in self.findings]
        resolved = [f for i, f in self.findings.items() if i not in current]
        for finding in resolved:
            self._last_seen.pop(finding.id, None)
        self.findings = current
        if new or resolved:
            self.on_change(new, resolved)

    async def run_health(self) -> None:
        while True:
            self.evaluate()
            await self.clock.sleep(self.evaluate_interval)

    async def poll_usage(self) -> None:
        """Read metrics.k8s.io once: store the samples and check the thresholds."""
        now, thresholds, policy = self.clock.now(), self._thresholds(), self.policy()
        try:
            pods = [p for scope in self.scopes for p in await pod_usage(self.kube, namespace=scope)]
            nodes = await node_usage(self.kube) if self.nodes is not None else []
        except KubeError as e:
            if self.metrics_error != str(e):
                log.warning("resource usage unavailable: %s", e)
            self.metrics_error = str(e)
            return
        self.metrics_error = None
        samples: list[Sample] = []
        usage: dict[str, list[Finding]] = {}
        for p in pods:
            if not policy.namespaces.admits(p.namespace):
                continue
            for container, u in p.containers.items():
                labels: tuple[tuple[str, str], ...] = (
                    ("container", container),
                    ("namespace", p.namespace),
                    ("pod", p.name),
                )
                samples.append(Sample("pod_cpu_cores", labels, p.timestamp, u.cpu_cores))
                samples.append(Sample("pod_memory_bytes", labels, p.timestamp, u.memory_bytes))
            pod = self.pods.get(p.name, p.namespace)
            if pod is not None:
                per_container = {c: (u.cpu_cores, u.memory_bytes) for c, u in p.containers.items()}
                usage[f"pod/{p.namespace}/{p.name}"] = pod_usage_findings(
                    pod, per_container, now=now, thresholds=thresholds, owner_lookup=self.owner
                )
        for n in nodes:
            labels = (("node", n.name),)
            samples.append(Sample("node_cpu_cores", labels, n.timestamp, n.cpu_cores))
            samples.append(Sample("node_memory_bytes", labels, n.timestamp, n.memory_bytes))
            node = self.nodes.get(n.name) if self.nodes is not None else None
            if node is not None:
                usage[f"node/{n.name}"] = node_usage_findings(
                    node, n.cpu_cores, n.memory_bytes, now=now, thresholds=thresholds
                )
        await self.store.add_samples(samples)
        self._usage = usage
        self.pod_usage = {
            (p.namespace, p.name): {c: (u.cpu_cores, u.memory_bytes) for c, u in p.containers.items()}
            for p in pods
            if policy.namespaces.admits(p.namespace)
        }
        self.node_usage = {n.name: (n.cpu_cores, n.memory_bytes) for n in nodes}
        self._publish()

    async def run_usage(self) -> None:
        while True:
            await self.poll_usage()
            await self.clock.sleep(self.policy().agent.metrics_interval)


def _uid(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")


def _unsettled(pod: Mapping[str, Any]) -> bool:
    """A pod whose state may turn into a finding with time alone (grace periods)."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Pending", "Unknown"):
        return True
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    return status.get("phase") == "Running" and conditions.get("Ready") != "True"
