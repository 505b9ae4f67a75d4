"""Container logs: the last lines of a container's current or previous instance, as plain text.

`GET /api/v1/namespaces/{ns}/pods/{pod}/log` answers text/plain, not JSON, so it is sent here rather
than through `Kube.get`; it is counted, retried and mapped to kaido's errors the same way (RBAC:
`get` on `pods/log`). A container that has no such instance yet (no previous termination, or still
waiting to start) is not an error for a reader that only wants evidence: it has no lines.
"""

from __future__ import annotations

import logging
from typing import Final

import httpx2
from lightkube.core.exceptions import ConfigError as LightkubeConfigError

from kaido.kube.client import Kube
from kaido.kube.errors import (
    KubeConfigError,
    KubeError,
    Unreachable,
    error_from_response,
    parse_retry_after,
    retry_delay,
)
from kaido.kube.resources import PODS, ApiCall

__all__ = ["container_log"]

log = logging.getLogger(__name__)

# What the API server (and the kubelet behind it) says when the asked-for instance does not exist.
_NO_INSTANCE: Final = ("previous terminated container", "is waiting to start", "not found")


async def container_log(
    kube: Kube,
    *,
    namespace: str,
    pod: str,
    container: str,
    previous: bool = False,
    tail_lines: int | None = 50,
    limit_bytes: int | None = 64 * 1024,
) -> list[str]:
    """The last `tail_lines` lines (all with None) of the container's log; of its previous instance with
    `previous`. Empty when that instance does not exist; NotFound when the pod does not."""
    params = {"container": container}
    if previous:
        params["previous"] = "true"
    if tail_lines is not None:
        params["tailLines"] = str(tail_lines)
    if limit_bytes is not None:
        params["limitBytes"] = str(limit_bytes)  # a few huge lines must not cost unbounded memory
    call = ApiCall("GET", "get", PODS, namespace=namespace, name=pod, subresource="log", params=params)
    try:
        text = await _get_text(kube, call)
    except KubeError as error:
        if error.status == 400 and any(marker in str(error) for marker in _NO_INSTANCE):
            return []
        raise
    return text.splitlines()


async def _get_text(kube: Kube, call: ApiCall) -> str:
    """GET a text body, retrying transient failures under the client's retry policy (as reads are)."""
    attempt = 1
    while True:
        try:
            return await _send(kube, call)
        except KubeError as error:
            delay = retry_delay(error, attempt=attempt, policy=kube.retry, jitter=kube.rng.random())
            if delay is None:
                raise
            log.warning(
                "attempt %d/%d failed (%s); retrying %s in %.2f s", attempt, kube.retry.attempts, error.status,
                call.target, delay,
            )  # fmt: skip
            await kube.clock.sleep(delay)
            attempt += 1


async def _send(kube: Kube, call: ApiCall) -> str:
    kube._requests[call.rbac] += 1  # counted with the client's own requests, for the RBAC contract
    try:
        response = await kube.http.request(
            call.method, call.path, params=call.params, headers={"Accept": "text/plain, */*"}
        )
    except httpx2.TimeoutException as error:
        raise Unreachable(
            f"{call.target} failed: no answer from {kube.server} in time ({type(error).__name__}); "
            "is the API server overloaded or the network slow?",
            target=call.target,
        ) from error
    except httpx2.TransportError as error:
        raise Unreachable(
            f"{call.target} failed: cannot reach the API server ({error or type(error).__name__}); "
            f"is the API server at {kube.server} running?",
            target=call.target,
        ) from error
    except httpx2.HTTPError as error:
        raise KubeError(f"{call.target} failed: {error or type(error).__name__}", target=call.target) from error
    except LightkubeConfigError as error:  # a token file or exec credential plugin failed
        raise KubeConfigError(
            f"{call.target} failed: cannot get credentials: {error}; check the user entry of the kubeconfig",
            target=call.target,
        ) from error
    if not response.is_success:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise error_from_response(
            response.status_code, response.content, target=call.target, retry_after=retry_after, server=kube.server
        )
    return response.content.decode("utf-8", errors="replace")
