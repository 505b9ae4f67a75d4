"""The real client satisfies the executor's port, as mypy sees it (Protocols are structural)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = """\
from kaido.kube.client import Kube
from kaido.remediate.ports import ClusterWriter


def check(kube: {annotation}) -> ClusterWriter:
    return kube
"""


def mypy(tmp_path: Path, annotation: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "snippet.py"
    source.write_text(SNIPPET.format(annotation=annotation))
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini")]
    command += ["--cache-dir", str(tmp_path / "cache"), "--follow-imports=silent", str(source)]
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=ROOT, env={"MYPYPATH": str(ROOT / "src")}, timeout=90
    )


def test_kube_is_a_cluster_writer(tmp_path: Path) -> None:
    result = mypy(tmp_path, "Kube")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_would_notice_a_client_that_is_not(tmp_path: Path) -> None:
    result = mypy(tmp_path, "int")
    assert result.returncode == 1
    assert 'Incompatible return value type (got "int", expected "ClusterWriter")' in result.stdout
