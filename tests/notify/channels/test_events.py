"""Kubernetes Events: kaido's alerts appear on the workload in the simulated cluster."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from kaido.kube.client import Kube
from kaido.kube.errors import RetryPolicy
from kaido.kube.resources import DEPLOYMENTS, EVENTS, NAMESPACES, NODES
from kaido.notify.channels.events import KubernetesEvents, event_type, regarding_ref
from kaido.notify.model import DeliveryError
from kaido.sim.cluster import SimCluster
from kaido.sim.faults import Faults, parse_faults
from tests.notify.channels.samples import START, alert, notification
from tests.support.sim import SimThread

_names = itertools.count()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimThread]:
    thread = SimThread(kubeconfig=tmp_path_factory.mktemp("events") / "kubeconfig", cluster=SimCluster(seed=5))
    yield thread.start()
    thread.stop()


@pytest.fixture
async def kube(sim: SimThread) -> AsyncIterator[Kube]:
    async with await Kube.connect(kubeconfig=sim.kubeconfig, timeout=10) as client:
        yield client


@pytest.fixture
async def ns(kube: Kube) -> str:
    name = f"ev{next(_names)}"
    await kube.create(NAMESPACES, {"metadata": {"name": name}})
    return name


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": "nginx"}]}},
        },
    }


async def events_in(kube: Kube, ns: str) -> list[dict[str, Any]]:
    return sorted((await kube.list(EVENTS, namespace=ns)).items, key=lambda e: e["metadata"]["name"])


def test_the_object_comes_from_the_labels() -> None:
    assert str(regarding_ref(alert())) == "Deployment chatbot-dev/backend"
    assert str(regarding_ref(alert(workload="statefulset/db"))) == "StatefulSet chatbot-dev/db"
    assert str(regarding_ref(alert(workload=None, extra={"pod": "web-1"}))) == "Pod chatbot-dev/web-1"
    assert str(regarding_ref(alert(workload=None, namespace="", extra={"node": "worker-1"}))) == "Node worker-1"
    assert regarding_ref(alert(workload=None)) is None
    assert regarding_ref(alert(workload="deployment/Not_A_Name")) is None


def test_types_follow_state_and_severity() -> None:
    done = START + timedelta(minutes=1)
    assert [event_type(a) for a in (alert(), alert(severity="warning"), alert(severity="info"))] == [
        "Warning",
        "Warning",
        "Normal",
    ]
    assert event_type(alert(resolved_at=done)) == "Normal"


async def test_firing_and_resolved_events_on_the_workload(kube: Kube, ns: str) -> None:
    created = await kube.create(DEPLOYMENTS, deployment("backend"), namespace=ns)
    channel = KubernetesEvents("events", kube=kube, reporting_instance="kaido-0")
    firing = alert(namespace=ns)
    await channel.send(notification(firing))
    await channel.send(notification(firing.resolved(START + timedelta(minutes=5))))
    fired, resolved = await events_in(kube, ns)
    for event in (fired, resolved):
        assert event["involvedObject"]["kind"] == "Deployment"
        assert event["involvedObject"]["name"] == "backend"
        assert event["involvedObject"]["uid"] == created["metadata"]["uid"]  # kubectl describe matches on it
        assert event["reportingComponent"] == "kaido.io/agent"
        assert event["reportingInstance"] == "kaido-0"
    assert (fired["reason"], fired["type"]) == ("AlertFiring", "Warning")
    assert fired["message"].startswith(f"high-error-rate (critical) on deployment {ns}/backend: 12 error lines")
    assert (resolved["reason"], resolved["type"]) == ("AlertResolved", "Normal")
    assert resolved["message"].startswith("resolved: high-error-rate")


async def test_node_alerts_go_to_the_default_namespace(kube: Kube) -> None:
    await kube.create(NODES, {"metadata": {"name": "alert-node"}})
    channel = KubernetesEvents("events", kube=kube, reporting_instance="kaido-0")
    await channel.send(notification(alert("node-pressure", workload=None, namespace="", extra={"node": "alert-node"})))
    mine = [e for e in await events_in(kube, "default") if e["involvedObject"]["name"] == "alert-node"]
    assert [(e["involvedObject"]["kind"], e["reason"]) for e in mine] == [("Node", "AlertFiring")]


async def test_alerts_without_a_live_object_post_nothing(kube: Kube, ns: str) -> None:
    channel = KubernetesEvents("events", kube=kube, reporting_instance="kaido-0")
    await channel.send(
        notification(alert(namespace=ns, workload=None), alert(namespace=ns, workload="deployment/gone"))
    )
    assert await events_in(kube, ns) == []


async def test_api_failures_are_delivery_errors(sim: SimThread, kube: Kube, ns: str) -> None:
    await kube.create(DEPLOYMENTS, deployment("backend"), namespace=ns)
    no_retries = Kube(kube.http, retry=RetryPolicy(attempts=1))  # the dispatcher does the retrying
    channel = KubernetesEvents("events", kube=no_retries, reporting_instance="kaido-0")
    sim.call(lambda: setattr(sim.cluster, "faults", parse_faults("error-rate=1.0,error-codes=503", seed=1)))
    try:
        with pytest.raises(
            DeliveryError, match=r"^channel events \(kubernetes-events\): cannot read Deployment"
        ) as failed:
            await channel.send(notification(alert(namespace=ns)))
    finally:
        sim.call(lambda: setattr(sim.cluster, "faults", Faults()))
    assert failed.value.retryable
