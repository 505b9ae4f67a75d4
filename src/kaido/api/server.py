"""uvicorn embedded in the agent's own event loop.

uvicorn normally captures SIGINT/SIGTERM and re-raises them after serving, which would cut the
agent's drain short; here signals belong to the agent, which stops the server when it drains.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

__all__ = ["HttpServer"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the agent handles signals


class HttpServer:
    """`app` served on host:port in the current loop; `port` is the bound port once started."""

    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None
        self.host = host

    @property
    def port(self) -> int:
        for server in getattr(self._server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self._server.config.port)

    async def start(self) -> None:
        """Serve in a background task; return once the port is bound (or raise the bind error)."""
        self._task = asyncio.create_task(self._server.serve(), name="kaido-http")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"kaido: the HTTP server on {self.host}:{self._server.config.port} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
