"""Render and lint the chart with the real helm v4 binary that `make tools` fetches."""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts/kaido"
HELM = ROOT / ".cache/tools/bin/helm"
RELEASE = "kaido"
NAMESPACE = "ops"

Manifest = dict[str, Any]


@dataclass
class Helm:
    binary: Path
    home: Path
    _files: itertools.count[int] = field(default_factory=itertools.count)

    def run(self, *args: str, values: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
        """helm with `values` as a values file; its caches live under `home`, never in the user's."""
        extra = []
        if values is not None:
            path = self.home / f"values-{next(self._files)}.json"
            path.write_text(json.dumps(values))  # JSON is YAML
            extra = ["-f", str(path)]
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }
        command = [str(self.binary), *args, *extra]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60, env=env)

    def template(self, values: dict[str, Any] | None = None, *, namespace: str = NAMESPACE) -> list[Manifest]:
        completed = self.run("template", RELEASE, str(CHART), "--namespace", namespace, values=values)
        assert completed.returncode == 0, f"helm template failed:\n{completed.stderr}"
        return [doc for doc in yaml.safe_load_all(completed.stdout) if doc]

    def lint(self, values: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("lint", "--strict", str(CHART), "--namespace", NAMESPACE, values=values)


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    found = of_kind(manifests, kind)
    assert len(found) == 1, f"expected one {kind}, rendered {[m['metadata']['name'] for m in found]}"
    return found[0]


def as_yaml(manifests: list[Manifest]) -> str:
    return yaml.safe_dump_all(manifests, sort_keys=False)
