"""`kaido sim`: serve a simulated Kubernetes cluster on 127.0.0.1 and write a kubeconfig for it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from kaido.sim.cluster import ADMIN_USER, SimCluster, load_manifest_text
from kaido.sim.errors import ApiError
from kaido.sim.faults import parse_faults
from kaido.sim.server import SimServer, kubeconfig_document, write_kubeconfig

DEFAULT_KUBECONFIG = Path("~/.kube/kaido-sim.yaml")
SCENARIO_DIR = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


def resolve_scenario(value: str) -> Path:
    """A scenario is a file path or the name of a file under examples/scenarios."""
    path = Path(value)
    if path.is_file():
        return path
    named = SCENARIO_DIR / f"{value}.yaml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")) if SCENARIO_DIR.is_dir() else []
    raise click.BadParameter(
        f"no scenario file {value!r}" + (f"; known scenarios: {', '.join(known)}" if known else ""),
        param_hint="--scenario",
    )


@click.command()
@click.option(
    "--scenario", metavar="NAME|FILE", help="Manifests to pre-load (a file, or a name under examples/scenarios)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=6443, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_KUBECONFIG,
    show_default=True,
    help="Where to write a kubeconfig for this cluster.",
)
@click.option("--speed", type=float, default=1.0, show_default=True, help="Virtual seconds per real second.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for generated names and uids.")
@click.option("--faults", metavar="SPEC", help="Fault switches, e.g. 'drop-watch=30s,error-rate=0.05'.")
def sim(scenario: str | None, port: int, kubeconfig: Path, speed: float, seed: int, faults: str | None) -> None:
    """Serve a simulated Kubernetes cluster that kubectl and kaido can use."""
    try:
        fault_switches = parse_faults(faults, seed=seed)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from error
    cluster = SimCluster(seed=seed, faults=fault_switches)
    if scenario:
        path = resolve_scenario(scenario)
        try:
            cluster.apply_manifests(load_manifest_text(path.read_text(), source=str(path)))
        except (ValueError, ApiError) as error:
            raise click.ClickException(f"scenario {path}: {error}") from error
    try:
        asyncio.run(_serve(cluster, port=port, kubeconfig=kubeconfig.expanduser()))
    except OSError as error:
        raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}") from error


async def _serve(cluster: SimCluster, *, port: int, kubeconfig: Path) -> None:
    server = SimServer(cluster, port=port)
    await server.start()
    server.install_signal_handlers()
    token, _ = cluster.issue_token(ADMIN_USER, seconds=10 * 365 * 24 * 3600)
    write_kubeconfig(kubeconfig, kubeconfig_document(server.url, token=token))
    click.echo(f"kaido sim: Kubernetes API on {server.url}; kubeconfig written to {kubeconfig}")
    click.echo(f"  export KUBECONFIG={kubeconfig}")
    await server.wait_stopped()
    click.echo("kaido sim: stopped")
