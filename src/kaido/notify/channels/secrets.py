"""A channel's secrets: read when sending, named by field when missing, and kept out of every log line.

Secrets are read at send time (a rotated Secret takes effect without a restart), so a missing file
or variable is a delivery failure of that channel, not a start-up failure of kaido; the error names
the channel and the policy field to fix, never the secret. A secret that is a URL (Slack's webhook)
would otherwise show up in httpx2's "HTTP Request: POST <url>" line whenever that logger is at
INFO, so channels register such secrets with the `LogRedactor` installed on httpx2's logger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

from kaido.config.channels import SecretError
from kaido.notify.channels.render import scrub
from kaido.notify.model import DeliveryError

__all__ = ["LogRedactor", "channel_secret", "log_redactor"]

T = TypeVar("T")
_CAPACITY: Final = 256  # old secrets stay masked after a rotation, within reason


def channel_secret(read: Callable[[], T], *, channel: str, field: str) -> T:
    """`read()`, with a SecretError turned into a final DeliveryError naming the channel and field.

    Not retryable: a missing file or variable stays missing for the seconds a retry waits.
    """
    try:
        return read()
    except SecretError as error:
        raise DeliveryError(f"{channel}: {field}: {error}", retryable=False) from error


class LogRedactor(logging.Filter):
    """Masks registered secrets in every record of the logger it is installed on."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: dict[str, None] = {}  # an insertion-ordered set: the oldest is dropped first

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if secret:
                self._secrets.pop(secret, None)
                self._secrets[secret] = None
        while len(self._secrets) > _CAPACITY:
            del self._secrets[next(iter(self._secrets))]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            masked = scrub(message, self._secrets)
            if masked != message:
                record.msg, record.args = masked, None
        return True


def log_redactor(logger_name: str = "httpx2") -> LogRedactor:
    """The redactor on `logger_name`, installed on first use; the logger itself keeps it, not a global."""
    logger = logging.getLogger(logger_name)
    for existing in logger.filters:
        if isinstance(existing, LogRedactor):
            return existing
    redactor = LogRedactor()
    logger.addFilter(redactor)
    return redactor
