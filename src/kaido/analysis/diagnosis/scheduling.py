"""Pods the scheduler cannot place: not enough resources, or no node the pod may go to.

The scheduler's message is a histogram over nodes ("0/3 nodes are available: 1 Insufficient cpu, 2
node(s) had untolerated taint(s)."). Its filters run in order (taints, node affinity, resources,
...) and a node is counted under the first that rejects it, so an `Insufficient` count means nodes
the pod may use are full: that is `unschedulable-resources`, and more capacity (or a smaller
request) is the fix. Only when every node is ruled out by placement rules is it
`unschedulable-placement`. The nodes and the pod's spec then say which resource, label or taint:
"0/3 nodes have nvidia.com/gpu", "nodeSelector disktype=ssd matches none of the 3 nodes".
Messages about the pod's claims are handed to `storage`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.evidence import clip, describe_event, message_of, plural
from kaido.analysis.diagnosis.model import UNSCHEDULABLE_PLACEMENT, UNSCHEDULABLE_RESOURCES, Problem
from kaido.analysis.diagnosis.storage import CLAIM_MESSAGES, claim_problem
from kaido.analysis.status import condition, describe_condition
from kaido.core.errors import QuantityError
from kaido.core.quantity import Quantity, parse_quantity

__all__ = ["pod_request", "scheduling_message", "scheduling_problem", "split_reasons"]

_HEAD: Final = re.compile(r"0/(\d+) nodes are available:?\s*")
_ITEM: Final = re.compile(r"(\d+) (.+?)(?:, (?=\d+ )|$)")
_INSUFFICIENT: Final = re.compile(r"Insufficient (\S+)")
_ZERO: Final = parse_quantity(0)


def scheduling_message(case: PodCase) -> str | None:
    """Why the scheduler has not placed the pod, from PodScheduled=False or its last FailedScheduling Event."""
    if case.spec.get("nodeName"):
        return None
    scheduled = condition(case.pod, "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        return str(scheduled.get("message") or "")
    events = case.ctx.pod_events(case.pod, reason="FailedScheduling")
    return message_of(events[-1]) if events else None


def split_reasons(message: str) -> tuple[int | None, list[tuple[int, str]]]:
    """(node count, [(count, reason)]) of a FitError message; the preemption part is left out."""
    head = _HEAD.search(message)
    if head is None:
        return None, []
    body = message[head.end() :].split(". ", maxsplit=1)[0].removesuffix(".")
    return int(head.group(1)), [(int(n), reason.strip()) for n, reason in _ITEM.findall(body)]


def scheduling_problem(case: PodCase) -> Problem | None:
    message = scheduling_message(case)
    if message is None:
        return None
    events = case.ctx.pod_events(case.pod, reason="FailedScheduling")
    scheduled = condition(case.pod, "PodScheduled")
    evidence = ((describe_condition(scheduled),) if scheduled else ()) + tuple(describe_event(e) for e in events[-1:])
    if any(text in message for text in CLAIM_MESSAGES):
        return claim_problem(case, message, evidence)
    total, reasons = split_reasons(message)
    total = total if total is not None else len(case.ctx.snapshot.nodes)
    resources = [(n, r) for n, r in reasons if r.startswith("Insufficient ") or r == "Too many pods"]
    if resources:
        sentences, fix = _resources(case, total, resources)
        cause = UNSCHEDULABLE_RESOURCES
    else:
        sentences, fix = _placement(case, total, reasons)
        cause = UNSCHEDULABLE_PLACEMENT
    summary = "cannot be scheduled: " + ("; ".join(sentences) if sentences else clip(message, 200))
    return Problem(
        cause=cause,
        severity="warning",
        summary=summary,
        evidence=tuple(clip(line) for line in evidence) or (clip(message),),
        suggestion=fix,
    )


def _verb(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


# ----- resources ------------------------------------------------------------------------------------


def _quantity(value: object) -> Quantity | None:
    try:
        return parse_quantity(value) if isinstance(value, str | int | float) else None
    except QuantityError:
        return None


def pod_request(pod: Mapping[str, Any], resource: str) -> Quantity:
    """What the scheduler counts: the sum over containers (a limit stands in for a missing request), or the
    largest init container's, whichever is larger."""

    def one(container: Mapping[str, Any]) -> Quantity:
        resources = container.get("resources") or {}
        value = (resources.get("requests") or {}).get(resource, (resources.get("limits") or {}).get(resource))
        return _quantity(value) or _ZERO

    spec = pod.get("spec") or {}
    parts = [one(c) for c in spec.get("containers") or []]
    # summed from the first part, whose format ("6Gi") the total keeps; zero would print bytes
    total = functools.reduce(operator.add, parts[1:], parts[0]) if parts else _ZERO
    init = max((one(c) for c in spec.get("initContainers") or []), default=_ZERO)
    return max(total, init)


def _allocatable(case: PodCase, resource: str) -> list[Quantity]:
    return [
        _quantity(((node.get("status") or {}).get("allocatable") or {}).get(resource)) or _ZERO
        for node in case.ctx.snapshot.nodes
    ]


def _resources(case: PodCase, total: int, reasons: Sequence[tuple[int, str]]) -> tuple[list[str], str]:
    sentences: list[str] = []
    fixes: list[str] = []
    for count, reason in reasons:
        if reason == "Too many pods":
            sentences.append(f"{plural(count, 'node')} already {_verb(count, 'runs', 'run')} as many pods as allowed")
            fixes.append("add nodes or raise the nodes' pod limit")
            continue
        resource = reason.removeprefix("Insufficient ")
        wanted = pod_request(case.pod, resource)
        nodes = _allocatable(case, resource)
        if nodes and all(q.is_zero() for q in nodes):
            sentences.append(f"0/{len(nodes)} nodes have {resource} (the pod requests {wanted})")
            fixes.append(f"add nodes that offer {resource} or remove the {resource} request from {case.kubectl_ref}")
        elif nodes and max(nodes) < wanted:
            sentences.append(f"the pod requests {wanted} {resource} but the largest node allocates {max(nodes)}")
            fixes.append(
                f"lower the {resource} request of {case.kubectl_ref} to at most {max(nodes)} or add larger nodes"
            )
        else:
            sentences.append(
                f"{plural(count, 'node')} of {total} {_verb(count, 'lacks', 'lack')} free {resource} for the pod's "
                f"request of {wanted}; "
                "other pods have requested the rest"
            )
            fixes.append(
                f"add nodes, scale down other workloads, or lower the {resource} request of {case.kubectl_ref}"
            )
    return sentences, "; or ".join(dict.fromkeys(fixes))


# ----- placement ------------------------------------------------------------------------------------


def _placement(case: PodCase, total: int, reasons: Sequence[tuple[int, str]]) -> tuple[list[str], str]:
    sentences: list[str] = []
    fixes: list[str] = []
    for count, reason in reasons:
        nodes = plural(count, "node")
        if "node affinity" in reason or "node selector" in reason:
            sentences.append(_selector_sentence(case, count, total))
            fixes.append(_selector_fix(case))
        elif (
            "taint" in reason
        ):  # "had untolerated taint(s)"; before 1.27 "had taint {...}, that the pod didn't tolerate"
            taints = _untolerated(case)
            listed = ", ".join(f"{t} ({plural(n, 'node')})" for t, n in taints.most_common())
            have = _verb(count, "has", "have")
            sentences.append(f"{nodes} {have} taints the pod does not tolerate" + (f": {listed}" if listed else ""))
            first = next(iter(taints), "<key>=<value>:<effect>")
            fixes.append(
                f"add a toleration for {first} to {case.kubectl_ref}, or remove the taint "
                f"(kubectl taint nodes <node> {first.split('=')[0].split(':')[0]}-)"
            )
        elif "existing pods anti-affinity" in reason:
            sentences.append(f"pods already on {nodes} forbid this pod next to them (their required anti-affinity)")
            fixes.append("add nodes or relax the required pod anti-affinity of the pods already running")
        elif "anti-affinity" in reason:
            keys = ", ".join(_topology_keys(case, "podAntiAffinity")) or "its topology key"
            run = _verb(count, "runs", "run")
            sentences.append(f"its required pod anti-affinity ({keys}) rules out {nodes} that already {run} a match")
            fixes.append(
                f"add nodes, lower the replicas of {case.kubectl_ref}, or make its pod anti-affinity "
                "preferredDuringScheduling instead of required"
            )
        elif "pod affinity" in reason:
            sentences.append(f"its required pod affinity finds no matching pod on {nodes}")
            fixes.append(f"start the pods it must run next to, or relax the pod affinity of {case.kubectl_ref}")
        elif "unschedulable" in reason:
            sentences.append(f"{nodes} {_verb(count, 'is', 'are')} cordoned")
            fixes.append("uncordon a node (kubectl uncordon <node>) or add nodes")
        elif "volume node affinity" in reason or "persistent volumes to bind" in reason:
            sentences.append(f"its volumes can only be used on nodes (or zones) other than {nodes} here")
            fixes.append(f"check the node affinity of the PersistentVolumes {case.kubectl_ref} uses (kubectl get pv)")
        else:
            sentences.append(f"{nodes}: {reason}")
    if not fixes:
        fixes.append(f"kubectl describe pod {case.name} {case.kubectl_ns}: the scheduler's reasons are above")
    return sentences, "; or ".join(dict.fromkeys(fixes))


def _selector_sentence(case: PodCase, count: int, total: int) -> str:
    selector: Mapping[str, str] = case.spec.get("nodeSelector") or {}
    if selector:
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        have = _label_values(case, sorted(selector))
        text = f"nodeSelector {wanted} matches none of the {plural(total, 'node')}"
        return text + (f" (nodes have {have})" if have else "")
    return f"its required node affinity matches none of {plural(count, 'node')}"


def _selector_fix(case: PodCase) -> str:
    selector: Mapping[str, str] = case.spec.get("nodeSelector") or {}
    if selector:
        pairs = " ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        return (
            f"label a node {pairs} (kubectl label node <node> {pairs}) or change the nodeSelector of {case.kubectl_ref}"
        )
    return f"label a node to match, or change the required node affinity of {case.kubectl_ref}"


def _label_values(case: PodCase, keys: Sequence[str]) -> str:
    """ "disktype: hdd, none" — what the nodes carry for the selector's keys."""
    parts = []
    for key in keys:
        values = sorted(
            {str(((n.get("metadata") or {}).get("labels") or {}).get(key, "none")) for n in case.ctx.snapshot.nodes}
        )
        if values:
            parts.append(f"{key}: {', '.join(values)}")
    return "; ".join(parts)


def _tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists":
            if not toleration.get("key") or toleration.get("key") == taint.get("key"):
                return True
        elif toleration.get("key") == taint.get("key") and (toleration.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def _untolerated(case: PodCase) -> Counter[str]:
    """Taints (NoSchedule, NoExecute) the pod does not tolerate, counted over nodes."""
    tolerations = case.spec.get("tolerations") or []
    found: Counter[str] = Counter()
    for node in case.ctx.snapshot.nodes:
        for taint in (node.get("spec") or {}).get("taints") or []:
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, taint):
                value = f"={taint['value']}" if taint.get("value") else ""
                found[f"{taint.get('key')}{value}:{taint.get('effect')}"] += 1
    return found


def _topology_keys(case: PodCase, kind: str) -> list[str]:
    terms = ((case.spec.get("affinity") or {}).get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    return sorted({str(t.get("topologyKey")) for t in terms or [] if t.get("topologyKey")})
