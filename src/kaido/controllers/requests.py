"""Request rates per Service into the store: the load signal predictive scaling prefers over CPU.

Every `scaling.predictive.requestRate.interval` one rate per (namespace, Service) is written as a
sample of `service_requests_per_second{namespace, service}`, from one of two sources:

- **simulator**: the API server's `/metrics` page (the simulator's exposition), read through
  `kaido.kube`. Its counter `kaido_sim_http_requests_total` has one series per Service, pod and
  status code, so the rate is the sum of each series' increase between two reads over the time
  between them. Summing increases per series, rather than differencing the per-Service total,
  keeps a pod that went away from reading as a drop: its series is simply no longer there. A
  series that appears (a new pod, a first 5xx) counts from zero. A series that went down was reset
  (its process restarted): that Service's interval is skipped rather than guessed. The time is
  the page's `kaido_sim_http_requests_as_of_seconds` (when the kubelet last counted), not the
  read's: the kubelet counts at its own ticks and after changes, and dividing by the time between
  reads would swing with their phase. A span under half the interval waits for the next read.
- **prometheus**: an instant query (`query`, by default a `sum by (namespace, service)` of the
  same counter's `rate`) to Prometheus' HTTP API. Prometheus handles resets and vanished pods.

Time is the agent's clock, never the event loop's: benchmarks run the agent on virtual time. A
source that fails (unreachable, a malformed answer, a query without the labels) is logged once
per change of the problem and kept in `error`; the collector keeps trying every interval.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from kaido.config import Policy
from kaido.config.scaling import RequestRateSettings
from kaido.core.clock import Clock
from kaido.core.errors import KaidoError
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError
from kaido.store import Store
from kaido.store.records import Sample

__all__ = [
    "REQUEST_RATE",
    "SIM_COUNTER",
    "CounterRates",
    "RequestRateError",
    "RequestRates",
    "ServiceKey",
    "counters_as_of",
    "parse_query_result",
    "request_counters",
]

log = logging.getLogger(__name__)

REQUEST_RATE: Final = "service_requests_per_second"  # the store's series, labels {namespace, service}
SIM_COUNTER: Final = "kaido_sim_http_requests_total"
SIM_AS_OF: Final = "kaido_sim_http_requests_as_of_seconds"
SIM_METRICS_PATH: Final = "/metrics"

ServiceKey = tuple[str, str]  # (namespace, service)
SeriesKey = tuple[tuple[str, str], ...]  # the other labels of one counter series (pod, code), sorted
Counters = dict[ServiceKey, dict[SeriesKey, float]]


class RequestRateError(KaidoError):
    """A request-rate source answered something kaido cannot use, or could not be reached."""


# -- the simulator's exposition (pure) -----------------------------------------------------------


def request_counters(text: str, *, metric: str = SIM_COUNTER) -> Counters:
    """Each series of the counter `metric` in an exposition page, grouped by (namespace, service)."""
    found: Counters = {}
    # Only the counter's own lines are parsed: the page has hundreds of other series.
    family_name = metric.removesuffix("_total")
    own = "\n".join(line for line in text.splitlines() if line.startswith(family_name))
    try:
        for family in text_string_to_metric_families(own):
            for sample in family.samples:
                if sample.name != metric:
                    continue
                labels = dict(sample.labels)
                namespace, service = labels.pop("namespace", None), labels.pop("service", None)
                if not namespace or not service or not math.isfinite(sample.value):
                    continue
                found.setdefault((namespace, service), {})[tuple(sorted(labels.items()))] = float(sample.value)
    except ValueError as error:
        raise RequestRateError(f"the /metrics page is not Prometheus text format: {error}") from error
    return found


def counters_as_of(text: str, *, metric: str = SIM_AS_OF) -> datetime | None:
    """The moment the simulator's request counters were last brought up to date; None when the page has none."""
    for line in text.splitlines():
        if line.startswith(metric):
            name, _, value = line.partition(" ")
            if name.removesuffix("{}") != metric:
                continue  # another metric with this prefix
            try:
                seconds = float(value.split()[0])
            except (IndexError, ValueError):
                raise RequestRateError(f"the /metrics page has a malformed {metric}: {line!r}") from None
            return datetime.fromtimestamp(seconds, UTC) if math.isfinite(seconds) else None
    return None


@dataclass
class CounterRates:
    """Successive counter readings turned into one rate per Service; see the module docstring."""

    _last: dict[ServiceKey, tuple[datetime, dict[SeriesKey, float]]] = field(default_factory=dict)
    resets: list[ServiceKey] = field(default_factory=list)  # Services whose latest interval was skipped
    # A shorter span is left to the next reading: the simulator rounds the requests of short spans.
    min_seconds: float = 0.0

    def update(self, counters: Counters, *, at: datetime) -> dict[ServiceKey, float]:
        """Requests per second of each Service since its previous reading; a first reading only sets the base."""
        rates: dict[ServiceKey, float] = {}
        self.resets = []
        for key, series in counters.items():
            before = self._last.get(key)
            self._last[key] = (at, series)
            if before is None:
                continue
            then, previous = before
            seconds = (at - then).total_seconds()
            if seconds <= 0 or seconds < self.min_seconds:
                self._last[key] = before  # nothing new, or too little: keep the older base
                continue
            increase, reset = 0.0, False
            for name, value in series.items():
                delta = value - previous.get(name, 0.0)
                if delta < 0:
                    reset = True
                    break
                increase += delta
            if reset:
                self.resets.append(key)
                continue
            rates[key] = increase / seconds
        for gone in set(self._last) - set(counters):
            del self._last[gone]  # no series left: the Service is gone or has no live pod
        return rates


# -- Prometheus' HTTP API (pure) -----------------------------------------------------------------


def parse_query_result(body: Any, *, query: str) -> dict[ServiceKey, float]:
    """The rates in an instant-query answer (`/api/v1/query`), one per (namespace, service) label pair."""
    if not isinstance(body, Mapping):
        raise RequestRateError(f"Prometheus answered {type(body).__name__}, not a JSON object")
    if body.get("status") != "success":
        kind, text = body.get("errorType", "error"), body.get("error", "no error text")
        raise RequestRateError(f"Prometheus refused the query {query!r}: {kind}: {text}")
    data = body.get("data") or {}
    if data.get("resultType") != "vector":
        raise RequestRateError(
            f"the query {query!r} gives a {data.get('resultType')!r}, not an instant vector; "
            "write it as `sum by (namespace, service) (rate(...[2m]))`"
        )
    rates: dict[ServiceKey, float] = {}
    for item in data.get("result") or []:
        labels = item.get("metric") or {}
        namespace, service = labels.get("namespace"), labels.get("service")
        if not namespace or not service:
            raise RequestRateError(
                f"the query {query!r} gives a series without namespace and service labels ({labels}); "
                "aggregate with `sum by (namespace, service) (...)`"
            )
        try:
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise RequestRateError(f"Prometheus sent a sample kaido cannot read: {item!r}") from error
        if math.isfinite(value):
            rates[namespace, service] = max(0.0, value)
    return rates


# -- the collector -------------------------------------------------------------------------------


class RequestRates:
    """Reads request rates from the policy's source every interval and stores them; `run()` until cancelled."""

    def __init__(
        self,
        *,
        kube: Kube,
        store: Store,
        clock: Clock,
        policy: Callable[[], Policy],
        http: httpx2.AsyncClient | None = None,
        scopes: tuple[str | None, ...] = (None,),
        on_rates: Callable[[], None] = lambda: None,
    ) -> None:
        self._kube, self._store, self._clock, self._policy, self._http = kube, store, clock, policy, http
        self._on_rates = on_rates  # called once new rates are in the store
        self._scopes = scopes
        self._counters = CounterRates()
        self._source: tuple[str, str | None, str] | None = None  # what the counters were read from
        self.error: str | None = None
        self.latest: dict[ServiceKey, float] = {}  # the rates written last

    async def run(self) -> None:
        while True:
            interval = self._policy().scaling.predictive.request_rate.interval
            try:
                await self.collect()
            except Exception:
                # One bad read (a store write, an odd page) must not stop the collection for good.
                log.exception("reading request rates failed; trying again in %.0f s", interval)
            await self._clock.sleep(interval)

    async def collect(self) -> dict[ServiceKey, float]:
        """One read: the rates stored (empty when the source is off, failed, or this was a first reading)."""
        policy = self._policy()
        settings = policy.scaling.predictive.request_rate
        source = (settings.source, settings.url, settings.query)
        if source != self._source:  # a new source starts a new base
            self._counters, self._source = CounterRates(min_seconds=settings.interval / 2), source
        if settings.source == "none":
            self._report(None)
            return {}
        try:
            rates = await self._read(settings)
        except RequestRateError as error:
            self._report(str(error))
            return {}
        self._report(None)
        now = self._clock.now()
        kept = {key: rate for key, rate in rates.items() if self._admits(policy, key[0])}
        samples = [
            Sample(REQUEST_RATE, (("namespace", ns), ("service", service)), now, rate)
            for (ns, service), rate in sorted(kept.items())
        ]
        await self._store.add_samples(samples)
        self.latest = kept
        if kept:
            self._on_rates()
        return kept

    async def _read(self, settings: RequestRateSettings) -> dict[ServiceKey, float]:
        if settings.source == "simulator":
            try:
                text = await self._kube.get_raw(SIM_METRICS_PATH)
            except KubeError as error:
                raise RequestRateError(
                    f"cannot read the simulator's request counters: {error}; requestRate.source simulator "
                    "works against `kaido sim` only (use prometheus on a real cluster)"
                ) from error
            counters = request_counters(text)
            if not counters and SIM_COUNTER not in text:
                raise RequestRateError(
                    f"{self._kube.server}{SIM_METRICS_PATH} has no {SIM_COUNTER}; is the API server `kaido sim`? "
                    "On a real cluster set requestRate.source to prometheus"
                )
            # The counters are complete as of the kubelet's last count, not as of this read.
            rates = self._counters.update(counters, at=counters_as_of(text) or self._clock.now())
            for key in self._counters.resets:
                log.info("request counter of service %s/%s went down (a reset); skipping this interval", *key)
            return rates
        return await self._query_prometheus(settings)

    async def _query_prometheus(self, settings: RequestRateSettings) -> dict[ServiceKey, float]:
        assert settings.url is not None  # the policy requires it for this source
        if self._http is None:
            raise RequestRateError("requestRate.source prometheus needs an HTTP client; none was given to the agent")
        url = f"{settings.url}/api/v1/query"
        try:
            response = await self._http.get(url, params={"query": settings.query}, timeout=10.0)
        except httpx2.HTTPError as error:
            raise RequestRateError(
                f"cannot reach Prometheus at {settings.url} ({error or type(error).__name__}); "
                "check scaling.predictive.requestRate.url and that Prometheus is running"
            ) from error
        try:
            body = response.json()
        except ValueError as error:
            raise RequestRateError(
                f"GET {url} answered HTTP {response.status_code} with a body that is not JSON; "
                "is requestRate.url Prometheus' base URL?"
            ) from error
        return parse_query_result(body, query=settings.query)

    def _admits(self, policy: Policy, namespace: str) -> bool:
        in_scope = None in self._scopes or namespace in self._scopes
        return in_scope and policy.namespaces.admits(namespace)

    def _report(self, problem: str | None) -> None:
        """Log a problem once when it appears or changes, and once when it clears."""
        if problem == self.error:
            return
        if problem is not None:
            log.warning("request rates unavailable: %s", problem)
        else:
            log.info("request rates are read again")
        self.error = problem
