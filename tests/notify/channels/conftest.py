"""Receivers for the channel tests: pytest-httpserver answers HTTP; secrets live in files and variables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


@pytest.fixture
def secret_file(tmp_path: Path):
    """`secret_file(value)` writes a secret as a mounted Secret would hold it and returns the path."""

    def write(value: str, name: str = "secret") -> str:
        path = tmp_path / name
        path.write_text(value + "\n", encoding="utf-8")
        return str(path)

    return write
