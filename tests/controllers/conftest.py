"""Fixtures the scaler's tests share: a fast simulator per module and a fresh store.

The client of the simulator, `kube`, is the one in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kaido.core.clock import RealClock
from kaido.store import Store
from tests.support.sim import SimThread, fast_control_plane


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[SimThread]:
    thread = fast_control_plane(
        tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "kubeconfig", seed=7
    )
    yield thread
    thread.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "kaido.db", clock=RealClock()) as opened:
        yield opened
