"""One container as the kubelet runs it: image, configuration, start, probes, exit and restart.

A `ContainerRunner` moves through stages on the cluster clock: *starting* (ensure the image, then
build the configuration), *running* (read the process's output into the logs, kill it when its
working set exceeds the memory limit, run probes), *exited* (the runtime reports the exit one PLEG
period later), *backoff* (CrashLoopBackOff) and *done*. Back-off is client-go's flowcontrol.Backoff
as the kubelet uses it: 10 s doubling to 300 s, forgotten after 10 minutes without a restart; the
first restart is immediate, as upstream, and image pulls back off the same way. Every event has the
kubelet's reason and message; `status()` renders the container's status as the kubelet reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from kaido.core import stable_id
from kaido.sim.behaviour import Image, Launch, Process, PullFailure, Serving
from kaido.sim.controllers.kubelet_config import ConfigError, expand
from kaido.sim.controllers.kubelet_probes import KINDS, ProbeState, run_probe
from kaido.sim.store import Obj, rfc3339

if TYPE_CHECKING:
    from kaido.sim.controllers.kubelet_pod import PodContext

__all__ = ["Backoff", "ContainerRunner", "Termination", "go_duration"]

PLEG_PERIOD: Final = 1.0  # the runtime notices an exit at its next relist
RETRY_PERIOD: Final = 10.0  # the pod worker retries a failed sync after this
BACKOFF_INITIAL: Final = 10.0
BACKOFF_CAP: Final = 300.0
FAILED_PULL_SECONDS: Final = 1.0
PRESENT_PULL_SECONDS: Final = 0.5  # imagePullPolicy: Always re-checks an image the node has


def go_duration(seconds: float) -> str:
    """Go's time.Duration text: 512ms, 2.206s, 10s, 1m20s, 5m0s."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(round(seconds, 3), 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


@dataclass
class Backoff:
    """client-go's flowcontrol.Backoff for one key."""

    delay: float = 0.0
    last_update: datetime | None = None

    def _expired(self, event_time: datetime) -> bool:
        last = self.last_update
        return last is None or (event_time - last).total_seconds() > 2 * BACKOFF_CAP

    def in_backoff_since(self, event_time: datetime, now: datetime) -> bool:
        return not self._expired(event_time) and (now - event_time).total_seconds() < self.delay

    def in_backoff_since_update(self, now: datetime) -> bool:
        last = self.last_update
        return last is not None and not self._expired(now) and (now - last).total_seconds() < self.delay

    def next(self, event_time: datetime, now: datetime) -> None:
        self.delay = BACKOFF_INITIAL if self._expired(event_time) else min(self.delay * 2, BACKOFF_CAP)
        self.last_update = now


@dataclass(frozen=True, slots=True)
class Termination:
    exit_code: int
    reason: str
    started_at: datetime
    finished_at: datetime
    container_id: str

    def state(self) -> Obj:
        return {
            "terminated": {
                "exitCode": self.exit_code,
                "reason": self.reason,
                "startedAt": rfc3339(self.started_at),
                "finishedAt": rfc3339(self.finished_at),
                "containerID": self.container_id,
            }
        }


@dataclass
class _Instance:
    container_id: str
    started_at: datetime
    process: Process
    memory_limit: int | None
    cursor: float = -1.0  # output read up to here (seconds after the start)
    probes: dict[str, ProbeState] = field(default_factory=dict)


class ContainerRunner:
    def __init__(self, spec: Obj, *, init: bool = False) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.init = init
        self.sidecar = init and spec.get("restartPolicy") == "Always"
        self.field_path = f"spec.{'initContainers' if init else 'containers'}{{{self.name}}}"
        self.stage = "starting"  # starting, running, exited, backoff, done
        self.waiting: tuple[str, str] | None = None
        self.instance: _Instance | None = None
        self.exits: list[Termination] = []
        self.restart_count = 0
        self.crash_backoff = Backoff()
        self.pull_backoff = Backoff()
        self.pull_error = ""
        self.pull_until: datetime | None = None
        self.retry_at: datetime | None = None
        self.backoff_event_at: datetime | None = None
        self.image_name: str = spec.get("image", "")
        self.image_id = ""

    # ----- what the pod asks ---------------------------------------------------------------------

    @property
    def started(self) -> bool:
        startup = self.instance.probes.get("Startup") if self.instance else None
        return self.instance is not None and (startup is None or startup.result is True)

    @property
    def ready(self) -> bool:
        if self.init and not self.sidecar:
            return self.completed
        readiness = self.instance.probes.get("Readiness") if self.instance else None
        return self.started and (readiness is None or readiness.result is True)

    @property
    def completed(self) -> bool:
        return self.stage == "done" and bool(self.exits) and self.exits[-1].exit_code == 0

    def usage(self, now: datetime, load: float) -> tuple[float, int] | None:
        if self.instance is None:
            return None
        used = self.instance.process.usage((now - self.instance.started_at).total_seconds(), load)
        return used.cpu, used.memory

    # ----- the state machine ---------------------------------------------------------------------

    def sync(self, ctx: PodContext) -> None:
        if self.stage == "running":
            self._run(ctx)
        if self.stage == "exited":
            last = self.exits[-1]
            if ctx.now >= last.finished_at + timedelta(seconds=PLEG_PERIOD):
                self._restart_or_stop(ctx, last.finished_at)
        if self.stage == "backoff":
            self._restart_or_stop(ctx, self.exits[-1].finished_at)
        if self.stage == "starting":
            self._start(ctx)

    def stop(self, ctx: PodContext, message: str) -> None:
        """Stop for good (the pod is deleted or finished): kill a running process, restart nothing."""
        if self.instance is not None:
            ctx.event(self, "Normal", "Killing", message)
            self._terminate(self.instance.process.termination_code, ctx.now)
        if self.stage != "done":
            self.stage, self.waiting = "done", None
            ctx.end_logs(self)

    def update_spec(self, ctx: PodContext, spec: Obj) -> None:
        """The pod's spec changed (only the image may): a new image restarts the container at once."""
        changed = spec.get("image") != self.spec.get("image")
        self.spec = spec
        if not changed or self.stage == "done":
            return
        if self.instance is not None:
            ctx.event(self, "Normal", "Killing", f"Container {self.name} definition changed, will be restarted")
            self._terminate(self.instance.process.termination_code, ctx.now)
        self.stage, self.waiting, self.retry_at, self.pull_until = "starting", None, None, None
        self.pull_backoff = Backoff()

    def _should_restart(self, ctx: PodContext, code: int) -> bool:
        if self.sidecar:
            return True
        if self.init:
            return code != 0 and ctx.restart_policy != "Never"
        return ctx.restart_policy == "Always" or (ctx.restart_policy == "OnFailure" and code != 0)

    def _restart_or_stop(self, ctx: PodContext, finished: datetime | None) -> None:
        """doBackOff: wait while in back-off since `finished`, else count a restart and start."""
        if not self._should_restart(ctx, self.exits[-1].exit_code):
            self.stage = "done"
            ctx.end_logs(self)
            return
        if finished is not None and self.crash_backoff.in_backoff_since(finished, ctx.now):
            if self.stage != "backoff":
                ctx.event(
                    self, "Warning", "BackOff", f"Back-off restarting failed container {self.name} in pod {ctx.label}"
                )
            delay = go_duration(self.crash_backoff.delay)
            self.stage = "backoff"
            self.waiting = (
                "CrashLoopBackOff",
                f"back-off {delay} restarting failed container={self.name} pod={ctx.label}",
            )
            return
        if finished is not None:
            self.crash_backoff.next(finished, ctx.now)
        self.stage = "starting"

    def _start(self, ctx: PodContext) -> None:
        if self.retry_at is not None and ctx.now < self.retry_at:
            return
        self.retry_at = None
        image = self._ensure_image(ctx)
        if image is None:
            return
        try:
            env = ctx.env_for(self.spec)
        except ConfigError as error:
            self.waiting = ("CreateContainerConfigError", str(error))
            ctx.event(self, "Warning", "Failed", f"Error: {error}")
            self.retry_at = ctx.now + timedelta(seconds=RETRY_PERIOD)
            return
        self._launch(ctx, image, env)

    def _launch(self, ctx: PodContext, image: Image, env: dict[str, str]) -> None:
        if self.exits:
            self.restart_count += 1
            ctx.restart_logs(self)
        limits = (self.spec.get("resources") or {}).get("limits") or {}
        launch = Launch(
            image=self.spec["image"],
            started_at=ctx.now,
            command=tuple(expand(str(c), env) for c in self.spec.get("command") or ()),
            args=tuple(expand(str(a), env) for a in self.spec.get("args") or ()),
            env=env,
            ports=tuple(int(p["containerPort"]) for p in self.spec.get("ports") or [] if "containerPort" in p),
            memory_limit=ctx.quantity(limits.get("memory")),
            cpu_limit=ctx.cores(limits.get("cpu")),
            seed=int(stable_id(ctx.uid, self.name, str(self.restart_count), length=8), 16),
            container=self.name,
            pod=ctx.name,
        )
        container_id = "containerd://" + stable_id(ctx.uid, self.name, str(self.restart_count), length=64)
        probes = {
            kind: ProbeState.create(kind, self.spec[key]) for kind, key in KINDS if isinstance(self.spec.get(key), dict)
        }
        self.instance = _Instance(container_id, ctx.now, image.start(launch), launch.memory_limit, probes=probes)
        self.image_name, self.image_id = image.ref.full, image.ref.image_id
        self.stage, self.waiting = "running", None
        ctx.event(self, "Normal", "Created", "Container created")
        ctx.event(self, "Normal", "Started", "Container started")
        self._run(ctx)

    # ----- the image -------------------------------------------------------------------------------

    def _ensure_image(self, ctx: PodContext) -> Image | None:
        text = str(self.spec.get("image", ""))
        resolution = ctx.resolve(text)
        if isinstance(resolution, PullFailure) and resolution.reason == "InvalidImageName":
            ctx.event(self, "Warning", "InspectFailed", resolution.message)
            ctx.event(self, "Warning", "Failed", "Error: InvalidImageName")
            self.waiting = ("InvalidImageName", resolution.message)
            self.retry_at = ctx.now + timedelta(seconds=RETRY_PERIOD)
            return None
        if self.pull_until is not None:
            return self._finish_pull(ctx, text, resolution)
        present = isinstance(resolution, Image) and ctx.has_image(resolution.ref.full)
        policy = self.spec.get("imagePullPolicy", "IfNotPresent")
        if (present and policy != "Always") or policy == "Never":
            if present and isinstance(resolution, Image):
                message = f'Container image "{text}" already present on machine and can be accessed by the pod'
                ctx.event(self, "Normal", "Pulled", message)
                return resolution
            message = f'Container image "{text}" is not present with pull policy of Never'
            ctx.event(self, "Warning", "ErrImageNeverPull", message)
            ctx.event(self, "Warning", "Failed", "Error: ErrImageNeverPull")
            self.waiting = ("ErrImageNeverPull", message)
            self.retry_at = ctx.now + timedelta(seconds=RETRY_PERIOD)
            return None
        if self.pull_backoff.in_backoff_since_update(ctx.now):
            if self.backoff_event_at is None or ctx.now >= self.backoff_event_at:
                ctx.event(self, "Normal", "BackOff", f'Back-off pulling image "{text}"')
                ctx.event(self, "Warning", "Failed", "Error: ImagePullBackOff")
                self.backoff_event_at = ctx.now + timedelta(seconds=RETRY_PERIOD)
            self.waiting = ("ImagePullBackOff", f'Back-off pulling image "{text}": ErrImagePull: {self.pull_error}')
            return None
        ctx.event(self, "Normal", "Pulling", f'Pulling image "{text}"')
        seconds = FAILED_PULL_SECONDS
        if isinstance(resolution, Image):
            seconds = PRESENT_PULL_SECONDS if present else resolution.entry.pull_seconds
        self.pull_until = ctx.now + timedelta(seconds=seconds)
        return None

    def _finish_pull(self, ctx: PodContext, text: str, resolution: Image | PullFailure) -> Image | None:
        until = self.pull_until
        if until is None or ctx.now < until:
            return None
        self.pull_until = None
        if isinstance(resolution, PullFailure):
            ctx.event(self, "Warning", "Failed", f'Failed to pull image "{text}": {resolution.message}')
            ctx.event(self, "Warning", "Failed", "Error: ErrImagePull")
            self.pull_backoff.next(ctx.now, ctx.now)
            self.pull_error, self.backoff_event_at = resolution.message, None
            self.waiting = ("ErrImagePull", resolution.message)
            return None
        present = ctx.has_image(resolution.ref.full)
        seconds = go_duration(PRESENT_PULL_SECONDS if present else resolution.entry.pull_seconds)
        ctx.add_image(resolution.ref.full)
        size = resolution.entry.size
        ctx.event(
            self,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{text}" in {seconds} ({seconds} including waiting). Image size: {size} bytes.',
        )
        return resolution

    # ----- running ---------------------------------------------------------------------------------

    def _run(self, ctx: PodContext) -> None:
        instance = self.instance
        if instance is None:
            return
        elapsed = (ctx.now - instance.started_at).total_seconds()
        if elapsed <= instance.cursor:
            return
        output = instance.process.between(instance.cursor, elapsed, ctx.load)
        for at, text in output.lines:
            ctx.log(self, instance.started_at + timedelta(seconds=at), text)
        if isinstance(instance.process, Serving):
            answered = instance.process.requests(instance.cursor, elapsed, ctx.load)
            if answered:
                ctx.count_requests(answered)
        instance.cursor = elapsed
        if output.exit is not None:
            self._terminate(output.exit.code, instance.started_at + timedelta(seconds=output.exit.at))
            return
        limit = instance.memory_limit
        if limit is not None and instance.process.usage(elapsed, ctx.load).memory > limit:
            self._terminate(137, ctx.now, reason="OOMKilled")
            return
        self._probe(ctx, instance, elapsed)

    def _probe(self, ctx: PodContext, instance: _Instance, elapsed: float) -> None:
        startup = instance.probes.get("Startup")
        for state in instance.probes.values():
            if not state.due(elapsed):
                continue
            if state.kind == "Startup" and state.result:
                continue
            if state.kind != "Startup" and startup is not None and startup.result is not True:
                state.skip(elapsed)
                continue
            outcome = run_probe(
                state.spec,
                instance.process,
                elapsed,
                ip=ctx.pod_ip,
                ports=ctx.ports(self.spec),
                source=ctx.probe_source,
            )
            if outcome.log:
                ctx.log(self, ctx.now, outcome.log)
            state.record(outcome.ok, elapsed)
            if not outcome.ok:
                ctx.event(self, "Warning", "Unhealthy", f"{state.kind} probe failed: {outcome.message}")
            if state.kind != "Readiness" and state.result is False:
                kind = state.kind.lower()
                ctx.event(self, "Normal", "Killing", f"Container {self.name} failed {kind} probe, will be restarted")
                self._terminate(instance.process.termination_code, ctx.now)
                # SyncPod kills and starts in one pass; back-off looks at the exit before this one
                self._restart_or_stop(ctx, self.exits[-2].finished_at if len(self.exits) > 1 else None)
                return

    def _terminate(self, code: int, finished: datetime, *, reason: str | None = None) -> None:
        instance = self.instance
        if instance is None:
            return
        reason = reason or ("Completed" if code == 0 else "Error")
        termination = Termination(code, reason, instance.started_at, finished, instance.container_id)
        self.exits = [*self.exits[-1:], termination]
        self.instance, self.stage = None, "exited"

    # ----- status ----------------------------------------------------------------------------------

    def status(self, default_reason: str) -> Obj:
        last = self.exits[-1] if self.exits else None
        previous: Termination | None = last
        state: Obj
        if self.instance is not None:
            state = {"running": {"startedAt": rfc3339(self.instance.started_at)}}
        elif self.waiting is not None:
            reason, message = self.waiting
            state = {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}}
        elif last is not None:
            state, previous = last.state(), self.exits[-2] if len(self.exits) > 1 else None
        else:
            state, previous = {"waiting": {"reason": default_reason}}, None
        out: Obj = {
            "name": self.name,
            "state": state,
            "lastState": previous.state() if previous else {},
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image_name,
            "imageID": self.image_id,
            "started": self.started,
        }
        container_id = self.instance.container_id if self.instance else (last.container_id if last else "")
        if container_id:
            out["containerID"] = container_id
        return out
