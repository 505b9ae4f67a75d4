"""What the HTTP API needs from a running agent: read-only views plus one guarded write.

The API depends on this port, not on the agent's internals, so the routes stay a thin translation
from HTTP to the agent's own answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["AgentView"]


class AgentView(Protocol):
    def liveness(self) -> tuple[bool, str]:
        """Whether the process and its event loop are alive, and why not."""
        ...

    def readiness(self) -> tuple[bool, list[str]]:
        """Whether the agent can serve (caches synced, store open), and what it still waits for."""
        ...

    def health(self) -> dict[str, Any]: ...

    def findings(self) -> list[dict[str, Any]]: ...

    def actions(self, *, limit: int) -> list[dict[str, Any]]: ...

    def incidents(self, *, limit: int) -> list[dict[str, Any]]: ...

    async def rearm(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Re-arm the healing of a workload after its circuit breaker opened; raises ActionRejectedError."""
        ...

    def scaling(self) -> list[dict[str, Any]]:
        """The scaler's latest decision per HPA: management and predictive, with explanations."""
        ...

    def timeline_entries(self, *, after: int, limit: int) -> list[dict[str, Any]]: ...

    def alerts(self) -> list[dict[str, Any]]: ...

    def deliveries(self, *, limit: int) -> list[dict[str, Any]]: ...

    def silences(self, *, include_expired: bool) -> list[dict[str, Any]]: ...

    async def create_silence(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a silence; raises kaido.agent.requests.ActionRejectedError."""
        ...

    async def expire_silence(self, silence_id: str) -> dict[str, Any]:
        """Expire a silence; raises kaido.agent.requests.ActionRejectedError (404 for an unknown id)."""
        ...

    def metrics(self) -> tuple[bytes, str]:
        """The Prometheus exposition and its content type."""
        ...

    async def request_action(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Execute one typed action on a person's request; raises ActionRejectedError."""
        ...
