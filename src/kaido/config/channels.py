"""Notification channels, a union discriminated on `type`, and the secrets they reference.

Secrets never appear in the policy: a channel names a file (a mounted Secret) or an environment
variable that holds each one, and `read_secret` fetches it when the channel sends. Writing a
secret inline (`webhookUrl: https://hooks.slack.com/...`) is a validation error that says which
key to use instead, because a policy lives in a ConfigMap that many people can read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar, Final, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from kaido.config.base import PolicyModel
from kaido.config.durations import Duration
from kaido.core.errors import ConfigError

__all__ = [
    "AlertmanagerChannel",
    "Channel",
    "EmailChannel",
    "KubernetesEventsChannel",
    "PagerDutyChannel",
    "SecretError",
    "SlackChannel",
    "WebhookChannel",
    "read_secret",
]

_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretError(ConfigError):
    """A secret a channel references cannot be read."""


def read_secret(*, file: str | None, env: str | None, environ: Mapping[str, str], what: str) -> str:
    """The secret held in `file` or in the environment variable `env` (surrounding whitespace removed)."""
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise SecretError(f"{what}: cannot read {file} ({e.strerror}); mount the Secret there") from e
        where = f"file {file}"
    elif env is not None:
        if env not in environ:
            raise SecretError(f"{what}: environment variable {env} is not set; set it in the agent's pod spec")
        value, where = environ[env].strip(), f"environment variable {env}"
    else:
        raise SecretError(f"{what}: no file or environment variable is configured")
    if not value:
        raise SecretError(f"{what}: {where} is empty; put the secret in it")
    return value


def _check_env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not an environment variable name (letters, digits and '_')")
    if name.upper().startswith("KAIDO_"):
        raise ValueError(f"{name!r}: KAIDO_ variables are policy overrides; name the secret's variable otherwise")
    return name


def _check_file(path: str) -> str:
    if not path.strip():
        raise ValueError("an empty file path; write the path where the Secret is mounted")
    return path


SecretEnv = Annotated[str, AfterValidator(_check_env_name)]
"""The name of an environment variable that holds a secret."""

SecretFile = Annotated[str, AfterValidator(_check_file)]
"""The path of a file (usually a mounted Secret) that holds a secret."""


def _at_most_one(file: str | None, env: str | None, key: str, *, required: bool) -> None:
    if file is not None and env is not None:
        raise ValueError(f"set {key}File or {key}Env, not both")
    if required and file is None and env is None:
        raise ValueError(f"set {key}File (a mounted Secret) or {key}Env (an environment variable)")


class SlackChannel(PolicyModel):
    """A Slack incoming webhook."""

    inline_secrets: ClassVar[Mapping[str, str]] = {"webhookUrl": "webhookUrl"}
    type: Literal["slack"]
    webhook_url_file: SecretFile | None = None
    webhook_url_env: SecretEnv | None = None
    channel: str | None = None  # overrides the webhook's default channel

    @model_validator(mode="after")
    def _reference(self) -> Self:
        _at_most_one(self.webhook_url_file, self.webhook_url_env, "webhookUrl", required=True)
        return self

    def webhook_url(self, *, environ: Mapping[str, str]) -> str:
        return read_secret(
            file=self.webhook_url_file, env=self.webhook_url_env, environ=environ, what="slack webhook URL"
        )


class EmailChannel(PolicyModel):
    """Mail through an SMTP relay."""

    inline_secrets: ClassVar[Mapping[str, str]] = {"password": "password"}
    type: Literal["email"]
    smtp_host: str
    port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["starttls", "tls", "plain"] = "starttls"
    from_: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password_file: SecretFile | None = None
    password_env: SecretEnv | None = None

    @field_validator("from_", "to")
    @classmethod
    def _addresses(cls, value: str | list[str]) -> str | list[str]:
        for address in [value] if isinstance(value, str) else value:
            if "@" not in address.strip("@"):
                raise ValueError(f"{address!r} is not a mail address (name@example.com)")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        _at_most_one(self.password_file, self.password_env, "password", required=False)
        if (self.password_file or self.password_env) and not self.username:
            raise ValueError("a password needs a username; set username")
        return self

    def password(self, *, environ: Mapping[str, str]) -> str | None:
        if self.password_file is None and self.password_env is None:
            return None
        return read_secret(file=self.password_file, env=self.password_env, environ=environ, what="SMTP password")


class PagerDutyChannel(PolicyModel):
    """PagerDuty Events API v2."""

    inline_secrets: ClassVar[Mapping[str, str]] = {"routingKey": "routingKey", "serviceKey": "routingKey"}
    type: Literal["pagerduty"]
    routing_key_file: SecretFile | None = None
    routing_key_env: SecretEnv | None = None
    url: str = "https://events.pagerduty.com/v2/enqueue"

    @model_validator(mode="after")
    def _reference(self) -> Self:
        _at_most_one(self.routing_key_file, self.routing_key_env, "routingKey", required=True)
        return self

    def routing_key(self, *, environ: Mapping[str, str]) -> str:
        return read_secret(
            file=self.routing_key_file, env=self.routing_key_env, environ=environ, what="PagerDuty routing key"
        )


class WebhookChannel(PolicyModel):
    """A JSON POST to any URL, optionally signed with HMAC-SHA256."""

    inline_secrets: ClassVar[Mapping[str, str]] = {"hmacSecret": "hmacSecret", "secret": "hmacSecret"}
    type: Literal["webhook"]
    url: str
    hmac_secret_file: SecretFile | None = None
    hmac_secret_env: SecretEnv | None = None
    timeout: Duration = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _reference(self) -> Self:
        _at_most_one(self.hmac_secret_file, self.hmac_secret_env, "hmacSecret", required=False)
        return self

    def hmac_secret(self, *, environ: Mapping[str, str]) -> str | None:
        if self.hmac_secret_file is None and self.hmac_secret_env is None:
            return None
        return read_secret(
            file=self.hmac_secret_file, env=self.hmac_secret_env, environ=environ, what="webhook HMAC secret"
        )


class AlertmanagerChannel(PolicyModel):
    """An Alertmanager, which does its own routing (POST /api/v2/alerts)."""

    type: Literal["alertmanager"]
    url: str


class KubernetesEventsChannel(PolicyModel):
    """A Kubernetes Event on the affected object; needs no setup."""

    type: Literal["kubernetes-events"] = "kubernetes-events"


Channel = Annotated[
    SlackChannel | EmailChannel | PagerDutyChannel | WebhookChannel | AlertmanagerChannel | KubernetesEventsChannel,
    Field(discriminator="type"),
]
