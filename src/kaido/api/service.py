"""Start an agent and its HTTP server: load the policy, connect, check access, open the store, serve.

Each failure that stops the start is one clear error (PolicyError, KubeError, StoreError, or
BootstrapError) that the CLI prints as one line; nothing runs on a half-loaded policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kaido.agent.agent import Agent, AgentOptions
from kaido.api.app import create_app
from kaido.api.server import HttpServer
from kaido.config import PolicyError, PolicyHolder, agent_environment, load_policy, process_environ
from kaido.config.sections import Retention as RetentionPolicy
from kaido.core.clock import Clock
from kaido.kube.client import Kube
from kaido.kube.errors import KubeError
from kaido.kube.resources import PODS
from kaido.store import Retention, Store, StoreError

__all__ = ["START_ERRORS", "BootstrapError", "RunRequest", "run_agent"]

log = logging.getLogger(__name__)


class BootstrapError(Exception):
    """The agent cannot start; the message says why and what to do."""


# Every error that stops a start, each with a one-line message for the command line.
START_ERRORS: tuple[type[Exception], ...] = (PolicyError, KubeError, StoreError, BootstrapError)


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    kubeconfig: Path | None = None
    policy_path: Path | None = None
    port: int | None = None  # None: the policy's api.port
    host: str | None = None
    namespaces: tuple[str, ...] = ()
    store_path: Path | None = None  # None: the policy's agent.storePath
    policy_configmap: str | None = None


async def run_agent(
    request: RunRequest,
    *,
    stop: asyncio.Event,
    clock: Clock,
    environ: Mapping[str, str] | None = None,
    on_start: Callable[[Agent, int], None] | None = None,
) -> None:
    """Run one agent until `stop` is set; raise a clear error when it cannot start."""
    environ = process_environ() if environ is None else environ
    policy = load_policy(request.policy_path, environ=environ)
    env = agent_environment(environ)
    holder = PolicyHolder(policy, source=str(request.policy_path or "built-in defaults"))
    write_token = _read_token(policy.api.write_token_file)
    kube = await Kube.connect(kubeconfig=request.kubeconfig, clock=clock)
    try:
        # Fail fast on an unreachable server or wrong credentials instead of retrying forever.
        await kube.list(
            PODS, namespace=request.namespaces[0] if request.namespaces else None, limit=1, first_page_only=True
        )
        store_path = request.store_path or Path(policy.agent.store_path)
        store = await Store.open(store_path, clock=clock, retention=_retention(policy.agent.retention))
        options = AgentOptions(
            identity=policy.agent.identity or env.identity,
            namespaces=request.namespaces,
            own_namespace=env.namespace or "default",
            policy_file=str(request.policy_path) if request.policy_path else None,
            policy_configmap=request.policy_configmap,
            environ=environ,
        )
        agent = Agent(kube=kube, store=store, policy=holder, clock=clock, options=options)
        http = HttpServer(
            create_app(agent, write_token=write_token),
            host=request.host or policy.api.host,
            port=policy.api.port if request.port is None else request.port,
        )
        await http.start()
        log.info("serving probes, metrics and the API on %s:%d", http.host, http.port)
        if on_start is not None:
            on_start(agent, http.port)
        try:
            await agent.run(stop)
        finally:
            await http.stop()
    finally:
        await kube.close()


def _read_token(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise BootstrapError(f"api.writeTokenFile {path}: cannot read it ({e.strerror}); mount the Secret there") from e
    if not token:
        raise BootstrapError(f"api.writeTokenFile {path} is empty; put the bearer token in it")
    return token


def _retention(policy: RetentionPolicy) -> Retention:
    return Retention(raw=policy.raw, five_minute=policy.five_minute, hourly=policy.hourly)
