"""The Deployment controller: one ReplicaSet per pod template, rolled with maxSurge/maxUnavailable.

Mirrors upstream's sync: find or create the ReplicaSet whose template (minus pod-template-hash)
equals the Deployment's, give it the next revision, scale it up within maxSurge and the old
ones down within maxUnavailable (unhealthy old pods first), keep revisionHistoryLimit old sets,
and report status with the Available and Progressing conditions, including
ProgressDeadlineExceeded. `kubectl rollout undo` works because an old ReplicaSet whose template
matches again becomes the new one with a fresh revision.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import (
    controller_ref,
    is_controlled_by,
    parse_time,
    resolve_int_or_percent,
    set_condition,
    write_status,
)
from kaido.sim.recorder import record_event
from kaido.sim.resources import builtin
from kaido.sim.store import Obj, rfc3339

__all__ = ["DeploymentController", "template_hash"]

DEPLOYMENTS: Final = builtin("apps", "v1", "deployments")
REPLICASETS: Final = builtin("apps", "v1", "replicasets")
COMPONENT: Final = "deployment-controller"
HASH_LABEL: Final = "pod-template-hash"
REVISION: Final = "deployment.kubernetes.io/revision"
_SAFE: Final = "bcdfghjklmnpqrstvwxz2456789"
# Annotations of the Deployment that upstream does not copy to its ReplicaSets.
_NOT_COPIED: Final = frozenset(
    {REVISION, "kubectl.kubernetes.io/last-applied-configuration", "kubernetes.io/change-cause"}
)


def template_hash(template: Obj, collision_count: int = 0) -> str:
    """A stable short hash of a pod template, spelled with upstream's safe alphabet."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")) + str(collision_count or "")
    value = 0x811C9DC5
    for byte in data.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[int(digit) % len(_SAFE)] for digit in str(value))


def _without_hash(template: Obj) -> Obj:
    out = copy.deepcopy(template)
    (out.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return out


def _revision(replica_set: Obj) -> int:
    return int((replica_set["metadata"].get("annotations") or {}).get(REVISION, "0") or 0)


class DeploymentController:
    name = "deployment"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for deployment in cluster.store.list_objects(DEPLOYMENTS, None):
            if not deployment["metadata"].get("deletionTimestamp"):
                self._sync(cluster, deployment, now)

    def _sync(self, cluster: SimCluster, deployment: Obj, now: datetime) -> None:
        meta = deployment["metadata"]
        sets = self._owned(cluster, deployment)
        new_set = next(
            (rs for rs in sets if _without_hash(rs["spec"]["template"]) == deployment["spec"]["template"]), None
        )
        created = False
        if deployment["spec"].get("paused"):
            self._update_status(cluster, deployment, new_set, sets, now, progressed=False)
            return
        if new_set is None:
            new_set, created = self._create_new_set(cluster, deployment, sets, now), True
            sets = [*sets, new_set]
        elif _revision(new_set) < max(_revision(rs) for rs in sets):
            new_set = self._set_revision(cluster, new_set, max(_revision(rs) for rs in sets) + 1)
        self._annotate_deployment(cluster, deployment, _revision(new_set))
        old_sets = [rs for rs in sets if rs["metadata"]["uid"] != new_set["metadata"]["uid"]]
        if deployment["spec"].get("strategy", {}).get("type") == "Recreate":
            scaled = self._recreate(cluster, deployment, new_set, old_sets, now)
        else:
            scaled = self._roll(cluster, deployment, new_set, old_sets, now)
        self._cleanup(cluster, deployment, old_sets)
        current = cluster.store.find(DEPLOYMENTS, meta["namespace"], meta["name"])
        if current is not None:
            self._update_status(
                cluster,
                current,
                new_set,
                self._owned(cluster, current),
                now,
                progressed=created or scaled,
                created=created,
            )

    @staticmethod
    def _owned(cluster: SimCluster, deployment: Obj) -> list[Obj]:
        uid = deployment["metadata"]["uid"]
        sets = [
            rs
            for rs in cluster.store.list_objects(REPLICASETS, deployment["metadata"]["namespace"])
            if is_controlled_by(rs, uid) and not rs["metadata"].get("deletionTimestamp")
        ]
        return sorted(sets, key=lambda rs: (rs["metadata"]["creationTimestamp"], rs["metadata"]["name"]))

    def _create_new_set(self, cluster: SimCluster, deployment: Obj, sets: list[Obj], now: datetime) -> Obj:
        meta, spec = deployment["metadata"], deployment["spec"]
        collision = int((deployment.get("status") or {}).get("collisionCount", 0))
        hashed = template_hash(spec["template"], collision)
        template = copy.deepcopy(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = hashed
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = hashed
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOT_COPIED}
        annotations.update(
            {
                REVISION: str(max((_revision(rs) for rs in sets), default=0) + 1),
                "deployment.kubernetes.io/desired-replicas": str(spec.get("replicas", 1)),
                "deployment.kubernetes.io/max-replicas": str(spec.get("replicas", 1) + _surge(deployment)),
            }
        )
        replica_set = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{hashed}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [controller_ref(deployment)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        return cluster.ops.create(REPLICASETS, meta["namespace"], replica_set)

    @staticmethod
    def _set_revision(cluster: SimCluster, replica_set: Obj, revision: int) -> Obj:
        new = copy.deepcopy(replica_set)
        new["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        meta = replica_set["metadata"]
        return cluster.ops.update(REPLICASETS, meta["namespace"], meta["name"], new)

    @staticmethod
    def _annotate_deployment(cluster: SimCluster, deployment: Obj, revision: int) -> None:
        annotations = deployment["metadata"].get("annotations") or {}
        if annotations.get(REVISION) == str(revision):
            return
        meta = deployment["metadata"]
        current = cluster.store.get(DEPLOYMENTS, meta["namespace"], meta["name"])
        new = copy.deepcopy(current)
        new["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        cluster.ops.update(DEPLOYMENTS, meta["namespace"], meta["name"], new)

    def _scale(self, cluster: SimCluster, deployment: Obj, replica_set: Obj, replicas: int, now: datetime) -> bool:
        meta = replica_set["metadata"]
        current = cluster.store.get(REPLICASETS, meta["namespace"], meta["name"])
        before = int(current["spec"].get("replicas", 0))
        if before == replicas:
            return False
        new = copy.deepcopy(current)
        new["spec"]["replicas"] = replicas
        annotations = new["metadata"].setdefault("annotations", {})
        annotations["deployment.kubernetes.io/desired-replicas"] = str(deployment["spec"].get("replicas", 1))
        annotations["deployment.kubernetes.io/max-replicas"] = str(
            deployment["spec"].get("replicas", 1) + _surge(deployment)
        )
        cluster.ops.update(REPLICASETS, meta["namespace"], meta["name"], new)
        direction = "up" if replicas > before else "down"
        record_event(
            cluster,
            deployment,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {meta['name']} from {before} to {replicas}",
            component=COMPONENT,
            now=now,
        )
        return True

    def _roll(self, cluster: SimCluster, deployment: Obj, new_set: Obj, old_sets: list[Obj], now: datetime) -> bool:
        """rolloutRolling: scale the new set up within maxSurge, then old sets down within maxUnavailable."""
        wanted = int(deployment["spec"].get("replicas", 1))
        surge, unavailable = _surge(deployment), _unavailable(deployment)
        sets = [
            cluster.store.get(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            for rs in [new_set, *old_sets]
        ]
        new_set, old_sets = sets[0], sets[1:]
        replicas = {rs["metadata"]["uid"]: int(rs["spec"].get("replicas", 0)) for rs in sets}
        scaled = False
        new_count = replicas[new_set["metadata"]["uid"]]
        if new_count > wanted:
            target = wanted
        else:
            room = wanted + surge - sum(replicas.values())
            target = new_count + max(0, min(room, wanted - new_count))
        if target != new_count:
            scaled = self._scale(cluster, deployment, new_set, target, now)
            replicas[new_set["metadata"]["uid"]] = target
        available = {rs["metadata"]["uid"]: int((rs.get("status") or {}).get("availableReplicas", 0)) for rs in sets}
        min_available = wanted - unavailable
        new_unavailable = replicas[new_set["metadata"]["uid"]] - available[new_set["metadata"]["uid"]]
        budget = sum(replicas.values()) - min_available - max(0, new_unavailable)
        for rs in old_sets:  # unhealthy old pods go first
            uid = rs["metadata"]["uid"]
            unhealthy = min(replicas[uid] - available[uid], budget)
            if budget > 0 and unhealthy > 0:
                replicas[uid] -= unhealthy
                budget -= unhealthy
                scaled = self._scale(cluster, deployment, rs, replicas[uid], now) or scaled
        spare = sum(min(available[u], replicas[u]) for u in replicas) - min_available
        for rs in old_sets:
            uid = rs["metadata"]["uid"]
            down = min(replicas[uid], spare)
            if down > 0:
                replicas[uid] -= down
                spare -= down
                scaled = self._scale(cluster, deployment, rs, replicas[uid], now) or scaled
        return scaled

    def _recreate(self, cluster: SimCluster, deployment: Obj, new_set: Obj, old_sets: list[Obj], now: datetime) -> bool:
        scaled = False
        for rs in old_sets:
            scaled = self._scale(cluster, deployment, rs, 0, now) or scaled
        still_running = any(int((rs.get("status") or {}).get("replicas", 0)) for rs in old_sets)
        if not still_running:
            scaled = (
                self._scale(cluster, deployment, new_set, int(deployment["spec"].get("replicas", 1)), now) or scaled
            )
        return scaled

    @staticmethod
    def _cleanup(cluster: SimCluster, deployment: Obj, old_sets: list[Obj]) -> None:
        limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
        idle = [
            rs for rs in old_sets if not rs["spec"].get("replicas") and not (rs.get("status") or {}).get("replicas")
        ]
        for rs in sorted(idle, key=_revision)[: max(0, len(idle) - limit)]:
            cluster.ops.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _update_status(
        self,
        cluster: SimCluster,
        deployment: Obj,
        new_set: Obj | None,
        sets: list[Obj],
        now: datetime,
        *,
        progressed: bool,
        created: bool = False,
    ) -> None:
        wanted = int(deployment["spec"].get("replicas", 1))
        statuses = [rs.get("status") or {} for rs in sets]
        new_status = next(
            (rs.get("status") or {} for rs in sets if new_set and rs["metadata"]["uid"] == new_set["metadata"]["uid"]),
            {},
        )
        previous = deployment.get("status") or {}
        status: Obj = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": sum(int(s.get("replicas", 0)) for s in statuses),
            "updatedReplicas": int(new_status.get("replicas", 0)),
            "readyReplicas": sum(int(s.get("readyReplicas", 0)) for s in statuses),
            "availableReplicas": sum(int(s.get("availableReplicas", 0)) for s in statuses),
        }
        status["unavailableReplicas"] = max(0, wanted - status["availableReplicas"])
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            if not status[key]:
                del status[key]
        if previous.get("collisionCount"):
            status["collisionCount"] = previous["collisionCount"]
        counts_changed = any(
            previous.get(k) != status.get(k) for k in ("replicas", "updatedReplicas", "availableReplicas")
        )
        status["conditions"] = self._conditions(
            deployment, new_set, status, now, progressed=progressed or counts_changed, created=created
        )
        write_status(cluster, DEPLOYMENTS, deployment, status)

    def _conditions(
        self, deployment: Obj, new_set: Obj | None, status: Obj, now: datetime, *, progressed: bool, created: bool
    ) -> list[Obj]:
        conditions: list[Obj] = list((deployment.get("status") or {}).get("conditions") or [])
        wanted = int(deployment["spec"].get("replicas", 1))
        available = int(status.get("availableReplicas", 0))
        if available >= wanted - _unavailable(deployment):
            conditions = set_condition(
                conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now
            )
        else:
            conditions = set_condition(
                conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        name = new_set["metadata"]["name"] if new_set else deployment["metadata"]["name"]
        progressing = next((c for c in conditions if c["type"] == "Progressing"), None)
        complete = (
            int(status.get("updatedReplicas", 0)) == wanted == int(status.get("replicas", 0)) and available == wanted
        )
        if deployment["spec"].get("paused"):
            return set_condition(conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now)
        if complete:
            return set_condition(
                conditions,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{name}" has successfully progressed.',
                now,
            )
        if created:
            return _touch(
                set_condition(
                    conditions, "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{name}"', now
                ),
                now,
            )
        if progressed or progressing is None:
            return _touch(
                set_condition(
                    conditions, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.', now
                ),
                now,
            )
        deadline = int(deployment["spec"].get("progressDeadlineSeconds", 600))
        last = parse_time(progressing.get("lastUpdateTime"))
        if (
            progressing.get("reason") != "ProgressDeadlineExceeded"
            and last
            and now - last > timedelta(seconds=deadline)
        ):
            return set_condition(
                conditions,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{name}" has timed out progressing.',
                now,
            )
        return conditions


def _touch(conditions: list[Obj], now: datetime) -> list[Obj]:
    """Mark progress: the Progressing condition's lastUpdateTime becomes now."""
    for condition in conditions:
        if condition["type"] == "Progressing":
            condition["lastUpdateTime"] = rfc3339(now)
    return conditions


def _surge(deployment: Obj) -> int:
    strategy = deployment["spec"].get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    wanted = int(deployment["spec"].get("replicas", 1))
    return resolve_int_or_percent((strategy.get("rollingUpdate") or {}).get("maxSurge", "25%"), wanted, round_up=True)


def _unavailable(deployment: Obj) -> int:
    strategy = deployment["spec"].get("strategy") or {}
    wanted = int(deployment["spec"].get("replicas", 1))
    if strategy.get("type") == "Recreate":
        return wanted
    rolling = strategy.get("rollingUpdate") or {}
    unavailable = resolve_int_or_percent(rolling.get("maxUnavailable", "25%"), wanted, round_up=False)
    if unavailable == 0 and _surge(deployment) == 0:
        return 1  # upstream's fencepost: a rollout must be able to make progress
    return min(unavailable, wanted)
