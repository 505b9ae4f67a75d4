"""API errors as the real API server reports them: a `metav1.Status` body with code and reason.

Raise `ApiError` anywhere in the simulator; the HTTP layer turns it into the response kubectl
prints as `Error from server (<reason>): <message>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiError", "Cause", "status_body"]


@dataclass(frozen=True, slots=True)
class Cause:
    """One entry of `details.causes`: which field is wrong and why (422 Invalid)."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"


@dataclass(slots=True)
class ApiError(Exception):
    code: int
    reason: str
    message: str
    name: str | None = None
    kind: str | None = None  # the resource plural, as upstream puts it in details.kind
    group: str | None = None
    causes: list[Cause] = field(default_factory=list)
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def body(self) -> dict[str, Any]:
        return status_body(self)

    @classmethod
    def not_found(cls, plural: str, name: str, group: str = "") -> ApiError:
        qualified = f"{plural}.{group}" if group else plural
        return cls(404, "NotFound", f'{qualified} "{name}" not found', name=name, kind=plural, group=group or None)

    @classmethod
    def already_exists(cls, plural: str, name: str, group: str = "") -> ApiError:
        qualified = f"{plural}.{group}" if group else plural
        return cls(
            409, "AlreadyExists", f'{qualified} "{name}" already exists', name=name, kind=plural, group=group or None
        )

    @classmethod
    def conflict(cls, plural: str, name: str, group: str = "") -> ApiError:
        qualified = f"{plural}.{group}" if group else plural
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            name=name,
            kind=plural,
            group=group or None,
        )

    @classmethod
    def invalid(cls, kind: str, name: str, causes: list[Cause], group: str = "") -> ApiError:
        qualified = f"{kind}.{group}" if group else kind
        summary = "; ".join(f"{c.field}: {c.message}" for c in causes) if causes else "invalid"
        message = f'{qualified} "{name}" is invalid: {summary}'
        return cls(422, "Invalid", message, name=name, kind=kind, group=group or None, causes=causes)

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)


def status_body(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message,
        "reason": error.reason,
        "code": error.code,
    }
    details: dict[str, Any] = {}
    if error.name is not None:
        details["name"] = error.name
    if error.group:
        details["group"] = error.group
    if error.kind is not None:
        details["kind"] = error.kind
    if error.causes:
        details["causes"] = [{"reason": c.reason, "message": c.message, "field": c.field} for c in error.causes]
    if error.retry_after is not None:
        details["retryAfterSeconds"] = error.retry_after
    if details:
        body["details"] = details
    return body
