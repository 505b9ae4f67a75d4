"""The executor: the one place kaido writes to the cluster, each decision at most once.

`Executor.execute(action, mode=...)` walks a fixed path:

1. a follower, or a paused kaido, skips without writing anything (not even the audit log, so the
   same decision can run once this agent leads again or is resumed);
2. the audit log claims the action's idempotency key; a key seen before, by this process or by an
   earlier run of the agent, returns the stored record and acts no more. A record left "started"
   by a crash is settled by looking for its effect in the cluster (kaido annotates what it
   changes with `kaido.io/last-action: <key>`), never by repeating it;
3. the rate limits may skip it (audited, so the skip is final for that key: acting later is a new
   decision with a new epoch); only enforced actions spend the budget, a dry run just checks it;
4. a dry run sends the write with `dryRun=All`, so the API server validates it and changes nothing;
5. enforce applies it, records the outcome, and posts a Kubernetes Event on the target.

How each action becomes API calls is one small function per action type below, so the whole
write path reads in one module; after a crash, `_effect_in_place` reads the same annotations back.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Histogram

from kaido.core.clock import Clock
from kaido.core.refs import ObjectRef
from kaido.kube.errors import Conflict, Invalid, KubeError, NotFound
from kaido.kube.resources import HPAS, PODS, REPLICASETS, resource_for
from kaido.remediate.actions import (
    Action,
    ActionError,
    ApplyHPA,
    PatchResources,
    RestartPod,
    Rollback,
    RolloutRestart,
    Scale,
    SetHPAMinReplicas,
)
from kaido.remediate.ports import ClusterWriter
from kaido.remediate.ratelimit import RateLimiter
from kaido.store import Store
from kaido.store.records import ActionRecord, ActionState

__all__ = ["ACTION_ANNOTATION", "LAST_ACTION", "MANAGED_BY", "RESTARTED_AT", "Executor", "Mode"]

Mode = Literal["dry-run", "enforce"]
LAST_ACTION: Final = "kaido.io/last-action"  # on the object kaido changed: the key of its latest action
ACTION_ANNOTATION: Final = "kaido.io/action"  # on a pod template next to restartedAt: the restart's key
RESTARTED_AT: Final = "kubectl.kubernetes.io/restartedAt"
MANAGED_BY: Final = "app.kubernetes.io/managed-by"
HASH_LABEL: Final = "pod-template-hash"
REVISION: Final = "deployment.kubernetes.io/revision"
_EVENT_MESSAGE_MAX: Final = 1024  # the API server's limit on an Event's message
RAISE_ATTEMPTS: Final = 3  # reads and conditional writes a raise-only Scale tries before it gives up

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What an applied action did, in words; `noop` when the cluster already was as intended."""

    detail: str
    noop: bool = False


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.actions = Counter(
            "kaido_actions_total",
            "Actions the executor handled, by outcome (succeeded, failed, dry-run, skipped, duplicate).",
            ["action", "mode", "outcome"],
            registry=registry,
        )
        self.failures = Counter(
            "kaido_action_failures_total",
            "Actions that failed, by the API server's reason (NotFound, Invalid, ...) or kaido's.",
            ["action", "reason"],
            registry=registry,
        )
        self.duration = Histogram(
            "kaido_action_duration_seconds",
            "Time spent applying an action (dry run or enforce), API calls included.",
            ["action"],
            registry=registry,
        )
        self.event_failures = Counter(
            "kaido_action_event_failures_total",
            "Kubernetes Events about actions that could not be posted.",
            ["action"],
            registry=registry,
        )


class Executor:
    """Applies actions once, audits them, posts Events and counts them; only while leading.

    The metrics are registered on `registry` when the executor is made: one executor per registry.
    """

    def __init__(
        self,
        kube: ClusterWriter,
        store: Store,
        *,
        clock: Clock,
        identity: str,
        is_leader: Callable[[], bool],
        limiter: RateLimiter,
        registry: CollectorRegistry,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self._kube = kube
        self._store = store
        self._clock = clock
        self._identity = identity
        self._is_leader = is_leader
        self._paused = paused
        self._limiter = limiter
        try:
            self._metrics = _Metrics(registry)
        except ValueError as error:  # prometheus_client's DuplicateTimeseries
            raise ValueError(
                f"the executor's metrics are already registered on this registry ({error}); "
                "make one Executor per CollectorRegistry"
            ) from error
        self._inflight: set[str] = set()  # keys being applied by this process right now

    async def execute(
        self,
        action: Action,
        *,
        mode: Mode,
        reason: str,
        workload: ObjectRef | None = None,
        incident_id: str | None = None,
    ) -> ActionRecord:
        """Apply `action` at most once; `workload` (default: the target) is what its rate limit counts."""
        record = ActionRecord(
            key=action.idempotency_key(),
            action=action.kind,
            target=str(action.target),
            params=action.params(),
            mode=mode,
            reason=reason,
            requested_at=self._clock.now(),
            incident_id=incident_id,
        )
        refusal = self._refusal()
        if refusal:
            # Not audited: the key stays free, so the decision can still run once this agent may act.
            self._metrics.actions.labels(action.kind, mode, "skipped").inc()
            return replace(record, state="skipped", detail=refusal, finished_at=self._clock.now())
        if record.key in self._inflight:
            self._metrics.actions.labels(action.kind, mode, "duplicate").inc()
            return replace(record, detail="already being applied")
        self._inflight.add(record.key)
        try:
            if not await self._store.begin_action(record):
                return await self._seen_before(action, record)
            return await self._run(action, record, workload or action.target)
        finally:
            self._inflight.discard(record.key)

    def _refusal(self) -> str:
        if not self._is_leader():
            return "not the leader"
        if self._paused():
            return "kaido is paused"
        return ""

    async def _run(self, action: Action, record: ActionRecord, workload: ObjectRef) -> ActionRecord:
        limited = self._limiter.check(str(workload), self._clock.monotonic())
        if not limited.allowed:
            return await self._finish(record, "skipped", limited.reason)
        dry_run = record.mode == "dry-run"
        if not dry_run:
            # Counted before the outcome is known: retrying a failing action fast is what limits are for.
            self._limiter.record(str(workload), self._clock.monotonic())
        started = self._clock.monotonic()
        state: ActionState
        try:
            outcome = await _apply(self._kube, action, key=record.key, dry_run=dry_run, now=self._clock.now())
        except (KubeError, ActionError) as error:
            state, detail = "failed", str(error)
            self._metrics.failures.labels(action.kind, _failure_reason(error)).inc()
        except Exception as error:
            log.exception("%s on %s failed unexpectedly", action.kind, action.target)
            state, detail = "failed", f"unexpected error: {type(error).__name__}: {error}"
            self._metrics.failures.labels(action.kind, "InternalError").inc()
        else:
            state = "dry-run" if dry_run else "succeeded"
            detail = outcome.detail
            if dry_run and not outcome.noop:
                detail = f"dry run accepted by the API server, nothing changed: would {action.describe()}"
        self._metrics.duration.labels(action.kind).observe(max(0.0, self._clock.monotonic() - started))
        finished = await self._finish(record, state, detail)
        if not dry_run:
            await self._post_event(action, finished)
        return finished

    async def _finish(self, record: ActionRecord, state: ActionState, detail: str) -> ActionRecord:
        finished_at = self._clock.now()
        await self._store.finish_action(record.key, state=state, detail=detail, finished_at=finished_at)
        self._metrics.actions.labels(record.action, record.mode, state).inc()
        log.info("%s %s on %s: %s (%s)", record.mode, record.action, record.target, state, detail)
        return replace(record, state=state, detail=detail, finished_at=finished_at)

    async def _seen_before(self, action: Action, record: ActionRecord) -> ActionRecord:
        """The key is in the audit log already: report it, settling a record a crash left "started"."""
        stored = self._store.get_action(record.key)
        if stored is None:
            raise RuntimeError(f"audit log refused action {record.key} as a duplicate but has no record of it")
        if stored.state != "started":
            self._metrics.actions.labels(action.kind, stored.mode, "duplicate").inc()
            return stored
        if stored.mode == "enforce" and (effect := await _effect_in_place(self._kube, action, key=stored.key)):
            return await self._finish(stored, "succeeded", f"interrupted, but the effect is in place: {effect}")
        return await self._finish(stored, "failed", "interrupted; not repeated")

    async def _post_event(self, action: Action, record: ActionRecord) -> None:
        res = resource_for(action.target.kind)
        meta = {"name": action.target.name, "namespace": action.target.namespace}
        if action.target.uid:
            meta["uid"] = action.target.uid
        regarding = {"apiVersion": res.api_version, "kind": res.kind, "metadata": meta}
        message = f"{record.reason}: {record.state}: {record.detail}"
        if len(message) > _EVENT_MESSAGE_MAX:
            message = message[: _EVENT_MESSAGE_MAX - 3] + "..."
        try:
            await self._kube.post_event(
                regarding=regarding,
                reason=action.kind,
                message=message,
                type="Normal" if record.state == "succeeded" else "Warning",
                action=action.kind,
                reporting_instance=self._identity,
            )
        except KubeError as error:
            # The action itself is done and audited; a missing Event must not turn it into a failure.
            log.warning("could not post the Event for %s on %s: %s", action.kind, action.target, error)
            self._metrics.event_failures.labels(action.kind).inc()


def _failure_reason(error: Exception) -> str:
    if isinstance(error, KubeError):
        return error.reason or type(error).__name__
    return "NotApplicable"


# ----- how each action becomes API calls ---------------------------------------------------------


async def _apply(kube: ClusterWriter, action: Action, *, key: str, dry_run: bool, now: datetime) -> _Outcome:
    match action:
        case RestartPod():
            return await _restart_pod(kube, action, dry_run=dry_run)
        case RolloutRestart():
            return await _rollout_restart(kube, action, key=key, dry_run=dry_run, now=now)
        case Scale():
            return await _scale(kube, action, key=key, dry_run=dry_run)
        case Rollback():
            return await _rollback(kube, action, key=key, dry_run=dry_run)
        case PatchResources():
            return await _patch_resources(kube, action, key=key, dry_run=dry_run)
        case SetHPAMinReplicas():
            return await _set_hpa_min(kube, action, key=key, dry_run=dry_run)
        case ApplyHPA():
            return await _apply_hpa(kube, action, key=key, dry_run=dry_run)
    raise ActionError(f"{action.kind} on {action.target}: the executor does not know this action type")


async def _restart_pod(kube: ClusterWriter, action: RestartPod, *, dry_run: bool) -> _Outcome:
    pod = action.target
    gone = _Outcome(f"nothing to do: pod {pod.key} is already gone or replaced", noop=True)
    try:
        if action.evict:
            if pod.uid and (await kube.get(PODS, pod.name, namespace=action.namespace))["metadata"]["uid"] != pod.uid:
                return gone
            await kube.evict(pod.name, namespace=action.namespace, dry_run=dry_run)
            return _Outcome(f"evicted pod {pod.key}; its controller recreates it")
        # The uid precondition keeps a replacement pod with the same name (StatefulSets) safe.
        await kube.delete(PODS, pod.name, namespace=action.namespace, dry_run=dry_run, uid=pod.uid)
    except NotFound:
        return gone
    except Conflict as error:
        if "precondition" not in str(error).lower():
            raise
        return gone
    return _Outcome(f"deleted pod {pod.key}; its controller recreates it")


async def _rollout_restart(
    kube: ClusterWriter, action: RolloutRestart, *, key: str, dry_run: bool, now: datetime
) -> _Outcome:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {
        "metadata": {"annotations": {LAST_ACTION: key}},
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp, ACTION_ANNOTATION: key}}}},
    }
    res = resource_for(action.target.kind)
    await kube.patch(res, action.target.name, patch, namespace=action.namespace, dry_run=dry_run)
    return _Outcome(f"set {RESTARTED_AT}={stamp} on the pod template of {action.target}; its pods roll")


async def _scale(kube: ClusterWriter, action: Scale, *, key: str, dry_run: bool) -> _Outcome:
    if action.raise_only:
        return await _raise_replicas(kube, action, key=key, dry_run=dry_run)
    res, name, ns = resource_for(action.target.kind), action.target.name, action.namespace
    scale = await kube.patch(
        res, name, {"spec": {"replicas": action.replicas}}, namespace=ns, subresource="scale", dry_run=dry_run
    )
    # Annotated after the scale succeeded, so the annotation proves the effect after a crash.
    await kube.patch(res, name, {"metadata": {"annotations": {LAST_ACTION: key}}}, namespace=ns, dry_run=dry_run)
    replicas = (scale.get("spec") or {}).get("replicas", action.replicas)
    return _Outcome(f"scaled {action.target} to {replicas} replicas")


async def _raise_replicas(kube: ClusterWriter, action: Scale, *, key: str, dry_run: bool) -> _Outcome:
    """Raise the replicas to `action.replicas` unless they are there already; a write conditional on the read."""
    res, name, ns = resource_for(action.target.kind), action.target.name, action.namespace
    for _ in range(RAISE_ATTEMPTS):
        workload = await kube.get(res, name, namespace=ns)
        _check_uid(workload, action)
        current = (workload.get("spec") or {}).get("replicas", 1)
        if current >= action.replicas:
            return _Outcome(f"nothing to do: {action.target} already has {current} replicas", noop=True)
        ops: list[dict[str, Any]] = [
            {"op": "test", "path": "/spec/replicas", "value": current},  # nobody scaled it since the read
            {"op": "replace", "path": "/spec/replicas", "value": action.replicas},
            _add_to_map(workload, "annotations", LAST_ACTION, key),
        ]
        try:
            await kube.patch(res, name, ops, namespace=ns, patch_type="json", dry_run=dry_run)
        except (Conflict, Invalid):
            continue  # scaled (or changed) between the read and the write: read again
        return _Outcome(f"scaled {action.target} from {current} to {action.replicas} replicas")
    raise ActionError(f"Scale {action.target}: its replicas changed under all {RAISE_ATTEMPTS} attempts to raise them")


async def _rollback(kube: ClusterWriter, action: Rollback, *, key: str, dry_run: bool) -> _Outcome:
    res, name, ns = resource_for("Deployment"), action.target.name, action.namespace
    deployment = await kube.get(res, name, namespace=ns)
    _check_uid(deployment, action)
    if (deployment.get("spec") or {}).get("paused"):
        raise ActionError(
            f"Rollback {action.target}: the Deployment is paused; resume it "
            f"(kubectl rollout resume deployment/{name} -n {ns}) and decide again"
        )
    template = await _revision_template(kube, deployment, action)
    if template == deployment["spec"].get("template"):
        return _Outcome(f"nothing to do: {action.target} already runs the template of revision {action.revision}", True)
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "/spec/template", "value": template},
        _add_to_map(deployment, "annotations", LAST_ACTION, key),
    ]
    await kube.patch(res, name, ops, namespace=ns, patch_type="json", dry_run=dry_run)
    images = ", ".join(str(c.get("image")) for c in (template.get("spec") or {}).get("containers") or [])
    return _Outcome(f"rolled {action.target} back to the template of revision {action.revision} ({images})")


async def _revision_template(kube: ClusterWriter, deployment: dict[str, Any], action: Rollback) -> dict[str, Any]:
    """The pod template of the Deployment's ReplicaSet at `action.revision`, minus pod-template-hash."""
    uid = deployment["metadata"].get("uid")
    match_labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(match_labels.items())) or None
    listed = await kube.list(REPLICASETS, namespace=action.namespace, label_selector=selector)
    owned = [rs for rs in listed.items if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])]
    revisions = {str((rs["metadata"].get("annotations") or {}).get(REVISION)): rs for rs in owned}
    chosen = revisions.get(str(action.revision))
    if chosen is None:
        known = ", ".join(sorted((r for r in revisions if r.isdigit()), key=int)) or "none"
        raise ActionError(
            f"Rollback {action.target}: no ReplicaSet of this Deployment has revision {action.revision} "
            f"(revisions kept: {known}); pick one of those"
        )
    template = copy.deepcopy(chosen["spec"]["template"])
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return dict(template)


async def _patch_resources(kube: ClusterWriter, action: PatchResources, *, key: str, dry_run: bool) -> _Outcome:
    res, name, ns = resource_for(action.target.kind), action.target.name, action.namespace
    workload = await kube.get(res, name, namespace=ns)
    _check_uid(workload, action)
    containers = (((workload.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    names = [str(c.get("name")) for c in containers]
    if action.container not in names:
        raise ActionError(
            f"PatchResources {action.target}: it has no container {action.container!r} "
            f"(containers: {', '.join(names) or 'none'})"
        )
    resources: dict[str, Any] = {}
    if action.requests:
        resources["requests"] = dict(action.requests)
    if action.limits:
        resources["limits"] = dict(action.limits)
    patch = {
        "metadata": {"annotations": {LAST_ACTION: key}},
        "spec": {"template": {"spec": {"containers": [{"name": action.container, "resources": resources}]}}},
    }
    await kube.patch(res, name, patch, namespace=ns, patch_type="strategic", dry_run=dry_run)
    return _Outcome(f"{action.describe()}: done")


async def _set_hpa_min(kube: ClusterWriter, action: SetHPAMinReplicas, *, key: str, dry_run: bool) -> _Outcome:
    patch = {"metadata": {"annotations": {LAST_ACTION: key}}, "spec": {"minReplicas": action.min_replicas}}
    await kube.patch(HPAS, action.target.name, patch, namespace=action.namespace, dry_run=dry_run)
    return _Outcome(f"set minReplicas of {action.target} to {action.min_replicas}")


async def _apply_hpa(kube: ClusterWriter, action: ApplyHPA, *, key: str, dry_run: bool) -> _Outcome:
    name, ns = action.target.name, action.namespace
    spec = copy.deepcopy(dict(action.spec))
    try:
        existing = await kube.get(HPAS, name, namespace=ns)
    except NotFound:
        body = {
            "apiVersion": HPAS.api_version,
            "kind": HPAS.kind,
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {MANAGED_BY: "kaido"},
                "annotations": {LAST_ACTION: key},
            },
            "spec": spec,
        }
        await kube.create(HPAS, body, namespace=ns, dry_run=dry_run)
        return _Outcome(f"created {action.target} ({action.describe()})")
    _check_uid(existing, action)
    owner = (existing["metadata"].get("labels") or {}).get(MANAGED_BY)
    if owner != "kaido" and not action.adopt:
        raise ActionError(
            f"ApplyHPA {action.target}: the HPA exists and is managed by {owner or 'someone else'} "
            f"(label {MANAGED_BY}), not kaido; leave it, or set adopt to let kaido take it over"
        )
    ops = [
        {"op": "replace" if "spec" in existing else "add", "path": "/spec", "value": spec},
        _add_to_map(existing, "labels", MANAGED_BY, "kaido"),
        _add_to_map(existing, "annotations", LAST_ACTION, key),
    ]
    await kube.patch(HPAS, name, ops, namespace=ns, patch_type="json", dry_run=dry_run)
    return _Outcome(f"updated {action.target} ({action.describe()})")


def _add_to_map(obj: dict[str, Any], section: str, key: str, value: str) -> dict[str, Any]:
    """A JSON-patch op setting metadata.<section>[key], creating the map when the object has none."""
    if obj["metadata"].get(section):
        return {"op": "add", "path": f"/metadata/{section}/{key.replace('~', '~0').replace('/', '~1')}", "value": value}
    return {"op": "add", "path": f"/metadata/{section}", "value": {key: value}}


def _check_uid(obj: dict[str, Any], action: Action) -> None:
    uid = obj["metadata"].get("uid")
    if action.target.uid and uid != action.target.uid:
        raise ActionError(
            f"{action.kind} {action.target}: the object was replaced (uid {uid}, the decision was for "
            f"{action.target.uid}); decide again for the new object"
        )


# ----- after a crash: did the interrupted action take effect? -------------------------------------


async def _effect_in_place(kube: ClusterWriter, action: Action, *, key: str) -> str | None:
    """Words for the visible effect of the action keyed `key`, or None when it is not visible."""
    res = resource_for(action.target.kind)
    try:
        obj = await kube.get(res, action.target.name, namespace=action.namespace)
    except NotFound:
        return "the pod is gone" if isinstance(action, RestartPod) else None
    except KubeError as error:
        log.warning("could not check the effect of interrupted %s %s: %s", action.kind, key, error)
        return None
    meta = obj.get("metadata") or {}
    if isinstance(action, RestartPod):
        if action.target.uid and meta.get("uid") != action.target.uid:
            return "the pod was replaced"
        return "the pod is terminating" if meta.get("deletionTimestamp") else None
    if isinstance(action, RolloutRestart):
        template_meta = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
        if (template_meta.get("annotations") or {}).get(ACTION_ANNOTATION) == key:
            return f"the pod template carries {ACTION_ANNOTATION}={key}"
        return None
    if (meta.get("annotations") or {}).get(LAST_ACTION) == key:
        return f"{action.target} carries {LAST_ACTION}={key}"
    if isinstance(action, Scale):
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if replicas >= action.replicas if action.raise_only else replicas == action.replicas:
            return f"{action.target} has {replicas} replicas"
    return None
