"""Shared test setup, and the client fixture of every directory whose conftest starts a `sim`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kaido.kube.client import Kube
from tests.support.sim import SimThread

_idle_loop: asyncio.AbstractEventLoop | None = None


def pytest_configure(config: pytest.Config) -> None:
    # pytest-asyncio asks for the "current" loop around each async test; on Python 3.11 that call
    # creates one implicitly and never closes it, which `filterwarnings = error` turns into a
    # failure of whichever test the garbage collector happens to run in. An explicit, closed loop
    # avoids that.
    global _idle_loop  # noqa: PLW0603 - one loop for the session, owned by these two hooks
    _idle_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(_idle_loop)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _idle_loop is not None:
        asyncio.set_event_loop(None)
        _idle_loop.close()


@pytest.fixture
async def kube(sim: SimThread) -> AsyncIterator[Kube]:
    """A client of the directory's or module's `sim` (directories that need other options define their own)."""
    async with await Kube.connect(kubeconfig=sim.kubeconfig) as client:
        yield client
