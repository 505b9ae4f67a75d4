"""A running simulated cluster over HTTP, a real client, a real audit store, and executors on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from kaido.core.clock import RealClock
from kaido.kube.client import Kube
from kaido.kube.resources import NAMESPACES
from kaido.remediate.executor import Executor
from kaido.remediate.ports import ClusterWriter
from kaido.remediate.ratelimit import Limit, RateLimiter
from kaido.store import Store
from tests.support.sim import SimThread, fast_control_plane

MakeExecutor = Callable[..., Executor]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    thread = fast_control_plane(tmp_path_factory.mktemp("remediate") / "kubeconfig", seed=21)
    yield thread
    thread.stop()


@pytest.fixture
async def ns(kube: Kube, request: pytest.FixtureRequest) -> str:
    """A fresh namespace per test, so tests share the cluster but not objects."""
    name = f"t{abs(hash(request.node.nodeid)) % 10**8}"
    await kube.create(NAMESPACES, {"metadata": {"name": name}})
    return name


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "kaido.db"


@pytest.fixture
async def store(store_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(store_path, clock=RealClock()) as opened:
        yield opened


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def make_executor(kube: Kube, store: Store, registry: CollectorRegistry) -> MakeExecutor:
    """An executor on the test's client and store; keyword arguments override the defaults."""

    def make(
        *,
        writer: ClusterWriter | None = None,
        on: Store | None = None,
        leader: bool = True,
        paused: bool = False,
        limiter: RateLimiter | None = None,
        metrics: CollectorRegistry | None = None,
    ) -> Executor:
        return Executor(
            writer or kube,
            on or store,
            clock=RealClock(),
            identity="kaido-0",
            is_leader=lambda: leader,
            paused=lambda: paused,
            limiter=limiter or RateLimiter(global_limit=Limit(100, 60), per_workload=Limit(50, 60)),
            registry=metrics or registry,
        )

    return make
