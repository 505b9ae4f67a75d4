"""Run `kaido sim` for tests: in a thread over real TCP (for kubectl and clients), with a kubeconfig.

`tls=True` serves HTTPS with a fresh CA (in the kubeconfig); a cluster made with `rbac=True` also gets
an admin token in the kubeconfig, as `kaido sim --rbac` writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from kaido.core.clock import ScaledClock
from kaido.sim.cluster import ADMIN_USER, SimCluster
from kaido.sim.control_plane import control_plane
from kaido.sim.runtime import Runtime
from kaido.sim.scenario import Scenario
from kaido.sim.server import SimServer, kubeconfig_document, write_kubeconfig
from kaido.sim.tls import TlsMaterial, generate, serving_files

ROOT = Path(__file__).resolve().parents[2]
KUBECTL_135 = ROOT / ".cache/tools/bin/kubectl"
T = TypeVar("T")


@dataclass
class SimThread:
    """A simulator served on 127.0.0.1 from its own thread and event loop."""

    kubeconfig: Path
    cluster: SimCluster = field(default_factory=SimCluster)
    tls: bool = False
    runtime: bool = False  # run the control plane (controllers, scheduler, kubelet) on the cluster's clock
    scenario: Path | None = None  # a scenario file to load; its runtime (nodes, images, traffic) replaces the default
    tls_material: TlsMaterial | None = None
    admin_token: str | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _server: SimServer | None = None
    _thread: threading.Thread | None = None
    _runtime: Runtime | None = None

    def start(self) -> SimThread:
        if self.cluster.rbac and not self.tls:
            raise ValueError("an RBAC cluster needs tls=True: kubectl sends bearer tokens only over HTTPS")
        ready: Future[None] = Future()
        with contextlib.ExitStack() as stack:
            files: tuple[str | None, str | None] = (None, None)
            if self.tls:
                self.tls_material = generate(now=datetime.now(UTC))
                files = stack.enter_context(serving_files(self.tls_material))
            self._thread = threading.Thread(target=self._run, args=(ready, *files), name="kaido-sim", daemon=True)
            self._thread.start()
            ready.result(timeout=30)
        if self.cluster.rbac:
            self.admin_token = self.call(lambda: self.cluster.issue_token(ADMIN_USER)[0])
        self.write_kubeconfig(self.kubeconfig, token=self.admin_token)
        return self

    def write_kubeconfig(
        self, path: Path, *, token: str | None = None, user_name: str = ADMIN_USER.name, namespace: str = "default"
    ) -> Path:
        """A kubeconfig for this server (with its CA under TLS) that authenticates with `token`."""
        ca_data = self.tls_material.ca_data if self.tls_material else None
        document = kubeconfig_document(self.url, token=token, ca_data=ca_data, user_name=user_name, namespace=namespace)
        write_kubeconfig(path, document)
        return path

    def _run(self, ready: Future[None], certfile: str | None, keyfile: str | None) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = SimServer(self.cluster, port=0, ssl_certfile=certfile, ssl_keyfile=keyfile)
        if self.scenario is not None:
            self._runtime = Scenario.from_file(self.scenario).start(self.cluster).runtime
        else:
            self._runtime = control_plane(self.cluster) if self.runtime else None
        try:
            loop.run_until_complete(self._server.start())
        except BaseException as error:
            ready.set_exception(error)
            loop.close()
            return
        controllers = loop.create_task(self._runtime.run()) if self._runtime else None
        ready.set_result(None)
        loop.run_until_complete(self._server.wait_stopped())
        if controllers is not None and self._runtime is not None:
            self._runtime.stop()
            loop.run_until_complete(controllers)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def call(self, function: Callable[[], T]) -> T:
        """Run `function` in the simulator's loop thread (the only safe place to touch the cluster)."""
        assert self._loop is not None

        async def wrapper() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)


def fast_control_plane(kubeconfig: Path, *, seed: int, speed: float = 20) -> SimThread:
    """A started simulator whose control plane runs `speed` times real time: pods start and report usage fast."""
    cluster = SimCluster(clock=ScaledClock(speed), seed=seed)
    return SimThread(kubeconfig=kubeconfig, cluster=cluster, runtime=True).start()


def kubectl_binaries() -> list[tuple[str, Path]]:
    """(id, path) for each kubectl to test with: v1.35 from the npm package and the machine's own."""
    found = []
    if KUBECTL_135.exists():
        found.append(("kubectl-1.35", KUBECTL_135))
    system = shutil.which("kubectl")
    if system and Path(system).resolve() != KUBECTL_135.resolve():
        found.append(("kubectl-system", Path(system)))
    return found


@dataclass
class Kubectl:
    binary: Path
    kubeconfig: Path
    cache_dir: Path

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.binary), f"--kubeconfig={self.kubeconfig}", f"--cache-dir={self.cache_dir}", *args]
        completed = subprocess.run(
            command, input=stdin, capture_output=True, text=True, check=False, timeout=timeout, env=_env()
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {completed.returncode}\nstdout:\n{completed.stdout}\n"
                f"stderr:\n{completed.stderr}"
            )
        return completed

    def __call__(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).stdout


def _env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "KUBECTL_TELEMETRY": "false"}
