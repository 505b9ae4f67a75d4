"""Serving the simulator over TCP: uvicorn inside our own event loop, a kubeconfig, clean signals.

uvicorn captures SIGINT/SIGTERM and re-raises them after `serve()` returns, which would skip our
shutdown; the server here leaves signals to the caller, who sets `should_exit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from kaido.sim.app import create_app
from kaido.sim.cluster import ADMIN_USER, SimCluster

__all__ = ["SimServer", "kubeconfig_document", "write_kubeconfig"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the caller


@dataclass
class SimServer:
    """`cluster` served on host:port; `url` is known once `started` is set."""

    cluster: SimCluster
    host: str = "127.0.0.1"
    port: int = 6443
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    app: Any = None  # the ASGI app to serve (a wrapper around the simulator's); None: create_app(cluster)

    def __post_init__(self) -> None:
        config = uvicorn.Config(
            self.app if self.app is not None else create_app(self.cluster),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )
        self._server = _Server(config)

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_certfile else "http"
        return f"{scheme}://{self.host}:{self.bound_port}"

    @property
    def bound_port(self) -> int:
        servers = getattr(self._server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.port

    async def serve(self) -> None:
        await self._server.serve()

    async def start(self) -> None:
        """Serve in a background task and return once the port is bound."""
        self._task = asyncio.create_task(self.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the bind error
                raise RuntimeError(f"kaido sim: the server on {self.host}:{self.port} stopped during start-up")
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        self.cluster.close()
        self._server.should_exit = True

    async def wait_stopped(self) -> None:
        await self._task

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)


def kubeconfig_document(
    server_url: str,
    *,
    token: str | None = None,
    ca_data: str | None = None,
    user_name: str = ADMIN_USER.name,
    namespace: str = "default",
) -> dict[str, Any]:
    """One cluster, one user and one context; `ca_data` is the base64 PEM CA for an https:// server."""
    cluster: dict[str, Any] = {"server": server_url}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kaido-sim", "cluster": cluster}],
        "users": [{"name": user_name, "user": user}],
        "contexts": [
            {"name": "kaido-sim", "context": {"cluster": "kaido-sim", "user": user_name, "namespace": namespace}}
        ],
        "current-context": "kaido-sim",
        "preferences": {},
    }


def write_kubeconfig(path: Path, document: dict[str, Any]) -> None:
    """Write atomically with owner-only permissions (it may hold a token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    temporary.replace(path)
