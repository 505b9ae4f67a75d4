"""Run Debian's Prometheus (package prometheus) for tests, on 127.0.0.1, scraping given targets.

`running_prometheus(tmp, targets=["127.0.0.1:6443"])` writes a configuration with one job that
scrapes each target's `/metrics` every second (evaluation every second too), so rates exist within
a few seconds. Storage lives in `tmp`; the process is stopped (SIGTERM, then SIGKILL) when the
block ends, and its log is quoted if it fails to start.

The binary is required: a missing one fails the test and names `make system`, which installs the
Debian package (as root; otherwise it prints the apt-get command).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent import free_port
from tests.support.daemon import running_daemon

START_TIMEOUT = 30.0


def prometheus_binary() -> Path:
    """The Prometheus binary; fails the test when it is not installed."""
    found = shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None)
    if found is None:
        pytest.fail(
            "Prometheus is not installed: run `make system` (scripts/system-packages installs the Debian package "
            "prometheus as root, or prints the apt-get command to run)"
        )
    return Path(found)


@dataclass
class PrometheusProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def query(self, promql: str) -> dict[str, Any]:
        """GET /api/v1/query: Prometheus' answer as JSON."""
        query = urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{query}", timeout=5) as response:
            return dict(json.load(response))

    def targets_up(self) -> bool:
        """Whether every scrape target has been scraped successfully at least once."""
        with urllib.request.urlopen(f"{self.url}/api/v1/targets", timeout=5) as response:
            active = json.load(response)["data"]["activeTargets"]
        return bool(active) and all(t["health"] == "up" for t in active)


def _config(targets: Sequence[str]) -> str:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {"job_name": "kaido-sim", "metrics_path": "/metrics", "static_configs": [{"targets": list(targets)}]}
        ],
    }
    return json.dumps(config)  # JSON is YAML


@contextlib.contextmanager
def running_prometheus(tmp: Path, *, targets: Sequence[str]) -> Iterator[PrometheusProcess]:
    binary = prometheus_binary()
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(_config(targets), encoding="utf-8")
    (tmp / "data").mkdir(exist_ok=True)
    log = tmp / "prometheus.log"
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=info",
    ]
    url = f"http://127.0.0.1:{port}"
    with running_daemon("Prometheus", command, url=url, log=log, timeout=START_TIMEOUT) as process:
        yield PrometheusProcess(url=url, process=process, log=log)
