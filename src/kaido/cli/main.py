"""The `kaido` command group and its subcommands."""

from __future__ import annotations

import click

from kaido import __version__
from kaido.cli.alerts import alerts
from kaido.cli.bench import bench
from kaido.cli.demo import demo
from kaido.cli.diagnose import diagnose
from kaido.cli.run import run
from kaido.cli.sim import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="kaido")
def main() -> None:
    """kaido keeps a Kubernetes cluster healthy by itself, safely, and explains what it did."""


main.add_command(alerts)
main.add_command(bench)
main.add_command(demo)
main.add_command(diagnose)
main.add_command(run)
main.add_command(sim)
