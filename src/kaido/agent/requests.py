"""Turn a person's action request (POST /api/v1/actions) into a typed action.

The body names the action type, the target the kubectl way, the action's own fields, a reason and
whether it is a dry run. `requestId` makes a retried request idempotent: the same id, the same
action key, so a request sent twice is executed once.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from kaido.core.errors import KaidoError
from kaido.core.refs import parse_target
from kaido.remediate import ACTION_TYPES, Action

__all__ = ["ActionRejectedError", "action_from_request"]


class ActionRejectedError(Exception):
    """A requested action was refused; `status` is the HTTP status that says why."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


_KNOWN = {"action", "target", "namespace", "params", "reason", "dryRun", "requestId"}


def action_from_request(body: Mapping[str, Any]) -> tuple[Action, str, bool]:
    """(action, reason, dry_run) from a request body; ActionRejectedError (422) names what is wrong."""
    unknown = sorted(set(body) - _KNOWN)
    if unknown:
        raise _reject(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KNOWN))}")
    kind = body.get("action")
    cls = ACTION_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise _reject(f"action: {kind!r} is not one of {', '.join(sorted(ACTION_TYPES))}")
    target, namespace = body.get("target"), body.get("namespace")
    if not isinstance(target, str) or (namespace is not None and not isinstance(namespace, str)):
        raise _reject("target: give a kubectl-style string such as 'deployment/backend', with 'namespace'")
    params = body.get("params") or {}
    if not isinstance(params, Mapping):
        raise _reject("params: must be an object of the action's fields")
    fields = {f.name for f in dataclasses.fields(cls)} - {"target", "epoch"}
    extra = sorted(set(params) - fields)
    if extra:
        raise _reject(
            f"params: {', '.join(extra)} not accepted by {kind}; it takes {', '.join(sorted(fields)) or 'none'}"
        )
    reason = body.get("reason") or "requested through the API"
    request_id = body.get("requestId") or uuid.uuid4().hex
    try:
        ref = parse_target(target, namespace=namespace)
        action = cls(target=ref, epoch=f"request:{request_id}", **params)
    except (KaidoError, TypeError, ValueError) as e:
        raise _reject(str(e)) from e
    return action, str(reason), bool(body.get("dryRun", False))


def _reject(message: str) -> ActionRejectedError:
    return ActionRejectedError(message, status=422)
