"""Fixtures for kaido.kube: a simulator over real TCP per module, a connected client, a fresh namespace.

The simulator runs in its own thread (tests/support/sim.py), so a test's client really speaks HTTP
with a kubeconfig, as the agent does in a cluster. Fault switches set by a test are reset after it.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from kaido.kube.client import Kube
from kaido.kube.errors import RetryPolicy
from kaido.kube.resources import NAMESPACES
from kaido.sim.cluster import SimCluster
from kaido.sim.faults import Faults, parse_faults
from tests.support.sim import SimThread

# quick retries keep the fault tests fast; Retry-After (1 s from the simulator) is capped the same way
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.05)
_names = itertools.count()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    cluster = SimCluster(seed=3, history_limit=40, bookmark_interval=0.2)
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("kube") / "kubeconfig", cluster=cluster).start()
    yield thread
    thread.stop()


@pytest.fixture
def faults(sim: SimThread) -> Iterator[Callable[[str | None], None]]:
    """`faults("error-rate=1.0,error-codes=500")` switches the simulator's faults on for this test."""

    def switch(spec: str | None) -> None:
        chosen = parse_faults(spec, seed=1)
        sim.call(lambda: setattr(sim.cluster, "faults", chosen))

    yield switch
    sim.call(lambda: setattr(sim.cluster, "faults", Faults()))


@pytest.fixture
async def kube(sim: SimThread) -> AsyncIterator[Kube]:
    client = await Kube.connect(kubeconfig=sim.kubeconfig, timeout=10, retry=FAST_RETRY)
    async with client:
        yield client


@pytest.fixture
async def namespace(kube: Kube) -> str:
    """A namespace of its own for each test, so tests sharing a simulator do not see each other's objects."""
    name = f"t{next(_names)}"
    await kube.create(NAMESPACES, {"metadata": {"name": name}})
    return name
