"""The service a trace is replayed through: one web Deployment behind a Service, sized to the trace.

The same shape serves both policies, so they differ only in who scales. A pod serves up to
`capacity` requests per second; its CPU grows linearly with the requests it serves, reaching its
request at capacity, so CPU utilization is the share of capacity in use and the HPA's 70 % target
(the brief's) leaves 30 % headroom. Latency is `latency_ms` at low load and grows as
latency / (1 - utilisation) (`kaido.sim.behaviour.overload`); past capacity requests are shed.

Sizing follows the trace, so any trace gives a comparable service: without `--pod-capacity` the
capacity makes the median rate need `median_pods` pods at the HPA target, and maxReplicas covers
the peak at the target with 20 % to spare. The nodes have room for maxReplicas pods, so the
cluster never limits either policy.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Final

from kaido.cli.autoscale.trace import Trace
from kaido.config import Policy
from kaido.sim.scenario import Scenario
from kaido.sim.traffic import Replay, ServiceLoad

__all__ = ["COLLECT_INTERVAL", "NAMESPACE", "SERVICE", "ServiceShape", "bench_policy", "build_scenario", "size_for"]

NAMESPACE: Final = "bench"
SERVICE: Final = "api"
IMAGE: Final = "bench/api"  # the catalog pattern; pods run IMAGE:1.0
CPU_REQUEST: Final = 0.5  # cores per pod
IDLE_CPU: Final = 0.02  # cores a pod uses serving nothing
NODE_CPU: Final = 8  # cores per node
COLLECT_INTERVAL: Final = 5.0  # seconds between the agent's reads of the request rates: one simulator tick


@dataclass(frozen=True)
class ServiceShape:
    capacity: float  # requests/s one pod serves before shedding
    min_replicas: int
    max_replicas: int
    target_utilization: int = 70  # the HPA's CPU target, %
    startup: float = 30.0  # seconds from a pod's start to ready
    latency_ms: float = 50.0  # service time at low load

    def replicas_for(self, rate: float) -> int:
        """The replicas an HPA settles at for `rate` requests/s: where the trace starts, as if it had been running."""
        needed = math.ceil(rate / (self.capacity * self.target_utilization / 100) - 1e-9)
        return min(max(needed, self.min_replicas), self.max_replicas)

    def describe(self) -> str:
        return (
            f"{self.capacity:.1f} rps per pod, {self.min_replicas}-{self.max_replicas} replicas, "
            f"CPU target {self.target_utilization}%, {self.startup:g} s start-up, {self.latency_ms:g} ms latency"
        )


def size_for(
    trace: Trace,
    *,
    capacity: float | None = None,
    median_pods: int = 4,
    min_replicas: int = 2,
    max_replicas: int | None = None,
    startup: float = 30.0,
    target_utilization: int = 70,
) -> ServiceShape:
    """The service shape for `trace`; explicit values win over the sizing rules."""
    rates = trace.rates()
    target = target_utilization / 100
    if capacity is None:
        typical = statistics.median(rates) or statistics.fmean(rates) or 1.0
        capacity = typical / (median_pods * target)
    if max_replicas is None:
        max_replicas = max(min_replicas + 2, math.ceil(max(rates) / (capacity * target) * 1.2))
    return ServiceShape(
        capacity=capacity,
        min_replicas=min_replicas,
        max_replicas=max(max_replicas, min_replicas),
        target_utilization=target_utilization,
        startup=startup,
    )


def build_scenario(trace: Trace, shape: ServiceShape) -> Scenario:
    """The simulator scenario: nodes, the image's behaviour, the Deployment and Service, the traffic."""
    cpu_per_request = (CPU_REQUEST - IDLE_CPU) / shape.capacity
    image = {
        "kind": "web",
        "ports": [8080],
        "readyAfter": shape.startup,
        "memory": "120Mi",
        "cpu": f"{IDLE_CPU * 1000:g}m",
        "cpuPerRequest": f"{cpu_per_request * 1000:.6f}m",
        "capacity": shape.capacity,
        "latencyMs": shape.latency_ms,
    }
    labels = {"app": SERVICE}
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE},
        "spec": {
            "replicas": shape.replicas_for(trace.rates()[0] if trace.counts else 0.0),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": SERVICE,
                            "image": f"{IMAGE}:1.0",
                            "ports": [{"containerPort": 8080}],
                            # Without a readiness probe a pod gets traffic before it serves.
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                            "resources": {"requests": {"cpu": f"{CPU_REQUEST * 1000:g}m", "memory": "128Mi"}},
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    nodes = max(2, math.ceil(shape.max_replicas * CPU_REQUEST * 1.25 / NODE_CPU) + 1)
    replay = Replay(counts=trace.counts, resolution=trace.resolution, loop=False)
    return Scenario(
        name="bench-autoscale",
        manifests=(namespace, deployment, service),
        nodes=nodes,
        images={IMAGE: image},
        traffic=(ServiceLoad(NAMESPACE, SERVICE, replay),),
    )


def bench_policy(shape: ServiceShape, *, predictive: bool, interval: float = 10.0) -> Policy:
    """The agent's policy: the HPA from the policy for both runs; predictive scaling enforced or off."""
    hpa = {
        "target": f"deployment/{SERVICE}",
        "namespace": NAMESPACE,
        "minReplicas": shape.min_replicas,
        "maxReplicas": shape.max_replicas,
        "cpuUtilization": shape.target_utilization,
    }
    document = {
        "apiVersion": "kaido.io/v1alpha1",
        "kind": "Policy",
        "modes": {
            "monitor": "observe",
            "healing": "off",
            "rollback": "off",
            "scaling": "enforce",
            "predictive": "enforce" if predictive else "off",
            "rightsizing": "off",
            "alerts": "off",
            "logs": "off",
            "reloader": "off",
        },
        # One agent: a long lease keeps election traffic out of the measurement.
        "agent": {"leaseDuration": "60s", "renewDeadline": "40s", "retryPeriod": "10s", "metricsInterval": "15s"},
        "rateLimits": {"global": {"actions": 120, "per": "1m"}, "perWorkload": {"actions": 60, "per": "10m"}},
        "scaling": {
            "hpas": [hpa],
            "predictive": {
                "interval": f"{interval:g}s",
                "maxStep": shape.max_replicas,  # the floor may follow a surge in one decision
                "scaleUpNow": True,  # and its pods start at once, not at the HPA's next sync
                # ready in time: a pod's start-up plus two HPA syncs; longer buys pods early
                "horizon": f"{shape.startup + 30:g}s",
                "signal": "requests",
                "requestRate": {"source": "simulator", "interval": f"{COLLECT_INTERVAL:g}s"},
            },
        },
    }
    return Policy.model_validate(document, by_alias=True, by_name=False)
