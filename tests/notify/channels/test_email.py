"""E-mail: messages arrive at a real SMTP server (aiosmtpd) in plain, STARTTLS and TLS modes, with auth."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kaido.config.channels import EmailChannel
from kaido.notify.channels.email import Email, email_message
from kaido.notify.model import DeliveryError
from kaido.sim.tls import TlsMaterial, generate, serving_files
from tests.notify.channels.samples import DASHBOARD, START, alert, notification, refused_port
from tests.support.agent import free_port

PASSWORD = "smtp-pa55word-not-for-logs"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == ("kaido", PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(autouse=True)
async def settle() -> AsyncIterator[None]:
    yield
    # asyncio finishes closing a connection whose TLS upgrade failed on a later turn of the loop;
    # give it those turns before the test's loop closes, or the socket is reported unclosed.
    await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def tls() -> TlsMaterial:
    return generate(now=datetime.now(UTC))


@pytest.fixture
def server_context(tls: TlsMaterial) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with serving_files(tls) as (certfile, keyfile):
        context.load_cert_chain(certfile, keyfile)
    return context


@pytest.fixture
def client_context(tls: TlsMaterial) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=tls.ca_pem.decode())


@pytest.fixture
def smtp():
    """`smtp(**aiosmtpd options)` starts a server on a free port; returns (inbox, port)."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        if options.pop("auth", False):
            options["authenticator"] = inbox.authenticate
            options["auth_required"] = True
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


def config(port: int, **fields: Any) -> EmailChannel:
    data = {"type": "email", "smtpHost": "127.0.0.1", "port": port, "from": "kaido@example.com"}
    data["to"] = ["oncall@example.com", "sre@example.com"]
    return EmailChannel.model_validate(data | fields)


def test_message_has_subject_addresses_and_both_parts() -> None:
    message = email_message(
        notification(alert(), alert(workload="deployment/frontend", resolved_at=START + timedelta(minutes=3))),
        sender="kaido@example.com",
        to=["oncall@example.com"],
    )
    assert message["Subject"] == "[FIRING:1] high-error-rate chatbot-dev"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "FIRING  high-error-rate (critical) on deployment chatbot-dev/backend: 12 error lines" in plain
    assert "RESOLVED  resolved: high-error-rate (critical) on deployment chatbot-dev/frontend" in plain
    assert "resolved: 2026-03-01T12:03:00Z" in plain
    assert f"Open in kaido: {DASHBOARD}" in plain
    assert f'<a href="{DASHBOARD}">Open in kaido</a>' in html.get_content()


def test_html_escapes_alert_text() -> None:
    message = email_message(notification(alert(summary="<script>x</script>")), sender="a@b.c", to=["d@e.f"])
    html = message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()


async def test_plain_delivery(smtp) -> None:
    inbox, port = smtp()
    await Email("mail", config(port, tls="plain"), environ={}).send(notification())
    ((sender, recipients, message),) = inbox.messages
    assert sender == "kaido@example.com"
    assert recipients == ["oncall@example.com", "sre@example.com"]
    assert message["Subject"] == "[FIRING:1] high-error-rate chatbot-dev"
    assert message["From"] == "kaido@example.com"
    assert message["To"] == "oncall@example.com, sre@example.com"
    assert message["X-Kaido-Group-Key"] == "0:alertname=high-error-rate,namespace=chatbot-dev"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    body = message.get_body(("plain",))
    assert body is not None
    assert "12 error lines in the last minute" in body.get_content()


async def test_starttls_with_authentication(smtp, server_context, client_context, secret_file) -> None:
    inbox, port = smtp(tls_context=server_context, require_starttls=True, auth=True)
    channel = Email(
        "mail",
        config(port, tls="starttls", username="kaido", passwordFile=secret_file(PASSWORD)),
        environ={},
        tls_context=client_context,
    )
    await channel.send(notification())
    assert inbox.logins == [("kaido", PASSWORD)]
    assert len(inbox.messages) == 1


async def test_implicit_tls(smtp, server_context, client_context) -> None:
    inbox, port = smtp(ssl_context=server_context)
    await Email("mail", config(port, tls="tls"), environ={}, tls_context=client_context).send(notification())
    assert len(inbox.messages) == 1


async def test_an_untrusted_certificate_is_final(smtp, server_context) -> None:
    inbox, port = smtp(tls_context=server_context, require_starttls=True)
    with pytest.raises(DeliveryError, match="not trusted") as failed:
        await Email("mail", config(port, tls="starttls"), environ={}).send(notification())  # system CAs only
    assert not failed.value.retryable
    assert inbox.messages == []


async def test_wrong_password_is_final_and_not_quoted(smtp, server_context, client_context) -> None:
    inbox, port = smtp(tls_context=server_context, require_starttls=True, auth=True)
    channel = Email(
        "mail",
        config(port, username="kaido", passwordEnv="SMTP_PASSWORD"),
        environ={"SMTP_PASSWORD": PASSWORD + "-old"},
        tls_context=client_context,
    )
    with pytest.raises(DeliveryError) as failed:
        await channel.send(notification())
    assert not failed.value.retryable
    assert str(failed.value).startswith(f"channel mail (email): sending to 127.0.0.1:{port} (starttls) failed")
    assert "check username and the password's Secret" in str(failed.value)
    assert PASSWORD not in str(failed.value)
    assert inbox.messages == []


async def test_an_unreachable_relay_is_retryable() -> None:
    with refused_port() as port, pytest.raises(DeliveryError, match="reachable") as failed:
        await Email("mail", config(port, tls="plain"), environ={}, timeout=5).send(notification())
    assert failed.value.retryable


async def test_a_missing_password_names_the_field(smtp) -> None:
    _, port = smtp()
    channel = Email("mail", config(port, username="kaido", passwordEnv="SMTP_PASSWORD"), environ={})
    with pytest.raises(DeliveryError, match=r"^channel mail \(email\): passwordEnv: SMTP password: .*SMTP_PASSWORD"):
        await channel.send(notification())
