"""`kaido demo`: a simulated cluster playing a scenario, the agent against it, and a live timeline.

The simulator and the agent share one event loop but talk only over HTTP, exactly as they would in
a real cluster; the simulator may run faster than real time (`--speed`), the agent never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from pathlib import Path

import click

from kaido.agent.agent import Agent
from kaido.agent.timeline import Entry
from kaido.api.service import START_ERRORS, RunRequest, run_agent
from kaido.cli.sim import load_scenario, resolve_scenario, start_server
from kaido.core.clock import RealClock, ScaledClock
from kaido.sim.cluster import ADMIN_USER, SimCluster
from kaido.sim.runtime import Runtime
from kaido.sim.server import kubeconfig_document, write_kubeconfig

POLICY_DIR = Path(__file__).resolve().parents[3] / "examples" / "policy"
MARKS = {
    "agent": "-", "leader": "*", "policy": "#", "change": "~", "finding": "!", "resolved": "+",
    "action": ">", "alert": "@", "scaling": "^", "incident": "%",
}  # fmt: skip


@click.command()
@click.option("--scenario", default="chatbot-dev", show_default=True, metavar="NAME|FILE", help="Scenario to play.")
@click.option(
    "--speed", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Simulator speed-up."
)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Agent API port.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), help="Stop after this many seconds.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Policy file  [default: examples/policy/SCENARIO.yaml when it exists, else the defaults]",
)
def demo(scenario: str, speed: float, port: int, duration: float | None, config_path: Path | None) -> None:
    """Simulated cluster + agent, with a narrated timeline (Ctrl-C stops)."""
    path = resolve_scenario(scenario)
    if config_path is None and (POLICY_DIR / f"{path.stem}.yaml").is_file():
        config_path = POLICY_DIR / f"{path.stem}.yaml"
    sim_clock = RealClock() if speed == 1 else ScaledClock(speed)
    cluster = SimCluster(clock=sim_clock)
    runtime = load_scenario(cluster, path)
    try:
        asyncio.run(_main(cluster, runtime, scenario=path.stem, policy=config_path, port=port, duration=duration))
    except START_ERRORS as e:
        raise click.ClickException(str(e)) from e


async def _main(
    cluster: SimCluster, runtime: Runtime, *, scenario: str, policy: Path | None, port: int, duration: float | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    server, _ = await start_server(cluster, port=0, tls=False)
    controllers = asyncio.create_task(runtime.run())
    clock = RealClock()
    with tempfile.TemporaryDirectory(prefix="kaido-demo-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        token, _ = cluster.issue_token(ADMIN_USER, seconds=24 * 3600)
        write_kubeconfig(kubeconfig, kubeconfig_document(server.url, token=token))
        click.echo(f"kaido demo: scenario {scenario} on {server.url} (KUBECONFIG={kubeconfig})")
        click.echo(f"kaido demo: policy {policy or 'built-in defaults'}; Ctrl-C stops")
        printers: list[asyncio.Task[None]] = []

        def started(agent: Agent, port: int) -> None:
            click.echo(f"kaido demo: agent API on http://127.0.0.1:{port}/api/v1/health")
            printers.append(asyncio.create_task(_narrate(agent, clock.monotonic())))

        request = RunRequest(
            kubeconfig=kubeconfig,
            policy_path=policy,
            port=port,
            host="127.0.0.1",
            store_path=Path(tmp) / "kaido.db",
        )
        try:
            await run_agent(request, stop=stop, clock=clock, on_start=started)
        finally:
            for task in printers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            runtime.stop()
            server.stop()
            await controllers
            await server.wait_stopped()
    click.echo("kaido demo: stopped")


async def _narrate(agent: Agent, start: float) -> None:
    seq = 0
    while True:
        for entry in await agent.timeline.wait_after(seq):
            seq = entry.seq
            click.echo(_line(entry, agent.clock.monotonic() - start))


def _line(entry: Entry, elapsed: float) -> str:
    minutes, seconds = divmod(int(elapsed), 60)
    where = f" [{entry.target}]" if entry.target and entry.target.lower() not in entry.text.lower() else ""
    return f"{minutes:02d}:{seconds:02d} {MARKS.get(entry.category, '-')} {entry.text}{where}"
