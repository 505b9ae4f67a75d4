"""Traffic: how many requests per second reach each Service, and how they spread over its pods.

A *profile* is a pure function of time: `rate(elapsed, now)` requests per second, where `elapsed`
counts seconds since the scenario started and `now` is the wall-clock moment (the diurnal shape
follows the time of day, the others the scenario's own time). The shapes are `Constant`, `Diurnal`
(a cosine with a 24 h period between `base` and `peak`, highest at `peak_hour` UTC), `Ramp`
(linear between two moments), `Replay` (a recorded trace of counts per second or per minute) and
`Spike` (a window in which the rest of the profile is multiplied, or a rate added; with `every` it
recurs). A `Combined` profile is the sum of its parts, with its spikes applied to that sum.

A profile answers for any moment, also before the start (a negative `elapsed`): a recurring spike
recurs backwards too, so the days before a scenario started can be derived from the same model
(`kaido demo` replays them into the agent's store as its history).

A `TrafficModel` holds one profile per Service and is the kubelet's load source: a pod receives,
for every Service that selects it, the Service's rate divided by its ready endpoints (the
Endpoints object's `addresses`, or without one the Ready pods the selector matches); a pod that
is not ready receives nothing, as kube-proxy sends it no traffic. Optional noise is a seeded hash
of (service, second), so runs are reproducible.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, is_pod_ready
from kaido.sim.resources import builtin
from kaido.sim.selectors import selector_from_object
from kaido.sim.store import Obj

__all__ = [
    "Combined",
    "Constant",
    "Diurnal",
    "Profile",
    "Ramp",
    "Replay",
    "ServiceLoad",
    "Spike",
    "TrafficModel",
    "load_trace",
]

SERVICES: Final = builtin("", "v1", "services")
ENDPOINTS: Final = builtin("", "v1", "endpoints")
DAY: Final = 86_400.0


class Profile(Protocol):
    def rate(self, elapsed: float, now: datetime) -> float:
        """Requests per second `elapsed` seconds after the start, at wall-clock `now`."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    value: float

    def rate(self, elapsed: float, now: datetime) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Diurnal:
    """`base` at the quietest hour, `peak` at `peak_hour` (UTC, 0..24), a cosine in between."""

    base: float
    peak: float
    peak_hour: float = 14.0
    period: float = DAY

    def rate(self, elapsed: float, now: datetime) -> float:
        second = now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6
        phase = 2 * math.pi * (second - self.peak_hour * 3600) / self.period
        return self.base + (self.peak - self.base) * (1 + math.cos(phase)) / 2


@dataclass(frozen=True, slots=True)
class Ramp:
    """`start_rate` until `start`, then linear to `end_rate` at `end`, which it keeps."""

    start: float
    end: float
    start_rate: float
    end_rate: float

    def rate(self, elapsed: float, now: datetime) -> float:
        if elapsed <= self.start:
            return self.start_rate
        if elapsed >= self.end or self.end <= self.start:
            return self.end_rate
        share = (elapsed - self.start) / (self.end - self.start)
        return self.start_rate + (self.end_rate - self.start_rate) * share


@dataclass(frozen=True, slots=True)
class Spike:
    """From `start` for `duration` seconds the other parts are multiplied by `multiplier`, plus `extra`.

    With `every` the window recurs with that period, before the start as well: the spike is active
    whenever `(elapsed - start) mod every < duration`.
    """

    start: float
    duration: float
    multiplier: float = 1.0
    extra: float = 0.0
    every: float | None = None

    def __post_init__(self) -> None:
        if self.every is not None and not self.every > self.duration:
            raise ValueError(
                f"a recurring spike's period (every {self.every:g} s) must be longer than its duration "
                f"({self.duration:g} s), or the spike never ends"
            )

    def active(self, elapsed: float) -> bool:
        if self.every is None:
            return self.start <= elapsed < self.start + self.duration
        return (elapsed - self.start) % self.every < self.duration

    def next_start(self, elapsed: float) -> float | None:
        """The start of the first window that begins at or after `elapsed` (None: no more windows)."""
        if self.every is None:
            return self.start if self.start >= elapsed else None
        return self.start + math.ceil((elapsed - self.start) / self.every) * self.every

    def apply(self, elapsed: float, rate: float) -> float:
        return rate * self.multiplier + self.extra if self.active(elapsed) else rate

    def rate(self, elapsed: float, now: datetime) -> float:
        """A spike alone spikes nothing but its `extra`."""
        return self.extra if self.active(elapsed) else 0.0


@dataclass(frozen=True, slots=True)
class Replay:
    """A recorded trace: `counts[i]` events in bucket i of `resolution` seconds, replayed from `offset`.

    Rates are `count / resolution * scale`; past the end the trace loops, or (with `loop` off) is 0.
    """

    counts: Sequence[float]
    resolution: float = 1.0
    scale: float = 1.0
    offset: float = 0.0
    loop: bool = True

    def rate(self, elapsed: float, now: datetime) -> float:
        if not self.counts:
            return 0.0
        index = int((elapsed + self.offset) // self.resolution)
        if index < 0:
            return 0.0
        if index >= len(self.counts):
            if not self.loop:
                return 0.0
            index %= len(self.counts)
        return self.counts[index] / self.resolution * self.scale


@dataclass(frozen=True, slots=True)
class Combined:
    """The sum of `parts`, then every active spike applied in turn."""

    parts: tuple[Profile, ...] = ()
    spikes: tuple[Spike, ...] = ()

    def rate(self, elapsed: float, now: datetime) -> float:
        total = sum(part.rate(elapsed, now) for part in self.parts)
        for spike in self.spikes:
            total = spike.apply(elapsed, total)
        return max(0.0, total)


def load_trace(path: Path, column: str | None = None) -> list[float]:
    """Counts from a trace file: a CSV column by header name, or (without `column`) whitespace-separated numbers.

    The Twitter trace ships both: `*_per_second.txt` is one line of integers, `*_per_minute.csv`
    has the columns `minute_index,events`.
    """
    try:
        with path.open(newline="") as handle:
            if column is None:
                return [float(token) for token in handle.read().split()]
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise ValueError(f"trace {path}: no column {column!r}; columns: {reader.fieldnames}")
            return [float(row[column] or 0) for row in reader]
    except OSError as error:
        raise ValueError(f"trace {path}: cannot read it: {error.strerror or error}") from error


@dataclass(frozen=True, slots=True)
class ServiceLoad:
    """The profile of requests reaching Service `namespace/service`; `noise` is a relative ± spread."""

    namespace: str
    service: str
    profile: Profile
    noise: float = 0.0

    def rate(self, elapsed: float, now: datetime, *, seed: int) -> float:
        """Requests per second `elapsed` seconds after the start, at wall-clock `now`, with the seeded noise."""
        return self.profile.rate(elapsed, now) * _noise(seed, self, elapsed)


@dataclass
class TrafficModel:
    """Requests per second per Service, spread over ready endpoints; callable as the kubelet's `load`."""

    cluster: SimCluster
    loads: Sequence[ServiceLoad]
    start: datetime
    seed: int = 0
    _by_namespace: dict[str, list[ServiceLoad]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_namespace = {}
        for load in self.loads:
            self._by_namespace.setdefault(load.namespace, []).append(load)

    def rate(self, namespace: str, service: str, now: datetime) -> float:
        """The requests per second the Service receives at `now` (0 for a Service without a profile).

        Any moment will do, also one before the start: that is how a scenario's past is derived.
        """
        elapsed = (now - self.start).total_seconds()
        total = 0.0
        for load in self._by_namespace.get(namespace, ()):
            if load.service == service:
                total += load.rate(elapsed, now, seed=self.seed)
        return total

    def __call__(self, pod: Obj, now: datetime) -> float:
        meta = pod["metadata"]
        namespace, labels = meta.get("namespace", "default"), meta.get("labels") or {}
        total = 0.0
        for load in self._by_namespace.get(namespace, ()):
            service = self.cluster.store.find(SERVICES, namespace, load.service)
            selector = (service or {}).get("spec", {}).get("selector")
            if not selector or not selector_from_object(selector).matches(labels):
                continue
            ready = self._ready_endpoints(service or {}, selector)
            if meta["name"] in ready:
                total += self.rate(namespace, load.service, now) / len(ready)
        return total

    def _ready_endpoints(self, service: Obj, selector: Mapping[str, str]) -> set[str]:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        endpoints = self.cluster.store.find(ENDPOINTS, namespace, name)
        if endpoints is not None:
            return ready_pod_names(endpoints)
        matcher = selector_from_object(selector)
        return {
            pod["metadata"]["name"]
            for pod in self.cluster.store.list_objects(PODS, namespace)
            if matcher.matches(pod["metadata"].get("labels")) and is_pod_ready(pod)
        }


def ready_pod_names(endpoints: Obj) -> set[str]:
    """The pods behind an Endpoints object's ready addresses (its notReadyAddresses get no traffic)."""
    names = set()
    for subset in endpoints.get("subsets") or []:
        for address in subset.get("addresses") or []:
            ref = address.get("targetRef") or {}
            if ref.get("kind", "Pod") == "Pod" and ref.get("name"):
                names.add(str(ref["name"]))
    return names


def _noise(seed: int, load: ServiceLoad, elapsed: float) -> float:
    """A factor in [1 - noise, 1 + noise], fixed for each (seed, service, whole second)."""
    if load.noise <= 0:
        return 1.0
    key = f"{seed}:{load.namespace}/{load.service}:{math.floor(elapsed)}".encode()
    unit = int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") / 2**32
    return 1.0 + load.noise * (2 * unit - 1)
