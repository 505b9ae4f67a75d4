"""A 6-hour replay of the Twitter request-rate trace against an autoscaled web service, in virtual time.

Shared by the test (it completes and the HPA follows the load) and the benchmark (how long it
takes). The trace is read in place from ../shared/data/traces; it is never copied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.scenario import Scenario

TRACE = (
    Path(__file__).resolve().parents[3]
    / "shared/data/traces/twitter_stream_2021_08/twitter_stream_2021_08_events_per_minute.csv"
)
DEPLOYMENTS = builtin("apps", "v1", "deployments")

SCENARIO = """
apiVersion: kaido.io/v1alpha1
kind: Scenario
metadata: {{name: twitter-replay}}
spec:
  nodes: 4
  images:
    replay/api: {{kind: web, ports: [8080], readyAfter: 5, memory: 100Mi, cpu: 5m, cpuPerRequest: 2m}}
  traffic:
    - service: api
      namespace: default
      profile:
        replay: {{path: "{trace}", column: events, resolution: minute, scale: {scale}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: default}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
        - name: api
          image: replay/api:1.0
          ports: [{{containerPort: 8080}}]
          resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: api, namespace: default}}
spec:
  selector: {{app: api}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: api, namespace: default}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: api}}
  minReplicas: 2
  maxReplicas: 20
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 60}}}}
"""


@dataclass(frozen=True)
class ReplayResult:
    virtual_seconds: float
    wall_seconds: float
    replicas: list[int]  # the Deployment's replicas, sampled every 10 virtual minutes


async def replay(*, hours: float = 6, tick: float = 5.0, scale: float = 2.0) -> ReplayResult:
    """Run the scenario for `hours` of virtual time; the trace's events/min times `scale` are requests/min."""
    clock = ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
    cluster = SimCluster(clock=clock, seed=1)
    scenario = Scenario.from_text(SCENARIO.format(trace=TRACE, scale=scale), source="twitter-replay", name="replay")
    running = scenario.start(cluster, tick=tick)
    replicas: list[int] = []
    started = time.perf_counter()
    for _ in range(int(hours * 6)):
        await running.runtime.advance(600)
        replicas.append(int(cluster.store.get(DEPLOYMENTS, "default", "api")["spec"]["replicas"]))
    return ReplayResult(hours * 3600, time.perf_counter() - started, replicas)
