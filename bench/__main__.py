"""Run every benchmark (or those named on the command line) and print one JSON report.

Numbers depend on the machine, so the report names it; compare runs on the same machine or as ratios.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

from bench import agent, quantity, sim_api, sim_replay

SUITES: dict[str, Callable[[], dict[str, Any]]] = {
    "agent": agent.run,
    "quantity": quantity.run,
    "sim-api": sim_api.run,
    "sim-replay": sim_replay.run,
}


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main(argv: list[str]) -> int:
    names = argv or sorted(SUITES)
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(sorted(SUITES))}", file=sys.stderr)
        return 2
    report = {"machine": machine(), "results": {name: SUITES[name]() for name in names}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
