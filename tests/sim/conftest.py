from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx2
import pytest

from kaido.core import ManualClock
from kaido.sim.app import create_app
from kaido.sim.cluster import SimCluster
from kaido.sim.server import SimServer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def cluster(clock: ManualClock) -> SimCluster:
    return SimCluster(clock=clock, seed=7, history_limit=200, bookmark_interval=0.2)


@pytest.fixture
async def client(cluster: SimCluster) -> AsyncIterator[httpx2.AsyncClient]:
    """The app in-process: no socket, responses are buffered (use timeoutSeconds for watches)."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(cluster)), base_url="http://sim") as c:
        yield c


@pytest.fixture
async def tcp(cluster: SimCluster) -> AsyncIterator[httpx2.AsyncClient]:
    """The app over real TCP in the test's loop, for streaming watches and logs."""
    server = SimServer(cluster, port=0)
    await server.start()
    async with httpx2.AsyncClient(base_url=server.url, timeout=10) as c:
        yield c
    server.stop()
    await server.wait_stopped()
