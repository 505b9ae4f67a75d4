"""The scaler: HPAs kept in line with the policy, and minReplicas raised ahead of predicted load.

Two passes, both only on the leader:

- **HPA management** (mode `modes.scaling`), every `hpa_interval` and whenever an HPA changes: each
  policy HPA is compared with the live one (`kaido.controllers.hpas.plan_hpa`); a missing HPA is
  created and drift in a field kaido owns is corrected through the executor (`ApplyHPA`), so every
  write is audited. HPAs kaido did not create are never modified, and nothing is ever deleted.
- **Predictive scaling** (mode `modes.predictive`), every `scaling.predictive.interval`: for each
  managed HPA the workload's CPU history is read from the store, forecast
  (`kaido.analysis.forecast`), turned into replicas with the per-pod capacity learned from history
  (`kaido.analysis.capacity`), and planned with hysteresis and a step cap
  (`kaido.analysis.predictive`); a change becomes `SetHPAMinReplicas`. The raised value is
  remembered so that drift correction compares minReplicas with it, not with the policy's
  baseline: the two passes never fight. After a restart the raise is recognised from the
  `kaido.io/last-action` annotation and the audit log.

Modes: `observe` records the decision only, `recommend` sends the action as a dry run (validated
by the API server, nothing changes), `enforce` applies it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from kaido.analysis.capacity import Capacity, per_pod_capacity
from kaido.analysis.forecast import Forecast, Unreliable, forecast
from kaido.analysis.hpa_spec import scale_target_of
from kaido.analysis.predictive import Decision, plan_min_replicas
from kaido.config import Policy
from kaido.config.scaling import HPASpec, PredictiveSettings
from kaido.config.sections import Mode
from kaido.controllers.hpas import HPAPlan, ScalerDecision, hpa_ref, is_managed, orphaned_hpas, plan_hpa
from kaido.controllers.monitor import ObjectSource
from kaido.core.clock import Clock
from kaido.core.quantity import parse_quantity
from kaido.core.refs import ObjectRef
from kaido.kube.cache import Delta
from kaido.remediate.actions import Action, ApplyHPA, SetHPAMinReplicas
from kaido.remediate.executor import LAST_ACTION, Executor
from kaido.store import Store

__all__ = ["Scaler", "workload_history"]

log = logging.getLogger(__name__)

UNIT = "CPU cores"  # the load signal until request rates are kept in the store
STEP = 300.0  # s: forecasts run on the store's 5-minute rollups, cheap to read for days of history
CREATE_WINDOW = 300.0  # s: a missing HPA is created at most once per window (the epoch of the decision)
Series = list[tuple[datetime, float]]


class Scaler:
    """HPA management and predictive minReplicas for the policy's HPAs; `run()` until cancelled."""

    def __init__(
        self,
        *,
        hpas: ObjectSource,
        deployments: ObjectSource,
        pods: ObjectSource,
        store: Store,
        executor: Executor,
        clock: Clock,
        policy: Callable[[], Policy],
        is_leader: Callable[[], bool],
        on_decision: Callable[[str], None],
        nodes: ObjectSource | None = None,
        hpa_interval: float = 15.0,
    ) -> None:
        self._hpas, self._deployments, self._pods, self._nodes = hpas, deployments, pods, nodes
        self._store, self._executor, self._clock = store, executor, clock
        self._policy, self._is_leader, self._on_decision = policy, is_leader, on_decision
        self.hpa_interval = hpa_interval
        self._latest: dict[tuple[str, str], ScalerDecision] = {}
        self._raised: dict[str, int] = {}  # HPA key -> minReplicas kaido set above the policy's baseline
        self._raised_until: dict[str, datetime] = {}  # HPA key -> the predicted peak the raise is for
        self._wake = asyncio.Event()

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """HPA management every `hpa_interval` and on HPA changes; predictive every policy interval."""
        self._hpas.subscribe(self._on_hpa, name="scaler")
        async with asyncio.TaskGroup() as group:
            group.create_task(self._loop(self.reconcile_hpas, lambda: self.hpa_interval, wake=True))
            group.create_task(self._loop(self.predict, lambda: self._policy().scaling.predictive.interval))

    async def _on_hpa(self, delta: Delta) -> None:
        self._wake.set()

    async def _loop(
        self, step: Callable[[], Awaitable[list[ScalerDecision]]], interval: Callable[[], float], *, wake: bool = False
    ) -> None:
        while True:
            if wake:
                self._wake.clear()
            try:
                await step()
            except Exception:
                # One bad pass (a store read, an odd object) must not stop scaling for good.
                log.exception("scaler pass %s failed; trying again in %.0f s", step.__name__, interval())
            await self._sleep(interval(), wake=wake)

    async def _sleep(self, seconds: float, *, wake: bool) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waiters: set[asyncio.Future[Any]] = {sleeper}
        if wake:
            waiters.add(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*waiters, return_exceptions=True)

    def decisions(self) -> list[dict[str, Any]]:
        """The latest decision per HPA and kind (hpa, predictive), newest first."""
        latest = sorted(self._latest.values(), key=lambda d: (d.at, d.kind, d.target), reverse=True)
        return [d.to_json() for d in latest]

    # -- HPA management --------------------------------------------------------------------------

    async def reconcile_hpas(self) -> list[ScalerDecision]:
        """One pass over the policy's HPAs: create, correct or report each; returns the decisions."""
        policy = self._policy()
        mode = policy.modes.scaling
        if mode == "off" or not self._is_leader():
            return []
        live = self._hpas.list()
        made: list[ScalerDecision] = []
        for spec in policy.scaling.hpas:
            if not policy.namespaces.admits(spec.namespace):
                continue
            current = self._hpas.get(spec.hpa_name, spec.namespace)
            min_replicas = self._min_replicas(spec, current, predictive=policy.modes.predictive)
            plan = plan_hpa(spec, live, min_replicas=min_replicas)
            made.append(await self._apply_plan(spec, plan, current, mode))
        for hpa in orphaned_hpas(policy.scaling.hpas, live):
            ref = ObjectRef.of({**hpa, "kind": "HorizontalPodAutoscaler"})
            text = (
                f"HPA {ref.key} was created by kaido but is no longer in the policy; kaido never deletes an HPA "
                f"(remove it with kubectl delete hpa {ref.name} -n {ref.namespace} if it is not wanted)"
            )
            kind, name = scale_target_of(hpa)
            target = ObjectRef(kind=kind or "Deployment", name=name or "unknown", namespace=ref.namespace)
            made.append(self._decide("hpa", ref, target, "orphaned", mode, text))
        return made

    def _min_replicas(self, spec: HPASpec, live: Mapping[str, Any] | None, *, predictive: Mode) -> int:
        """The minReplicas the HPA should have: the policy's, or the predictive raise while enforced."""
        key = f"{spec.namespace}/{spec.hpa_name}"
        if predictive != "enforce":
            self._raised.pop(key, None)
            return spec.min_replicas
        if key not in self._raised and live is not None:
            restored = self._restored_raise(spec, live)
            if restored is not None:
                self._raised[key] = restored
        raised = self._raised.get(key, spec.min_replicas)
        return max(spec.min_replicas, min(raised, spec.max_replicas))

    def _restored_raise(self, spec: HPASpec, live: Mapping[str, Any]) -> int | None:
        """A raise made before a restart: the HPA's last kaido action set its current minReplicas."""
        meta, current = live.get("metadata") or {}, (live.get("spec") or {}).get("minReplicas")
        key = (meta.get("annotations") or {}).get(LAST_ACTION)
        record = self._store.get_action(key) if key else None
        if record is None or record.state != "succeeded" or not isinstance(current, int):
            return None
        params = record.params
        set_to = params.get("min_replicas") if record.action == "SetHPAMinReplicas" else None
        if record.action == "ApplyHPA":
            set_to = (params.get("spec") or {}).get("minReplicas")
        return current if set_to == current and current > spec.min_replicas else None

    async def _apply_plan(
        self, spec: HPASpec, plan: HPAPlan, live: Mapping[str, Any] | None, mode: Mode
    ) -> ScalerDecision:
        ref, workload = hpa_ref(spec, live), spec.ref
        where = f"HPA {ref.key}"
        if plan.kind == "conflict":
            return self._decide("hpa", ref, workload, "conflict", mode, plan.conflict)
        if plan.kind == "in-sync":
            return self._decide("hpa", ref, workload, "in-sync", mode, f"{where} matches the policy ({_summary(plan)})")
        if plan.kind == "create":
            bucket = math.floor(self._clock.now().timestamp() / CREATE_WINDOW)
            epoch = f"{mode} create {plan.spec_hash} window {bucket}"
            text = f"{where} is missing; kaido creates it for {spec.ref.kind.lower()} {spec.ref.key} ({_summary(plan)})"
            done, would, observed = "created", "would create it", "missing"
        else:
            version = ((live or {}).get("metadata") or {}).get("resourceVersion", "")
            epoch = f"{mode} correct {plan.spec_hash} at resourceVersion {version}"
            text = f"{where} drifted: {'; '.join(map(str, plan.differences))}"
            if not is_managed(live or {}):
                text = (
                    f"{where} adopted (policy says adopt: true): {'; '.join(map(str, plan.differences)) or 'no drift'}"
                )
            done, would, observed = "corrected", "would correct it", "drift"
        action = ApplyHPA(target=ref, epoch=epoch, spec=plan.spec, adopt=spec.adopt)
        outcome, text, record = await self._act(
            action, mode, text, done=done, would=would, observed=observed, workload=workload
        )
        return self._decide("hpa", ref, workload, outcome, mode, text, action=record)

    # -- predictive scaling ----------------------------------------------------------------------

    async def predict(self) -> list[ScalerDecision]:
        """One predictive pass over the managed HPAs of the policy; returns the decisions."""
        policy = self._policy()
        mode = policy.modes.predictive
        if mode == "off" or not self._is_leader():
            return []
        made = []
        for spec in policy.scaling.hpas:
            live = self._hpas.get(spec.hpa_name, spec.namespace)
            if live is None or not is_managed(live) or not policy.namespaces.admits(spec.namespace):
                continue  # HPA management reports missing and foreign HPAs
            made.append(await self._predict_one(spec, live, policy.scaling.predictive, mode))
        return made

    async def _predict_one(
        self, spec: HPASpec, live: Mapping[str, Any], settings: PredictiveSettings, mode: Mode
    ) -> ScalerDecision:
        now, ref, workload = self._clock.now(), hpa_ref(spec, live), spec.ref
        current_min = int((live.get("spec") or {}).get("minReplicas") or 1)
        decision = self._plan(spec, settings, now=now, current_min=current_min)
        text = f"HPA {ref.key}: {decision.explanation}"
        if not decision.reliable and "falling back" not in text:
            text += " (falling back to the plain HPA)"  # say so even when nothing has to change
        if not decision.changed:
            outcome = "held" if decision.reliable else "fallback"
            return self._decide("predictive", ref, workload, outcome, mode, text)
        bucket = math.floor(now.timestamp() / settings.interval)
        action = SetHPAMinReplicas(
            target=ref, epoch=f"{mode} {bucket} min {decision.desired_min}", min_replicas=decision.desired_min
        )
        done = "raised" if decision.desired_min > current_min else "lowered"
        outcome, text, record = await self._act(
            action, mode, text, done=done, would=f"minReplicas would be {done}", observed="observed", workload=workload
        )
        if outcome == done:
            self._remember(ref.key, decision, baseline=spec.min_replicas)
        return self._decide("predictive", ref, workload, outcome, mode, text, action=record)

    def _remember(self, key: str, decision: Decision, *, baseline: int) -> None:
        if decision.desired_min > baseline:
            self._raised[key] = decision.desired_min
            if decision.peak_at is not None:
                self._raised_until[key] = decision.peak_at
        else:
            self._raised.pop(key, None)
            self._raised_until.pop(key, None)

    def _fallback_reason(self, spec: HPASpec, workload: ObjectRef) -> str | None:
        if workload.kind != "Deployment":
            return f"predictive scaling reads the history of Deployments only, not of a {workload.kind}"
        if spec.cpu_utilization is None:
            return "the HPA has no CPU target, and CPU is the load signal kaido forecasts"
        if self._deployments.get(workload.name, workload.namespace) is None:
            return f"deployment {workload.key} is not in the cache"
        return None

    def _plan(self, spec: HPASpec, settings: PredictiveSettings, *, now: datetime, current_min: int) -> Decision:
        """The planner's decision; a workload kaido cannot read plans as an unreliable forecast (fallback)."""
        workload = spec.ref
        deployment = self._deployments.get(workload.name, workload.namespace) or {}
        predicted: Forecast | Unreliable
        capacity: Capacity | Unreliable
        reason = self._fallback_reason(spec, workload)
        if reason is not None:
            predicted = capacity = Unreliable(reason)
        else:
            lookback = timedelta(days=4) if settings.season != "none" else timedelta(seconds=settings.min_history * 3)
            load, pods, utilization = workload_history(
                self._store,
                namespace=spec.namespace,
                deployment=workload.name,
                cpu_request=template_cpu_request(deployment),
                start=now - lookback,
                end=now,
            )
            predicted = forecast(
                load, now=now, horizon=settings.horizon, step=STEP, season=settings.season,
                min_history=settings.min_history,
            )  # fmt: skip
            target = (spec.cpu_utilization or 100) / 100
            capacity = per_pod_capacity(load, pods, utilization, target_utilization=target, unit=UNIT)
        key = f"{spec.namespace}/{spec.hpa_name}"
        return plan_min_replicas(
            predicted,
            capacity,
            now=now,
            workload=str(workload),
            current_min=current_min,
            baseline_min=spec.min_replicas,
            max_replicas=spec.max_replicas,
            max_error=settings.max_error,
            hysteresis=settings.hysteresis,
            max_step=settings.max_step,
            capacity_guard=self._capacity_guard(deployment),
            raised_until=self._raised_until.get(key),
            unit=UNIT,
        )

    def _capacity_guard(self, deployment: Mapping[str, Any]) -> int | None:
        """Replicas the cluster can still schedule for this workload: current + free CPU / its request."""
        request = template_cpu_request(deployment)
        if self._nodes is None or not request:
            return None
        current = int((deployment.get("spec") or {}).get("replicas") or 0)
        return current + math.floor(free_cpu(self._nodes.list(), self._pods.list()) / request)

    # -- acting and recording --------------------------------------------------------------------

    async def _act(
        self, action: Action, mode: Mode, text: str, *, done: str, would: str, observed: str, workload: ObjectRef
    ) -> tuple[str, str, dict[str, Any] | None]:
        """Run `action` as the mode allows: (outcome word, explanation with what happened, audit record)."""
        if mode == "observe":
            return observed, f"{text}; observe mode: nothing changed", None
        prior = self._store.get_action(action.idempotency_key())
        if prior is not None:
            # The same decision was made before (an informer that has not caught up, or a restart).
            when = f"{prior.requested_at:%H:%M:%S}"
            return "repeat", f"{text}; already decided at {when} ({prior.state}), not repeated", prior.to_json()
        record = await self._executor.execute(
            action, mode="enforce" if mode == "enforce" else "dry-run", reason=text, workload=workload
        )
        if record.state == "succeeded":
            return done, f"{text}; {done}", record.to_json()
        if record.state == "dry-run":
            return "recommended", f"{text}; recommended: {would} (dry run accepted by the API server)", record.to_json()
        return record.state, f"{text}; {record.state}: {record.detail}", record.to_json()

    def _decide(
        self,
        kind: str,
        ref: ObjectRef,
        workload: ObjectRef,
        outcome: str,
        mode: Mode,
        text: str,
        *,
        action: Mapping[str, Any] | None = None,
    ) -> ScalerDecision:
        decision = ScalerDecision(
            kind="hpa" if kind == "hpa" else "predictive",
            at=self._clock.now(),
            target=str(ObjectRef(ref.kind, ref.name, ref.namespace)),
            workload=str(workload),
            outcome=outcome,
            mode=mode,
            explanation=text,
            action=action,
        )
        slot = (decision.kind, decision.target)
        before = self._latest.get(slot)
        self._latest[slot] = decision
        if _newsworthy(decision, before):
            self._on_decision(text)
        return decision


def _newsworthy(decision: ScalerDecision, before: ScalerDecision | None) -> bool:
    """Say it on the timeline when something happened or the situation changed, not on every pass."""
    if decision.outcome in ("in-sync", "held", "repeat"):
        return before is not None and before.outcome not in ("in-sync", "held", "repeat")
    if before is None or before.outcome != decision.outcome:
        return True
    # Same outcome again: only an action taken this time, or a new reason to fall back, is news.
    return decision.action is not None or (
        decision.outcome == "conflict" and before.explanation != decision.explanation
    )


def _summary(plan: HPAPlan) -> str:
    spec = plan.spec
    metrics = ", ".join(
        f"{m['resource']['name']} {m['resource']['target']['averageUtilization']}%" for m in spec["metrics"]
    )
    return f"{spec['minReplicas']}-{spec['maxReplicas']} replicas, {metrics}"


# -- reading the history of a workload (pure over the store's reads) ------------------------------


def template_cpu_request(workload: Mapping[str, Any]) -> float:
    """CPU cores requested by one pod of a workload's template (0 when no container requests CPU)."""
    pod_spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return _cpu_requests(pod_spec.get("containers") or [])


def _cpu_requests(containers: Iterable[Mapping[str, Any]]) -> float:
    total = 0.0
    for container in containers:
        cpu = ((container.get("resources") or {}).get("requests") or {}).get("cpu")
        if cpu is not None:
            total += parse_quantity(cpu).as_milli() / 1000
    return total


def free_cpu(nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> float:
    """Allocatable CPU of schedulable nodes minus the requests of the pods placed on them, in cores."""
    usable = {
        n["metadata"]["name"]: parse_quantity(((n.get("status") or {}).get("allocatable") or {}).get("cpu", 0))
        for n in nodes
        if not (n.get("spec") or {}).get("unschedulable")
    }
    free = sum(q.as_milli() / 1000 for q in usable.values())
    for pod in pods:
        spec, phase = pod.get("spec") or {}, (pod.get("status") or {}).get("phase")
        if spec.get("nodeName") in usable and phase not in ("Succeeded", "Failed"):
            free -= _cpu_requests(spec.get("containers") or [])
    return max(0.0, free)


def workload_history(
    store: Store, *, namespace: str, deployment: str, cpu_request: float, start: datetime, end: datetime
) -> tuple[Series, Series, Series | None]:
    """Load (CPU cores summed over the Deployment's pods), pod count and utilization per 5-minute bucket.

    The store keeps usage per pod and container, without the owning workload; a Deployment's pods
    are recognised by their names (`<deployment>-<template hash>-<suffix>`), which also finds the
    pods of earlier revisions. Utilization is the fraction of the pods' CPU request in use (None
    without a request, which makes the capacity estimate unreliable rather than wrong).
    """
    pattern = re.compile(rf"{re.escape(deployment)}-[a-z0-9]{{1,10}}-[a-z0-9]{{5}}")
    load: dict[datetime, float] = defaultdict(float)
    members: dict[datetime, set[str]] = defaultdict(set)
    for labels in store.find_series("pod_cpu_cores", namespace=namespace):
        pod = labels.get("pod", "")
        if not pattern.fullmatch(pod):
            continue
        for at, value in store.series("pod_cpu_cores", labels, start=start, end=end, resolution="5m"):
            load[at] += value
            members[at].add(pod)
    times = sorted(load)
    loads = [(t, load[t]) for t in times]
    counts = [(t, float(len(members[t]))) for t in times]
    if cpu_request <= 0:
        return loads, counts, None
    return loads, counts, [(t, load[t] / (len(members[t]) * cpu_request)) for t in times]
