"""What the agent learns from its process environment: where it runs and who it is.

This module and the loader are the only readers of the environment in kaido. `process_environ`
takes one snapshot at start-up; everything else receives a mapping explicitly, so tests pass a
plain dict and nothing reads `os.environ` behind their back.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kaido.config.sections import AgentSettings

__all__ = ["SERVICE_ACCOUNT_NAMESPACE", "AgentEnvironment", "agent_environment", "process_environ"]

SERVICE_ACCOUNT_NAMESPACE: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def process_environ() -> dict[str, str]:
    """A snapshot of this process's environment, taken once by the command line."""
    return dict(os.environ)


@dataclass(frozen=True, slots=True)
class AgentEnvironment:
    """Facts about the agent's process: its pod, namespace, host and kubeconfig."""

    namespace: str | None  # the pod's namespace; None outside a cluster
    pod_name: str | None
    hostname: str
    in_cluster: bool  # KUBERNETES_SERVICE_HOST is set, as in every pod
    kubeconfig: Path | None  # $KUBECONFIG (the first path when it lists several)

    @property
    def identity(self) -> str:
        """The holder identity for leader election when the policy sets none: pod name, else hostname."""
        return self.pod_name or self.hostname

    def lease_identity(self, settings: AgentSettings) -> str:
        return settings.identity or self.identity

    def lease_namespace(self, settings: AgentSettings) -> str:
        """Where the Lease lives: the policy's choice, else the agent's own namespace, else "default"."""
        return settings.lease_namespace or self.namespace or "default"


def agent_environment(
    environ: Mapping[str, str], *, namespace_file: Path = SERVICE_ACCOUNT_NAMESPACE
) -> AgentEnvironment:
    """Read the agent's facts from `environ` (POD_NAMESPACE, POD_NAME, HOSTNAME, KUBECONFIG) and the
    service account's namespace file, which every pod with a token mounted has."""
    namespace = environ.get("POD_NAMESPACE") or _read(namespace_file)
    kubeconfig = environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return AgentEnvironment(
        namespace=namespace or None,
        pod_name=environ.get("POD_NAME") or None,
        hostname=environ.get("HOSTNAME") or socket.gethostname(),
        in_cluster=bool(environ.get("KUBERNETES_SERVICE_HOST")),
        kubeconfig=Path(kubeconfig).expanduser() if kubeconfig else None,
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None  # not in a pod (or no token mounted): the namespace comes from elsewhere
