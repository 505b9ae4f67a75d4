from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kaido import __version__
from kaido.cli import main

SUBCOMMANDS = ["alerts", "sim", "run", "demo", "diagnose", "bench"]


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kaido, version {__version__}"


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert sorted(listed) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommand_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"Usage: main {command}" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["sim", "--port", "not-a-number"])
    assert result.exit_code == 2
    assert "'not-a-number' is not a valid integer" in result.output


def test_console_script_is_installed() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kaido", "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert __version__ in completed.stdout
