"""Application requests each pod answered, as the kubelet counts them from the behaviour models.

The kubelet records, every tick, the requests a web-service container answered (by status, each
with its duration) under the load the pod received; `/metrics` reads the totals. Counts per pod uid
hold the pod's namespace, name and labels (a Service selects pods by label). A pod that goes away is
retired: its counts fold into one record per (namespace, labels), so a Service's totals never go
down while memory stays bounded by the distinct label sets. The statistics hang off the cluster's
store in a WeakKeyDictionary, like the exposition's CPU counters, so the cluster knows nothing of them.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from kaido.sim.behaviour import Requests
from kaido.sim.cluster import SimCluster
from kaido.sim.store import ObjectStore

__all__ = ["BUCKETS", "PodRequests", "RequestStats", "request_stats_for"]

BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # Prometheus' defaults, s


@dataclass
class PodRequests:
    namespace: str
    name: str  # "" once retired
    labels: dict[str, str]
    codes: dict[int, int] = field(default_factory=dict)  # requests by status
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))  # per bucket, +Inf last
    total_seconds: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.codes.values())

    def add(self, requests: Iterable[Requests]) -> None:
        for batch in requests:
            self.codes[batch.status] = self.codes.get(batch.status, 0) + batch.count
            self.buckets[bisect.bisect_left(BUCKETS, batch.seconds)] += batch.count
            self.total_seconds += batch.seconds * batch.count

    def merge(self, other: PodRequests) -> None:
        for status, count in other.codes.items():
            self.codes[status] = self.codes.get(status, 0) + count
        self.buckets = [mine + theirs for mine, theirs in zip(self.buckets, other.buckets, strict=True)]
        self.total_seconds += other.total_seconds

    def cumulative(self) -> list[int]:
        """Prometheus' `le` buckets: requests at most each bound, then +Inf (the count)."""
        out, running = [], 0
        for count in self.buckets:
            running += count
            out.append(running)
        return out


@dataclass
class RequestStats:
    live: dict[str, PodRequests] = field(default_factory=dict)  # by pod uid
    retired: dict[tuple[str, frozenset[tuple[str, str]]], PodRequests] = field(default_factory=dict)
    # Called with (namespace, pod labels, the requests) on every record: a benchmark's SLO meter.
    observers: list[Callable[[str, Mapping[str, str], Sequence[Requests]], None]] = field(default_factory=list)
    # The moment of the latest record: the counters are complete up to it. The kubelet counts a
    # pod's requests when it runs the pod, at ticks and at changes, so a reader's rate is the
    # increase between two of these moments, not between its own reads.
    as_of: datetime | None = None

    def record(
        self,
        uid: str,
        namespace: str,
        name: str,
        labels: Mapping[str, str],
        requests: Iterable[Requests],
        *,
        at: datetime | None = None,
    ) -> None:
        pod = self.live.get(uid)
        if pod is None:
            pod = self.live[uid] = PodRequests(namespace, name, dict(labels))
        pod.labels = dict(labels)
        if at is not None and (self.as_of is None or at > self.as_of):
            self.as_of = at
        batches = tuple(requests)
        pod.add(batches)
        for observer in self.observers:
            observer(namespace, pod.labels, batches)

    def retire(self, uid: str) -> None:
        """The pod is gone: keep its counts in the record of its namespace and labels."""
        pod = self.live.pop(uid, None)
        if pod is None:
            return
        key = (pod.namespace, frozenset(pod.labels.items()))
        kept = self.retired.get(key)
        if kept is None:
            kept = self.retired[key] = PodRequests(pod.namespace, "", dict(pod.labels))
        kept.merge(pod)

    def records(self) -> list[PodRequests]:
        """Every record, live pods first, each group in a stable order."""
        live = sorted(self.live.values(), key=lambda p: (p.namespace, p.name))
        retired = [self.retired[key] for key in sorted(self.retired, key=lambda k: (k[0], sorted(k[1])))]
        return [*live, *retired]


_STATS: Final[weakref.WeakKeyDictionary[ObjectStore, RequestStats]] = weakref.WeakKeyDictionary()


def request_stats_for(cluster: SimCluster) -> RequestStats:
    """The request statistics of `cluster`, created on first use and dropped with the cluster's store."""
    stats = _STATS.get(cluster.store)
    if stats is None:
        stats = _STATS[cluster.store] = RequestStats()
    return stats
