"""The Dockerfile builds a multi-stage, non-root image that runs `kaido` (it cannot be built here, so it is read)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions with line continuations joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        logical.append(pending)
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    split = [line.split(None, 1) for line in logical]
    return [Instruction(parts[0], parts[1] if len(parts) > 1 else "") for parts in split]


def stages(parsed: list[Instruction]) -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for instruction in parsed:
        if instruction.keyword.upper() == "FROM":
            found.append([])
        assert found, "an instruction before the first FROM"
        found[-1].append(instruction)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[list[Instruction]]:
    return stages(instructions((ROOT / "Dockerfile").read_text()))


def only(stage: list[Instruction], keyword: str) -> list[str]:
    return [i.argument for i in stage if i.keyword.upper() == keyword]


def test_the_build_is_multi_stage_on_python_3_11(dockerfile: list[list[Instruction]]) -> None:
    assert len(dockerfile) >= 2
    builder, final = dockerfile[0], dockerfile[-1]
    assert re.fullmatch(r"python:3\.11-slim AS builder", only(builder, "FROM")[0], re.IGNORECASE)
    assert only(final, "FROM") == ["python:3.11-slim"]
    assert any("pip install ." in run for run in only(builder, "RUN"))
    assert any(copy.startswith("--from=builder ") for copy in only(final, "COPY"))


def test_the_final_stage_installs_nothing_and_copies_no_sources(dockerfile: list[list[Instruction]]) -> None:
    final = dockerfile[-1]
    for run in only(final, "RUN"):
        assert "pip" not in run, run
        assert "apt-get" not in run, run
    assert all(copy.startswith("--from=") for copy in only(final, "COPY"))
    assert only(final, "ADD") == []


def test_the_image_runs_kaido_as_a_numeric_non_root_user(dockerfile: list[list[Instruction]]) -> None:
    final = dockerfile[-1]
    [user] = only(final, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric USER lets the kubelet enforce runAsNonRoot"
    assert int(uid) != 0
    assert int(uid) == 10001, "the chart's podSecurityContext.runAsUser"
    assert json.loads(only(final, "ENTRYPOINT")[0]) == ["kaido"]
    assert json.loads(only(final, "CMD")[0]) == ["run", "--config", "/etc/kaido/policy.yaml"]
    assert only(final, "EXPOSE") == ["8080"]


def test_the_build_context_leaves_out_local_state() -> None:
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert ignore[0] == "*", "everything is excluded first, then the few inputs allowed back"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src"}
    assert not allowed & {".git", ".venv", ".cache", "tests"}


def test_the_parser_joins_continuations_and_skips_comments() -> None:
    parsed = instructions("# c\nFROM a AS b\nRUN x \\\n    && y\n\nFROM c\nUSER 1\n")
    assert parsed == [
        Instruction("FROM", "a AS b"),
        Instruction("RUN", "x && y"),
        Instruction("FROM", "c"),
        Instruction("USER", "1"),
    ]
