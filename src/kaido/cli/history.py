"""Past days of load for `kaido demo`, derived from the scenario's own traffic model.

A simulated cluster starts with no past, and a forecast with a daily season needs days of it, so
the demo would have to run for days before predictive scaling could see the scenario's daily
spike coming. Instead it writes into the agent's store, before the agent starts, the samples the
agent's collectors would have recorded over the previous days, computed from the same models the
simulator runs on:

- the request rate of every Service with a traffic profile, `service_requests_per_second
  {namespace, service}`: the profile at each past moment, with the scenario's seeded noise;
- the CPU of every container of the Deployments behind those Services, `pod_cpu_cores
  {container, namespace, pod}`: the image's behaviour model (`cpu + cpuPerRequest * served`, with
  its jitter and CPU limit) under the Service's rate shared by the pods. A container whose image
  cannot be pulled never ran, so it has none.

How many pods shared the load is the count an HPA on the Deployment would have settled at: the
fewest, between its minReplicas and maxReplicas, that keep CPU utilization at or under its target
(without an HPA, the Deployment's replicas). The HPA's reaction time and its other metrics are
not replayed, and a Service whose selector spans several Deployments gives each its whole rate. The
pods are named `<deployment>-replay-NNNNN`, so nobody takes them for pods that ran; the demo says
on its timeline that the history was replayed, not observed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from kaido.core.clock import ManualClock
from kaido.core.ids import stable_id
from kaido.core.quantity import parse_quantity
from kaido.sim.behaviour import Image, ImageCatalog, Launch, Process, default_catalog
from kaido.sim.scenario import Scenario
from kaido.sim.selectors import selector_from_object
from kaido.sim.traffic import ServiceLoad
from kaido.store import Sample, Store

__all__ = ["REQUEST_RATE", "ReplayedWorkload", "history_samples", "replayed_workloads", "seed_history"]

REQUEST_RATE: Final = "service_requests_per_second"
POD_CPU: Final = "pod_cpu_cores"
DAY: Final = 86_400.0
BATCH: Final = 5_000  # samples per store write, so the writer queue stays short


@dataclass(frozen=True)
class ReplayedWorkload:
    """A Deployment of the scenario that receives traffic, with what it takes to replay its pods."""

    namespace: str
    name: str
    loads: tuple[ServiceLoad, ...]  # the Services selecting its pods
    containers: tuple[Mapping[str, Any], ...]  # the pod template's containers
    min_replicas: int
    max_replicas: int
    cpu_target: float | None  # the HPA's CPU utilization target (0.7), None without one

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def pod(self, index: int) -> str:
        return f"{self.name}-replay-{index:05d}"


def replayed_workloads(scenario: Scenario) -> list[ReplayedWorkload]:
    """The Deployments of `scenario` behind a Service with a traffic profile, with their HPA's bounds."""
    manifests = scenario.manifests
    services = {(_namespace(m), m["metadata"]["name"]): m for m in manifests if m.get("kind") == "Service"}
    found = []
    for deployment in (m for m in manifests if m.get("kind") == "Deployment"):
        namespace, name = _namespace(deployment), deployment["metadata"]["name"]
        template = (deployment.get("spec") or {}).get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        loads = []
        for load in scenario.traffic:
            selector = ((services.get((load.namespace, load.service)) or {}).get("spec") or {}).get("selector")
            if load.namespace == namespace and selector and selector_from_object(selector).matches(labels):
                loads.append(load)
        if not loads:
            continue
        replicas = int((deployment.get("spec") or {}).get("replicas", 1))
        bounds, target = (replicas, replicas), None
        hpa = _hpa_of(manifests, namespace, name)
        if hpa is not None:
            spec = hpa.get("spec") or {}
            bounds, target = (int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])), _cpu_target(spec)
        containers = tuple((template.get("spec") or {}).get("containers") or ())
        found.append(ReplayedWorkload(namespace, name, tuple(loads), containers, *bounds, cpu_target=target))
    return found


def _namespace(manifest: Mapping[str, Any]) -> str:
    return str((manifest.get("metadata") or {}).get("namespace") or "default")


def _hpa_of(manifests: Sequence[Mapping[str, Any]], namespace: str, deployment: str) -> Mapping[str, Any] | None:
    for manifest in manifests:
        ref = (manifest.get("spec") or {}).get("scaleTargetRef") or {}
        if (
            manifest.get("kind") == "HorizontalPodAutoscaler"
            and _namespace(manifest) == namespace
            and (ref.get("kind"), ref.get("name")) == ("Deployment", deployment)
        ):
            return manifest
    return None


def _cpu_target(spec: Mapping[str, Any]) -> float | None:
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu" and "averageUtilization" in target:
            return float(target["averageUtilization"]) / 100
    return None


@dataclass
class _Pods:
    """The behaviour-model processes of one workload's replayed pods, started at the history's start."""

    workload: ReplayedWorkload
    catalog: ImageCatalog
    started: datetime
    _processes: dict[int, list[tuple[str, Process]]] = field(default_factory=dict, init=False)

    def containers(self, index: int) -> list[tuple[str, Process]]:
        """The running containers of pod `index`; one whose image cannot be pulled never ran, so has no usage."""
        if index not in self._processes:
            launched = (self._launch(index, c) for c in self.workload.containers)
            self._processes[index] = [process for process in launched if process is not None]
        return self._processes[index]

    def _launch(self, index: int, container: Mapping[str, Any]) -> tuple[str, Process] | None:
        image = self.catalog.resolve(str(container.get("image", "")))
        if not isinstance(image, Image):
            return None
        limits = (container.get("resources") or {}).get("limits") or {}
        pod, name = self.workload.pod(index), str(container.get("name", "app"))
        launch = Launch(
            image=str(container["image"]),
            started_at=self.started,
            ports=tuple(int(p["containerPort"]) for p in container.get("ports") or [] if "containerPort" in p),
            cpu_limit=_cores(limits.get("cpu")),
            seed=int(stable_id(pod, name, length=8), 16),
            container=name,
            pod=pod,
        )
        return name, image.start(launch)

    def cpu(self, index: int, at: float, load: float) -> list[tuple[str, float]]:
        """(container, cores) of pod `index`, `at` seconds after the history's start, under `load` rps."""
        return [(name, process.usage(at, load).cpu) for name, process in self.containers(index)]

    def count(self, at: float, rate: float) -> int:
        """The replicas an HPA settles at for `rate`: the fewest that keep CPU at or under its target."""
        workload = self.workload
        request = sum(
            _cores(((c.get("resources") or {}).get("requests") or {}).get("cpu")) or 0.0 for c in workload.containers
        )
        if workload.cpu_target is None or request <= 0:
            return workload.min_replicas
        for replicas in range(workload.min_replicas, workload.max_replicas + 1):
            used = sum(cores for _, cores in self.cpu(0, at, rate / replicas))
            if used / request <= workload.cpu_target:
                return replicas
        return workload.max_replicas


def _cores(value: Any) -> float | None:
    return None if value is None else parse_quantity(value).as_milli() / 1000


def history_samples(
    scenario: Scenario,
    *,
    start: datetime,
    days: float,
    step: float = 60.0,
    seed: int = 0,
    catalog: ImageCatalog | None = None,
) -> Iterator[Sample]:
    """The samples of the `days` before `start` (the scenario's start), one every `step` seconds, oldest first.

    `seed` is the simulator's, so the replayed noise is the noise the run itself continues with.
    """
    if catalog is None:
        catalog = default_catalog()
        if scenario.images:
            catalog.register_dict({"images": scenario.images})
    first = start - timedelta(days=days)
    workloads = replayed_workloads(scenario)
    pods = [_Pods(w, catalog, first) for w in workloads]
    for tick in range(math.ceil(days * DAY / step)):
        elapsed = tick * step - days * DAY  # seconds since the scenario's start: negative, the past
        now = start + timedelta(seconds=elapsed)
        rates: dict[tuple[str, str], float] = defaultdict(float)
        for load in scenario.traffic:  # a Service's profiles add up, as in the TrafficModel
            rates[(load.namespace, load.service)] += load.rate(elapsed, now, seed=seed)
        for (namespace, service), rate in rates.items():
            yield Sample(REQUEST_RATE, (("namespace", namespace), ("service", service)), now, rate)
        for replay in pods:
            rate = sum(rates[key] for key in {(load.namespace, load.service) for load in replay.workload.loads})
            at = tick * step
            replicas = replay.count(at, rate)
            for index in range(replicas):
                for container, cores in replay.cpu(index, at, rate / replicas):
                    labels = (
                        ("container", container),
                        ("namespace", replay.workload.namespace),
                        ("pod", replay.workload.pod(index)),
                    )
                    yield Sample(POD_CPU, labels, now, cores)


async def seed_history(path: Path, samples: Iterator[Sample], *, now: datetime) -> int:
    """Write `samples` into the store at `path` (created if missing) before the agent opens it; returns the count."""
    written = 0
    async with await Store.open(path, clock=ManualClock(now)) as store:
        batch: list[Sample] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) >= BATCH:
                await store.add_samples(batch)
                written, batch = written + len(batch), []
        await store.add_samples(batch)
        await store.flush()
    return written + len(batch)
