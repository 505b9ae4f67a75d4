"""`kaido diagnose [TARGET]`: why a workload, or every unhealthy workload in scope, is unhealthy.

It reads the cluster once (`kaido.controllers.inspect.gather`), diagnoses the snapshot
(`kaido.analysis.diagnosis.diagnose`) and prints one block per diagnosis, or a JSON list. It works
against any cluster a kubeconfig reaches, simulated or real, and writes nothing.

Scope: with TARGET, the namespace from -n or else the kubeconfig context's; without TARGET, every
namespace unless -n narrows it. Exit codes: 0 when nothing is wrong, 3 when something was
diagnosed (so scripts can gate on it), 1 when the cluster cannot be read or TARGET does not exist,
2 for usage errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import click

from kaido.analysis.diagnosis import Diagnosis, Snapshot, latest_time
from kaido.analysis.diagnosis import diagnose as diagnose_snapshot
from kaido.analysis.diagnosis.model import describe_ref
from kaido.controllers.inspect import gather
from kaido.core.clock import RealClock
from kaido.core.errors import ObjectRefError
from kaido.core.refs import ObjectRef, parse_target
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError, NotFound
from kaido.kube.resources import resource_for

__all__ = ["DIAGNOSED_EXIT_CODE", "diagnose"]

DIAGNOSED_EXIT_CODE: Final = 3
_TARGET_KINDS: Final = (
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "HorizontalPodAutoscaler", "Node",
    "PersistentVolumeClaim",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Report:
    target: ObjectRef | None
    scope: str | None  # the namespace read, None for all
    diagnoses: list[Diagnosis]
    notes: tuple[str, ...]


@click.command()
@click.argument("target", required=False)
@click.option("-n", "--namespace", help="Namespace of TARGET, or the one to diagnose (default: the kubeconfig's).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Diagnose every namespace (the default without TARGET).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), help="Kubeconfig to use.")
@click.option("--context", help="Kubeconfig context to use (default: its current context).")
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@click.option("-v", "--verbose", is_flag=True, help="Log API retries and requests.")
def diagnose(
    target: str | None,
    namespace: str | None,
    all_namespaces: bool,
    kubeconfig: Path | None,
    context: str | None,
    output: str,
    verbose: bool,
) -> None:
    """Explain why TARGET (deploy/NAME, pod/NAME, ...) or every unhealthy workload is unhealthy.

    Exits 0 when nothing is wrong, 3 when something was diagnosed, 1 on errors.
    """
    if all_namespaces and (namespace or target):
        raise click.UsageError("-A/--all-namespaces diagnoses every namespace; drop it to use -n NS or a TARGET")
    if target is not None:
        try:
            parse_target(target, namespace="")
        except ObjectRefError as error:
            raise click.BadParameter(str(error), param_hint="TARGET") from error
    # API retries are logged as warnings; a command line says the final outcome once instead.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = asyncio.run(_diagnose(target, namespace=namespace, kubeconfig=kubeconfig, context=context))
    except KubeError as error:
        raise click.ClickException(str(error)) from error
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if output == "json":
        click.echo(json.dumps([d.to_json() for d in report.diagnoses], indent=2))
    else:
        click.echo(render_text(report.diagnoses, target=report.target, scope=report.scope))
    if report.diagnoses:
        raise SystemExit(DIAGNOSED_EXIT_CODE)


async def _diagnose(
    target: str | None, *, namespace: str | None, kubeconfig: Path | None, context: str | None
) -> _Report:
    kube = await Kube.connect(kubeconfig=kubeconfig, context=context, timeout=15)
    async with kube:
        ref = parse_target(target, namespace=namespace or kube.namespace) if target else None
        if ref is not None:
            await _require(kube, ref)
            scope = ref.namespace  # a Node's pods live in every namespace
        else:
            scope = namespace
        snapshot = await gather(kube, namespace=scope)
    diagnoses = diagnose_snapshot(snapshot, now=_now(snapshot))
    if ref is not None:
        diagnoses = [d for d in diagnoses if d.concerns(ref)]
    return _Report(ref, scope, diagnoses, snapshot.notes)


async def _require(kube: Kube, ref: ObjectRef) -> None:
    """Fail with one clear line when TARGET's kind is not diagnosable or the object does not exist."""
    if ref.kind not in _TARGET_KINDS:
        raise click.BadParameter(
            f"kaido diagnose cannot diagnose a {ref.kind}; name one of: {', '.join(_TARGET_KINDS)}",
            param_hint="TARGET",
        )
    try:
        await kube.get(resource_for(ref.kind), ref.name, namespace=ref.namespace)
    except NotFound as error:
        where = f" in namespace {ref.namespace}" if ref.namespace else ""
        raise click.ClickException(
            f"{ref.kind.lower()} {ref.name} not found{where}; check the name, or pass -n NAMESPACE"
        ) from error


def _now(snapshot: Snapshot) -> datetime:
    """The later of this machine's clock and the cluster's newest timestamp (a simulator may run ahead)."""
    now = RealClock().now()
    seen = latest_time(snapshot)
    return max(now, seen) if seen is not None else now


def render_text(diagnoses: list[Diagnosis], *, target: ObjectRef | None, scope: str | None) -> str:
    """One block per diagnosis: cause and target, the summary, evidence bullets, the fix and the pods."""
    if not diagnoses:
        if target is not None:
            return f"{describe_ref(target)}: no problem found"
        return "no unhealthy workloads found " + (f"in namespace {scope}" if scope else "in any namespace")
    blocks = []
    for item in diagnoses:
        label = describe_ref(item.target)
        lines = [f"{item.cause} ({item.severity}): {label}", f"  {item.summary.removeprefix(label + ': ')}"]
        if item.evidence:
            lines.append("  evidence:")
            lines.extend(f"    - {line}" for line in item.evidence)
        if item.suggestion:
            lines.append(f"  fix: {item.suggestion}")
        if item.pods and item.pods != (item.target.name,):
            lines.append(f"  pods: {', '.join(item.pods)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
