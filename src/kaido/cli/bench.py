"""`kaido bench`: benchmarks of the agent against the simulator, reported side by side.

`kaido bench autoscale --trace FILE` replays a request-rate trace through one web service in the
simulator, once per policy: `hpa` (the HPA alone) and `predictive` (the same HPA with kaido raising
its minReplicas ahead of forecast load). Each run is its own process when both are asked for, so
they run in parallel. The report gives, per policy, the SLO-violation minutes (p95 latency above
`--slo-latency` or more than 1 % errors), pod-minutes, the most replicas and the scaling actions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import click

from kaido.cli.autoscale.replay import HISTORY_LIMIT, ReplayRequest, replay_policy
from kaido.cli.autoscale.service import size_for
from kaido.cli.autoscale.slo import PolicyResult, SloTarget
from kaido.cli.autoscale.trace import Trace, TraceError, describe, read_trace
from kaido.config.durations import parse_duration

__all__ = ["bench"]

POLICIES = ("hpa", "predictive")


@click.group()
def bench() -> None:
    """Benchmarks against the simulator (autoscale)."""


def _duration(value: str, option: str) -> float:
    try:
        return parse_duration(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration like 90s, 30m, 6h or 2d", param_hint=option) from None


def _start_offset(trace: Trace, start: str | None) -> float:
    """`--start` as seconds after the trace's first bucket: a duration, or a moment of a timestamped trace."""
    if start is None:
        return 0.0
    try:
        return _duration(start, "--start")
    except click.BadParameter:
        if trace.start is None:
            raise
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{start!r} is neither a duration nor a timestamp", param_hint="--start") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=trace.start.tzinfo)
    return (moment - trace.start).total_seconds()


@bench.command()
@click.option(
    "--trace", "trace_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV trace."
)
@click.option("--policy", type=click.Choice(["hpa", "predictive", "both"]), default="both", show_default=True)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--step", help="Bucket length of an index trace: 1s, 1m, ...  [default: 1m for an index trace]")
@click.option("--start", help="Window start: a duration after the trace's start (6h, 2d) or a timestamp.")
@click.option("--duration", "duration_text", help="Window length (24h, 1d)  [default: to the end of the trace]")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True)
@click.option("--slo-latency", default="250ms", show_default=True, help="p95 latency target.")
@click.option("--pod-capacity", type=click.FloatRange(min=0, min_open=True), help="Requests/s one pod serves.")
@click.option("--pod-startup", default="30s", show_default=True, help="From pod start to ready.")
@click.option("--max-replicas", type=click.IntRange(min=1), help="The HPA's maxReplicas [default: sized to the peak]")
@click.option("--history", "history_text", default="7d", show_default=True, help="Trace before --start to learn from.")
@click.option("--tick", "tick_text", default="5s", show_default=True, help="Simulator tick.")
@click.option("--seed", type=int, default=1, show_default=True)
def autoscale(
    trace_path: Path,
    policy: str,
    output: str,
    step: str | None,
    start: str | None,
    duration_text: str | None,
    scale: float,
    slo_latency: str,
    pod_capacity: float | None,
    pod_startup: str,
    max_replicas: int | None,
    history_text: str,
    tick_text: str,
    seed: int,
) -> None:
    """Replay a request-rate trace with the HPA alone and with kaido's predictive scaling."""
    step_seconds = _duration(step, "--step") if step else None
    try:
        trace = read_trace(trace_path, step=step_seconds, default_step=60.0)
        if step_seconds is None and trace.start is None:
            click.echo("kaido bench: the trace's first column is an index; assuming --step 1m", err=True)
        offset = _start_offset(trace, start)
        duration = _duration(duration_text, "--duration") if duration_text else None
        window = trace.window(offset=offset, duration=duration).scaled(scale)
        history_seconds = min(_duration(history_text, "--history"), HISTORY_LIMIT, offset)
        history = (
            trace.window(offset=offset - history_seconds, duration=history_seconds).scaled(scale)
            if history_seconds > 0
            else None
        )
    except TraceError as error:
        raise click.ClickException(str(error)) from error
    tick = _duration(tick_text, "--tick")
    if window.resolution < tick:
        window = window.rebinned(tick)
    shape = size_for(
        window, capacity=pod_capacity, max_replicas=max_replicas, startup=_duration(pod_startup, "--pod-startup")
    )
    request = ReplayRequest(
        window=window,
        history=history,
        shape=shape,
        target=SloTarget(p95_seconds=_duration(slo_latency, "--slo-latency")),
        tick=tick,
        seed=seed,
    )
    click.echo(f"kaido bench autoscale: {trace_path.name}: {describe(window)}; {shape.describe()}", err=True)
    chosen = POLICIES if policy == "both" else (policy,)
    results = _run(request, chosen)
    if output == "json":
        click.echo(json.dumps({r.policy: {**r.to_json(), "service": shape.describe()} for r in results}, indent=2))
    else:
        click.echo(_table(results))


def _run(request: ReplayRequest, policies: tuple[str, ...]) -> list[PolicyResult]:
    if len(policies) == 1:
        return [_replay(request, policies[0])]
    with ProcessPoolExecutor(max_workers=len(policies)) as pool:
        return list(pool.map(_replay, [request] * len(policies), policies))


def _replay(request: ReplayRequest, policy: str) -> PolicyResult:
    return asyncio.run(replay_policy(request, policy=policy, progress=_progress))


def _progress(text: str) -> None:
    click.echo(f"kaido bench: {text}", err=True)


def _table(results: list[PolicyResult]) -> str:
    rows: list[tuple[str, Callable[[PolicyResult], str]]] = [
        ("SLO-violation minutes", lambda r: f"{r.slo_violation_minutes} of {r.minutes}"),
        ("pod-minutes", lambda r: f"{r.pod_minutes:.0f}"),
        ("max replicas", lambda r: str(r.max_replicas)),
        ("scaling actions", lambda r: str(r.scaling_actions)),
        ("kaido actions", lambda r: str(r.kaido_actions)),
        ("failed requests", lambda r: f"{r.failed_requests} of {r.requests}"),
        ("worst minute p95", lambda r: f"{r.p95_seconds_worst * 1000:.0f} ms"),
        ("wall time", lambda r: f"{r.wall_seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':{width}}  " + "  ".join(f"{r.policy:>16}" for r in results)]
    lines += [f"{name:{width}}  " + "  ".join(f"{cell(r):>16}" for r in results) for name, cell in rows]
    by = {r.policy: r for r in results}
    if "hpa" in by and "predictive" in by:
        hpa, pred = by["hpa"], by["predictive"]
        slo = f"{pred.slo_violation_minutes / hpa.slo_violation_minutes:.2f}x" if hpa.slo_violation_minutes else "n/a"
        lines.append(
            f"predictive vs hpa: SLO minutes {slo}, pod-minutes {pred.pod_minutes / max(hpa.pod_minutes, 1e-9):.2f}x"
        )
    return "\n".join(lines)
