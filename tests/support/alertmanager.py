"""Run Debian's Alertmanager (package prometheus-alertmanager) for tests, on 127.0.0.1 with no clustering.

`running_alertmanager(tmp, webhook_url=...)` writes a minimal configuration: one receiver, a null
one by default or a webhook with `send_resolved` so a test can watch Alertmanager notify; short
group timings so that happens within a second or two. Storage lives in `tmp`; the process is
stopped (SIGTERM, then SIGKILL) when the block ends, and its log is quoted if it fails to start.

The binary is required where it can be installed: as root with apt-get (CI), a missing binary
fails the test and names `make system`; elsewhere it skips with the command to install it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent import free_port
from tests.support.daemon import running_daemon

BINARIES = ("prometheus-alertmanager", "alertmanager")
START_TIMEOUT = 20.0


def alertmanager_binary() -> Path:
    """The Alertmanager binary; fails (root with apt-get) or skips (otherwise) when it is not installed."""
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return Path(found)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        pytest.fail(
            "Alertmanager is not installed: run `make system` (scripts/system-packages installs the Debian "
            "package prometheus-alertmanager; CI runs it as root)"
        )
    pytest.skip(
        "Alertmanager is not installed and this user cannot install it: sudo apt-get install prometheus-alertmanager"
    )


@dataclass
class AlertmanagerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def alerts(self, **params: str) -> list[dict[str, Any]]:
        """GET /api/v2/alerts with query parameters (`filter='alertname="x"'`, `active="false"`, ...)."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as response:
            return list(json.load(response))


def _config(webhook_url: str | None) -> str:
    receiver: dict[str, Any] = {"name": "test"}
    if webhook_url:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {
        "route": {
            "receiver": "test",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }
    return json.dumps(config)  # JSON is YAML


@contextlib.contextmanager
def running_alertmanager(tmp: Path, *, webhook_url: str | None = None) -> Iterator[AlertmanagerProcess]:
    binary = alertmanager_binary()
    port = free_port()
    config = tmp / "alertmanager.yml"
    config.write_text(_config(webhook_url), encoding="utf-8")
    (tmp / "data").mkdir(exist_ok=True)
    log = tmp / "alertmanager.log"
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip: a single instance
        "--log.level=info",
    ]
    url = f"http://127.0.0.1:{port}"
    with running_daemon("Alertmanager", command, url=url, log=log, timeout=START_TIMEOUT) as process:
        yield AlertmanagerProcess(url=url, process=process, log=log)
