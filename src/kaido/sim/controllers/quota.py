"""The ResourceQuota controller: `status.hard` and `status.used` as `kubectl describe quota` shows them."""

from __future__ import annotations

from datetime import datetime

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import write_status
from kaido.sim.quota import QUOTAS, quota_usage

__all__ = ["ResourceQuotaController"]


class ResourceQuotaController:
    name = "resourcequota"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for quota in cluster.store.list_objects(QUOTAS, None):
            hard = dict((quota.get("spec") or {}).get("hard") or {})
            used = quota_usage(cluster.store, quota["metadata"]["namespace"], hard)
            status = {"hard": hard, "used": {name: str(value) for name, value in sorted(used.items())}}
            write_status(cluster, QUOTAS, quota, status)
