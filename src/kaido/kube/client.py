"""The Kubernetes API client: raw JSON over one httpx2 client, errors mapped, reads retried.

lightkube supplies only the configuration (kubeconfig or in-cluster service account, auth, TLS);
requests and responses are plain `dict[str, Any]` bodies because the informer keeps thousands of
objects, needs bookmarks and must see the exact 410 of an expired watch. Every request is counted
by (RBAC verb, "group/plural[/subresource]"), with "" as the core group ("/pods", "/pods/eviction",
"apps/deployments"), so a test can check that the Helm chart's Role grants exactly what is used.

Reads (get, list) are retried on 429, 5xx and unreachable servers with jittered exponential
backoff; writes are never retried here, because only the executor knows whether repeating one is
safe. Watches are not retried either: the informer resumes them.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, TypeVar

import httpx2
from lightkube.config.client_adapter import AsyncClient as LightkubeAsyncClient
from lightkube.config.client_adapter import ConnectionParams
from lightkube.core.exceptions import ConfigError as LightkubeConfigError

from kaido.core.clock import Clock, RealClock
from kaido.kube.errors import (
    KubeConfigError,
    KubeError,
    RetryPolicy,
    Unreachable,
    error_from_response,
    error_from_status,
    parse_retry_after,
    retry_delay,
)
from kaido.kube.kubeconfig import load_config
from kaido.kube.resources import EVENTS, PODS, ApiCall, Resource, event_body, namespace_of, with_type

__all__ = ["Kube", "ObjectList", "RetryPolicy", "WatchEvent", "load_config"]

log = logging.getLogger(__name__)

WatchType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
PatchType = Literal["merge", "strategic", "json", "apply"]
Json = dict[str, Any]
JsonPatch = list[dict[str, Any]]
T = TypeVar("T")
_WATCH_TYPES: Final = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})
_PATCH_CONTENT: Final[dict[str, str]] = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",  # JSON is YAML, so the body stays JSON
}


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: WatchType
    object: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObjectList:
    items: list[dict[str, Any]]  # each item has apiVersion and kind filled in
    resource_version: str


@dataclass
class Kube:
    """Async Kubernetes API client over httpx2, configured by lightkube's KubeConfig (kubeconfig or in-cluster).

    Build it with `await Kube.connect(...)`; the constructor takes any httpx2.AsyncClient whose base URL is
    an API server (for example an in-process ASGI transport to the simulator).
    """

    http: httpx2.AsyncClient
    _: KW_ONLY
    namespace: str = "default"  # the kubeconfig context's namespace, for callers that want a default
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = field(default_factory=RealClock)
    rng: random.Random = field(default_factory=random.Random)  # retry jitter only; not security-relevant
    _requests: Counter[tuple[str, str]] = field(default_factory=Counter, init=False, repr=False)
    _event_sequence: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)

    @classmethod
    async def connect(
        cls,
        *,
        kubeconfig: Path | None = None,
        context: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - each HTTP request's timeout, not a deadline for connect()
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> Kube:
        config = load_config(kubeconfig=kubeconfig, context=context)
        params = ConnectionParams(timeout=httpx2.Timeout(timeout))
        try:
            http = LightkubeAsyncClient(config, params)
        except (LightkubeConfigError, OSError, ssl.SSLError, ValueError) as error:
            where = f"kubeconfig {config.fname}" if config.fname else "the in-cluster configuration"
            raise KubeConfigError(
                f"cannot use the credentials or CA of context {config.context_name!r} in {where}: {error}; "
                "check the certificate-authority, client-certificate and token entries",
                target=where,
            ) from error
        return cls(
            http, namespace=config.namespace, timeout=timeout, retry=retry or RetryPolicy(), clock=clock or RealClock()
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Kube:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def server(self) -> str:
        return str(self.http.base_url).rstrip("/")

    @property
    def requests(self) -> Mapping[tuple[str, str], int]:
        """(verb, "group/plural[/subresource]") -> count of HTTP requests sent, retries included."""
        return dict(self._requests)

    async def get(self, res: Resource, name: str, *, namespace: str | None = None) -> Json:
        call = ApiCall("GET", "get", res, namespace=namespace, name=name)
        return with_type(await self._retrying(call), res)

    async def list(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 500,
        first_page_only: bool = False,
    ) -> ObjectList:
        """All matching objects, following `continue` pages; namespace None lists every namespace.

        `first_page_only` stops after one page of at most `limit` objects (a cheap access check).
        """
        params = _selectors(label_selector, field_selector)
        items: JsonPatch = []
        token: str | None = None
        while True:
            page_params = dict(params)
            if limit > 0:
                page_params["limit"] = str(limit)
            if token:
                page_params["continue"] = token
            call = ApiCall("GET", "list", res, namespace=namespace, params=page_params)
            try:
                page = await self._retrying(call)
            except KubeError as error:
                if error.status != 410 or token is None:
                    raise
                # the continue token expired between pages: one unpaged list, as client-go's pager does
                log.info("%s: continue token expired; listing again without paging", call.target)
                items, token, limit = [], None, 0
                continue
            items.extend(with_type(item, res) for item in page.get("items") or [])
            meta = page.get("metadata") or {}
            token = meta.get("continue") or None
            if token is None or first_page_only:
                return ObjectList(items=items, resource_version=str(meta.get("resourceVersion") or ""))

    async def watch(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 300,
        allow_bookmarks: bool = True,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Events from `resource_version` on; an in-stream ERROR 410 raises Gone, a server timeout just ends.

        Leaving the loop early closes the response when the generator is closed; use
        `contextlib.aclosing(kube.watch(...))` to close it at once.
        """
        params = _selectors(label_selector, field_selector)
        params |= {"watch": "true", "timeoutSeconds": str(timeout_seconds)}
        if allow_bookmarks:
            params["allowWatchBookmarks"] = "true"
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        call = ApiCall("GET", "watch", res, namespace=namespace, params=params)
        self._requests[call.rbac] += 1
        # the server ends the stream after timeoutSeconds; waiting longer than that means it is gone
        timeout = httpx2.Timeout(self.timeout, read=timeout_seconds + self.timeout)
        try:
            async with self.http.stream("GET", call.path, params=params, timeout=timeout) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._status_error(response, call.target)
                async for line in response.aiter_lines():
                    if line.strip():
                        yield _watch_event(line, call)
        except httpx2.HTTPError as error:
            raise self._transport_error(error, call.target) from error
        except LightkubeConfigError as error:
            raise _credentials_error(error, call.target) from error

    async def create(self, res: Resource, body: Json, *, namespace: str | None = None, dry_run: bool = False) -> Json:
        body = with_type(body, res)
        call = ApiCall("POST", "create", res, namespace=namespace_of(res, body, namespace), params=_dry(dry_run))
        return with_type(await self._send(call, body=body), res)

    async def replace(self, res: Resource, body: Json, *, namespace: str | None = None, dry_run: bool = False) -> Json:
        """PUT the whole object; its metadata.resourceVersion makes it conditional (409 Conflict if stale)."""
        body = with_type(body, res)
        name = (body.get("metadata") or {}).get("name")
        if not name:
            raise ValueError(f"replace {res.qualified}: the body has no metadata.name")
        ns = namespace_of(res, body, namespace)
        call = ApiCall("PUT", "update", res, namespace=ns, name=name, params=_dry(dry_run))
        return with_type(await self._send(call, body=body), res)

    async def patch(
        self,
        res: Resource,
        name: str,
        patch: Json | JsonPatch,
        *,
        namespace: str | None = None,
        patch_type: PatchType = "merge",
        subresource: str | None = None,
        dry_run: bool = False,
        field_manager: str = "kaido",
        force: bool = False,
    ) -> Json:
        if (patch_type == "json") != isinstance(patch, list):
            raise ValueError(
                f"patch {res.qualified} {name}: a {patch_type!r} patch must be a JSON "
                + ("list of operations" if patch_type == "json" else "object")
            )
        if force and patch_type != "apply":
            raise ValueError(f"patch {res.qualified} {name}: force applies only to patch_type='apply'")
        params = _dry(dry_run) | {"fieldManager": field_manager}
        if force:
            params["force"] = "true"
        call = ApiCall("PATCH", "patch", res, namespace=namespace, name=name, subresource=subresource, params=params)
        body = with_type(patch, res) if patch_type == "apply" and isinstance(patch, dict) else patch
        result = await self._send(call, body=body, content_type=_PATCH_CONTENT[patch_type])
        return result if subresource else with_type(result, res)

    async def delete(
        self,
        res: Resource,
        name: str,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        propagation: Literal["Background", "Foreground", "Orphan"] | None = None,
        uid: str | None = None,
    ) -> Json:
        """Delete; `uid` makes it conditional on the object still being the one that was read."""
        options: Json = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation:
            options["propagationPolicy"] = propagation
        if uid:
            options["preconditions"] = {"uid": uid}
        if dry_run:
            options["dryRun"] = ["All"]
        call = ApiCall("DELETE", "delete", res, namespace=namespace, name=name, params=_dry(dry_run))
        return await self._send(call, body=options)

    async def evict(self, name: str, *, namespace: str, dry_run: bool = False) -> None:
        """Evict a pod through policy/v1 Eviction; a PodDisruptionBudget refusal raises TooManyRequests."""
        body: Json = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
        }
        if dry_run:
            body["deleteOptions"] = {"dryRun": ["All"]}
        call = ApiCall(
            "POST", "create", PODS, namespace=namespace, name=name, subresource="eviction", params=_dry(dry_run)
        )
        await self._send(call, body=body)

    async def post_event(
        self,
        *,
        regarding: Json,
        reason: str,
        message: str,
        type: Literal["Normal", "Warning"] = "Normal",  # the Event field's name
        action: str,
        reporting_instance: str,
    ) -> Json:
        """Record a core/v1 Event about `regarding` in its namespace ("default" for cluster-scoped objects)."""
        body = event_body(
            regarding=regarding,
            reason=reason,
            message=message,
            type=type,
            action=action,
            reporting_instance=reporting_instance,
            now=self.clock.now(),
            sequence=next(self._event_sequence),
        )
        call = ApiCall("POST", "create", EVENTS, namespace=body["metadata"]["namespace"])
        return with_type(await self._send(call, body=body), EVENTS)

    async def get_raw(self, path: str) -> str:
        """GET a path outside the resource API (the simulator's `/metrics`) as text; retried like reads.

        Counted as ("get", path), the verb and non-resource URL an RBAC rule would grant.
        """
        if not path.startswith("/") or "?" in path:
            raise ValueError(f"get_raw: {path!r} must be an absolute path without a query, such as '/metrics'")
        target = f"GET {path}"
        return await self._retrying_read(target, lambda: self._send_raw(path, target))

    async def _send_raw(self, path: str, target: str) -> str:
        self._requests["get", path] += 1
        try:
            response = await self.http.get(path, headers={"Accept": "text/plain, */*"})
        except httpx2.HTTPError as error:
            raise self._transport_error(error, target) from error
        except LightkubeConfigError as error:
            raise _credentials_error(error, target) from error
        if not response.is_success:
            raise self._status_error(response, target)
        return response.text

    async def _retrying(self, call: ApiCall) -> Json:
        """Send an idempotent read, retrying transient failures under the retry policy."""
        return await self._retrying_read(call.target, lambda: self._send(call))

    async def _retrying_read(self, target: str, send: Callable[[], Awaitable[T]]) -> T:
        attempt = 1
        while True:
            try:
                return await send()
            except KubeError as error:
                delay = retry_delay(error, attempt=attempt, policy=self.retry, jitter=self.rng.random())
                if delay is None:
                    raise
                log.warning(
                    "attempt %d/%d failed (%s); retrying %s in %.2f s",
                    attempt,
                    self.retry.attempts,
                    _short(error),
                    target,
                    delay,
                )
                await self.clock.sleep(delay)
                attempt += 1

    async def _send(
        self, call: ApiCall, *, body: Json | JsonPatch | None = None, content_type: str | None = None
    ) -> Json:
        self._requests[call.rbac] += 1
        headers = {"Accept": "application/json"}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = content_type or "application/json"
        try:
            response = await self.http.request(
                call.method, call.path, params=call.params, content=content, headers=headers
            )
        except httpx2.HTTPError as error:
            raise self._transport_error(error, call.target) from error
        except LightkubeConfigError as error:
            raise _credentials_error(error, call.target) from error
        if not response.is_success:
            raise self._status_error(response, call.target)
        return _json_object(response.content, call, response.status_code)

    def _status_error(self, response: httpx2.Response, target: str) -> KubeError:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return error_from_response(
            response.status_code, response.content, target=target, retry_after=retry_after, server=self.server
        )

    def _transport_error(self, error: httpx2.HTTPError, target: str) -> KubeError:
        text = str(error) or type(error).__name__
        if isinstance(error, httpx2.UnsupportedProtocol | httpx2.InvalidURL):
            return KubeConfigError(
                f"{target} failed: the server URL {self.server!r} is not usable ({text}); "
                "fix the cluster's server entry in the kubeconfig",
                target=target,
            )
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return KubeConfigError(
                f"{target} failed: the API server at {self.server} presented a certificate the kubeconfig's "
                f"certificate-authority does not trust ({text}); check certificate-authority(-data)",
                target=target,
            )
        if isinstance(error, httpx2.TimeoutException):
            return Unreachable(
                f"{target} failed: no answer from {self.server} in time ({type(error).__name__}); "
                "is the API server overloaded or the network slow?",
                target=target,
            )
        if isinstance(error, httpx2.TransportError):
            return Unreachable(
                f"{target} failed: cannot reach the API server ({text}); is the API server at {self.server} running?",
                target=target,
            )
        return KubeError(f"{target} failed: {text}", target=target)


def _credentials_error(error: LightkubeConfigError, target: str) -> KubeConfigError:
    """A token file or exec credential plugin failed inside the auth flow."""
    return KubeConfigError(
        f"{target} failed: cannot get credentials: {error}; check the user entry of the kubeconfig "
        "(token file, exec plugin) or the service account token",
        target=target,
    )


def _watch_event(line: str, call: ApiCall) -> WatchEvent:
    try:
        event = json.loads(line)
        kind, obj = event["type"], event["object"]
    except (ValueError, KeyError, TypeError) as error:
        raise KubeError(
            f"{call.target}: the watch stream sent a line that is not an event ({line[:200]!r}); "
            "is the server a Kubernetes API server?",
            target=call.target,
        ) from error
    if kind == "ERROR":
        raise error_from_status(obj if isinstance(obj, dict) else {}, target=call.target)
    if kind not in _WATCH_TYPES or not isinstance(obj, dict):
        raise KubeError(f"{call.target}: unknown watch event type {kind!r}", target=call.target)
    return WatchEvent(type=kind, object=obj if kind == "BOOKMARK" else with_type(obj, call.resource))


def _json_object(content: bytes, call: ApiCall, status: int) -> Json:
    try:
        value = json.loads(content)
    except ValueError as error:
        raise KubeError(
            f"{call.target}: the API server answered HTTP {status} with a body that is not JSON ({error}); "
            "is the kubeconfig's server a Kubernetes API server?",
            status=status,
            target=call.target,
        ) from error
    if not isinstance(value, dict):
        raise KubeError(f"{call.target}: expected a JSON object, got {type(value).__name__}", target=call.target)
    return value


def _selectors(label_selector: str | None, field_selector: str | None) -> dict[str, str]:
    params = {}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    return params


def _dry(dry_run: bool) -> dict[str, str]:
    return {"dryRun": "All"} if dry_run else {}


def _short(error: KubeError) -> str:
    if error.status is None:
        return type(error).__name__
    return f"{error.status} {error.reason}".strip()
