"""Request rates into the store: the simulator's counters, Prometheus' answers, and the policy for them.

The exposition parsing, the counter arithmetic and the query parsing are pure and tested on text
and JSON. The simulator source runs against a scenario with a constant 20 requests per second,
in process on virtual time (as benchmarks run the agent); the Prometheus source against Debian's
Prometheus scraping a simulator served over TCP.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from kaido.config import Policy, PolicyError, parse_policy
from kaido.controllers.requests import (
    REQUEST_RATE,
    CounterRates,
    RequestRateError,
    RequestRates,
    counters_as_of,
    parse_query_result,
    request_counters,
)
from kaido.core.clock import ManualClock, RealClock
from kaido.kube.client import Kube
from kaido.sim.app import create_app
from kaido.sim.cluster import SimCluster
from kaido.sim.scenario import RunningScenario, Scenario
from kaido.store import Store
from tests.support.agent import free_port
from tests.support.prometheus import PrometheusProcess, running_prometheus
from tests.support.sim import SimThread

# Recent: the store drops raw samples older than its retention (24 h) by the real clock.
T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
STEADY = """
apiVersion: kaido.io/v1alpha1
kind: Scenario
metadata: {name: steady}
spec:
  nodes: 2
  images:
    shop/web:
      kind: web
      ports: [8080]
      readyAfter: 2
      memory: 64Mi
      cpu: 5m
      cpuPerRequest: 2m
  traffic:
    - service: web
      namespace: shop
      profile: {constant: 20}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def policy(source: str = "simulator", **rate: str) -> Policy:
    fields = "".join(f", {key}: '{value}'" for key, value in rate.items())
    return parse_policy(f"scaling: {{predictive: {{requestRate: {{source: {source}{fields}}}}}}}", source="test")


# -- the exposition and the counter arithmetic -----------------------------------------------------

PAGE = """# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{namespace="shop",pod="web-1",container="web",node="n1"} 12.5
# HELP kaido_sim_http_requests_total HTTP requests a pod of the service answered, by status code.
# TYPE kaido_sim_http_requests_total counter
kaido_sim_http_requests_total{namespace="shop",service="web",pod="web-1",code="200"} 100
kaido_sim_http_requests_total{namespace="shop",service="web",pod="web-1",code="500"} 3
kaido_sim_http_requests_total{namespace="shop",service="web",pod="web-2",code="200"} 97
kaido_sim_http_requests_total{namespace="shop",service="api \\"v2\\"",pod="api-1",code="200"} 7
# HELP kaido_sim_http_request_duration_seconds Duration of the HTTP requests the service answered.
# TYPE kaido_sim_http_request_duration_seconds histogram
kaido_sim_http_request_duration_seconds_bucket{namespace="shop",service="web",le="+Inf"} 200
kaido_sim_http_request_duration_seconds_sum{namespace="shop",service="web"} 4.5
kaido_sim_http_request_duration_seconds_count{namespace="shop",service="web"} 200
"""


def series(**pods: float) -> dict[tuple[tuple[str, str], ...], float]:
    """Counter values keyed as `request_counters` keys them, one 200-series per pod."""
    return {(("code", "200"), ("pod", pod)): value for pod, value in pods.items()}


def test_the_exposition_gives_each_series_of_the_counter_by_service() -> None:
    counters = request_counters(PAGE)
    assert set(counters) == {("shop", "web"), ("shop", 'api "v2"')}
    assert counters["shop", "web"] == {
        (("code", "200"), ("pod", "web-1")): 100.0,
        (("code", "500"), ("pod", "web-1")): 3.0,
        (("code", "200"), ("pod", "web-2")): 97.0,
    }


def test_the_counters_moment_is_read_from_the_page() -> None:
    page = (
        "# TYPE kaido_sim_http_requests_as_of_seconds gauge\n"
        "kaido_sim_http_requests_as_of_seconds_other{} 1\n"
        "kaido_sim_http_requests_as_of_seconds{} 1772409605.5\n"
    )
    assert counters_as_of(page) == datetime(2026, 3, 2, 0, 0, 5, 500000, tzinfo=UTC)
    assert counters_as_of("kaido_sim_http_requests_total{} 1\n") is None  # an older simulator: the read's time
    with pytest.raises(RequestRateError, match="malformed kaido_sim_http_requests_as_of_seconds"):
        counters_as_of("kaido_sim_http_requests_as_of_seconds{} soon\n")


def test_a_span_shorter_than_the_minimum_waits_for_the_next_reading() -> None:
    rates = CounterRates(min_seconds=2.5)
    rates.update({("shop", "web"): series(a=100)}, at=T0)
    # Counted again only 0.5 s later (the simulator rounds short spans): no rate, the base stays.
    assert rates.update({("shop", "web"): series(a=102)}, at=T0 + timedelta(seconds=0.5)) == {}
    later = rates.update({("shop", "web"): series(a=200)}, at=T0 + timedelta(seconds=5))
    assert later == {("shop", "web"): pytest.approx(100 / 5)}


def test_a_page_that_is_not_the_text_format_is_an_error() -> None:
    with pytest.raises(RequestRateError, match="not Prometheus text format"):
        request_counters('kaido_sim_http_requests_total{namespace="shop" 1\n')


def test_rates_are_increases_over_the_time_between_readings() -> None:
    rates = CounterRates()
    assert rates.update({("shop", "web"): series(a=100, b=50)}, at=T0) == {}  # the first reading is the base
    later = rates.update({("shop", "web"): series(a=400, b=350)}, at=T0 + timedelta(seconds=30))
    assert later == {("shop", "web"): pytest.approx(20.0)}


def test_a_vanished_pod_is_not_a_reset_and_a_new_pod_counts_from_zero() -> None:
    rates = CounterRates()
    rates.update({("shop", "web"): series(a=10_000, b=300)}, at=T0)
    # Pod a (the big total) is gone: the per-Service sum drops, but b's and c's increases are real.
    after = rates.update({("shop", "web"): series(b=600, c=300)}, at=T0 + timedelta(seconds=30))
    assert after == {("shop", "web"): pytest.approx((300 + 300) / 30)}
    assert rates.resets == []


def test_a_counter_that_went_down_skips_that_interval_only() -> None:
    rates = CounterRates()
    rates.update({("shop", "web"): series(a=500, b=500), ("shop", "api"): series(x=10)}, at=T0)
    reset = rates.update(
        {("shop", "web"): series(a=20, b=800), ("shop", "api"): series(x=40)}, at=T0 + timedelta(seconds=30)
    )
    assert reset == {("shop", "api"): pytest.approx(1.0)}  # web skipped, api unaffected
    assert rates.resets == [("shop", "web")]
    # The reading after the reset is the new base: the next interval has a rate again.
    again = rates.update({("shop", "web"): series(a=320, b=1100)}, at=T0 + timedelta(seconds=60))
    assert again[("shop", "web")] == pytest.approx(20.0)


def test_a_service_that_disappears_starts_from_a_new_base() -> None:
    rates = CounterRates()
    rates.update({("shop", "web"): series(a=100)}, at=T0)
    assert rates.update({}, at=T0 + timedelta(seconds=30)) == {}
    assert rates.update({("shop", "web"): series(a=5_000)}, at=T0 + timedelta(seconds=60)) == {}


# -- Prometheus' answers ---------------------------------------------------------------------------

QUERY = "sum by (namespace, service) (rate(kaido_sim_http_requests_total[2m]))"


def vector(*results: dict[str, Any]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": list(results)}}


def test_a_vector_gives_one_rate_per_service() -> None:
    body = vector(
        {"metric": {"namespace": "shop", "service": "web"}, "value": [1700000000.0, "19.75"]},
        {"metric": {"namespace": "shop", "service": "idle"}, "value": [1700000000.0, "NaN"]},
    )
    assert parse_query_result(body, query=QUERY) == {("shop", "web"): 19.75}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"status": "error", "errorType": "bad_data", "error": "parse error"},
            "refused the query .*bad_data: parse error",
        ),
        ({"status": "success", "data": {"resultType": "matrix", "result": []}}, "not an instant vector"),
        (vector({"metric": {"job": "sim"}, "value": [0, "3"]}), "without namespace and service labels"),
        (vector({"metric": {"namespace": "shop", "service": "web"}, "value": "3"}), "cannot read"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_answers_kaido_cannot_use_are_errors_that_say_why(body: Any, message: str) -> None:
    with pytest.raises(RequestRateError, match=message):
        parse_query_result(body, query=QUERY)


# -- the policy ------------------------------------------------------------------------------------


def test_the_policy_defaults_and_rejections() -> None:
    default = Policy().scaling.predictive
    assert (default.signal, default.request_rate.source, default.request_rate.interval) == ("auto", "none", 30.0)
    assert default.request_rate.query == QUERY
    with pytest.raises(PolicyError, match=r"requestRate\.sauce: unknown key; did you mean 'source'"):
        parse_policy("scaling: {predictive: {requestRate: {sauce: simulator}}}", source="test")
    with pytest.raises(PolicyError, match=r"requestRate: url: required when source is prometheus"):
        parse_policy("scaling: {predictive: {requestRate: {source: prometheus}}}", source="test")
    with pytest.raises(PolicyError, match=r"requestRate\.url: 'prometheus:9090' is not an http\(s\) URL"):
        parse_policy("scaling: {predictive: {requestRate: {source: prometheus, url: 'prometheus:9090'}}}", source="t")
    with pytest.raises(PolicyError, match=r"predictive\.signal"):
        parse_policy("scaling: {predictive: {signal: latency}}", source="test")
    given = policy("prometheus", url="http://prometheus.monitoring:9090/").scaling.predictive.request_rate
    assert given.url == "http://prometheus.monitoring:9090"


# -- the simulator source, in process on virtual time ----------------------------------------------


class InProcess:
    """The steady scenario on a ManualClock, and a Kube talking to it without sockets."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.cluster = SimCluster(clock=self.clock, seed=7)
        self.running: RunningScenario = Scenario.from_text(STEADY, source="steady").start(self.cluster, tick=1.0)
        transport = httpx2.ASGITransport(app=create_app(self.cluster))
        self.kube = Kube(httpx2.AsyncClient(transport=transport, base_url="http://sim"), clock=self.clock)


@pytest.fixture
async def sim() -> AsyncIterator[InProcess]:
    cluster = InProcess()
    await cluster.running.runtime.advance(30)  # pods scheduled, started and ready
    yield cluster
    await cluster.kube.close()


async def test_the_simulator_source_stores_a_rate_that_tracks_the_traffic(sim: InProcess, store: Store) -> None:
    collector = RequestRates(kube=sim.kube, store=store, clock=sim.clock, policy=lambda: policy("simulator"))
    assert await collector.collect() == {}  # the base
    seen = []
    for _ in range(4):
        await sim.running.runtime.advance(30)
        rates = await collector.collect()
        seen.append(rates[("shop", "web")])
    assert all(abs(rate - 20) <= 2 for rate in seen), seen  # a constant 20 rps, within 10 %
    await store.flush()
    stored = store.series(REQUEST_RATE, {"namespace": "shop", "service": "web"}, start=T0, end=sim.clock.now())
    assert [value for _, value in stored] == pytest.approx(seen)
    assert stored[-1][0] == sim.clock.now()
    assert sim.kube.requests[("get", "/metrics")] == 5
    assert collector.error is None


async def test_run_reads_on_the_agents_clock(sim: InProcess, store: Store) -> None:
    collector = RequestRates(kube=sim.kube, store=store, clock=sim.clock, policy=lambda: policy("simulator"))
    task = asyncio.create_task(collector.run())
    try:
        await wait_until(lambda: sim.kube.requests.get(("get", "/metrics")) == 1, what="the first read")
        await asyncio.sleep(0.2)  # real time passes; the virtual 30 s interval does not
        assert sim.kube.requests[("get", "/metrics")] == 1
        await sim.running.runtime.advance(30)
        await wait_until(lambda: ("shop", "web") in collector.latest, what="a rate after one virtual interval")
        assert abs(collector.latest[("shop", "web")] - 20) <= 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_namespaces_the_policy_denies_are_not_stored(sim: InProcess, store: Store) -> None:
    denied = parse_policy(
        "namespaces: {deny: [shop]}\nscaling: {predictive: {requestRate: {source: simulator}}}", source="test"
    )
    collector = RequestRates(kube=sim.kube, store=store, clock=sim.clock, policy=lambda: denied)
    await collector.collect()
    await sim.running.runtime.advance(30)
    assert await collector.collect() == {}
    await store.flush()
    assert store.find_series(REQUEST_RATE) == []


async def test_source_none_reads_nothing(sim: InProcess, store: Store) -> None:
    collector = RequestRates(kube=sim.kube, store=store, clock=sim.clock, policy=lambda: policy("none"))
    assert await collector.collect() == {}
    assert ("get", "/metrics") not in sim.kube.requests


async def wait_until(check: Any, *, what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.01)


# -- the Prometheus source -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def steady_over_tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    """The steady scenario served over TCP in real time, for Prometheus to scrape."""
    folder = tmp_path_factory.mktemp("steady")
    scenario = folder / "steady.yaml"
    scenario.write_text(STEADY)
    thread = SimThread(kubeconfig=folder / "kubeconfig", scenario=scenario).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def prometheus(steady_over_tcp: SimThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    target = steady_over_tcp.url.removeprefix("http://")
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), targets=[target]) as prom:
        yield prom


@pytest.mark.slow
async def test_the_prometheus_source_reads_the_rate_prometheus_computes(
    prometheus: PrometheusProcess, store: Store
) -> None:
    # rate() divides by the whole range, so a short one settles within seconds of the pods' first requests.
    settings = policy("prometheus", url=prometheus.url, query=QUERY.replace("[2m]", "[4s]"))
    async with httpx2.AsyncClient() as http:
        collector = RequestRates(
            kube=_unused_kube(), store=store, clock=RealClock(), policy=lambda: settings, http=http
        )
        deadline = time.monotonic() + 30
        rates: dict[tuple[str, str], float] = {}
        # Prometheus needs a few scrapes of the pods (ready after 2 s) before its rate settles.
        while time.monotonic() < deadline:
            rates = await collector.collect()
            if abs(rates.get(("shop", "web"), 0) - 20) <= 4:
                break
            await asyncio.sleep(0.5)
    assert abs(rates.get(("shop", "web"), 0) - 20) <= 4, (rates, collector.error, prometheus.log.read_text()[-500:])
    assert collector.error is None
    await store.flush()
    assert store.find_series(REQUEST_RATE) == [{"namespace": "shop", "service": "web"}]


@pytest.mark.slow
async def test_a_query_without_the_labels_is_reported_once_and_does_not_stop_collection(
    prometheus: PrometheusProcess, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    settings = policy("prometheus", url=prometheus.url, query="sum(rate(kaido_sim_http_requests_total[2m]))")
    async with httpx2.AsyncClient() as http:
        collector = RequestRates(
            kube=_unused_kube(), store=store, clock=RealClock(), policy=lambda: settings, http=http
        )
        with caplog.at_level(logging.WARNING, logger="kaido.controllers.requests"):
            deadline = time.monotonic() + 30
            while collector.error is None and time.monotonic() < deadline:
                assert await collector.collect() == {}
                await asyncio.sleep(0.5)  # an empty vector until the first scrapes arrive
            assert await collector.collect() == {}
    assert collector.error is not None and "without namespace and service labels" in collector.error
    warnings = [r.getMessage() for r in caplog.records if "request rates unavailable" in r.getMessage()]
    assert len(warnings) == 1, warnings


async def test_an_unreachable_prometheus_is_an_error_naming_the_url(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = policy("prometheus", url=url)
    async with httpx2.AsyncClient() as http:
        collector = RequestRates(
            kube=_unused_kube(), store=store, clock=RealClock(), policy=lambda: settings, http=http
        )
        with caplog.at_level(logging.WARNING, logger="kaido.controllers.requests"):
            for _ in range(3):
                assert await collector.collect() == {}
    assert collector.error is not None
    assert f"cannot reach Prometheus at {url}" in collector.error
    assert "requestRate.url" in collector.error
    assert sum("request rates unavailable" in r.getMessage() for r in caplog.records) == 1


def _unused_kube() -> Kube:
    """The Prometheus source never calls the API server; a client to nowhere proves it."""
    return Kube(httpx2.AsyncClient(base_url="http://127.0.0.1:9"))
