"""The executor's port to the cluster: exactly the client methods it uses, as a Protocol.

`kaido.kube.Kube` satisfies it structurally (tests/remediate/test_ports.py has mypy check that);
naming the few calls the executor makes keeps its needs visible (they are the verbs kaido's RBAC
role must grant for remediation) and lets a test pass a client wrapper that records or fails
writes without subclassing anything. Only `kaido.kube.resources` is imported: the client module
itself pulls in lightkube, which stays inside kaido.kube.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from kaido.kube.resources import Resource

__all__ = ["ClusterWriter", "Listed"]

# Named outside the class: inside it, `list` is the method below, not the builtin.
_JsonPatch = list[dict[str, Any]]


class Listed(Protocol):
    """What the executor reads from a list result (`kaido.kube.ObjectList` has it)."""

    @property
    def items(self) -> list[dict[str, Any]]: ...


class ClusterWriter(Protocol):
    async def get(self, res: Resource, name: str, *, namespace: str | None = None) -> dict[str, Any]: ...

    async def list(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 500,
    ) -> Listed: ...

    async def create(
        self, res: Resource, body: dict[str, Any], *, namespace: str | None = None, dry_run: bool = False
    ) -> dict[str, Any]: ...

    async def patch(
        self,
        res: Resource,
        name: str,
        patch: dict[str, Any] | _JsonPatch,
        *,
        namespace: str | None = None,
        patch_type: Literal["merge", "strategic", "json", "apply"] = "merge",
        subresource: str | None = None,
        dry_run: bool = False,
        field_manager: str = "kaido",
        force: bool = False,
    ) -> dict[str, Any]: ...

    async def delete(
        self,
        res: Resource,
        name: str,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        propagation: Literal["Background", "Foreground", "Orphan"] | None = None,
        uid: str | None = None,
    ) -> dict[str, Any]: ...

    async def evict(self, name: str, *, namespace: str, dry_run: bool = False) -> None: ...

    async def post_event(
        self,
        *,
        regarding: dict[str, Any],
        reason: str,
        message: str,
        type: Literal["Normal", "Warning"] = "Normal",
        action: str,
        reporting_instance: str,
    ) -> dict[str, Any]: ...
