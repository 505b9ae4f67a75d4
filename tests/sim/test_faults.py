from __future__ import annotations

import asyncio
import json

import httpx2
import pytest

from kaido.sim.cluster import SimCluster
from kaido.sim.faults import parse_faults

CM = "/api/v1/namespaces/default/configmaps"


def test_spec_parsing() -> None:
    faults = parse_faults("drop-watch=30s,error-rate=0.05,error-codes=503/429,expire-rv=2m,latency=50ms")
    assert faults.drop_watch_after == 30
    assert faults.error_rate == 0.05
    assert faults.error_codes == (503, 429)
    assert faults.expire_every == 120
    assert faults.latency == pytest.approx(0.05)
    assert not parse_faults(None).active


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("drop-watch", "needs a value"),
        ("bogus=1", "unknown switch 'bogus'"),
        ("error-rate=2", "between 0 and 1"),
        ("error-codes=418", "must be one of"),
        ("latency=fast", "not a duration"),
    ],
)
def test_bad_specs_name_the_switch(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


async def test_error_rate_answers_statuses_with_retry_after(client: httpx2.AsyncClient, cluster: SimCluster) -> None:
    cluster.faults = parse_faults("error-rate=0.5,error-codes=429", seed=1)
    codes = [(await client.get(CM)).status_code for _ in range(200)]
    assert 60 < codes.count(429) < 140
    assert set(codes) == {200, 429}
    failing = next(r for r in [await client.get(CM) for _ in range(20)] if r.status_code == 429)
    assert failing.headers["retry-after"] == "1"
    assert failing.json()["reason"] == "TooManyRequests"
    assert (await client.get("/healthz")).status_code == 200  # never faulted


async def test_dropped_watch_ends_the_stream(tcp: httpx2.AsyncClient, cluster: SimCluster) -> None:
    cluster.faults = parse_faults("drop-watch=300ms")
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await tcp.get(CM, params={"watch": "true", "resourceVersion": "1"})
    assert response.status_code == 200
    assert loop.time() - started < 5


async def test_early_expiry_makes_resumes_fail_with_410(client: httpx2.AsyncClient, cluster: SimCluster) -> None:
    rv = (await client.post(CM, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})).json()
    cluster.faults = parse_faults("expire-rv=1ms")
    await asyncio.sleep(0.01)
    await client.post(CM, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})
    await asyncio.sleep(0.01)
    response = await client.get(CM, params={"watch": "true", "resourceVersion": rv["metadata"]["resourceVersion"]})
    event = json.loads(response.text.splitlines()[0])
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
