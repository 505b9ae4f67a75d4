"""Quantity parsing and printing throughput: the simulator and the agent parse every resource value."""

from __future__ import annotations

import time
from typing import Any

from kaido.core import parse_quantity

SAMPLES = ["250m", "1.5", "512Mi", "1G", "1e3", "0.1Ki", "100m", "2Gi", "1500m", "64Mi"]


def run(rounds: int = 20_000) -> dict[str, Any]:
    texts = SAMPLES * rounds
    start = time.perf_counter()
    parsed = [parse_quantity(text) for text in texts]
    parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for quantity in parsed:
        str(quantity)
    format_seconds = time.perf_counter() - start
    return {
        "values": len(texts),
        "parse_per_second": round(len(texts) / parse_seconds),
        "format_per_second": round(len(texts) / format_seconds),
    }
