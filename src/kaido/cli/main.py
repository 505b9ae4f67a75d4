"""The `kaido` command group and its subcommands.

A subcommand whose capability is not built yet says so in one line and exits with code 2; it
never prints made-up output.
"""

from __future__ import annotations

from typing import NoReturn

import click

from kaido import __version__
from kaido.cli.alerts import alerts
from kaido.cli.demo import demo
from kaido.cli.diagnose import diagnose
from kaido.cli.run import run
from kaido.cli.sim import sim

NOT_AVAILABLE_EXIT_CODE = 2


def _not_available(command: str) -> NoReturn:
    click.echo(f"kaido {command}: not available yet in kaido {__version__}", err=True)
    raise SystemExit(NOT_AVAILABLE_EXIT_CODE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="kaido")
def main() -> None:
    """kaido keeps a Kubernetes cluster healthy by itself, safely, and explains what it did."""


@main.command()
@click.argument("suite", required=False)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def bench(suite: str | None, output: str) -> None:
    """Run a benchmark suite (autoscale, healing, ...)."""
    _not_available("bench")


main.add_command(alerts)
main.add_command(demo)
main.add_command(diagnose)
main.add_command(run)
main.add_command(sim)
