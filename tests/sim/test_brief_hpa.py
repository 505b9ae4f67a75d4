"""The brief's HPAs against the chatbot-dev scenario, created with real kubectl, on virtual time.

The simulator serves the scenario over TCP for kubectl 1.35 while its clock is a `ManualClock`
that only the test moves: between kubectl commands, `Brief.run_for` advances the control plane
tick by tick inside the simulator's thread and records the backend's replicas, so an hour of
scenario time takes about a second and every run sees the same numbers. The clock starts at
13:40 UTC, so the scenario's spike (traffic x3 from 20m to 35m) meets the diurnal peak at 14:00,
when the backend needs five pods: enough to see the behaviour's rate limits bite.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaido.core import ManualClock
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.scenario import RunningScenario, Scenario
from tests.support.sim import KUBECTL_135, Kubectl, SimThread

pytestmark = pytest.mark.skipif(not KUBECTL_135.exists(), reason=f"kubectl 1.35 is not at {KUBECTL_135}")

CHATBOT_DEV = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "chatbot-dev.yaml"
DEPLOYMENTS = builtin("apps", "v1", "deployments")
NS = "chatbot-dev"
START = datetime(2026, 3, 2, 13, 40, tzinfo=UTC)
TICK = 5.0  # s of virtual time per control-plane pass; the HPA syncs every 15 s
SPIKE_START, SPIKE_END = 20 * 60.0, 35 * 60.0
SYNC = 15.0  # the HPA controller's sync period

# The brief's "HPA with custom behavior", exactly as its `kubectl apply -f - <<EOF` gives it.
BRIEF_HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: backend-hpa
  namespace: chatbot-dev
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: backend-deployment
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
      - type: Percent
        value: 10
        periodSeconds: 60
    scaleUp:
      stabilizationWindowSeconds: 60
      policies:
      - type: Percent
        value: 50
        periodSeconds: 60
"""


@dataclass(frozen=True)
class Point:
    at: float  # seconds since the scenario started
    replicas: int  # the Deployment's spec.replicas, which the HPA writes
    ready: int


@dataclass
class Brief:
    """The scenario in a served simulator, and kubectl 1.35 pointed at it."""

    sim: SimThread
    running: RunningScenario
    clock: ManualClock
    kubectl: Kubectl

    @property
    def elapsed(self) -> float:
        return (self.clock.now() - START).total_seconds()

    def run_for(self, seconds: float) -> list[Point]:
        """Advance the control plane `seconds` of virtual time; the backend after every tick."""

        def advance() -> list[Point]:
            points = []
            for _ in range(round(seconds / TICK)):
                self.clock.advance(TICK)
                self.running.runtime.reconcile()
                backend = self.sim.cluster.store.get(DEPLOYMENTS, NS, "backend-deployment")
                status = backend.get("status") or {}
                points.append(Point(self.elapsed, backend["spec"]["replicas"], status.get("readyReplicas", 0)))
            return points

        return self.sim.call(advance)

    def run_until(self, elapsed: float) -> list[Point]:
        return self.run_for(elapsed - self.elapsed)


def _serve(scenario: Path, tmp_path: Path) -> Iterator[Brief]:
    clock = ManualClock(START)
    cluster = SimCluster(clock=clock, seed=7)
    sim = SimThread(kubeconfig=tmp_path / "kubeconfig", cluster=cluster).start()
    try:
        running = sim.call(lambda: Scenario.from_file(scenario).start(cluster, tick=TICK))
        yield Brief(sim, running, clock, Kubectl(KUBECTL_135, sim.kubeconfig, tmp_path / "cache"))
    finally:
        sim.stop()


@pytest.fixture
def brief(tmp_path: Path) -> Iterator[Brief]:
    yield from _serve(CHATBOT_DEV, tmp_path)


def _targets(kubectl: Kubectl) -> str:
    """The TARGETS column of backend-hpa in `kubectl get hpa -n chatbot-dev`."""
    table = kubectl("get", "hpa", "-n", NS).splitlines()
    header, row = table[0], next(line for line in table[1:] if line.startswith("backend-hpa "))
    start = header.index("TARGETS")
    return row[start : header.index("MINPODS")].strip()


def _during(points: list[Point], begin: float, end: float) -> list[Point]:
    return [p for p in points if begin <= p.at < end]


def test_kubectl_autoscale_scales_the_backend_during_the_spike(brief: Brief) -> None:
    kubectl = brief.kubectl
    # The brief's `kubectl create hpa ... --deployment=...` is not a kubectl command; autoscale is.
    invalid = kubectl.run(
        "create", "hpa", "backend-hpa", "--namespace=chatbot-dev", "--cpu-percent=70", "--min=2", "--max=10",
        "--deployment=backend-deployment", check=False,
    )  # fmt: skip
    assert invalid.returncode != 0
    kubectl("delete", "hpa", "backend-hpa", "-n", NS)  # the scenario's own, which the brief applies later
    kubectl(
        "autoscale", "deployment", "backend-deployment", "-n", NS,
        "--cpu-percent=70", "--min=2", "--max=10", "--name=backend-hpa",
    )  # fmt: skip
    assert _targets(kubectl) == "cpu: <unknown>/70%"  # no metrics read yet, as in the brief's first listing
    before = brief.run_until(SPIKE_START - 60)
    used = re.fullmatch(r"cpu: (\d+)%/70%", _targets(kubectl))
    assert used is not None, _targets(kubectl)
    assert 30 <= int(used.group(1)) < 70  # the quiet load on two pods, read from metrics.k8s.io
    assert {p.replicas for p in _during(before, 120, SPIKE_START)} == {2}
    spike = brief.run_until(SPIKE_END)
    assert max(p.replicas for p in spike) > 2
    assert max(p.ready for p in spike) > 2  # the new pods pass their readiness probes and serve
    hpa = yaml.safe_load(kubectl("get", "hpa", "backend-hpa", "-n", NS, "-o", "yaml"))
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert hpa["status"]["currentReplicas"] > 2


def _up_limit(before: int) -> int:
    """Upstream's Percent scale-up policy: at most ceil(replicas at the period's start * 1.5)."""
    return -(-before * 3 // 2)


def _down_limit(before: int) -> int:
    """Upstream's Percent scale-down policy: at least int(replicas at the period's start * 0.9)."""
    return before * 9 // 10


def test_the_brief_manifest_scales_within_its_behaviour(brief: Brief) -> None:
    kubectl = brief.kubectl
    kubectl("delete", "hpa", "backend-hpa", "-n", NS)
    assert "created" in kubectl("apply", "-f", "-", stdin=BRIEF_HPA)
    points = brief.run_until(SPIKE_END + 15 * 60)
    by_time = {p.at: p.replicas for p in points}
    spike = _during(points, SPIKE_START, SPIKE_END)
    assert max(p.replicas for p in spike) >= 5, points
    # Scale-up: within any 60 s the replicas grow at most 50 % over what they were at its start.
    ups = [p for p in points if p.replicas > by_time.get(p.at - TICK, p.replicas)]
    assert len(ups) >= 2  # 2 → 3 → 5: the policy, not the load, set the pace
    for p in points:
        if p.at - 60 in by_time:
            assert p.replicas <= _up_limit(by_time[p.at - 60]), (p, points)
    # Scale-down: nothing until the 300 s window has passed since the last high recommendation.
    downs = [p for p in points if p.replicas < by_time.get(p.at - TICK, p.replicas)]
    assert downs, points
    assert SPIKE_END + 300 - SYNC <= downs[0].at <= SPIKE_END + 300 + 4 * SYNC, (downs[0], points)
    for p in points:
        if p.at - 60 in by_time:
            assert p.replicas >= _down_limit(by_time[p.at - 60]), (p, points)
    assert len(downs) >= 2  # stepwise, one policy period apart
    assert downs[1].at - downs[0].at >= 60


def _flat_scenario(tmp_path: Path, rate: float) -> Path:
    """chatbot-dev with a constant backend load (noise kept) and without its timeline (no bad release)."""
    documents: list[dict[str, Any]] = list(yaml.safe_load_all(CHATBOT_DEV.read_text()))
    spec = next(d for d in documents if d.get("kind") == "Scenario")["spec"]
    spec.pop("timeline")
    backend = next(t for t in spec["traffic"] if t["service"] == "backend-service")
    backend["profile"] = {"constant": rate}
    path = tmp_path / "chatbot-dev-flat.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def _direction_changes(replicas: list[int]) -> int:
    steps = [b - a for a, b in itertools.pairwise(replicas) if b != a]
    return sum(1 for a, b in itertools.pairwise(steps) if (a > 0) != (b > 0))


@pytest.mark.parametrize("rate", [30, 55, 90])
def test_a_flat_load_does_not_make_the_hpa_oscillate(tmp_path: Path, rate: float) -> None:
    # 30 rps fits two pods; 55 and 90 rps sit near a boundary (4 and 5-6 pods), where the 5 % noise
    # moves the utilization across the HPA's 10 % tolerance now and then.
    for brief in _serve(_flat_scenario(tmp_path, rate), tmp_path):
        points = brief.run_for(3600)
        series = [p.replicas for p in points]
        assert _direction_changes(series) <= 1, series
        assert len({p.replicas for p in points if p.at >= 3000}) == 1, series  # settled
        if rate > 30:
            assert max(series) > 2, series  # the load does need more than the minimum
