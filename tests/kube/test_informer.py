"""Informers against `kaido sim` over TCP: convergence under faults, sync, bookmarks, subscriptions."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kaido.core.clock import RealClock
from kaido.kube.cache import LAST_APPLIED, Delta, Key
from kaido.kube.client import Kube
from kaido.kube.informer import Informer, Informers
from kaido.kube.queueing import Subscription
from kaido.kube.resources import CONFIGMAPS, NODES, PODS, Resource
from kaido.sim.cluster import SimCluster
from kaido.sim.faults import Faults, parse_faults
from tests.support.sim import SimThread

FAULTS = "drop-watch=300ms,error-rate=0.15,error-codes=500/503/429,expire-rv=400ms"
STORM = "drop-watch=300ms,error-rate=1,error-codes=503/429"  # every request fails; watches end within 0.3 s


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    """A fresh cluster per test instead of conftest's shared one; conftest's `kube` connects to it.

    The tests count watch streams and compare the global resourceVersion; bookmarks come every 0.1 s.
    """
    thread = SimThread(kubeconfig=tmp_path / "kubeconfig", cluster=SimCluster(seed=11, bookmark_interval=0.1)).start()
    yield thread
    thread.stop()


@pytest.fixture
async def informers(kube: Kube) -> AsyncIterator[Informers]:
    informers = Informers(
        kube, clock=RealClock(), rng=random.Random(5), watch_timeout=2, backoff_initial=0.01, backoff_max=0.1
    )
    yield informers
    await informers.stop()


class Writer:
    """Creates, updates and deletes pods and config maps straight in the simulator's store."""

    def __init__(self, sim: SimThread, seed: int) -> None:
        self.sim = sim
        self.random = random.Random(seed)
        self.deleted_uids: set[str] = set()
        cluster = sim.cluster
        self.types = {PODS: cluster.resource_for("v1", "Pod"), CONFIGMAPS: cluster.resource_for("v1", "ConfigMap")}

    def namespaces(self, *names: str) -> None:
        kind, ops = self.sim.cluster.resource_for("v1", "Namespace"), self.sim.cluster.ops
        self.sim.call(lambda: [ops.create(kind, None, {"metadata": {"name": name}}) for name in names])

    def step(self, resource: Resource, namespace: str, name: str) -> None:
        self.sim.call(lambda: self._step(resource, namespace, name))

    def outage(self, resource: Resource, namespace: str, names: list[str]) -> None:
        """Drop every watch, change objects while nobody watches, then expire the history (so: 410, relist)."""

        def run() -> None:
            self.sim.cluster.store.close_watchers()
            for name in names:
                self._step(resource, namespace, name)
            self.sim.cluster.store.expire_history()

        self.sim.call(run)

    def _step(self, resource: Resource, namespace: str, name: str) -> None:
        kind, ops = self.types[resource], self.sim.cluster.ops
        existing = self.sim.cluster.store.find(kind, namespace, name)
        if existing is None:
            ops.create(kind, namespace, _body(resource, name))
        elif self.random.random() < 0.35:
            self.deleted_uids.add(existing["metadata"]["uid"])
            ops.delete(kind, namespace, name)
        else:
            patch = {"metadata": {"labels": {"step": str(self.random.randrange(10**6))}}}
            ops.patch(kind, namespace, name, json.dumps(patch).encode(), "application/merge-patch+json")


def _body(resource: Resource, name: str) -> dict[str, Any]:
    meta = {"name": name, "annotations": {LAST_APPLIED: "{}", "team": "web"}}
    if resource == PODS:
        return {"metadata": meta, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
    return {"metadata": meta, "data": {"k": "v"}}


class Recorder:
    """A subscriber that records deltas and notices if one object's deltas ever overlap."""

    def __init__(self) -> None:
        self.deltas: list[Delta] = []
        self.busy: set[Key] = set()
        self.overlaps: list[Key] = []

    async def __call__(self, delta: Delta) -> None:
        if delta.key in self.busy:
            self.overlaps.append(delta.key)
        self.busy.add(delta.key)
        try:
            slow = delta.key[1].endswith(("0", "4"))  # a few slow objects, so work interleaves
            await asyncio.sleep(0.003 if slow else 0)
            self.deltas.append(delta)
        finally:
            self.busy.discard(delta.key)


def replay(deltas: list[Delta]) -> dict[Key, dict[str, Any]]:
    """The subscriber's view after `deltas`; each delta must fit what it held."""
    seen: dict[Key, dict[str, Any]] = {}
    for delta in deltas:
        held = seen.get(delta.key)
        if delta.type == "ADDED":
            assert held is None, f"ADDED {delta.key} while still held"
            seen[delta.key] = delta.object
        else:
            assert held is not None and delta.old == held, f"{delta.type} {delta.key} does not follow what was seen"
            if delta.type == "DELETED":
                del seen[delta.key]
            else:
                seen[delta.key] = delta.object
    return seen


def versions(objects: list[dict[str, Any]]) -> dict[Key, str]:
    return {
        (o["metadata"].get("namespace", ""), o["metadata"]["name"]): o["metadata"]["resourceVersion"] for o in objects
    }


def uid(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["uid"])


async def eventually(condition: Any, *, within: float = 10.0, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_cache_converges_under_faults_without_losing_deletions(
    sim: SimThread, kube: Kube, informers: Informers
) -> None:
    writer = Writer(sim, seed=3)
    writer.namespaces("ns-a", "ns-b", "ns-c")
    pods = informers.add(PODS)
    configmaps = informers.add(CONFIGMAPS, namespace="ns-a")
    recorders = {pods: Recorder(), configmaps: Recorder()}
    subscriptions = [informer.subscribe(recorder, name="recorder") for informer, recorder in recorders.items()]
    sim.call(lambda: setattr(sim.cluster, "faults", parse_faults(FAULTS, seed=2)))
    await informers.start()
    assert await informers.wait_synced(5)

    rng = random.Random(9)
    for step in range(120):  # about 2.5 s of churn while watches drop, fail and expire
        if step % 30 == 15:
            writer.outage(PODS, "ns-b", [f"pod-{i}" for i in range(12)])
            writer.outage(CONFIGMAPS, "ns-a", [f"cm-{i}" for i in range(8)])
        if step == 60:  # long enough that every informer's next request fails
            sim.call(lambda: setattr(sim.cluster, "faults", parse_faults(STORM)))
            await asyncio.sleep(0.4)
            sim.call(lambda: setattr(sim.cluster, "faults", parse_faults(FAULTS, seed=3)))
        for _ in range(4):
            if rng.random() < 0.6:
                writer.step(PODS, rng.choice(["ns-a", "ns-b", "ns-c"]), f"pod-{rng.randrange(12)}")
            else:
                writer.step(CONFIGMAPS, rng.choice(["ns-a", "ns-a", "ns-b"]), f"cm-{rng.randrange(8)}")
        await asyncio.sleep(0.02)
    sim.call(lambda: setattr(sim.cluster, "faults", Faults()))

    server = {
        pods: versions((await kube.list(PODS)).items),
        configmaps: versions((await kube.list(CONFIGMAPS, namespace="ns-a")).items),
    }
    for informer in (pods, configmaps):
        await eventually(lambda informer=informer: versions(informer.list()) == server[informer], what="convergence")
    for subscription in subscriptions:
        await subscription.join()

    for informer, recorder in recorders.items():
        stats = informer.stats
        assert stats.relists >= 1 and stats.restarts >= 1 and stats.errors >= 1, stats
        assert stats.queue_depth == 0
        assert not recorder.overlaps, f"one object's deltas overlapped: {recorder.overlaps[:5]}"
        view = replay(recorder.deltas)
        assert {key: obj["metadata"]["resourceVersion"] for key, obj in view.items()} == server[informer]
        for key in {d.key for d in recorder.deltas}:
            rvs = [int(d.object["metadata"]["resourceVersion"]) for d in recorder.deltas if d.key == key]
            assert rvs == sorted(rvs), f"{key} went back in time: {rvs}"
        seen = {uid(d.object) for d in recorder.deltas if d.type == "ADDED"}
        deleted = {uid(d.old or d.object) for d in recorder.deltas if d.type == "DELETED"}
        alive = {uid(obj) for obj in informer.list()}
        assert seen - alive == deleted, "an object the subscriber saw vanished without a DELETED"
        assert writer.deleted_uids & seen <= deleted
    assert len(sim.call(lambda: sim.cluster.store.watchers)) <= len(recorders)  # no leaked watch streams
    assert all(LAST_APPLIED not in (o["metadata"].get("annotations") or {}) for o in pods.list())


async def test_not_synced_until_the_first_list_succeeds(
    sim: SimThread, informers: Informers, caplog: pytest.LogCaptureFixture
) -> None:
    sim.call(lambda: setattr(sim.cluster, "faults", parse_faults("error-rate=1,error-codes=500")))
    caplog.set_level(logging.WARNING, logger="kaido.kube.informer")
    pods = informers.add(PODS)
    await informers.start()
    assert not await informers.wait_synced(0.4)
    assert not pods.has_synced and not informers.synced
    assert pods.stats.lists == 0 and pods.stats.errors >= 3
    retries = [r.getMessage() for r in caplog.records if r.name == "kaido.kube.informer"]
    prefix = "list pods (all namespaces) failed: injected fault: the simulator answered 500 on purpose"
    assert retries and all(m.startswith(prefix) for m in retries), retries
    delays = [float(m.rsplit("retrying in ", 1)[1].removesuffix(" s")) for m in retries]
    assert max(delays) <= 0.1  # backoff_max

    sim.call(lambda: setattr(sim.cluster, "faults", Faults()))
    assert await informers.wait_synced(5)
    assert pods.has_synced and pods.stats.lists == 1


async def test_subscribers_after_sync_get_added_for_the_cache(sim: SimThread, informers: Informers) -> None:
    writer = Writer(sim, seed=1)
    writer.namespaces("shop")
    for name in ("cm-1", "cm-2", "cm-3"):
        writer.step(CONFIGMAPS, "shop", name)
    configmaps = informers.add(CONFIGMAPS, namespace="shop")
    await informers.start()
    assert await informers.wait_synced(5)
    assert configmaps.get("cm-2") is not None and configmaps.get("cm-2", "shop") is configmaps.get("cm-2")
    assert configmaps.get("nope") is None and len(configmaps) == 3
    assert {o["metadata"]["name"] for o in configmaps.list("shop")} == {"cm-1", "cm-2", "cm-3"}
    assert configmaps.list("elsewhere") == []

    recorder = Recorder()
    subscription = configmaps.subscribe(recorder, name="late")
    await subscription.join()
    assert sorted((d.type, d.key) for d in recorder.deltas) == [("ADDED", ("shop", f"cm-{i}")) for i in (1, 2, 3)]
    writer.step(CONFIGMAPS, "shop", "cm-4")
    await eventually(lambda: len(recorder.deltas) == 4, what="the live ADDED")
    await subscription.close()
    assert configmaps.stats.queue_depth == 0


async def test_bookmarks_advance_the_resource_version(sim: SimThread, informers: Informers) -> None:
    writer = Writer(sim, seed=2)
    writer.namespaces("quiet", "busy")
    configmaps = informers.add(CONFIGMAPS, namespace="quiet")
    await informers.start()
    assert await informers.wait_synced(5)
    listed = int(configmaps.stats.resource_version)
    for index in range(5):  # writes elsewhere move the global resourceVersion but send "quiet" no events
        writer.step(CONFIGMAPS, "busy", f"cm-{index}")
    server_rv = sim.call(lambda: sim.cluster.store.resource_version)
    assert server_rv > listed
    await eventually(lambda: configmaps.stats.resource_version == str(server_rv), within=3, what="a bookmark")
    assert configmaps.stats.bookmarks >= 1 and configmaps.stats.events == 0
    assert configmaps.stats.last_event_at is not None


async def test_informers_share_one_per_scope_and_stop_cleanly(sim: SimThread, informers: Informers) -> None:
    pods = informers.add(PODS)
    assert informers.add(PODS) is pods
    assert informers.add(PODS, namespace="a") is not pods
    assert informers.get(PODS) is pods and informers.get(CONFIGMAPS) is None
    await informers.start()
    nodes = informers.add(NODES)  # added while running: starts at once
    assert await informers.wait_synced(5)
    assert nodes.has_synced and list(informers) == [pods, informers.get(PODS, "a"), nodes] and len(informers) == 3
    subscription = pods.subscribe(Recorder(), name="idle")
    await informers.stop()
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert not any(name.startswith(("kaido-informer", "kaido-subscriber")) for name in names), names
    assert pods.stats.queue_depth == 0
    await subscription.close()  # closing twice is harmless


async def test_a_failing_handler_is_logged_and_delivery_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    handled: list[str] = []

    async def handler(delta: Delta) -> None:
        if delta.key[1] == "bad":
            raise RuntimeError("boom")
        handled.append(delta.key[1])

    subscription = Subscription(handler, name="healer", workers=2, on_close=lambda _: None)
    for name in ("bad", "good", "bad", "other"):
        subscription.push(Delta("ADDED", ("ns", name), {"metadata": {"name": name}}))
    await subscription.join()
    assert sorted(handled) == ["good", "other"]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert failures[0].getMessage() == "subscriber healer failed on ADDED ns/bad; continuing with the next change"
    await subscription.close()


async def test_one_objects_deltas_stay_in_order_while_others_proceed() -> None:
    order: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def handler(delta: Delta) -> None:
        if delta.key[1] == "slow" and delta.object["n"] == 0:
            await release.wait()  # the first delta of "slow" blocks until "fast" is all done
        order.append((delta.key[1], delta.object["n"]))

    subscription = Subscription(handler, name="order", workers=3, on_close=lambda _: None)
    for n in range(3):
        subscription.push(Delta("MODIFIED", ("", "slow"), {"n": n}))
        subscription.push(Delta("MODIFIED", ("", "fast"), {"n": n}))
    await asyncio.sleep(0.01)
    assert order == [("fast", 0), ("fast", 1), ("fast", 2)]
    assert subscription.pending == 2  # "slow" 1 and 2 wait behind "slow" 0, on no other worker
    release.set()
    await subscription.join()
    assert [n for name, n in order if name == "slow"] == [0, 1, 2]
    await subscription.close()


async def test_scope_is_checked_and_described(kube: Kube) -> None:
    clock = RealClock()
    with pytest.raises(ValueError, match="nodes are cluster-scoped"):
        Informer(kube, NODES, namespace="a", clock=clock)
    assert Informer(kube, PODS, clock=clock).description == "pods (all namespaces)"
    scoped = Informer(kube, CONFIGMAPS, namespace="shop", label_selector="app=web", clock=clock)
    assert scoped.description == "configmaps in namespace shop with labels app=web"
    assert Informer(kube, NODES, clock=clock).description == "nodes"
