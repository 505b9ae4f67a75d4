"""The Kubernetes API's failures as kaido's exception tree; no httpx2 or lightkube exception escapes kaido.kube.

    KaidoError
    └── KubeError                 .status .reason .target .retryable .retry_after
        ├── KubeConfigError       bad or missing kubeconfig, credentials or CA file
        ├── Unreachable           connection refused, DNS, TLS handshake, timeout (retryable)
        ├── Unauthorized          401
        ├── Forbidden             403
        ├── NotFound              404
        ├── MetricsUnavailable    metrics.k8s.io is not served or not ready (its 404 or 503)
        ├── Conflict              409: stale resourceVersion or AlreadyExists
        ├── Gone                  410: expired resourceVersion (also an in-stream watch ERROR 410)
        ├── Invalid               422
        ├── TooManyRequests       429: throttled, or an eviction a PodDisruptionBudget refuses (retryable)
        └── ServerError           5xx (retryable)

`retry_delay` is the retry policy for idempotent reads, as a pure function of the error and the attempt.

Each message names the request ("GET deployments chatbot-dev/backend"), what the API server said
(the `metav1.Status` message) and what to do. Building an error from a response is a pure function
so the mapping is tested without a server.
"""

# ruff: noqa: N818 - the exception names are the API server's Status reasons, as callers know them
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from kaido.core.errors import KaidoError

__all__ = [
    "Conflict",
    "Forbidden",
    "Gone",
    "Invalid",
    "KubeConfigError",
    "KubeError",
    "MetricsUnavailable",
    "NotFound",
    "RetryPolicy",
    "ServerError",
    "TooManyRequests",
    "Unauthorized",
    "Unreachable",
    "error_from_response",
    "error_from_status",
    "parse_retry_after",
    "retry_delay",
]

_SNIPPET: Final = 200  # characters of a non-Status error body quoted in a message


class KubeError(KaidoError):
    """A request to the Kubernetes API failed.

    `status` is the HTTP code (None when no answer came), `reason` the Status reason
    ("NotFound", "AlreadyExists", ...), `target` the request ("GET pods default/web-1").
    """

    retryable_by_default: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str = "",
        target: str = "",
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.target = target
        self.retryable = self.retryable_by_default if retryable is None else retryable
        self.retry_after = retry_after


class KubeConfigError(KubeError):
    """The kubeconfig, a credentials file or the cluster's CA cannot be used."""


class Unreachable(KubeError):
    """No answer from the API server: refused, unresolvable, TLS failure or timeout."""

    retryable_by_default = True


class Unauthorized(KubeError):
    """401: the credentials were rejected."""


class Forbidden(KubeError):
    """403: the credentials are valid but RBAC does not allow the request."""


class NotFound(KubeError):
    """404: the object (or the resource type) does not exist."""


class MetricsUnavailable(KubeError):
    """metrics.k8s.io is not served or not ready (metrics-server missing, 404 or 503)."""


class Conflict(KubeError):
    """409: the object changed since it was read (reason Conflict) or already exists (AlreadyExists)."""


class Gone(KubeError):
    """410: the resourceVersion is too old; relist to get a fresh one."""


class Invalid(KubeError):
    """422: the object failed validation; the message lists the fields."""


class TooManyRequests(KubeError):
    """429: the API server is throttling, or a PodDisruptionBudget refuses an eviction now."""

    retryable_by_default = True


class ServerError(KubeError):
    """5xx: the API server (or an aggregated API behind it) failed."""

    retryable_by_default = True


_BY_STATUS: Final[dict[int, type[KubeError]]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def error_class(status: int) -> type[KubeError]:
    """The exception type for an HTTP status code."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, KubeError)


def error_from_status(
    body: dict[str, Any], *, status: int | None = None, target: str, retry_after: float | None = None
) -> KubeError:
    """The error for a `metav1.Status` body (a response, or the object of a watch ERROR event)."""
    code = _int(body.get("code")) or status or 500
    reason = str(body.get("reason") or "")
    said = str(body.get("message") or "").strip() or f"HTTP {code} {reason}".strip()
    causes = _causes(body)
    if causes:
        said = f"{said} [{causes}]"
    kind = error_class(code)
    hint = _hint(code, reason, target, retry_after)
    return kind(f"{target} failed: {said}; {hint}", status=code, reason=reason, target=target, retry_after=retry_after)


def error_from_response(
    status: int, content: bytes, *, target: str, retry_after: float | None = None, server: str = "the API server"
) -> KubeError:
    """The error for a non-2xx response; a body that is not a Status is quoted briefly."""
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return error_from_status(body, status=status, target=target, retry_after=retry_after)
    text = content.decode("utf-8", errors="replace").strip()[:_SNIPPET]
    said = f"{server} answered HTTP {status}" + (f": {text}" if text else "")
    hint = _hint(status, "", target, retry_after)
    kind = error_class(status)
    return kind(f"{target} failed: {said}; {hint}", status=status, target=target, retry_after=retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (the API server sends whole seconds); None if absent or a date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def _hint(code: int, reason: str, target: str, retry_after: float | None) -> str:
    if code == 401:
        return "check the token or client certificate of the kubeconfig's user (KUBECONFIG) or the service account"
    if code == 403:
        return "grant this verb on this resource to kaido's service account (the Helm chart's Role/ClusterRole)"
    if code == 404:
        return "check the name, the namespace and that the API group is served by this cluster"
    if code == 409 and reason == "AlreadyExists":
        return "the object already exists: get it and replace or patch it instead"
    if code == 409:
        return "read the object again and retry with its current resourceVersion"
    if code == 410:
        return "the resourceVersion expired: list again and watch from the new resourceVersion"
    if code == 422:
        return "fix the fields named above"
    if code == 429 and "eviction" in target:
        return "a PodDisruptionBudget does not allow this disruption now; retry later or pick another pod"
    if code == 429:
        wait = f"after {retry_after:g} s" if retry_after is not None else "later"
        return f"the API server is throttling requests; retry {wait}"
    if code >= 500:
        return "the API server failed to answer; retry later and check its health (kubectl get --raw /readyz)"
    return "check the request's parameters against the API reference"


def _causes(body: dict[str, Any]) -> str:
    details = body.get("details")
    if not isinstance(details, dict):
        return ""
    causes = details.get("causes")
    if not isinstance(causes, list):
        return ""
    parts = []
    for cause in causes:
        if isinstance(cause, dict):
            field = cause.get("field")
            message = cause.get("message") or cause.get("reason") or ""
            parts.append(f"{field}: {message}" if field else str(message))
    return "; ".join(parts)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How idempotent reads retry: `attempts` in all, backoff doubling from `base_delay` up to `max_delay`."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After is capped: the caller has its own deadlines

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError(f"RetryPolicy needs attempts >= 1 and 0 <= base_delay <= max_delay, not {self}")


def retry_delay(error: KubeError, *, attempt: int, policy: RetryPolicy, jitter: float) -> float | None:
    """Seconds to wait before retrying after failed `attempt` (1-based), or None to give up.

    `jitter` in [0, 1) spreads clients that failed together over half to all of the backoff; a
    Retry-After from the server (429, 503) is honoured as is, up to the policy's cap.
    """
    if not error.retryable or attempt >= policy.attempts:
        return None
    if error.retry_after is not None:
        return min(error.retry_after, policy.max_retry_after)
    backoff = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    return backoff * (0.5 + 0.5 * jitter)
