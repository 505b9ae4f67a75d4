"""The scaler: HPAs kept in line with the policy, minReplicas raised ahead of predicted load, and
Deployments without an HPA scaled directly.

Three passes, all only on the leader:

- **HPA management** (mode `modes.scaling`), every `hpa_interval` and whenever an HPA changes: each
  policy HPA is compared with the live one (`kaido.controllers.hpas.plan_hpa`); a missing HPA is
  created and drift in a field kaido owns is corrected through the executor (`ApplyHPA`), so every
  write is audited. HPAs kaido did not create are never modified, and nothing is ever deleted.
- **Predictive scaling** (mode `modes.predictive`), every `scaling.predictive.interval`: for each
  managed HPA the workload's load history is read from the store — its Service's request rate
  when there is enough of it, else CPU (`kaido.controllers.load_signal`) — forecast
  (`kaido.analysis.forecast`), turned into replicas with the per-pod capacity learned from history
  (`kaido.analysis.capacity`), and planned with hysteresis and a step cap
  (`kaido.analysis.predictive`); a change becomes `SetHPAMinReplicas`. The raised value is
  remembered so that drift correction compares minReplicas with it, not with the policy's
  baseline: the two passes never fight. After a restart the raise is recognised from the
  `kaido.io/last-action` annotation and the audit log.
- **Direct scaling** (mode `modes.predictive`, same interval): each Deployment of
  `scaling.workloads` gets the larger of the forecast's need and the usage-based count of the
  upstream HPA algorithm, through the HPA's stabilization and behavior rate limits
  (`plan_direct_replicas`, whose memory of recommendations and scale events is kept here per
  Deployment), within min/max and the cluster capacity guard; a change becomes `Scale`. A
  Deployment that has an HPA is never scaled directly: the two would fight.

Modes: `observe` records the decision only, `recommend` sends the action as a dry run (validated
by the API server, nothing changes), `enforce` applies it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from kaido.analysis.forecast import Unreliable
from kaido.analysis.hpa.rate import ScaleEvent
from kaido.analysis.hpa.stabilization import Recommendation
from kaido.analysis.hpa_spec import scale_target_of
from kaido.analysis.predictive import Decision, DirectDecision, plan_direct_replicas, plan_min_replicas
from kaido.config import Policy
from kaido.config.scaling import HPASpec, PredictiveSettings, WorkloadSpec
from kaido.config.sections import Mode
from kaido.controllers.floors import Floors
from kaido.controllers.hpas import (
    HPAPlan,
    ScalerDecision,
    behavior_rules,
    hpa_ref,
    hpa_scaling,
    is_managed,
    newsworthy,
    orphaned_hpas,
    plan_hpa,
    plan_summary,
)
from kaido.controllers.load_signal import (
    CPU_UNIT,
    STEP,
    LoadSignal,
    SeasonCache,
    free_cpu,
    predict_load,
    template_cpu_request,
    usage_replicas,
    workload_history,
)
from kaido.controllers.monitor import ObjectSource
from kaido.core.clock import Clock, sleep_or_wake
from kaido.core.refs import ObjectRef
from kaido.kube.cache import Delta
from kaido.remediate.actions import Action, ApplyHPA, Scale, SetHPAMinReplicas
from kaido.remediate.executor import LAST_ACTION, Executor
from kaido.store import Store

__all__ = ["STEP", "Scaler", "free_cpu", "template_cpu_request", "workload_history"]

log = logging.getLogger(__name__)

CREATE_WINDOW = 300.0  # s: a missing HPA is created at most once per window (the epoch of the decision)
DecisionKind = Literal["hpa", "predictive", "direct"]


@dataclass(frozen=True)
class _DirectMemory:
    """What `plan_direct_replicas` needs back next time for one Deployment, as the HPA controller keeps it."""

    recommendations: tuple[Recommendation, ...] = ()
    up_events: tuple[ScaleEvent, ...] = ()
    down_events: tuple[ScaleEvent, ...] = ()


class Scaler:
    """HPA management, predictive minReplicas and direct scaling from the policy; `run()` until cancelled."""

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
        services: ObjectSource | None = None,
        hpa_interval: float = 15.0,
    ) -> None:
        self._hpas, self._deployments, self._pods, self._nodes = hpas, deployments, pods, nodes
        self._services = services  # to find the Service in front of a workload; None: only the policy names it
        self._store, self._executor, self._clock = store, executor, clock
        self._policy, self._is_leader, self._on_decision = policy, is_leader, on_decision
        self.hpa_interval = hpa_interval
        self._latest: dict[tuple[str, str], ScalerDecision] = {}
        self._floors = Floors()
        self._seasons: SeasonCache = {}
        self._direct: dict[str, _DirectMemory] = {}  # Deployment key -> stabilization and rate-limit memory
        self._wake = asyncio.Event()  # an HPA changed: HPA management runs again
        self._load_wake = asyncio.Event()  # new load samples: predictive scaling runs again

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """HPA management every `hpa_interval` and on HPA changes; predictive every policy interval."""
        self._hpas.subscribe(self._on_hpa, name="scaler")
        async with asyncio.TaskGroup() as group:
            group.create_task(self._loop(self.reconcile_hpas, lambda: self.hpa_interval, wake=self._wake))
            group.create_task(self._loop(self.predict, self._predict_interval, wake=self._load_wake))

    async def _on_hpa(self, delta: Delta) -> None:
        self._wake.set()

    def _predict_interval(self) -> float:
        return self._policy().scaling.predictive.interval

    def load_observed(self) -> None:
        """New load samples are in the store: decide now rather than at the next interval."""
        self._load_wake.set()

    async def _loop(
        self, step: Callable[[], Awaitable[list[ScalerDecision]]], interval: Callable[[], float], *, wake: asyncio.Event
    ) -> None:
        while True:
            wake.clear()
            try:
                await step()
            except Exception:
                # One bad pass (a store read, an odd object) must not stop scaling for good.
                log.exception("scaler pass %s failed; trying again in %.0f s", step.__name__, interval())
            await sleep_or_wake(self._clock, interval(), wake)

    def decisions(self) -> list[dict[str, Any]]:
        """The latest decision per target and kind (hpa, predictive, direct), newest first."""
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
            if current is not None and self._floors.stale(current, now=self._clock.monotonic()):
                continue  # the cache has not seen kaido's own write yet; its event wakes the next pass
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
            self._floors.forget(key)
            return spec.min_replicas
        if key not in self._floors.raised and live is not None:
            restored = self._restored_raise(spec, live)
            if restored is not None:
                self._floors.raised[key] = restored
        raised = self._floors.raised.get(key, spec.min_replicas)
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
            return self._decide(
                "hpa", ref, workload, "in-sync", mode, f"{where} matches the policy ({plan_summary(plan)})"
            )
        if plan.kind == "create":
            bucket = math.floor(self._clock.now().timestamp() / CREATE_WINDOW)
            epoch = f"{mode} create {plan.spec_hash} window {bucket}"
            target = f"{spec.ref.kind.lower()} {spec.ref.key}"
            text = f"{where} is missing; kaido creates it for {target} ({plan_summary(plan)})"
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
        """One predictive pass: the managed HPAs, then the Deployments scaled directly; returns the decisions."""
        policy = self._policy()
        mode = policy.modes.predictive
        if mode == "off" or not self._is_leader():
            return []
        settings = policy.scaling.predictive
        made = []
        for spec in policy.scaling.hpas:
            live = self._hpas.get(spec.hpa_name, spec.namespace)
            if live is None or not is_managed(live) or not policy.namespaces.admits(spec.namespace):
                continue  # HPA management reports missing and foreign HPAs
            made.append(await self._predict_one(spec, live, settings, mode))
        for workload in policy.scaling.workloads:
            if policy.namespaces.admits(workload.namespace):
                made.append(await self._scale_directly(workload, settings, mode))
        return made

    async def _predict_one(
        self, spec: HPASpec, live: Mapping[str, Any], settings: PredictiveSettings, mode: Mode
    ) -> ScalerDecision:
        now, ref, workload = self._clock.now(), hpa_ref(spec, live), spec.ref
        current_min = int((live.get("spec") or {}).get("minReplicas") or 1)
        decision, note = self._plan(spec, settings, now=now, current_min=current_min)
        text = f"HPA {ref.key}: {decision.explanation}" + (f"; {note}" if note else "")
        if not decision.reliable and "falling back" not in text:
            text += " (falling back to the plain HPA)"  # say so even when nothing has to change
        if not decision.changed:
            outcome = "held" if decision.reliable else "fallback"
            return self._decide("predictive", ref, workload, outcome, mode, text)
        running = int((live.get("status") or {}).get("currentReplicas") or 0)
        if current_min < decision.desired_min <= running + 1:
            # The HPA already runs what the forecast needs, give or take the pod rounding adds: a floor
            # would buy that pod all day, while the HPA adds it itself when the load asks for it.
            text += f"; the HPA runs {running}, within a pod of it: minReplicas stays {current_min}"
            return self._decide("predictive", ref, workload, "held", mode, text)
        bucket = math.floor(now.timestamp() / settings.interval)
        action = SetHPAMinReplicas(
            target=ref, epoch=f"{mode} {bucket} min {decision.desired_min}", min_replicas=decision.desired_min
        )
        done = "raised" if decision.desired_min > current_min else "lowered"
        # Remember the new floor before writing it: the write's own watch event wakes HPA management
        # while the executor is still awaited, and it must not take kaido's floor for drift.
        before = self._floors.snapshot(ref.key)
        if mode == "enforce":
            self._floors.written(ref.key, decision.desired_min, now=self._clock.monotonic())
            self._floors.remember(ref.key, decision.desired_min, baseline=spec.min_replicas, peak_at=decision.peak_at)
        outcome, text, record = await self._act(
            action, mode, text, done=done, would=f"minReplicas would be {done}", observed="observed", workload=workload
        )
        if mode == "enforce" and outcome not in (done, "repeat"):
            self._floors.restore(ref.key, before)
            self._floors.pending.pop(ref.key, None)
        if outcome == "raised" and settings.scale_up_now:
            text = await self._scale_up_now(workload, decision.desired_min, bucket=bucket, text=text)
        return self._decide("predictive", ref, workload, outcome, mode, text, action=record)

    async def _scale_up_now(self, workload: ObjectRef, floor: int, *, bucket: int, text: str) -> str:
        """Start the pods a raised floor asks for now; the HPA would add them only at its next sync."""
        deployment = self._deployments.get(workload.name, workload.namespace)
        if deployment is None or int((deployment.get("spec") or {}).get("replicas") or 0) >= floor:
            return text
        target = ObjectRef.of(deployment)
        action = Scale(target=target, epoch=f"floor {bucket} {floor}", replicas=floor, raise_only=True)
        record = await self._executor.execute(action, mode="enforce", reason=text, workload=workload)
        if record.state == "succeeded":
            return f"{text}; {record.detail}"
        return f"{text}; scaling {target.key} up now: {record.state} ({record.detail}), the HPA adds the pods"

    def _fallback_reason(self, spec: HPASpec, workload: ObjectRef) -> str | None:
        if workload.kind != "Deployment":
            return f"predictive scaling reads the history of Deployments only, not of a {workload.kind}"
        if spec.cpu_utilization is None:
            return "the HPA has no CPU target, which per-pod capacity is measured against"
        if self._deployments.get(workload.name, workload.namespace) is None:
            return f"deployment {workload.key} is not in the cache"
        return None

    def _plan(
        self, spec: HPASpec, settings: PredictiveSettings, *, now: datetime, current_min: int
    ) -> tuple[Decision, str]:
        """The planner's decision and the load signal's note; a workload kaido cannot read plans as a fallback."""
        workload = spec.ref
        deployment = self._deployments.get(workload.name, workload.namespace) or {}
        reason = self._fallback_reason(spec, workload)
        if reason is not None:
            signal = LoadSignal(CPU_UNIT, Unreliable(reason), Unreliable(reason), "")
        else:
            signal = self._load(spec, settings, deployment, now)
        key = f"{spec.namespace}/{spec.hpa_name}"
        decision = plan_min_replicas(
            signal.forecast,
            signal.capacity,
            now=now,
            workload=str(workload),
            current_min=current_min,
            baseline_min=spec.min_replicas,
            max_replicas=spec.max_replicas,
            max_error=settings.max_error,
            hysteresis=settings.hysteresis,
            max_step=settings.max_step,
            capacity_guard=self._capacity_guard(deployment),
            raised_until=self._floors.until.get(key),
            unit=signal.unit,
        )
        return decision, signal.note

    def _load(
        self, spec: HPASpec | WorkloadSpec, settings: PredictiveSettings, deployment: Mapping[str, Any], now: datetime
    ) -> LoadSignal:
        """The load signal of the workload, measured against its CPU target (callers check there is one)."""
        target, services = (spec.cpu_utilization or 100) / 100, self._services
        return predict_load(
            self._store, settings=settings, namespace=spec.namespace, deployment=deployment, cpu_target=target,
            service=spec.service, services=services.list() if services is not None else None, now=now,
            cache=self._seasons,
        )  # fmt: skip

    def _capacity_guard(self, deployment: Mapping[str, Any]) -> int | None:
        """Replicas the cluster can still schedule for this workload: current + free CPU / its request."""
        request = template_cpu_request(deployment)
        if self._nodes is None or not request:
            return None
        current = int((deployment.get("spec") or {}).get("replicas") or 0)
        return current + math.floor(free_cpu(self._nodes.list(), self._pods.list()) / request)

    # -- direct scaling --------------------------------------------------------------------------

    async def _scale_directly(self, spec: WorkloadSpec, settings: PredictiveSettings, mode: Mode) -> ScalerDecision:
        """One Deployment of `scaling.workloads`: plan its replicas and act through `Scale` as the mode allows."""
        now, workload = self._clock.now(), spec.ref
        deployment = self._deployments.get(workload.name, workload.namespace)
        if deployment is None:
            text = f"deployment {workload.key} is not in the cache (does it exist?); nothing to scale"
            return self._decide("direct", workload, workload, "missing", mode, text)
        ref = ObjectRef.of(deployment)
        hpa = hpa_scaling(workload, self._hpas.list())
        if hpa is not None:
            text = (
                f"deployment {workload.key} has HPA {workload.namespace}/{hpa}; kaido does not scale it directly "
                f"(would fight the HPA); remove it from scaling.workloads or delete the HPA"
            )
            return self._decide("direct", ref, workload, "conflict", mode, text)
        key = workload.key
        decision, note = self._plan_direct(spec, settings, deployment, now=now)
        text = f"deployment {key}: {decision.explanation}" + (f"; {note}" if note else "")
        memory = self._direct.get(key, _DirectMemory())
        # Recommendations are the algorithm's own history; scale events count only once they happened.
        self._direct[key] = _DirectMemory(decision.recommendations, memory.up_events, memory.down_events)
        if not decision.changed:
            return self._decide("direct", ref, workload, "held" if decision.reliable else "fallback", mode, text)
        bucket = math.floor(now.timestamp() / settings.interval)
        desired = decision.desired_replicas
        action = Scale(target=ref, epoch=f"{mode} {bucket} replicas {desired}", replicas=desired)
        done = "scaled up" if desired > decision.current_replicas else "scaled down"
        outcome, text, record = await self._act(
            action, mode, text, done=done, would=f"would scale to {desired}", observed="observed", workload=workload
        )
        if outcome == done:
            self._direct[key] = _DirectMemory(decision.recommendations, decision.up_events, decision.down_events)
        return self._decide("direct", ref, workload, outcome, mode, text, action=record)

    def _plan_direct(
        self, spec: WorkloadSpec, settings: PredictiveSettings, deployment: Mapping[str, Any], *, now: datetime
    ) -> tuple[DirectDecision, str]:
        memory = self._direct.get(spec.ref.key, _DirectMemory())
        signal = self._load(spec, settings, deployment, now)
        usage = usage_replicas(
            self._store,
            deployment=deployment,
            pods=self._pods.list(),
            target_utilization=spec.cpu_utilization,
            now=now,
        )
        decision = plan_direct_replicas(
            signal.forecast,
            signal.capacity,
            now=now,
            workload=str(spec.ref),
            current_replicas=int((deployment.get("spec") or {}).get("replicas", 1)),
            usage_replicas=usage,
            min_replicas=spec.min_replicas,
            max_replicas=spec.max_replicas,
            max_error=settings.max_error,
            behavior=behavior_rules(spec.behavior),
            recommendations=memory.recommendations,
            up_events=memory.up_events,
            down_events=memory.down_events,
            capacity_guard=self._capacity_guard(deployment),
            unit=signal.unit,
        )
        return decision, signal.note

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
        kind: DecisionKind,
        ref: ObjectRef,
        workload: ObjectRef,
        outcome: str,
        mode: Mode,
        text: str,
        *,
        action: Mapping[str, Any] | None = None,
    ) -> ScalerDecision:
        decision = ScalerDecision(
            kind=kind,
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
        if newsworthy(decision, before):
            self._on_decision(text)
        return decision
