"""Healing decisions, pure: data and `now` in, the next step of each incident out.

`survey` turns cached objects into one view per troubled workload with its diagnosis; `ladder`
says which fixes can help each cause class and builds their actions; `guards` decides what kaido
may touch and what holds an action back; `storm` pauses healing when many workloads fail at once;
`breaker` opens and closes the circuit after the last rung; `planner` runs an episode's state
machine; `incidents` stores episodes as incident rows and rebuilds them after a restart.
The healer controller (`kaido.controllers.healer`) feeds them from the informer caches and hands
their actions to the executor.
"""

from kaido.remediate.planning.breaker import escalate, healthy_for, rearm, resolve
from kaido.remediate.planning.guards import Gates, admission, disruption_hold, effective_mode, gate_hold
from kaido.remediate.planning.incidents import (
    EpochParts,
    episode_from_record,
    format_epoch,
    incident_id,
    parse_epoch,
    to_record,
)
from kaido.remediate.planning.ladder import Built, Plan, build_action, plan_for, primary, raise_memory, scale_targets
from kaido.remediate.planning.model import (
    RAISE_MEMORY,
    RESTART_POD,
    ROLLBACK,
    ROLLOUT_RESTART,
    RUNGS,
    SCALE_DOWN_UP,
    Act,
    Attempt,
    Episode,
    Step,
    Transition,
)
from kaido.remediate.planning.planner import advance, detect, next_rung, settle
from kaido.remediate.planning.storm import Storm, observe_storm
from kaido.remediate.planning.survey import (
    KIND_SOURCES,
    SOURCES,
    Objects,
    namespace_snapshot,
    survey,
    unready_namespaces,
)
from kaido.remediate.planning.views import (
    IGNORE,
    TroubleMemo,
    WorkloadView,
    group_pods,
    troubled,
    troubled_until,
    workload_ready,
    worst_pod,
)

__all__ = [
    "IGNORE",
    "KIND_SOURCES",
    "RAISE_MEMORY",
    "RESTART_POD",
    "ROLLBACK",
    "ROLLOUT_RESTART",
    "RUNGS",
    "SCALE_DOWN_UP",
    "SOURCES",
    "Act",
    "Attempt",
    "Built",
    "Episode",
    "EpochParts",
    "Gates",
    "Objects",
    "Plan",
    "Step",
    "Storm",
    "Transition",
    "TroubleMemo",
    "WorkloadView",
    "admission",
    "advance",
    "build_action",
    "detect",
    "disruption_hold",
    "effective_mode",
    "episode_from_record",
    "escalate",
    "format_epoch",
    "gate_hold",
    "group_pods",
    "healthy_for",
    "incident_id",
    "namespace_snapshot",
    "next_rung",
    "observe_storm",
    "parse_epoch",
    "plan_for",
    "primary",
    "raise_memory",
    "rearm",
    "resolve",
    "scale_targets",
    "settle",
    "survey",
    "to_record",
    "troubled",
    "troubled_until",
    "unready_namespaces",
    "workload_ready",
    "worst_pod",
]
