"""Typed actions, the planning of healing ladders with guards and rate limits, and the executor.

The executor is the only writer to the cluster; it applies each action once (dry-run or enforce).
May import: analysis, store, kube, config, core.
"""

from kaido.remediate.actions import (
    ACTION_TYPES,
    Action,
    ActionError,
    ApplyHPA,
    PatchResources,
    RestartPod,
    Rollback,
    RolloutRestart,
    Scale,
    SetHPAMinReplicas,
)
from kaido.remediate.executor import ACTION_ANNOTATION, LAST_ACTION, MANAGED_BY, Executor, Mode
from kaido.remediate.ports import ClusterWriter
from kaido.remediate.ratelimit import Decision, Limit, RateLimiter

__all__ = [
    "ACTION_ANNOTATION",
    "ACTION_TYPES",
    "LAST_ACTION",
    "MANAGED_BY",
    "Action",
    "ActionError",
    "ApplyHPA",
    "ClusterWriter",
    "Decision",
    "Executor",
    "Limit",
    "Mode",
    "PatchResources",
    "RateLimiter",
    "RestartPod",
    "Rollback",
    "RolloutRestart",
    "Scale",
    "SetHPAMinReplicas",
]
