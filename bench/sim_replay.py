"""Fast-forward: six hours of the Twitter request-rate trace replayed through the simulator on virtual time.

Reports wall-clock seconds and the speed-up (virtual seconds per real second) on this machine.
Target: under a minute for the six hours.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.replay import TRACE, replay


def run() -> dict[str, Any]:
    if not TRACE.exists():
        return {"skipped": f"trace not found: {TRACE}"}
    result = asyncio.run(replay(hours=6))
    return {
        "virtual_hours": result.virtual_seconds / 3600,
        "wall_seconds": round(result.wall_seconds, 2),
        "speedup": round(result.virtual_seconds / result.wall_seconds),
        "replicas_min_max": [min(result.replicas), max(result.replicas)],
        "target_wall_seconds": 60,
        "meets_target": result.wall_seconds < 60,
    }
