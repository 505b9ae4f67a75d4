"""Nodes that are not Ready, and the pods they take down with them.

A node whose Ready condition is False or Unknown (the kubelet stopped posting status) cannot run or
report its pods: their statuses freeze and their Ready condition goes False. The node is the cause;
its pods are listed on the node's diagnosis, and a pod there with nothing else wrong gets no
diagnosis of its own.
"""

from __future__ import annotations

from kaido.analysis.diagnosis.context import Context
from kaido.analysis.diagnosis.evidence import plural
from kaido.analysis.diagnosis.model import NODE_NOT_READY, Problem
from kaido.analysis.diagnosis.snapshot import Body
from kaido.analysis.findings import describe_duration
from kaido.analysis.status import condition, describe_condition

__all__ = ["node_down", "node_problem"]

_PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def node_down(ctx: Context, node: Body) -> bool:
    """Not Ready, or never reported Ready after the grace period."""
    ready = condition(node, "Ready")
    if ready is None:
        age = ctx.seconds_since((node.get("metadata") or {}).get("creationTimestamp"))
        return age is None or age >= ctx.settings.not_ready_grace
    return ready.get("status") != "True"


def node_problem(ctx: Context, node: Body, pods: list[Body]) -> Problem | None:
    """node-not-ready for `node`, naming how many of `pods` (those bound to it) it holds."""
    if not node_down(ctx, node):
        return None
    name = str((node.get("metadata") or {}).get("name", ""))
    ready = condition(node, "Ready")
    if ready is None:
        summary = f"node {name} has never reported a Ready condition"
    else:
        since = ctx.seconds_since(ready.get("lastTransitionTime"))
        summary = f"node {name} is not Ready ({ready.get('status')}"
        summary += f": {ready['message']})" if ready.get("message") else ")"
        summary += f" for {describe_duration(since)}" if since is not None else ""
    summary += f"; {plural(len(pods), 'pod')} on it cannot run or report"
    evidence = [describe_condition(ready)] if ready else []
    evidence += [
        describe_condition(c) for kind in _PRESSURES if (c := condition(node, kind)) and c.get("status") == "True"
    ]
    evidence += [f"taint {t.get('key')}:{t.get('effect')}" for t in (node.get("spec") or {}).get("taints") or []]
    return Problem(
        cause=NODE_NOT_READY,
        severity="critical",
        summary=summary,
        evidence=tuple(evidence),
        suggestion=(
            f"check the kubelet and container runtime on {name} (journalctl -u kubelet) and its network; "
            f"if it stays down, kubectl drain {name} --ignore-daemonsets --delete-emptydir-data moves its pods"
        ),
    )
