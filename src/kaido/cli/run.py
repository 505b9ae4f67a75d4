"""`kaido run`: the agent, in a pod (service account) or anywhere with a kubeconfig."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import click

from kaido.api.service import START_ERRORS, RunRequest, run_agent
from kaido.core.clock import RealClock


@click.command()
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), help="Kubeconfig (default: in-cluster).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Policy file (YAML).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port for probes, metrics and the API  [default: 8080]")
@click.option("--host", help="Address to serve on  [default: 0.0.0.0]")
@click.option("--namespace", "namespaces", multiple=True, help="Namespace to manage (repeatable; default: all).")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), help="sqlite store file.")
@click.option("--policy-configmap", metavar="NAME", help="ConfigMap (own namespace, key policy.yaml) to hot-reload.")
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG.")
def run(
    kubeconfig: Path | None,
    config_path: Path | None,
    port: int | None,
    host: str | None,
    namespaces: tuple[str, ...],
    store_path: Path | None,
    policy_configmap: str | None,
    verbose: bool,
) -> None:
    """Run the agent: watch, heal, scale, alert."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per API request drowns the agent's own
    request = RunRequest(
        kubeconfig=kubeconfig,
        policy_path=config_path,
        port=port,
        host=host,
        namespaces=namespaces,
        store_path=store_path,
        policy_configmap=policy_configmap,
    )
    try:
        asyncio.run(_main(request))
    except START_ERRORS as e:
        raise click.ClickException(str(e)) from e
    except OSError as e:
        raise click.ClickException(f"cannot serve on port {port}: {e.strerror or e}") from e


async def _main(request: RunRequest) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_agent(request, stop=stop, clock=RealClock())
