"""Six hours of a real request-rate trace, replayed in virtual time against an autoscaled service."""

from __future__ import annotations

import pytest

from tests.support.replay import TRACE, replay

pytestmark = pytest.mark.slow


async def test_six_hours_of_the_twitter_trace_replay_and_the_hpa_follows() -> None:
    if not TRACE.exists():
        pytest.skip(f"the trace is not here: {TRACE} (../shared/data/traces)")
    result = await replay(hours=6)
    assert result.virtual_seconds == 6 * 3600
    assert len(result.replicas) == 36
    assert all(2 <= replicas <= 20 for replicas in result.replicas)
    assert max(result.replicas) > min(result.replicas)  # bursts in the trace move the HPA
