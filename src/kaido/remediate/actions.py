"""Actions as data: what kaido may do to a cluster, each a frozen value the executor applies once.

An action names its target (`ObjectRef`), carries the numbers it needs and an `epoch` that pins
the decision it came from: the pod's uid for a restart of that pod, the Deployment's observed
generation, an incident id and ladder rung. The idempotency key is a hash of the action type, the
target (uid included when known) and the epoch, so the same decision made again after the agent
restarts gets the same key and is not repeated, while a new decision gets a new key. The
parameters are deliberately not part of the key: a planner that recomputes a slightly different
replica count for the same decision must not act twice.

Constructing an action validates it (target kind, positive numbers, quantities), so an invalid
action never reaches the executor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from kaido.core.errors import KaidoError, QuantityError
from kaido.core.ids import stable_id
from kaido.core.quantity import parse_quantity
from kaido.core.refs import ObjectRef

__all__ = [
    "ACTION_TYPES",
    "Action",
    "ActionError",
    "ApplyHPA",
    "PatchResources",
    "RestartPod",
    "Rollback",
    "RolloutRestart",
    "Scale",
    "SetHPAMinReplicas",
]

_WORKLOADS_WITH_TEMPLATE: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_SCALABLE: Final = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
_HPA: Final = "HorizontalPodAutoscaler"


class ActionError(KaidoError, ValueError):
    """An action is malformed (wrong target kind, bad number or quantity) or cannot apply to its target."""


@dataclass(frozen=True, kw_only=True)
class Action:
    """Base of every action: the target, the epoch that pins the decision, and the derived key."""

    kind: ClassVar[str] = "Action"
    target_kinds: ClassVar[frozenset[str]] = frozenset()

    target: ObjectRef
    epoch: str

    def __post_init__(self) -> None:
        if self.target.kind not in self.target_kinds:
            kinds = ", ".join(sorted(self.target_kinds))
            raise ActionError(f"{self.kind} on {self.target}: the target must be one of {kinds}")
        if not self.target.namespace:
            raise ActionError(f"{self.kind} on {self.target}: the target needs a namespace")
        if not self.epoch:
            raise ActionError(
                f"{self.kind} on {self.target}: epoch is empty; pass what pins the decision "
                "(a uid, a generation, an incident id and rung)"
            )

    @property
    def namespace(self) -> str:
        assert self.target.namespace is not None  # checked in __post_init__
        return self.target.namespace

    def idempotency_key(self) -> str:
        """The same decision on the same object (incarnation) gives the same key, across restarts."""
        t = self.target
        return stable_id(self.kind, t.kind, t.namespace or "", t.name, t.uid or "", self.epoch, length=24)

    def params(self) -> dict[str, Any]:
        """The action's data for the audit log (everything but the target)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "target"}

    def describe(self) -> str:
        """What the action does, in plain words."""
        raise NotImplementedError


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a field value (mappings become dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class RestartPod(Action):
    """Delete a pod so its controller recreates it; `evict=True` goes through the Eviction API (PDBs apply)."""

    kind: ClassVar[str] = "RestartPod"
    target_kinds: ClassVar[frozenset[str]] = frozenset({"Pod"})

    evict: bool = False

    def describe(self) -> str:
        how = "evict it, respecting PodDisruptionBudgets" if self.evict else "delete it"
        return f"restart pod {self.target.key} ({how}; its ReplicaSet recreates it)"


@dataclass(frozen=True, kw_only=True)
class RolloutRestart(Action):
    """Roll every pod of a workload, as `kubectl rollout restart` does (a restartedAt template annotation)."""

    kind: ClassVar[str] = "RolloutRestart"
    target_kinds: ClassVar[frozenset[str]] = _WORKLOADS_WITH_TEMPLATE

    def describe(self) -> str:
        return (
            f"rollout restart {self.target.kind.lower()} {self.target.key} "
            "(new pods replace the old ones under the rollout strategy)"
        )


@dataclass(frozen=True, kw_only=True)
class Scale(Action):
    """Set a workload's replicas through its scale subresource.

    `raise_only`: only ever raise them to `replicas`, never lower them; the write is conditional on
    the replicas the executor read, so a concurrent scale-up (an HPA's) is never undone.
    """

    kind: ClassVar[str] = "Scale"
    target_kinds: ClassVar[frozenset[str]] = _SCALABLE

    replicas: int
    raise_only: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int) or self.replicas < 0:
            raise ActionError(f"Scale {self.target}: replicas must be a whole number >= 0, not {self.replicas!r}")
        if not isinstance(self.raise_only, bool):
            raise ActionError(f"Scale {self.target}: raise_only must be true or false, not {self.raise_only!r}")

    def describe(self) -> str:
        to = "at least " if self.raise_only else ""
        return f"scale {self.target.kind.lower()} {self.target.key} to {to}{self.replicas} replicas"


@dataclass(frozen=True, kw_only=True)
class Rollback(Action):
    """Put a Deployment's pod template back to an earlier revision, as `kubectl rollout undo --to-revision`."""

    kind: ClassVar[str] = "Rollback"
    target_kinds: ClassVar[frozenset[str]] = frozenset({"Deployment"})

    revision: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.revision, bool) or not isinstance(self.revision, int) or self.revision < 1:
            raise ActionError(f"Rollback {self.target}: revision must be a whole number >= 1, not {self.revision!r}")

    def describe(self) -> str:
        return (
            f"roll back deployment {self.target.key} to revision {self.revision} "
            "(copy that ReplicaSet's pod template into the Deployment)"
        )


@dataclass(frozen=True, kw_only=True)
class PatchResources(Action):
    """Set one container's CPU/memory requests and limits in a workload's pod template."""

    kind: ClassVar[str] = "PatchResources"
    target_kinds: ClassVar[frozenset[str]] = _WORKLOADS_WITH_TEMPLATE

    container: str
    # Mappings are left out of the hash (they are unhashable); equality still compares them.
    requests: Mapping[str, str] = field(default_factory=dict, hash=False)
    limits: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.container:
            raise ActionError(f"PatchResources {self.target}: name the container to change")
        if not self.requests and not self.limits:
            raise ActionError(f"PatchResources {self.target}: give requests or limits to set")
        for section, values in (("requests", self.requests), ("limits", self.limits)):
            for resource, text in values.items():
                try:
                    parse_quantity(text)
                except QuantityError as error:
                    raise ActionError(
                        f"PatchResources {self.target} container {self.container}: {section}.{resource}: {error}"
                    ) from error

    def describe(self) -> str:
        parts = [
            f"{section} {_pairs(values)}"
            for section, values in (("requests", self.requests), ("limits", self.limits))
            if values
        ]
        return (
            f"set container {self.container} of {self.target.kind.lower()} {self.target.key} to "
            f"{' and '.join(parts)} (its pods roll)"
        )


def _pairs(values: Mapping[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(values.items()))


@dataclass(frozen=True, kw_only=True)
class SetHPAMinReplicas(Action):
    """Raise or lower an HPA's minReplicas (ahead of a predicted peak, or back after it)."""

    kind: ClassVar[str] = "SetHPAMinReplicas"
    target_kinds: ClassVar[frozenset[str]] = frozenset({_HPA})

    min_replicas: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.min_replicas, bool) or not isinstance(self.min_replicas, int) or self.min_replicas < 1:
            raise ActionError(
                f"SetHPAMinReplicas {self.target}: min_replicas must be a whole number >= 1, not {self.min_replicas!r}"
            )

    def describe(self) -> str:
        return f"set minReplicas of hpa {self.target.key} to {self.min_replicas}"


@dataclass(frozen=True, kw_only=True)
class ApplyHPA(Action):
    """Create an autoscaling/v2 HPA from `spec`, or bring an existing kaido-managed one to it.

    An existing HPA without the `app.kubernetes.io/managed-by: kaido` label belongs to someone else
    and is left alone unless `adopt` is set.
    """

    kind: ClassVar[str] = "ApplyHPA"
    target_kinds: ClassVar[frozenset[str]] = frozenset({_HPA})

    spec: Mapping[str, Any] = field(hash=False)
    adopt: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.spec.get("scaleTargetRef"), Mapping) or "maxReplicas" not in self.spec:
            raise ActionError(f"ApplyHPA {self.target}: spec needs scaleTargetRef and maxReplicas")

    def describe(self) -> str:
        ref = self.spec["scaleTargetRef"]
        low, high = self.spec.get("minReplicas", 1), self.spec["maxReplicas"]
        return (
            f"apply hpa {self.target.key} for {str(ref.get('kind', '?')).lower()} {ref.get('name', '?')} "
            f"({low}-{high} replicas)"
        )


ACTION_TYPES: Final[Mapping[str, type[Action]]] = {
    cls.kind: cls for cls in (RestartPod, RolloutRestart, Scale, Rollback, PatchResources, SetHPAMinReplicas, ApplyHPA)
}
