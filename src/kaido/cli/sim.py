"""`kaido sim`: serve a simulated Kubernetes cluster on 127.0.0.1 and write a kubeconfig for it.

Security is off by default. `--tls` serves HTTPS with a CA made at start-up; `--rbac` (which implies
TLS, since kubectl sends bearer tokens only over HTTPS) authenticates tokens and authorizes requests
with the cluster's RBAC objects.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from kaido.core import RealClock, ScaledClock
from kaido.sim.cluster import ADMIN_USER, SimCluster
from kaido.sim.control_plane import control_plane
from kaido.sim.errors import ApiError
from kaido.sim.faults import parse_faults
from kaido.sim.runtime import Runtime
from kaido.sim.scenario import Scenario
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
    "--scenario",
    metavar="NAME|FILE",
    help="A scenario or manifest file to pre-load (a path, or a name under examples/scenarios).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=6443, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_KUBECONFIG,
    show_default=True,
    help="Where to write a kubeconfig for this cluster.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Virtual seconds per real second (controllers and timestamps run this much faster).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for generated names and uids.")
@click.option("--faults", metavar="SPEC", help="Fault switches, e.g. 'drop-watch=30s,error-rate=0.05'.")
@click.option(
    "--tls/--no-tls",
    default=None,
    help="Serve HTTPS with a CA generated at start-up; the kubeconfig carries the CA.  [default: off, on with --rbac]",
)
@click.option(
    "--rbac",
    is_flag=True,
    help="Require a bearer token and authorize every request with the cluster's Roles, ClusterRoles and bindings. "
    "Implies --tls (kubectl sends tokens only over HTTPS). The kubeconfig's user is an admin (system:masters); "
    "`kubectl create token NAME` issues a ServiceAccount's token.",
)
def sim(
    scenario: str | None,
    port: int,
    kubeconfig: Path,
    speed: float,
    seed: int,
    faults: str | None,
    tls: bool | None,
    rbac: bool,
) -> None:
    """Serve a simulated Kubernetes cluster that kubectl and kaido can use."""
    try:
        fault_switches = parse_faults(faults, seed=seed)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from error
    if rbac and tls is False:
        raise click.UsageError("--rbac needs TLS, because kubectl sends bearer tokens only over HTTPS; drop --no-tls")
    clock = RealClock() if speed == 1 else ScaledClock(speed)
    cluster = SimCluster(clock=clock, seed=seed, faults=fault_switches, rbac=rbac)
    runtime = control_plane(cluster) if not scenario else load_scenario(cluster, resolve_scenario(scenario))
    try:
        asyncio.run(
            _serve(cluster, runtime, port=port, kubeconfig=kubeconfig.expanduser(), tls=rbac if tls is None else tls)
        )
    except OSError as error:
        raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}") from error


def load_scenario(cluster: SimCluster, path: Path) -> Runtime:
    """Load a scenario (or plain manifest) file; its nodes, images, traffic and timeline shape the runtime."""
    try:
        return Scenario.from_file(path).start(cluster).runtime
    except ValueError as error:  # ScenarioError and YAML errors name the file already
        raise click.ClickException(str(error)) from error
    except ApiError as error:
        raise click.ClickException(f"scenario {path}: {error}") from error


async def _serve(cluster: SimCluster, runtime: Runtime, *, port: int, kubeconfig: Path, tls: bool) -> None:
    server, ca_data = await start_server(cluster, port=port, tls=tls)
    server.install_signal_handlers()
    controllers = asyncio.create_task(runtime.run())
    token, _ = cluster.issue_token(ADMIN_USER, seconds=10 * 365 * 24 * 3600)
    write_kubeconfig(kubeconfig, kubeconfig_document(server.url, token=token, ca_data=ca_data))
    click.echo(f"kaido sim: Kubernetes API on {server.url}; kubeconfig written to {kubeconfig}")
    click.echo(f"  export KUBECONFIG={kubeconfig}")
    if cluster.rbac:
        click.echo(
            f"  RBAC on: {ADMIN_USER.name} is in system:masters; `kubectl create token NAME` for a ServiceAccount."
        )
    await server.wait_stopped()
    runtime.stop()
    await controllers
    click.echo("kaido sim: stopped")


async def start_server(cluster: SimCluster, *, port: int, tls: bool) -> tuple[SimServer, str | None]:
    """The started server and, with TLS, the CA for the kubeconfig."""
    if not tls:
        server = SimServer(cluster, port=port)
        await server.start()
        return server, None
    from kaido.sim.tls import generate, serving_files  # cryptography is needed only for --tls

    material = generate(now=datetime.now(UTC))
    with serving_files(material) as (certfile, keyfile):
        server = SimServer(cluster, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile)
        await server.start()  # the files may go once uvicorn has loaded them
    return server, material.ca_data
