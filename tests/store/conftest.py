"""Fixtures for the store tests: a manual clock and a file-backed store in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kaido.core import ManualClock
from kaido.store import ActionRecord, IncidentRecord, Sample, Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)  # on a day boundary, so 5m and 1h buckets start at T0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kaido.db"


@pytest.fixture
async def store(db: Path, clock: ManualClock) -> AsyncIterator[Store]:
    s = await Store.open(db, clock=clock)
    yield s
    await s.close()


def cpu(pod: str, seconds: float, value: float, *, namespace: str = "shop") -> Sample:
    """A pod CPU sample `seconds` after T0."""
    labels = (("container", "app"), ("namespace", namespace), ("pod", pod))
    return Sample("pod_cpu_cores", labels, T0 + timedelta(seconds=seconds), value)


def cpu_labels(pod: str, *, namespace: str = "shop") -> dict[str, str]:
    return {"container": "app", "namespace": namespace, "pod": pod}


def action(key: str, *, minutes: float = 0, target: str = "Deployment shop/web", **fields: Any) -> ActionRecord:
    return ActionRecord(
        key=key,
        action="RestartPod",
        target=target,
        params={"pod": "web-1", "grace": 30, "nested": {"list": [1, "two"]}},
        mode="enforce",
        reason="crash loop: 6 restarts in 10 minutes",
        requested_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def incident(incident_id: str, *, minutes: float = 0, **fields: Any) -> IncidentRecord:
    return IncidentRecord(
        id=incident_id,
        target="Deployment shop/web",
        cause="crash-loop",
        summary="web restarts every 40 s",
        detected_at=T0 + timedelta(minutes=minutes),
        **fields,
    )
