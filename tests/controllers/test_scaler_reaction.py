"""How fast and how sparingly predictive scaling reacts: new load samples wake it, a raised floor
starts its pods at once when `scaleUpNow` says so, and a raise the HPA already runs is held.

Against the simulator over HTTP, with the synthetic history and the rig of test_scaler.py.
"""
# ruff: noqa: F401, F811 - the rig's fixtures (make_rig, ns) come from test_scaler.py by import

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from kaido.core.clock import ManualClock
from kaido.kube.client import Kube
from kaido.kube.resources import DEPLOYMENTS
from kaido.store import Store
from tests.controllers.test_scaler import (
    BACKEND,
    DAY0,
    Rig,
    daily_peak,
    eventually,
    make_rig,
    managed_hpa,
    ns,
    parse_policy,
    policy_text,
    write_history,
)

BEFORE_PEAK = DAY0 + timedelta(days=3, hours=13, minutes=52)  # the daily peak starts at 14:00


async def peak_rig(make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str, *, extra: str = "") -> Rig:
    """A rig eight minutes before the daily peak, its HPA created, with `extra` under scaling.predictive."""
    clock = ManualClock(BEFORE_PEAK)
    await write_history(store, ns, daily_peak, start=DAY0, end=BEFORE_PEAK + timedelta(hours=3))
    rig = await make_rig(clock=clock)
    rig.policy = parse_policy(policy_text(ns, extra=extra), source="test")
    await managed_hpa(rig)
    return rig


class _AsFirstSeen:
    """A Deployment source whose copies stay as first read: the simulator's HPA controller (at 20x
    speed) may apply the raised floor before the informer's update, and the test must see kaido act."""

    def __init__(self, source: Any) -> None:
        self._source, self._seen = source, {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        if (name, namespace) not in self._seen:
            self._seen[name, namespace] = self._source.get(name, namespace)
        return self._seen[name, namespace]


async def test_scale_up_now_starts_the_pods_of_a_raised_floor_at_once(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, kube: Kube, ns: str
) -> None:
    rig = await peak_rig(make_rig, store, ns, extra="    scaleUpNow: true")
    rig.deployments = _AsFirstSeen(rig.deployments)  # type: ignore[assignment]
    scaler = rig.build()
    assert rig.deployments.get(BACKEND, ns)["spec"]["replicas"] == 2

    [raised] = await scaler.predict()

    assert raised.outcome == "raised", raised.explanation
    assert "minReplicas 2 → 6" in raised.explanation
    # Right after the decision, not after an HPA sync: kaido scaled the Deployment itself.
    assert (await kube.get(DEPLOYMENTS, BACKEND, namespace=ns))["spec"]["replicas"] >= 6
    [scale] = rig.actions("Scale")
    assert scale.state == "succeeded", scale.detail
    assert scale.params == {"epoch": scale.params["epoch"], "replicas": 6, "raise_only": True}
    # Scaled from 2, or found at 6 when the HPA controller was faster: never lowered, never twice.
    assert scale.detail in (
        f"scaled Deployment {ns}/{BACKEND} from 2 to 6 replicas",
        f"nothing to do: Deployment {ns}/{BACKEND} already has 6 replicas",
    )


async def test_without_scale_up_now_the_hpa_adds_the_pods(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    rig = await peak_rig(make_rig, store, ns)
    assert rig.scaler is not None
    [raised] = await rig.scaler.predict()
    assert raised.outcome == "raised", raised.explanation
    assert rig.actions("Scale") == []


async def test_a_raise_the_hpa_already_runs_within_a_pod_is_held(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, kube: Kube, ns: str
) -> None:
    rig = await peak_rig(make_rig, store, ns)
    assert rig.scaler is not None
    # The HPA runs 5 pods (it scaled up for the load already); the forecast needs 6.
    await kube.patch(DEPLOYMENTS, BACKEND, {"spec": {"replicas": 5}}, namespace=ns, subresource="scale")
    await rig.cached(lambda h: (h.get("status") or {}).get("currentReplicas") == 5, "the HPA's status at 5 pods")

    [held] = await rig.scaler.predict()

    assert held.outcome == "held", held.explanation
    assert "the HPA runs 5, within a pod of it: minReplicas stays 2" in held.explanation
    assert (await rig.live())["spec"]["minReplicas"] == 2
    assert rig.actions("SetHPAMinReplicas") == []


async def test_new_load_samples_wake_the_predictive_pass(
    make_rig: Callable[..., Awaitable[Rig]], store: Store, ns: str
) -> None:
    rig = await peak_rig(make_rig, store, ns)  # the clock never moves: only a wake runs a pass again
    scaler = rig.scaler
    assert scaler is not None
    passes: list[int] = []
    predict = scaler.predict

    async def counted() -> list:
        passes.append(len(passes))
        return await predict()

    scaler.predict = counted  # type: ignore[method-assign]
    running = asyncio.create_task(scaler.run())
    try:
        await eventually(lambda: len(passes) == 1, what="the first predictive pass")
        await asyncio.sleep(0.2)
        assert len(passes) == 1  # the interval (1 min) has not passed on the scaler's clock
        scaler.load_observed()
        await eventually(lambda: len(passes) == 2, what="a pass woken by new load samples")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
