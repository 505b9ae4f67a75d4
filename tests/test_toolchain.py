"""The binaries `make test` fetched are the ones the lock file names, verified by checksum."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".cache/tools"


def lock() -> dict[str, str]:
    lines = (ROOT / "scripts/tools.lock").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def tools() -> Path:
    if not (TOOLS / "bin/kubectl").exists():
        pytest.fail("kubectl is not in .cache/tools/bin: run the tests through `make test`, which fetches it")
    return TOOLS / "bin"


def test_kubectl_is_the_locked_version(tools: Path) -> None:
    out = subprocess.run(
        [str(tools / "kubectl"), "version", "--client", "-o", "json"], capture_output=True, text=True, check=True
    )
    version = json.loads(out.stdout)["clientVersion"]["gitVersion"]
    assert version.startswith(lock()["kubectl_version"] + ".")


def test_helm_is_the_locked_major_version(tools: Path) -> None:
    out = subprocess.run([str(tools / "helm"), "version", "--short"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(lock()["helm_version"] + ".")


def test_recorded_checksums_match_the_binaries(tools: Path) -> None:
    recorded = dict(reversed(line.split()) for line in (TOOLS / "SHA256SUMS").read_text().splitlines())
    assert recorded["layer.zip"] == lock()["layer_zip_sha256"]
    for name in ("kubectl", "helm"):
        assert hashlib.sha256((tools / name).read_bytes()).hexdigest() == recorded[name]


@pytest.mark.parametrize("binary", ["prometheus", "prometheus-alertmanager", "chromium"])
def test_debian_packages_are_present(binary: str) -> None:
    assert shutil.which(binary), f"{binary} is missing: `make test` installs it as root (scripts/system-packages)"
