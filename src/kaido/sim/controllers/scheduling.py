"""Where a pod fits, which node wins, and kube-scheduler 1.35's exact words when none does.

Pure functions over a `Snapshot` (nodes with the non-terminal pods bound to them). As upstream's
default profile: PreFilter (VolumeBinding: claims must exist and immediate ones be bound), then per
node the Filter plugins in order, stopping at the first rejection: NodeUnschedulable,
TaintToleration, NodeAffinity (nodeSelector and required affinity), NodeResourcesFit,
VolumeBinding (PV node affinity), InterPodAffinity. Each rejection is resolvable by preemption
(`Unschedulable`: resources, anti-affinity) or not (`UnschedulableAndUnresolvable`); that decides
the "preemption: ..." half of `FitError.Error()`. Feasible nodes are scored like NodeResourcesFit
(least allocated) + BalancedAllocation + TaintToleration (x3) + NodeAffinity (x2); the highest
score wins, ties go to the first name (upstream picks at random).

Wording is 1.35's: taints read "node(s) had untolerated taint(s)" (keys are no longer shown), the
DynamicResources PostFilter says "no new claims to deallocate" before preemption, and when
VolumeBinding rejects in PreFilter that PostFilter finds no cycle state and says only "not found".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity
from kaido.sim.selectors import Requirement, selector_from_object
from kaido.sim.store import Obj

__all__ = [
    "Decision",
    "NodeInfo",
    "Rejection",
    "Snapshot",
    "Storage",
    "amounts",
    "fit_error",
    "non_zero_requests",
    "pod_requests",
    "schedule",
]

Amounts = dict[str, int]  # cpu in millicores, every other resource in whole units

CPU: Final = "cpu"
MEMORY: Final = "memory"
PODS: Final = "pods"
UNSCHEDULABLE_TAINT: Final = "node.kubernetes.io/unschedulable"
_MAX_SCORE: Final = 100
_DEFAULT_MILLI_CPU: Final = 100  # what scoring assumes for a container without a cpu request
_DEFAULT_MEMORY: Final = 200 * 1024 * 1024
_NOT_SCHEDULE: Final = ("NoSchedule", "NoExecute")
_OPERATORS: Final = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}

NO_NODES: Final = "no nodes available to schedule pods"
UNSCHEDULABLE_NODE: Final = "node(s) were unschedulable"
UNTOLERATED_TAINT: Final = "node(s) had untolerated taint(s)"
NODE_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"
TOO_MANY_PODS: Final = "Too many pods"
VOLUME_NODE_AFFINITY: Final = "node(s) had volume node affinity conflict"
POD_AFFINITY: Final = "node(s) didn't match pod affinity rules"
POD_ANTI_AFFINITY: Final = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY: Final = "node(s) didn't satisfy existing pods anti-affinity rules"
UNBOUND_CLAIMS: Final = "pod has unbound immediate PersistentVolumeClaims"
NOT_HELPFUL: Final = "Preemption is not helpful for scheduling"
NO_VICTIMS: Final = "No preemption victims found for incoming pod"
NEVER_PREEMPTS: Final = "preemption: not eligible due to preemptionPolicy=Never."
NO_CLAIMS: Final = "no new claims to deallocate"
NO_CYCLE_STATE: Final = "not found"  # DynamicResources.PostFilter when its PreFilter never ran


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one node refused the pod; `resolvable` means preemption could change that."""

    reasons: tuple[str, ...]
    resolvable: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """The node to bind to, or the FitError text for the PodScheduled condition and the event."""

    node: str | None
    message: str = ""


@dataclass(slots=True)
class NodeInfo:
    """A node as the scheduler sees it, and the requests of the pods already bound to it."""

    name: str
    labels: dict[str, str]
    taints: tuple[Obj, ...]
    unschedulable: bool
    allocatable: Amounts
    pods: list[Obj] = field(default_factory=list)
    requested: Amounts = field(default_factory=dict)
    non_zero: Amounts = field(default_factory=dict)

    def add(self, pod: Obj) -> None:
        self.pods.append(pod)
        _add(self.requested, pod_requests(pod))
        _add(self.non_zero, non_zero_requests(pod))

    def without(self, pods: Sequence[Obj]) -> NodeInfo:
        gone = {id(p) for p in pods}
        trimmed = replace(self, pods=[], requested={}, non_zero={})
        for pod in self.pods:
            if id(pod) not in gone:
                trimmed.add(pod)
        return trimmed


@dataclass(slots=True)
class Snapshot:
    nodes: list[NodeInfo]
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Storage:
    """Claims by (namespace, name), volumes and classes by name, and the default class."""

    claims: Mapping[tuple[str, str], Obj]
    volumes: Mapping[str, Obj]
    classes: Mapping[str, Obj]
    default_class: str | None = None


def amounts(resources: Any) -> Amounts:
    out: Amounts = {}
    for name, text in (resources if isinstance(resources, dict) else {}).items():
        try:
            quantity = parse_quantity(text)
        except QuantityError:
            continue  # validation rejects these; a stray one must not stop the scheduler
        out[name] = quantity.as_milli() if name == CPU else quantity.as_int()
    return out


def _add(total: Amounts, more: Mapping[str, int], *, peak: bool = False) -> None:
    for name, amount in more.items():
        total[name] = max(total.get(name, 0), amount) if peak else total.get(name, 0) + amount


def _container_requests(container: Obj, defaults: bool) -> Amounts:
    requests = amounts((container.get("resources") or {}).get("requests"))
    return {CPU: _DEFAULT_MILLI_CPU, MEMORY: _DEFAULT_MEMORY, **requests} if defaults else requests


def pod_requests(pod: Obj, *, defaults: bool = False) -> Amounts:
    """Effective requests: app containers and sidecars, or the largest init step; pod-level; overhead."""
    spec = pod.get("spec") or {}
    total: Amounts = {}
    for container in spec.get("containers") or []:
        _add(total, _container_requests(container, defaults))
    sidecars: Amounts = {}
    init_peak: Amounts = {}
    for container in spec.get("initContainers") or []:
        requests = _container_requests(container, defaults)
        if container.get("restartPolicy") == "Always":  # a sidecar keeps running beside the app
            _add(total, requests)
            _add(sidecars, requests)
            step = dict(sidecars)
        else:
            step = dict(requests)
            _add(step, sidecars)
        _add(init_peak, step, peak=True)
    _add(total, init_peak, peak=True)
    pod_level = amounts((spec.get("resources") or {}).get("requests"))
    total.update({k: v for k, v in pod_level.items() if k in (CPU, MEMORY) or k.startswith("hugepages-")})
    _add(total, amounts(spec.get("overhead")))
    return total


def non_zero_requests(pod: Obj) -> Amounts:
    """Cpu and memory with upstream's defaults (100m, 200Mi) for missing requests, for scoring only."""
    requests = pod_requests(pod, defaults=True)
    return {CPU: requests.get(CPU, 0), MEMORY: requests.get(MEMORY, 0)}


def _tolerates(tolerations: Iterable[Obj], taint: Obj) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("key") and toleration["key"] != taint.get("key"):
            continue
        operator = toleration.get("operator") or "Equal"
        if operator == "Exists" or (
            operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")
        ):
            return True
    return False


def _requirement(expression: Obj) -> Requirement:
    operator = _OPERATORS.get(str(expression.get("operator")), "invalid")  # an unknown operator never matches
    return Requirement(str(expression.get("key", "")), operator, tuple(str(v) for v in expression.get("values") or ()))


def _node_term_matches(term: Obj, node: NodeInfo) -> bool:
    expressions, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not expressions and not fields:
        return False  # an empty term selects nothing
    return all(_requirement(e).matches(node.labels) for e in expressions) and all(
        _requirement(f).matches({"metadata.name": node.name}) for f in fields
    )


def _matches_node_selector(spec: Obj, node: NodeInfo) -> bool:
    if any(node.labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(_node_term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def _fit(requests: Amounts, node: NodeInfo) -> Rejection | None:
    reasons: list[str] = []
    unresolvable = False
    if len(node.pods) + 1 > node.allocatable.get(PODS, 0):
        reasons.append(TOO_MANY_PODS)
    named = [CPU, MEMORY, "ephemeral-storage"]
    for name in named + sorted(set(requests) - {*named, PODS}):
        wanted, capacity = requests.get(name, 0), node.allocatable.get(name, 0)
        if wanted > 0 and wanted > capacity - node.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
            unresolvable = unresolvable or wanted > capacity  # not even an empty node would do
    return Rejection(tuple(reasons), resolvable=not unresolvable) if reasons else None


def _term_matches(
    term: Obj, owner_namespace: str, target: Obj, namespace_labels: Mapping[str, Mapping[str, str]]
) -> bool:
    """Whether a pod (anti-)affinity term of a pod in `owner_namespace` selects `target`."""
    namespace = target["metadata"].get("namespace", "")
    names, namespace_selector = term.get("namespaces") or [], term.get("namespaceSelector")
    if not names and namespace_selector is None:
        in_scope = namespace == owner_namespace
    else:
        in_scope = namespace in names or (
            namespace_selector is not None
            and selector_from_object(namespace_selector).matches(namespace_labels.get(namespace))
        )
    selector = term.get("labelSelector")  # absent selects nothing, {} everything
    return (
        in_scope and selector is not None and selector_from_object(selector).matches(target["metadata"].get("labels"))
    )


def _required(pod: Obj, kind: str) -> list[Obj]:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or [])


@dataclass(frozen=True, slots=True)
class _Affinity:
    """InterPodAffinity's PreFilter state: topology pairs that attract or repel the pod."""

    pod: Obj
    affinity_terms: list[Obj]
    affinity_pairs: frozenset[tuple[str, str]]
    anti_terms: list[Obj]
    anti_pairs: frozenset[tuple[str, str]]
    existing_anti_pairs: frozenset[tuple[str, str]]


def _affinity_state(pod: Obj, snapshot: Snapshot) -> _Affinity:
    namespace = pod["metadata"].get("namespace", "")
    affinity_terms, anti_terms = _required(pod, "podAffinity"), _required(pod, "podAntiAffinity")
    attract: set[tuple[str, str]] = set()
    repel: set[tuple[str, str]] = set()
    existing: set[tuple[str, str]] = set()
    labels = snapshot.namespace_labels
    for node in snapshot.nodes:
        for other in node.pods:
            if affinity_terms and all(_term_matches(t, namespace, other, labels) for t in affinity_terms):
                attract.update(
                    (t["topologyKey"], node.labels[t["topologyKey"]])
                    for t in affinity_terms
                    if t.get("topologyKey") in node.labels
                )
            for term in anti_terms:
                if term.get("topologyKey") in node.labels and _term_matches(term, namespace, other, labels):
                    repel.add((term["topologyKey"], node.labels[term["topologyKey"]]))
            other_namespace = other["metadata"].get("namespace", "")
            for term in _required(other, "podAntiAffinity"):
                if term.get("topologyKey") in node.labels and _term_matches(term, other_namespace, pod, labels):
                    existing.add((term["topologyKey"], node.labels[term["topologyKey"]]))
    return _Affinity(pod, affinity_terms, frozenset(attract), anti_terms, frozenset(repel), frozenset(existing))


def _inter_pod_affinity(
    state: _Affinity, node: NodeInfo, namespace_labels: Mapping[str, Mapping[str, str]]
) -> Rejection | None:
    if state.affinity_terms:
        keys = [t.get("topologyKey", "") for t in state.affinity_terms]
        pairs = {(key, node.labels[key]) for key in keys if key in node.labels}
        if len(pairs) < len(set(keys)):
            return Rejection((POD_AFFINITY,), resolvable=False)
        if not pairs <= state.affinity_pairs:
            # The first pod of a group with affinity to itself may go anywhere with the topology labels.
            namespace = state.pod["metadata"].get("namespace", "")
            alone = not state.affinity_pairs and all(
                _term_matches(t, namespace, state.pod, namespace_labels) for t in state.affinity_terms
            )
            if not alone:
                return Rejection((POD_AFFINITY,), resolvable=False)
    for term in state.anti_terms:
        key = term.get("topologyKey", "")
        if key in node.labels and (key, node.labels[key]) in state.anti_pairs:
            return Rejection((POD_ANTI_AFFINITY,), resolvable=True)
    if any(pair in state.existing_anti_pairs for pair in node.labels.items()):
        return Rejection((EXISTING_ANTI_AFFINITY,), resolvable=True)
    return None


def _filter(
    pod: Obj, requests: Amounts, node: NodeInfo, state: _Affinity, snapshot: Snapshot, volumes: Sequence[Obj]
) -> Rejection | None:
    """Upstream's Filter plugins in order; the first that rejects the node decides its reasons."""
    spec = pod.get("spec") or {}
    tolerations = list(spec.get("tolerations") or [])
    if node.unschedulable and not _tolerates(tolerations, {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}):
        return Rejection((UNSCHEDULABLE_NODE,), resolvable=False)
    if any(t.get("effect") in _NOT_SCHEDULE and not _tolerates(tolerations, t) for t in node.taints):
        return Rejection((UNTOLERATED_TAINT,), resolvable=False)
    if not _matches_node_selector(spec, node):
        return Rejection((NODE_AFFINITY,), resolvable=False)
    rejection = _fit(requests, node)
    if rejection is not None:
        return rejection
    for volume in volumes:
        required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
        if required and not any(_node_term_matches(t, node) for t in required.get("nodeSelectorTerms") or []):
            return Rejection((VOLUME_NODE_AFFINITY,), resolvable=False)
    return _inter_pod_affinity(state, node, snapshot.namespace_labels)


def _claims(pod: Obj, storage: Storage) -> tuple[str | None, list[Obj]]:
    """The PreFilter rejection for the pod's claims, if any, and the volumes its bound claims use."""
    namespace = pod["metadata"].get("namespace", "")
    unbound_immediate = False
    volumes: list[Obj] = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if not name:
            continue
        claim = storage.claims.get((namespace, name))
        if claim is None:
            return f'persistentvolumeclaim "{name}" not found', []
        status, spec = claim.get("status") or {}, claim.get("spec") or {}
        if status.get("phase") == "Lost":
            return (
                f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume "{spec.get("volumeName", "")}"',
                [],
            )
        if claim["metadata"].get("deletionTimestamp"):
            return f'persistentvolumeclaim "{name}" is being deleted', []
        if spec.get("volumeName") and status.get("phase") == "Bound":
            bound = storage.volumes.get(spec["volumeName"])
            volumes.extend([bound] if bound is not None else [])
            continue
        storage_class = storage.classes.get(spec.get("storageClassName") or storage.default_class or "")
        delayed = (storage_class or {}).get("volumeBindingMode") == "WaitForFirstConsumer"
        unbound_immediate = unbound_immediate or not delayed or bool(spec.get("volumeName"))
    return (UNBOUND_CLAIMS if unbound_immediate else None), volumes


def _least_allocated(non_zero: Amounts, node: NodeInfo) -> int:
    total = weights = 0
    for name in (CPU, MEMORY):
        capacity = node.allocatable.get(name, 0)
        if capacity <= 0:
            continue
        requested = node.non_zero.get(name, 0) + non_zero.get(name, 0)
        total += 0 if requested > capacity else (capacity - requested) * _MAX_SCORE // capacity
        weights += 1
    return total // weights if weights else 0


def _balanced(requests: Amounts, node: NodeInfo) -> int:
    fractions = [
        min(1.0, (node.requested.get(name, 0) + requests.get(name, 0)) / node.allocatable[name])
        for name in (CPU, MEMORY)
        if node.allocatable.get(name, 0) > 0
    ]
    spread = abs(fractions[0] - fractions[1]) / 2 if len(fractions) == 2 else 0.0
    return int((1 - spread) * _MAX_SCORE)


def _normalized(raw: Mapping[str, int], *, reverse: bool) -> dict[str, int]:
    """DefaultNormalizeScore: scale to 0..100 by the highest score, optionally reversed."""
    top = max(raw.values(), default=0)
    if top == 0:
        return dict.fromkeys(raw, _MAX_SCORE if reverse else 0)
    return {
        name: (_MAX_SCORE - score * _MAX_SCORE // top) if reverse else score * _MAX_SCORE // top
        for name, score in raw.items()
    }


def _best(pod: Obj, requests: Amounts, feasible: Sequence[NodeInfo]) -> str:
    spec = pod.get("spec") or {}
    non_zero = non_zero_requests(pod)
    best_effort = not requests.get(CPU) and not requests.get(MEMORY)
    soft = [t for t in spec.get("tolerations") or [] if t.get("effect") in ("", None, "PreferNoSchedule")]
    taints = {
        n.name: sum(1 for t in n.taints if t.get("effect") == "PreferNoSchedule" and not _tolerates(soft, t))
        for n in feasible
    }
    preferred = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "preferredDuringSchedulingIgnoredDuringExecution"
    ) or []
    affinity = {
        n.name: sum(int(p.get("weight", 0)) for p in preferred if _node_term_matches(p.get("preference") or {}, n))
        for n in feasible
    }
    taint_scores, affinity_scores = _normalized(taints, reverse=True), _normalized(affinity, reverse=False)
    scores = {
        n.name: _least_allocated(non_zero, n)
        + (0 if best_effort else _balanced(requests, n))  # BalancedAllocation skips BestEffort pods
        + 3 * taint_scores[n.name]
        + 2 * affinity_scores[n.name]
        for n in feasible
    }
    return min(scores, key=lambda name: (-scores[name], name))


def fit_error(nodes: int, reasons: Mapping[str, Sequence[str]], *, absent: str = "", post_filter: str = "") -> str:
    """FitError.Error(): "<count> <reason>" over nodes, sorted as strings; unlisted nodes count as `absent`."""
    counts = Counter(reason for node_reasons in reasons.values() for reason in node_reasons)
    if absent and len(reasons) < nodes:
        counts[absent] += nodes - len(reasons)
    histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
    message = f"0/{nodes} nodes are available:"
    if histogram:
        message += f" {', '.join(histogram)}."
    return f"{message} {post_filter}" if post_filter else message


def _preemption(
    pod: Obj, snapshot: Snapshot, rejections: Mapping[str, Rejection], volumes: Sequence[Obj]
) -> str | None:
    """DefaultPreemption's message, or None when evicting lower-priority pods would free a node.

    Only nodes with a resolvable rejection are tried; the filters run again without the victims.
    """
    spec = pod.get("spec") or {}
    if spec.get("preemptionPolicy") == "Never":
        return NEVER_PREEMPTS
    priority = int(spec.get("priority") or 0)
    outcomes: dict[str, tuple[str, ...]] = {}
    for node in snapshot.nodes:
        if rejections[node.name].resolvable:
            victims = [p for p in node.pods if int((p.get("spec") or {}).get("priority") or 0) < priority]
            if not victims:
                outcomes[node.name] = (NO_VICTIMS,)
                continue
            trimmed = node.without(victims)
            others = Snapshot([trimmed if n is node else n for n in snapshot.nodes], snapshot.namespace_labels)
            state = _affinity_state(pod, others)
            again = _filter(pod, pod_requests(pod), trimmed, state, others, volumes)
            if again is None:
                return None
            outcomes[node.name] = again.reasons
    return "preemption: " + fit_error(len(snapshot.nodes), outcomes, absent=NOT_HELPFUL)


def schedule(pod: Obj, snapshot: Snapshot, storage: Storage) -> Decision:
    """One scheduling cycle for `pod`: the winning node, or why none fits in upstream's words."""
    total = len(snapshot.nodes)
    if not total:
        return Decision(None, NO_NODES)
    claim_problem, volumes = _claims(pod, storage)
    if claim_problem is not None:
        return Decision(None, f"0/{total} nodes are available: {claim_problem}. {NO_CYCLE_STATE}")
    requests = pod_requests(pod)
    state = _affinity_state(pod, snapshot)
    rejections: dict[str, Rejection] = {}
    feasible: list[NodeInfo] = []
    for node in snapshot.nodes:
        rejection = _filter(pod, requests, node, state, snapshot, volumes)
        if rejection is None:
            feasible.append(node)
        else:
            rejections[node.name] = rejection
    if feasible:
        return Decision(_best(pod, requests, feasible))
    preemption = _preemption(pod, snapshot, rejections, volumes)
    post_filter = "" if preemption is None else f"{NO_CLAIMS}, {preemption}"
    return Decision(None, fit_error(total, {n: r.reasons for n, r in rejections.items()}, post_filter=post_filter))
