"""POSTing a JSON body to a receiver and turning its answer into delivered, retryable or final failure.

Every HTTP channel (Slack, PagerDuty, webhook, Alertmanager) goes through `post`, so they agree on
what is worth retrying: no answer (refused, reset, timed out), 408, 425, 429 and 5xx. Any other
status is final, because sending the same body again gets the same answer; the message names the
channel, the URL as it may be shown, the status, the receiver's own words and what to check.
A `Retry-After` on a 429 or 503 travels on the error as `retry_after` for the dispatcher.

Some URLs are credentials: a Slack incoming-webhook URL lets anyone post to the channel. Such a URL
is shown as `https://hooks.slack.com/***`, secrets are scrubbed from anything a server or library
says, and `kaido.notify.channels.secrets` keeps it out of httpx2's own log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx2

from kaido.kube.errors import parse_retry_after
from kaido.notify.channels.render import scrub
from kaido.notify.model import DeliveryError

__all__ = ["URL_OR_CREDENTIALS", "HttpDeliveryError", "Receiver", "post", "show_url", "status_error"]

_RETRYABLE_STATUS: Final = frozenset({408, 425, 429})
_SNIPPET: Final = 200  # characters of a receiver's answer quoted in an error
URL_OR_CREDENTIALS: Final = frozenset({401, 403, 404, 405, 410})  # answers that point at the URL or the secret
_HINTS: Final = {
    400: "the receiver rejected the payload",
    401: "the receiver rejected the credentials; check the secret",
    403: "the receiver refused; check the secret and the receiver's permissions",
    404: "nothing is there; check the URL",
    410: "the receiver is gone (an archived channel, a removed integration); check the URL",
    413: "the payload is too large for the receiver",
    422: "the receiver rejected the payload",
}


class HttpDeliveryError(DeliveryError):
    """A delivery over HTTP failed; `status` is None when no answer came."""

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Receiver:
    """Where a channel posts, and how to speak of it in errors without giving secrets away."""

    channel: str  # "channel team-slack (slack)"
    url: str
    shown: str  # the URL as messages may show it
    hint: str = ""  # what to check when the URL or credentials are refused, in the channel's own terms
    secrets: tuple[str, ...] = ()  # strings that must never appear in a message
    hint_on: frozenset[int] = URL_OR_CREDENTIALS  # the statuses `hint` applies to


def show_url(url: str, *, secret: bool) -> str:
    """`url` fit for messages and logs: only scheme and host when the URL is itself a secret;
    otherwise without user info and with the query masked (tokens often ride there)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    if secret:
        return f"{parts.scheme}://{host}/***"
    return f"{parts.scheme}://{host}{parts.path}" + ("?***" if parts.query else "")


async def post(
    http: httpx2.AsyncClient,
    receiver: Receiver,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    timeout: float,  # noqa: ASYNC109 - the HTTP request's timeout, passed to httpx2
    accept: Callable[[int], bool] = lambda status: 200 <= status < 300,
) -> httpx2.Response:
    """POST `body` (JSON) to the receiver; the response when `accept(status)`, else HttpDeliveryError."""
    sent_headers = {"Content-Type": "application/json", "User-Agent": "kaido"}
    sent_headers.update(headers or {})
    try:
        response = await http.post(receiver.url, content=body, headers=sent_headers, timeout=timeout)
    except httpx2.TimeoutException as error:
        raise HttpDeliveryError(
            f"{receiver.channel}: POST {receiver.shown}: no answer within {timeout:g} s ({type(error).__name__}); "
            "is the receiver up and reachable from kaido?",
            retryable=True,
        ) from _cause(error, receiver)
    except httpx2.HTTPError as error:
        detail = scrub(str(error) or type(error).__name__, (receiver.url, *receiver.secrets))
        retryable = isinstance(error, httpx2.TransportError) and not isinstance(
            error, httpx2.UnsupportedProtocol | httpx2.InvalidURL
        )
        what = "is the receiver up and reachable from kaido?" if retryable else "check the URL"
        raise HttpDeliveryError(
            f"{receiver.channel}: POST {receiver.shown} failed: {detail}; {what}", retryable=retryable
        ) from _cause(error, receiver)
    if accept(response.status_code):
        return response
    raise status_error(receiver, response)


def status_error(receiver: Receiver, response: httpx2.Response) -> HttpDeliveryError:
    """The error for an answer the channel does not accept, retryable for 408/425/429/5xx."""
    status = response.status_code
    retryable = status in _RETRYABLE_STATUS or status >= 500
    said = " ".join(response.text[:_SNIPPET].split())
    said = scrub(said, (receiver.url, *receiver.secrets))
    if retryable:
        hint = "the receiver is busy or failing; kaido retries"
    else:
        hint = _HINTS.get(status, "the receiver refused the notification")
        if receiver.hint and status in receiver.hint_on:
            hint = f"{hint}; {receiver.hint}"
    reason = response.reason_phrase or ""
    message = f"{receiver.channel}: POST {receiver.shown} answered {status} {reason}".rstrip()
    message += (f": {said}" if said else "") + f"; {hint}"
    retry_after = parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
    return HttpDeliveryError(message, retryable=retryable, status=status, retry_after=retry_after)


def _cause(error: Exception, receiver: Receiver) -> Exception | None:
    """Keep the library's exception as the cause unless its text (or a traceback) could show a secret."""
    return None if receiver.secrets else error
