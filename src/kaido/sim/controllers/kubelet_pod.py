"""One pod on one node as the kubelet runs it: volumes, sandbox, init containers, containers, status.

`PodRuntime` keeps what a node's runtime knows about a pod (its IP, mount retries, one
`ContainerRunner` per container) and does one sync per clock tick: mount the volumes (a missing
ConfigMap or Secret keeps the pod ContainerCreating with FailedMount events, retried with back-off,
and a timeout event every two minutes), create the sandbox (allocate the pod IP from the node's pod
CIDR), run the init containers one after another (a sidecar, `restartPolicy: Always`, only has to
start), then all containers. It returns the status to write, or None when nothing the status depends
on changed. `PodContext` is what a container runner may use during the sync: the clock, events,
logs, the node's images and the configuration lookups.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity
from kaido.sim.behaviour import ImageCatalog, Requests
from kaido.sim.behaviour.catalog import Resolution
from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.kubelet_config import container_env, volume_errors
from kaido.sim.controllers.kubelet_container import ContainerRunner
from kaido.sim.controllers.kubelet_status import pod_status
from kaido.sim.recorder import record_event
from kaido.sim.request_stats import request_stats_for
from kaido.sim.store import Obj

__all__ = ["NodeState", "PodContext", "PodRuntime"]

COMPONENT: Final = "kubelet"
_MOUNT_TIMEOUT: Final = 120.0  # the pod worker gives up waiting for volumes after 2 minutes, then retries
_MOUNT_RETRY_CAP: Final = 122.0  # the volume manager's exponential back-off ends at 2m2s


@dataclass
class NodeState:
    """What one node's kubelet and runtime keep: its address, pod CIDR, pulled images and used IPs."""

    name: str
    host_ip: str
    prefix: str  # "10.244.1." from the pod CIDR
    allocatable: dict[str, Any]
    images: set[str] = field(default_factory=set)
    used: set[int] = field(default_factory=set)
    next_host: int = 2

    @property
    def gateway(self) -> str:
        return f"{self.prefix}1"

    def allocate(self) -> str:
        """host-local IPAM: the next free address after the last one handed out, wrapping at .254."""
        for _ in range(253):
            host = self.next_host
            self.next_host = 2 if host >= 254 else host + 1
            if host not in self.used:
                self.used.add(host)
                return f"{self.prefix}{host}"
        raise RuntimeError(f"node {self.name}: no free pod IP in {self.prefix}0/24")

    def release(self, ip: str | None) -> None:
        if ip and ip.startswith(self.prefix):
            self.used.discard(int(ip.rsplit(".", 1)[1]))


@dataclass
class PodContext:
    cluster: SimCluster
    pod: Obj
    node: NodeState
    now: datetime
    load: float
    catalog: ImageCatalog
    pod_ip: str = ""

    @property
    def uid(self) -> str:
        return str(self.pod["metadata"]["uid"])

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.pod["metadata"]["namespace"])

    @property
    def label(self) -> str:
        """How the kubelet names a pod in messages (format.Pod)."""
        return f"{self.name}_{self.namespace}({self.uid})"

    @property
    def restart_policy(self) -> str:
        return str(self.pod["spec"].get("restartPolicy") or "Always")

    @property
    def probe_source(self) -> str:
        return self.node.gateway

    def count_requests(self, requests: tuple[Requests, ...]) -> None:
        """Add the application requests a container answered to the pod's statistics (`/metrics`)."""
        labels = self.pod["metadata"].get("labels") or {}
        request_stats_for(self.cluster).record(self.uid, self.namespace, self.name, labels, requests, at=self.now)

    def event(self, runner: ContainerRunner | None, kind: str, reason: str, message: str) -> None:
        field_path = runner.field_path if runner is not None else None
        record_event(
            self.cluster,
            self.pod,
            kind,
            reason,
            message,
            component=COMPONENT,
            now=self.now,
            host=self.node.name,
            field_path=field_path,
        )

    def log(self, runner: ContainerRunner, time: datetime, text: str) -> None:
        self.cluster.logs.append((self.namespace, self.name, runner.name), time, text)

    def restart_logs(self, runner: ContainerRunner) -> None:
        self.cluster.logs.restart((self.namespace, self.name, runner.name))

    def end_logs(self, runner: ContainerRunner) -> None:
        self.cluster.logs.end((self.namespace, self.name, runner.name))

    def resolve(self, image: str) -> Resolution:
        return self.catalog.resolve(image)

    def has_image(self, full: str) -> bool:
        return full in self.node.images

    def add_image(self, full: str) -> None:
        self.node.images.add(full)

    def env_for(self, container: Obj) -> dict[str, str]:
        return container_env(
            self.cluster,
            self.pod,
            container,
            pod_ip=self.pod_ip,
            host_ip=self.node.host_ip,
            allocatable=self.node.allocatable,
        )

    def ports(self, container: Obj) -> Obj:
        return {str(p["name"]): p["containerPort"] for p in container.get("ports") or [] if p.get("name")}

    @staticmethod
    def quantity(value: Any) -> int | None:
        try:
            return parse_quantity(value).as_int() if value is not None else None
        except QuantityError:
            return None

    @staticmethod
    def cores(value: Any) -> float | None:
        try:
            return parse_quantity(value).as_float() if value is not None else None
        except QuantityError:
            return None


@dataclass
class _MountRetry:
    mounted: bool = False
    next_at: datetime | None = None
    delay: float = 0.5
    timeout_at: datetime | None = None


class PodRuntime:
    def __init__(self, pod: Obj, node: NodeState, now: datetime) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        self.uid: str = meta["uid"]
        self.namespace: str = meta["namespace"]
        self.name: str = meta["name"]
        self.node = node
        self.start_time = now
        self.init = [ContainerRunner(copy.deepcopy(c), init=True) for c in spec.get("initContainers") or []]
        self.main = [ContainerRunner(copy.deepcopy(c)) for c in spec.get("containers") or []]
        self.ip: str | None = None
        self.mount = _MountRetry()
        self.terminal = ""
        self.load = 0.0  # requests per second at the last sync
        self._synced: datetime | None = None
        self._reported: tuple[object, ...] = ()

    @property
    def runners(self) -> list[ContainerRunner]:
        return [*self.init, *self.main]

    def sync(self, ctx: PodContext) -> Obj | None:
        """Advance every container to `ctx.now` (once per tick); the status to report, None if unchanged."""
        self.load = ctx.load
        if ctx.now != self._synced:  # the runtime's later rounds in the same tick only re-read the status
            self._synced = ctx.now
            self._advance(ctx)
        fingerprint = self._fingerprint(ctx.pod)
        if fingerprint == self._reported:
            return None
        self._reported = fingerprint
        status = self.status(ctx.pod, ctx.now)
        if status["phase"] in ("Succeeded", "Failed") and not self.terminal:
            self.terminal = status["phase"]
            for runner in self.runners:
                runner.stop(ctx, f"Stopping container {runner.name}")
            self.node.release(self.ip)
        return status

    def _fingerprint(self, pod: Obj) -> tuple[object, ...]:
        """What the status depends on besides the clock; equal fingerprints give equal statuses."""
        containers = tuple(
            (
                r.stage,
                r.waiting,
                r.restart_count,
                r.ready,
                r.started,
                r.exits[-1] if r.exits else None,
                r.instance.container_id if r.instance else "",
                r.image_id,
            )
            for r in self.runners
        )
        return (pod["metadata"].get("resourceVersion"), self.ip, self.terminal, containers)

    def _advance(self, ctx: PodContext) -> None:
        self._update_specs(ctx)
        if ctx.pod["metadata"].get("deletionTimestamp"):
            for runner in self.runners:
                runner.stop(ctx, f"Stopping container {runner.name}")
        elif not self.terminal and self._mounted(ctx):
            if self.ip is None:
                self.ip = self.node.host_ip if ctx.pod["spec"].get("hostNetwork") else self.node.allocate()
            ctx.pod_ip = self.ip
            self._run_containers(ctx)

    def status(self, pod: Obj, now: datetime) -> Obj:
        has_init = bool(self.init) and not all(r.completed or (r.sidecar and r.started) for r in self.init)
        default = "PodInitializing" if has_init else "ContainerCreating"
        return pod_status(
            pod,
            now=now,
            start_time=self.start_time,
            host_ip=self.node.host_ip,
            pod_ip=self.ip,
            sandbox=self.ip is not None and not self.terminal,
            init=[r.status("PodInitializing") for r in self.init],
            main=[r.status(default) for r in self.main],
            sidecars=frozenset(r.name for r in self.init if r.sidecar),
        )

    def _update_specs(self, ctx: PodContext) -> None:
        spec = ctx.pod["spec"]
        for kind, runners in (("initContainers", self.init), ("containers", self.main)):
            by_name = {c["name"]: c for c in spec.get(kind) or []}
            for runner in runners:
                if runner.name in by_name and by_name[runner.name] != runner.spec:
                    runner.update_spec(ctx, copy.deepcopy(by_name[runner.name]))

    def _mounted(self, ctx: PodContext) -> bool:
        retry = self.mount
        if retry.mounted:
            return True
        errors = volume_errors(ctx.cluster, ctx.pod)
        if not errors:
            retry.mounted = True
            return True
        if retry.next_at is None or ctx.now >= retry.next_at:
            for volume, error in errors:
                ctx.event(None, "Warning", "FailedMount", f'MountVolume.SetUp failed for volume "{volume}" : {error}')
            retry.delay = min(retry.delay * 2, _MOUNT_RETRY_CAP)
            retry.next_at = ctx.now + timedelta(seconds=retry.delay)
        if retry.timeout_at is None:
            retry.timeout_at = ctx.now + timedelta(seconds=_MOUNT_TIMEOUT)
        elif ctx.now >= retry.timeout_at:
            names = " ".join(sorted(volume for volume, _ in errors))
            message = (
                f"Unable to attach or mount volumes: unmounted volumes=[{names}], unattached volumes=[{names}], "
                "failed to process volumes=[]: context deadline exceeded"
            )
            ctx.event(None, "Warning", "FailedMount", message)
            retry.timeout_at = ctx.now + timedelta(seconds=_MOUNT_TIMEOUT)
        return False

    def _run_containers(self, ctx: PodContext) -> None:
        for runner in self.init:
            if runner.completed:
                continue
            runner.sync(ctx)
            if runner.sidecar and runner.started:
                continue
            if not runner.completed:
                return  # the next init container waits for this one
        for runner in self.main:
            runner.sync(ctx)
