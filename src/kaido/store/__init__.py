"""Durable state in sqlite (WAL): metric series with rollups, incidents, the audit log.

Also the optional Prometheus reader for history.
May import: kube, config, core.
"""

from kaido.store.errors import StoreError
from kaido.store.records import ActionRecord, ActionState, IncidentRecord, Sample
from kaido.store.retention import Compaction, Retention
from kaido.store.series import Resolution, Rollup
from kaido.store.sqlite import Store
from kaido.store.writer import WriteStats

__all__ = [
    "ActionRecord",
    "ActionState",
    "Compaction",
    "IncidentRecord",
    "Resolution",
    "Retention",
    "Rollup",
    "Sample",
    "Store",
    "StoreError",
    "WriteStats",
]
