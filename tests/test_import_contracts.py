"""The layer contracts bite: a forbidden import makes `lint-imports` (part of `make check`) fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_project_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("analysis/_probe.py", "import sqlite3", "Analysis is pure: no I/O library"),
        ("analysis/_probe.py", "import httpx2", "Analysis is pure: no I/O library"),
        ("notify/_probe.py", "import lightkube", "Only kaido.kube talks to the Kubernetes API (lightkube)"),
        ("agent/_probe.py", "import kaido.sim", "Nothing imports the simulator except the CLI"),
        ("sim/_probe.py", "import kaido.kube", "The simulator builds on core and pure analysis only"),
        ("kube/_probe.py", "import kaido.remediate", "Layers, top may import bottom"),
        ("core/_probe.py", "import pydantic", "Core depends on the standard library only"),
    ],
)
def test_a_forbidden_import_breaks_the_check(tree: Path, module: str, statement: str, contract: str) -> None:
    (tree / "src/kaido" / module).write_text(statement + "\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
