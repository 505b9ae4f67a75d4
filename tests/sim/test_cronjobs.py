from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.cronjob import CronJobController
from kaido.sim.cron import next_fire, parse_schedule
from kaido.sim.resources import builtin
from kaido.sim.runtime import Runtime

CRONJOBS = builtin("batch", "v1", "cronjobs")
JOBS = builtin("batch", "v1", "jobs")


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/15 * * * *", datetime(2026, 3, 1, 12, 7, tzinfo=UTC), datetime(2026, 3, 1, 12, 15, tzinfo=UTC)),
        ("0 3 * * *", datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 2, 3, 0, tzinfo=UTC)),
        ("@hourly", datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 13, 0, tzinfo=UTC)),
        ("30 9 * * mon-fri", datetime(2026, 2, 27, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
        ("0 0 1 jan *", datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("0 12 13 * 5", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 6, 12, 0, tzinfo=UTC)),  # day OR weekday
    ],
)
def test_next_fire(schedule: str, after: datetime, expected: datetime) -> None:
    assert next_fire(parse_schedule(schedule), after) == expected


@pytest.mark.parametrize(
    ("schedule", "fragment"),
    [
        ("* * * *", "expected 5 fields"),
        ("61 * * * *", "minute field"),
        ("* * * foo *", "month field"),
        ("*/0 * * * *", "bad step"),
    ],
)
def test_bad_schedules_name_the_field(schedule: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_schedule(schedule)


def cronjob(**spec: Any) -> dict[str, Any]:
    job_spec = {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job_spec}, **spec},
    }


async def test_jobs_start_on_schedule_and_forbid_overlaps(cluster: SimCluster, clock: ManualClock) -> None:
    cluster.ops.create(CRONJOBS, "default", cronjob(concurrencyPolicy="Forbid"))
    runtime = Runtime(cluster, [CronJobController()], tick=10)
    await runtime.advance(290)
    assert cluster.store.list_objects(JOBS, "default") == []
    await runtime.advance(20)
    (job,) = cluster.store.list_objects(JOBS, "default")
    assert job["metadata"]["name"] == f"tick-{int(datetime(2026, 3, 1, 12, 5, tzinfo=UTC).timestamp() // 60)}"
    status = cluster.store.get(CRONJOBS, "default", "tick")["status"]
    assert status["lastScheduleTime"] == "2026-03-01T12:05:00Z"
    assert [a["name"] for a in status["active"]] == [job["metadata"]["name"]]
    await runtime.advance(300)  # the first Job never finishes: Forbid skips the 12:10 run
    assert len(cluster.store.list_objects(JOBS, "default")) == 1
