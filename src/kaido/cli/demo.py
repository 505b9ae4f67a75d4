"""`kaido demo`: a simulated cluster playing a scenario, the agent against it, and a live timeline.

The simulator and the agent share one event loop but talk only over HTTP, exactly as they would in
a real cluster. They also share one clock: the simulator's, which runs `--speed` times faster than
real time and starts at the coming `--start-time` (UTC). The agent's samples carry the
simulator's timestamps (metrics.k8s.io reports them), and predictive scaling forecasts the hours
ahead of the agent's `now`; only with one clock does "the spike at 20m" mean the same moment to
both, and do the agent's intervals (a forecast every minute, a health check every 15 s) keep their
meaning when the scenario runs 120 times faster. The price: at high speeds the agent's own
deadlines shrink too, so the demo policy gives the leader Lease room to spare.

Before the agent starts, `--history DAYS` of past load are derived from the scenario's traffic
model and written into the agent's store (`kaido.cli.history`), as the agent would have recorded
them had it been running: without days of history no forecast can know a daily spike is due. The
timeline says so first, so the replayed days are never mistaken for observed ones.

The narration prints the agent's timeline with each entry's scenario time (its timestamp minus the
start) and, marked `=`, what the scenario itself does: each traffic spike as it begins and ends,
with the pods then ready behind the Service.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click

from kaido.agent.agent import Agent
from kaido.agent.timeline import Entry
from kaido.api.service import START_ERRORS, RunRequest, run_agent
from kaido.cli.history import history_samples, replayed_workloads, seed_history
from kaido.cli.sim import resolve_scenario, start_server
from kaido.core.clock import ScaledClock
from kaido.sim.cluster import ADMIN_USER, SimCluster
from kaido.sim.errors import ApiError
from kaido.sim.resources import builtin
from kaido.sim.scenario import RunningScenario, Scenario
from kaido.sim.server import kubeconfig_document, write_kubeconfig
from kaido.sim.traffic import Combined, Spike, ready_pod_names

POLICY_DIR = Path(__file__).resolve().parents[3] / "examples" / "policy"
ENDPOINTS = builtin("", "v1", "endpoints")
MARKS = {
    "agent": "-", "leader": "*", "policy": "#", "change": "~", "finding": "!", "resolved": "+",
    "action": ">", "alert": "@", "scaling": "^", "incident": "%",
}  # fmt: skip
SCENARIO_MARK = "="
SEED = 0  # the simulator's seed: its names, uids and traffic noise, which the replayed history shares


@dataclass(frozen=True, kw_only=True)
class DemoRun:
    """What `kaido demo` was asked to play, and how."""

    scenario: Scenario
    name: str
    policy: Path | None
    speed: float
    start: datetime  # the simulated cluster's wall-clock time at the scenario's start
    history_days: int
    port: int
    duration: float | None  # real seconds


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
@click.option(
    "--history",
    "history_days",
    type=click.IntRange(0, 7),
    default=3,
    show_default=True,
    metavar="DAYS",
    help="Days of past load replayed from the scenario's traffic model into the agent's store (0: none).",
)
@click.option(
    "--start-time",
    default="13:40",
    show_default=True,
    metavar="HH:MM|now",
    help="UTC time of day at which the simulated cluster starts (chatbot-dev's spike at +20m then meets "
    "its 14:00 diurnal peak); 'now' for the real time.",
)
def demo(
    scenario: str,
    speed: float,
    port: int,
    duration: float | None,
    config_path: Path | None,
    history_days: int,
    start_time: str,
) -> None:
    """Simulated cluster + agent, with a narrated timeline (Ctrl-C stops)."""
    path = resolve_scenario(scenario)
    if config_path is None and (POLICY_DIR / f"{path.stem}.yaml").is_file():
        config_path = POLICY_DIR / f"{path.stem}.yaml"
    try:
        parsed = Scenario.from_file(path)
    except ValueError as error:  # ScenarioError and YAML errors name the file already
        raise click.ClickException(str(error)) from error
    run = DemoRun(
        scenario=parsed,
        name=path.stem,
        policy=config_path,
        speed=speed,
        start=start_moment(start_time, now=datetime.now(UTC)),
        history_days=history_days,
        port=port,
        duration=duration,
    )
    try:
        asyncio.run(_main(run))
    except START_ERRORS as e:
        raise click.ClickException(str(e)) from e


def start_moment(value: str, *, now: datetime) -> datetime:
    """The first moment at or after `now` whose UTC time of day is `value` ("HH:MM"), or `now` for "now".

    Never earlier than `now`, so the simulated clock is never behind the machine's: a timestamp taken
    from the machine's clock (the agent's API client stamps its Events with it) then never looks
    newer than the cluster's own.
    """
    if value.strip().lower() == "now":
        return now
    try:
        of_day = time.fromisoformat(value.strip())
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not a time of day like 13:40, nor 'now'", param_hint="--start-time"
        ) from error
    moment = datetime.combine(now.astimezone(UTC).date(), of_day, tzinfo=UTC)
    return moment if moment >= now else moment + timedelta(days=1)


async def _main(run: DemoRun) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if run.duration is not None:
        loop.call_later(run.duration, stop.set)
    with tempfile.TemporaryDirectory(prefix="kaido-demo-") as tmp:
        store_path = Path(tmp) / "kaido.db"
        history = await _seed(run, store_path)  # before the simulated clock starts, so no scenario time passes
        cluster = SimCluster(clock=ScaledClock(run.speed, start=run.start), seed=SEED)
        running = _start_scenario(run, cluster)
        server, _ = await start_server(cluster, port=0, tls=False)
        controllers = asyncio.create_task(running.runtime.run())
        kubeconfig = Path(tmp) / "kubeconfig"
        token, _ = cluster.issue_token(ADMIN_USER, seconds=24 * 3600)
        write_kubeconfig(kubeconfig, kubeconfig_document(server.url, token=token))
        click.echo(f"kaido demo: scenario {run.name} on {server.url} (KUBECONFIG={kubeconfig})")
        click.echo(f"kaido demo: policy {run.policy or 'built-in defaults'}; Ctrl-C stops")
        start = running.traffic.start  # the scenario's time zero: its spikes and timeline count from here
        click.echo(
            f"kaido demo: scenario time 00:00 is {start:%Y-%m-%dT%H:%M:%S}Z (simulated, {run.speed:g}x real time)"
        )
        printers: list[asyncio.Task[None]] = []

        def started(agent: Agent, port: int) -> None:
            click.echo(f"kaido demo: agent API on http://127.0.0.1:{port}/api/v1/health")
            if history:  # stamped at the scenario's start: the store held it before anything ran
                agent.timeline.add(start, "agent", history)
            printers.append(asyncio.create_task(_narrate(agent, start)))
            printers.append(asyncio.create_task(_narrate_spikes(running, cluster, start)))

        request = RunRequest(
            kubeconfig=kubeconfig, policy_path=run.policy, port=run.port, host="127.0.0.1", store_path=store_path
        )
        try:
            await run_agent(request, stop=stop, clock=cluster.clock, on_start=started)
        finally:
            for task in printers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            running.runtime.stop()
            server.stop()
            await controllers
            await server.wait_stopped()
    click.echo("kaido demo: stopped")


def _start_scenario(run: DemoRun, cluster: SimCluster) -> RunningScenario:
    try:
        return run.scenario.start(cluster)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    except ApiError as error:
        raise click.ClickException(f"scenario {run.name}: {error}") from error


async def _seed(run: DemoRun, store_path: Path) -> str | None:
    """Replay the days before the start into the agent's store; the timeline's sentence saying so."""
    workloads = replayed_workloads(run.scenario)
    if run.history_days <= 0 or not workloads:
        return None
    samples = history_samples(run.scenario, start=run.start, days=run.history_days, seed=SEED)
    await seed_history(store_path, samples, now=run.start)
    names = ", ".join(f"deployment {w.key}" for w in workloads)
    days = f"{run.history_days} day{'s' if run.history_days != 1 else ''}"
    return (
        f"history: {days} of load replayed from the scenario's traffic model into the store "
        f"({names}: requests per Service and CPU per pod); derived, not observed"
    )


async def _narrate(agent: Agent, start: datetime) -> None:
    seq = 0
    while True:
        for entry in await agent.timeline.wait_after(seq):
            seq = entry.seq
            click.echo(_line(entry, (entry.at - start).total_seconds()))


def _line(entry: Entry, elapsed: float) -> str:
    where = f" [{entry.target}]" if entry.target and entry.target.lower() not in entry.text.lower() else ""
    return f"{_clock(elapsed)} {MARKS.get(entry.category, '-')} {entry.text}{where}"


def _clock(elapsed: float) -> str:
    minutes, seconds = divmod(max(0, int(elapsed)), 60)
    return f"{minutes:02d}:{seconds:02d}"


async def _narrate_spikes(running: RunningScenario, cluster: SimCluster, start: datetime) -> None:
    """Say when each traffic spike of the scenario begins and ends, and how many pods are ready for it."""
    spikes = [
        (load.namespace, load.service, spike)
        for load in running.traffic.loads
        if isinstance(load.profile, Combined)
        for spike in load.profile.spikes
    ]
    said = 0.0  # scenario seconds of the last edge told
    while upcoming := _next_edges(spikes, max(said, (cluster.clock.now() - start).total_seconds())):
        at = upcoming[0][0]
        await cluster.clock.sleep(at - (cluster.clock.now() - start).total_seconds())
        for _, text, (namespace, service) in (edge for edge in upcoming if edge[0] == at):
            ready = len(ready_pod_names(cluster.store.find(ENDPOINTS, namespace, service) or {}))
            click.echo(
                f"{_clock(at)} {SCENARIO_MARK} scenario: {text} on service {namespace}/{service}; "
                f"{ready} pod{'s' if ready != 1 else ''} ready behind it"
            )
        said = at


def _next_edges(spikes: Sequence[tuple[str, str, Spike]], after: float) -> list[tuple[float, str, tuple[str, str]]]:
    """Spike starts and ends later than `after`, soonest first: (scenario seconds, what happens, Service)."""
    edges = []
    for namespace, service, spike in spikes:
        size = f"x{spike.multiplier:g}" + (f" +{spike.extra:g} rps" if spike.extra else "")
        # The window under way (or just over) and the next one to begin.
        for begin in (spike.next_start(after - spike.duration), spike.next_start(after)):
            if begin is None:
                continue
            if begin > after:
                text = f"traffic spike ({size} for {spike.duration / 60:g} min) begins"
                edges.append((begin, text, (namespace, service)))
            if begin + spike.duration > after:
                edges.append((begin + spike.duration, "traffic spike ends", (namespace, service)))
    return sorted(set(edges))
