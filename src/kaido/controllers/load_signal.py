"""The load a workload is forecast from, read from the store: its Service's request rate, or its CPU.

Predictive scaling needs three series per workload, in 5-minute buckets: the load, the number of
pods carrying it, and the pods' CPU utilization (how loaded they were). Pods and utilization
always come from CPU usage (`workload_history`). The load is, by `scaling.predictive.signal`:

- `requests`: the request rate of the Service in front of the workload
  (`service_requests_per_second`, written by `kaido.controllers.requests`);
- `cpu`: the CPU usage of the workload's pods, summed;
- `auto`: the request rate when the Service has request-rate history the forecast can use, else
  CPU, saying why ("no request-rate history for service shop/web; using CPU").

The Service is the one the policy names, or else the Service whose selector matches the
Deployment's pod template labels. Capacity is always measured against the CPU target, so requests
per second per pod at 70 % CPU is a real measurement of what one pod serves.

`usage_replicas` is the reactive count the upstream HPA algorithm computes from the latest CPU
usage of the Deployment's pods, which direct scaling never goes below.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from kaido.analysis.capacity import Capacity, per_pod_capacity
from kaido.analysis.forecast import Forecast, Unreliable, forecast
from kaido.analysis.hpa.objects import pod_info_from_object
from kaido.analysis.hpa.pods import ContainerUsage, PodUsage
from kaido.analysis.hpa.replicas import ReplicaProposal, resource_replicas
from kaido.config.scaling import PredictiveSettings
from kaido.controllers.requests import REQUEST_RATE
from kaido.core.quantity import parse_quantity
from kaido.remediate.planning.guards import selects
from kaido.store import Store

__all__ = [
    "CPU_UNIT",
    "RPS_UNIT",
    "STEP",
    "LoadSignal",
    "SeasonCache",
    "Series",
    "free_cpu",
    "predict_load",
    "service_for",
    "template_cpu_request",
    "usage_replicas",
    "workload_history",
]

STEP: Final = 300.0  # s: forecasts run on the store's 5-minute rollups, cheap to read for days of history
CPU_UNIT: Final = "CPU cores"
RPS_UNIT: Final = "rps"
SURGE_HEADROOM: Final = 0.1  # the recent forecast's most above the arriving rate, short of a surge
SURGE_RISE: Final = 0.3  # a surge rises by more than this share of the load within a horizon
SURGE_NOISE: Final = 5.0  # a surge rises by more than this many times the series' typical change
NOISE_WINDOW: Final = timedelta(hours=1)
FAST_STEP: Final = 15.0  # s: the finest bucket of the recent forecast (else one per collected sample)
RECENT: Final = timedelta(hours=3)  # raw samples read for it (the store keeps a day of them)
USAGE_WINDOW: Final = timedelta(minutes=2)  # usage older than this does not describe the pods now
Series = list[tuple[datetime, float]]


@dataclass
class _BucketMemo:
    """What one series' passes within one 5-minute bucket share: it changes once per bucket."""

    bucket: int
    seasonal: Forecast | Unreliable
    capacity: Capacity | Unreliable
    smoothing: tuple[float, float, float] | None = None  # the recent forecast's fitted parameters
    peak: float = 0.0  # the highest 5-minute load of the last day: how high a surge has gone


SeasonCache = dict[tuple[str, str, str], _BucketMemo]  # (ns, workload, series) -> this bucket's memo


@dataclass(frozen=True)
class LoadSignal:
    """The forecast and per-pod capacity of one workload, in `unit`, and which signal and why (`note`)."""

    unit: str
    forecast: Forecast | Unreliable
    capacity: Capacity | Unreliable
    note: str  # "using the request rate of service shop/web", "no request-rate history for ...; using CPU"


def predict_load(
    store: Store,
    *,
    settings: PredictiveSettings,
    namespace: str,
    deployment: Mapping[str, Any],
    cpu_target: float,
    service: str | None,
    services: Iterable[Mapping[str, Any]] | None,
    now: datetime,
    cache: SeasonCache | None = None,
) -> LoadSignal:
    """Forecast and capacity of a Deployment from the signal the policy asks for; see the module docstring.

    `cache` keeps what moves once per 5-minute bucket (`_BucketMemo`) for the rest of the bucket:
    a pass every few seconds then reads the rollups and searches the parameters once per bucket.
    """
    name = str((deployment.get("metadata") or {}).get("name", ""))
    start = now - (timedelta(days=4) if settings.season != "none" else timedelta(seconds=settings.min_history * 3))
    cpu, pods, utilization = workload_history(
        store, namespace=namespace, deployment=name, cpu_request=template_cpu_request(deployment), start=start, end=now
    )

    def signal(load: Callable[[], Series], unit: str, note: str, *, recent: Series | None = None) -> LoadSignal:
        key = (namespace, name, note)  # the note names the series (which Service, or CPU)
        memo = cache.get(key) if cache is not None else None
        if memo is None or memo.bucket != math.floor(now.timestamp() / STEP):
            memo = _memo(load(), pods, utilization, settings=settings, cpu_target=cpu_target, unit=unit, now=now)
            if cache is not None:
                cache[key] = memo
        predicted = _combined(memo, settings, now, recent=recent)
        capacity = memo.capacity
        if isinstance(capacity, Unreliable) and recent:
            capacity = _recent_capacity(store, recent, deployment, now=now, cpu_target=cpu_target, unit=unit)
        return LoadSignal(unit, predicted, capacity, note)

    if settings.signal == "cpu":
        return signal(lambda: cpu, CPU_UNIT, "using CPU (signal: cpu in the policy)")
    chosen = service or service_for(deployment, services or ())
    if chosen is None:
        how = "named for" if services is None else "selects the pods of"  # no cache: only the policy names it
        missing = f"no Service {how} deployment {namespace}/{name}"
        if settings.signal == "requests":
            reason = f"{missing}; name it with service: in the policy"
            return LoadSignal(RPS_UNIT, Unreliable(reason), Unreliable(reason), f"{missing}; no request rate to use")
        return signal(lambda: cpu, CPU_UNIT, f"{missing}; using CPU")
    where, labels = f"service {namespace}/{chosen}", {"namespace": namespace, "service": chosen}

    def rates() -> Series:
        return store.series(REQUEST_RATE, labels, start=start, end=now, resolution="5m")

    recent = store.series(REQUEST_RATE, labels, start=now - RECENT, end=now, resolution="raw")
    requested = signal(rates, RPS_UNIT, f"using the request rate of {where}", recent=recent)
    if settings.signal == "requests" or not isinstance(requested.forecast, Unreliable):
        return requested
    if not recent and not rates():
        return signal(lambda: cpu, CPU_UNIT, f"no request-rate history for {where}; using CPU")
    unusable = f"request-rate history for {where} is not usable ({requested.forecast.reason}); using CPU"
    return signal(lambda: cpu, CPU_UNIT, unusable)


def _memo(
    load: Series,
    pods: Series,
    utilization: Series | None,
    *,
    settings: PredictiveSettings,
    cpu_target: float,
    unit: str,
    now: datetime,
) -> _BucketMemo:
    """What a 5-minute bucket's passes share: the seasonal forecast, the capacity, the day's peak."""
    capacity = per_pod_capacity(load, pods, utilization, target_utilization=cpu_target, unit=unit)
    day = now - timedelta(days=1)
    peak = max((value for when, value in load if when >= day), default=0.0)
    return _BucketMemo(math.floor(now.timestamp() / STEP), _seasonal(load, settings, now), capacity, peak=peak)


def _recent_capacity(
    store: Store, recent: Series, deployment: Mapping[str, Any], *, now: datetime, cpu_target: float, unit: str
) -> Capacity | Unreliable:
    """Capacity from the raw samples of the last hours: a new agent has too few 5-minute buckets."""
    meta = deployment.get("metadata") or {}
    _, pods, utilization = workload_history(
        store, namespace=str(meta.get("namespace", "")), deployment=str(meta.get("name", "")),
        cpu_request=template_cpu_request(deployment), start=now - RECENT, end=now, resolution="raw",
    )  # fmt: skip
    return per_pod_capacity(recent, pods, utilization, target_utilization=cpu_target, unit=unit)


def _seasonal(load: Series, settings: PredictiveSettings, now: datetime) -> Forecast | Unreliable:
    return forecast(
        load, now=now, horizon=settings.horizon, step=STEP, season=settings.season, min_history=settings.min_history
    )


def _combined(
    memo: _BucketMemo, settings: PredictiveSettings, now: datetime, *, recent: Series | None = None
) -> Forecast | Unreliable:
    """The 5-minute forecast (seasonal when history allows), or the minute-by-minute one when it sees more.

    Five-minute buckets learn a daily season cheaply, but a surge that began two minutes ago is
    diluted in its bucket. With raw samples of the last hours (`recent`), a trend-only forecast
    on short buckets is made too, anchored on the latest rate and on a surge's rise
    (`_near_arriving`).
    The recent forecast is used unless the 5-minute one is seasonal and predicts a higher peak
    with an 80 % interval no wider than `maxError` of it (a season it is sure of).
    """
    slow = memo.seasonal
    if not recent:
        return slow
    fast = forecast(
        recent, now=now, horizon=settings.horizon, step=max(settings.request_rate.interval, FAST_STEP), season="none",
        min_history=min(settings.min_history, RECENT.total_seconds() / 2), smoothing=memo.smoothing,
    )  # fmt: skip
    if isinstance(fast, Unreliable):
        return slow
    memo.smoothing = fast.smoothing  # searched once per bucket, reused by its later passes
    fast = _near_arriving(fast, recent, settings.horizon, peak=memo.peak)
    if isinstance(slow, Unreliable) or not slow.seasonal or max(fast.values) >= max(slow.values):
        return fast  # a trend-only 5-minute forecast sees nothing the recent one does not, only later
    # A higher seasonal peak is acted on only when the season is sure of it: on a bursty series
    # yesterday's bursts come back as wide, wandering bumps that would buy pods for nothing.
    _, peak, half_width = slow.peak()
    return slow if half_width <= settings.max_error * peak else fast


def _near_arriving(predicted: Forecast, recent: Series, horizon: float, *, peak: float = 0.0) -> Forecast:
    """The recent forecast, anchored on the rate arriving now and, at a surge's start, on its climb.

    Never below the arriving rate (the median of the last three samples, so that one noisy sample
    buys no pod): smoothing lags a step by a few buckets, and a surge must not wait for pods. At
    the start of a surge (a rise over the last `horizon`, from a load that was not rising, beyond
    the series' own noise) the load is taken to climb as much again within the horizon, but never
    past the highest load of the last day (`peak`, from 5-minute averages, or the recent hours'
    highest rate): a surge that arrived part-way through a minute, as most do, shows half its
    height first. Otherwise the forecast stays within `SURGE_HEADROOM` of the arriving rate: the
    fitted trend alone reads every step as a steep, lasting climb (50 to 220 rps as a rise past
    400), and pods bought for load that never comes stay for the HPA's scale-down window.
    """
    at = recent[-1][0]
    arriving, before, earlier = (_level(recent, at, seconds) for seconds in (0.0, horizon, 2 * horizon))
    threshold = SURGE_NOISE * _noise(recent, at)
    rise = arriving - before
    starting = rise > max(SURGE_RISE * arriving, threshold) and before - earlier <= max(SURGE_RISE * before, threshold)
    highest = max(peak, *(v for _, v in recent))
    top = max(arriving * (1 + SURGE_HEADROOM), min(arriving + rise, highest) if starting else 0.0)
    step = predicted.step

    def bounded(values: tuple[float, ...]) -> tuple[float, ...]:
        climb = (arriving + (top - arriving) * min(1.0, (i + 1) * step / horizon) for i in range(len(values)))
        floor = climb if starting else (arriving for _ in values)
        return tuple(min(max(v, low), top) for v, low in zip(values, floor, strict=True))

    values, lower, upper = (bounded(v) for v in (predicted.values, predicted.lower, predicted.upper))
    return replace(predicted, values=values, lower=lower, upper=upper)


def _level(recent: Series, at: datetime, seconds: float) -> float:
    """The load `seconds` before `at`: the median of the three samples there, so one outlier is not a surge."""
    index = next((i for i in range(len(recent) - 1, -1, -1) if (at - recent[i][0]).total_seconds() >= seconds), 0)
    return statistics.median(value for _, value in recent[max(0, index - 2) : index + 1])


def _noise(recent: Series, at: datetime) -> float:
    """The typical change between successive samples over the last hour (median absolute difference)."""
    since = at - NOISE_WINDOW
    values = [value for when, value in recent if when > since]
    changes = sorted(abs(b - a) for a, b in itertools.pairwise(values))
    return changes[len(changes) // 2] if changes else 0.0


def service_for(deployment: Mapping[str, Any], services: Iterable[Mapping[str, Any]]) -> str | None:
    """The Service whose selector matches the Deployment's pod template labels (the first by name)."""
    meta = deployment.get("metadata") or {}
    template = ((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
    labels = template.get("labels") or {}
    found = []
    for service in services:
        service_meta = service.get("metadata") or {}
        selector = (service.get("spec") or {}).get("selector") or {}
        if service_meta.get("namespace") != meta.get("namespace") or not selector:
            continue  # a Service without a selector has hand-made endpoints, not these pods
        if all(labels.get(key) == value for key, value in selector.items()):
            found.append(str(service_meta.get("name")))
    return min(found) if found else None


# -- CPU history and live usage (pure over the store's reads) --------------------------------------


def template_cpu_request(workload: Mapping[str, Any]) -> float:
    """CPU cores requested by one pod of a workload's template (0 when no container requests CPU)."""
    pod_spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return _cpu_requests(pod_spec.get("containers") or [])


def _cpu_requests(containers: Iterable[Mapping[str, Any]]) -> float:
    total = 0.0
    for container in containers:
        cpu = ((container.get("resources") or {}).get("requests") or {}).get("cpu")
        if cpu is not None:
            total += parse_quantity(cpu).as_milli() / 1000
    return total


def free_cpu(nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> float:
    """Allocatable CPU of schedulable nodes minus the requests of the pods placed on them, in cores."""
    usable = {
        n["metadata"]["name"]: parse_quantity(((n.get("status") or {}).get("allocatable") or {}).get("cpu", 0))
        for n in nodes
        if not (n.get("spec") or {}).get("unschedulable")
    }
    free = sum(q.as_milli() / 1000 for q in usable.values())
    for pod in pods:
        spec, phase = pod.get("spec") or {}, (pod.get("status") or {}).get("phase")
        if spec.get("nodeName") in usable and phase not in ("Succeeded", "Failed"):
            free -= _cpu_requests(spec.get("containers") or [])
    return max(0.0, free)


def _pod_pattern(deployment: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(deployment)}-[a-z0-9]{{1,10}}-[a-z0-9]{{5}}")


def workload_history(
    store: Store,
    *,
    namespace: str,
    deployment: str,
    cpu_request: float,
    start: datetime,
    end: datetime,
    resolution: Literal["raw", "5m"] = "5m",
) -> tuple[Series, Series, Series | None]:
    """Load (CPU cores summed over the Deployment's pods), pod count and utilization per 5-minute bucket
    (or per sample, with `resolution="raw"`).

    The store keeps usage per pod and container, without the owning workload; a Deployment's pods
    are recognised by their names (`<deployment>-<template hash>-<suffix>`), which also finds the
    pods of earlier revisions. Utilization is the fraction of the pods' CPU request in use (None
    without a request, which makes the capacity estimate unreliable rather than wrong).
    """
    pattern = _pod_pattern(deployment)
    load: dict[datetime, float] = defaultdict(float)
    members: dict[datetime, set[str]] = defaultdict(set)
    for labels in store.find_series("pod_cpu_cores", namespace=namespace):
        pod = labels.get("pod", "")
        if not pattern.fullmatch(pod):
            continue
        for at, value in store.series("pod_cpu_cores", labels, start=start, end=end, resolution=resolution):
            load[at] += value
            members[at].add(pod)
    times = sorted(load)
    loads = [(t, load[t]) for t in times]
    counts = [(t, float(len(members[t]))) for t in times]
    if cpu_request <= 0:
        return loads, counts, None
    return loads, counts, [(t, load[t] / (len(members[t]) * cpu_request)) for t in times]


def usage_replicas(
    store: Store,
    *,
    deployment: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]],
    target_utilization: int,
    now: datetime,
) -> int | None:
    """Replicas the upstream HPA algorithm gives for the latest CPU usage of the Deployment's pods.

    The pods are those of the live cache its selector matches; their usage is the latest
    `pod_cpu_cores` sample of each container within `USAGE_WINDOW`. None when there is no usage to go by.
    """
    meta, spec = deployment.get("metadata") or {}, deployment.get("spec") or {}
    namespace, selector = meta.get("namespace"), spec.get("selector")
    mine = [
        p
        for p in pods
        if (p.get("metadata") or {}).get("namespace") == namespace
        and selects(selector, (p.get("metadata") or {}).get("labels") or {})
    ]
    if not mine or not namespace:
        return None
    names = {str(p["metadata"]["name"]) for p in mine}
    latest: dict[str, dict[str, tuple[datetime, float]]] = defaultdict(dict)
    for labels in store.find_series("pod_cpu_cores", namespace=namespace):
        pod = labels.get("pod", "")
        if pod not in names:
            continue
        points = store.series("pod_cpu_cores", labels, start=now - USAGE_WINDOW, end=now)
        if points:
            latest[pod][labels.get("container", "")] = points[-1]
    usage = [
        PodUsage(
            pod=pod,
            timestamp=max(at for at, _ in containers.values()),
            window_seconds=15.0,  # metrics-server's resolution; only the CPU readiness rule reads it
            containers=tuple(
                ContainerUsage(name, {"cpu": math.ceil(cores * 1000)}) for name, (_, cores) in containers.items()
            ),
        )
        for pod, containers in sorted(latest.items())
    ]
    if not usage:
        return None
    result = resource_replicas(
        current_replicas=int(spec.get("replicas") or 0),
        target_utilization=target_utilization,
        resource="cpu",
        usage=usage,
        pods=[pod_info_from_object(p) for p in mine],
        now=now,
    )
    return result.replicas if isinstance(result, ReplicaProposal) else None
