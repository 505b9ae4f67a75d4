"""E-mail through an SMTP relay with aiosmtplib: STARTTLS, implicit TLS or plain; text and HTML parts.

One message per notification, `multipart/alternative` with a plain-text part and an HTML part that
say the same: the title as the subject (`[FIRING:2] high-error-rate chatbot-dev`), then each alert
with its state, severity, where it is, its summary, the other annotations and the labels, and a
link to the dashboard when known. `X-Kaido-Group-Key` lets mail filters sort by alert group.

The password is read at send time and handed to aiosmtplib only. A temporary SMTP answer (4xx), a
dropped or refused connection and timeouts are retried; a permanent answer (5xx), rejected
credentials, refused addresses and an untrusted certificate are final, with what to check.
"""

from __future__ import annotations

import html
import logging
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Final

import aiosmtplib

from kaido.config.channels import EmailChannel
from kaido.notify.channels.render import GENERATOR, alert_headline, alert_summary, rfc3339, scrub, title
from kaido.notify.channels.secrets import channel_secret
from kaido.notify.model import Alert, DeliveryError, Notification

__all__ = ["Email", "email_message"]

log = logging.getLogger(__name__)
_SKIP_ANNOTATIONS: Final = frozenset({"summary"})  # already the alert's first line


def email_message(notification: Notification, *, sender: str, to: Sequence[str]) -> EmailMessage:
    """The message for `notification`: subject, From, To, Date, a text part and an HTML alternative."""
    message = EmailMessage()
    message["Subject"] = title(notification)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(notification.sent_at)
    message["Message-ID"] = make_msgid(idstring=GENERATOR, domain=sender.rpartition("@")[2] or None)
    message["X-Kaido-Group-Key"] = notification.group_key
    message.set_content(_text(notification))
    message.add_alternative(_html(notification), subtype="html")
    return message


def _text(notification: Notification) -> str:
    lines = [title(notification), ""]
    for alert in notification.alerts:
        lines.append(f"{alert.state.upper()}  {alert_headline(alert)}")
        lines += [f"  {key}: {value}" for key, value in _details(alert)]
        lines.append("")
    if notification.dashboard_url:
        lines += [f"Open in kaido: {notification.dashboard_url}", ""]
    lines.append(f"-- \nSent by {GENERATOR} at {rfc3339(notification.sent_at)}; group {_group(notification)}")
    return "\n".join(lines) + "\n"


def _html(notification: Notification) -> str:
    e = html.escape
    parts = [f"<html><body><h2>{e(title(notification))}</h2>"]
    for alert in notification.alerts:
        colour = "#2e7d32" if alert.state == "resolved" else "#c62828"
        parts.append(
            f'<h3><span style="color:{colour}">{e(alert.state.upper())}</span> {e(alert.name or "alert")} '
            f"({e(alert.severity)})</h3><p>{e(alert_summary(alert))}</p><table>"
        )
        parts += [f"<tr><th align='left'>{e(key)}</th><td>{e(value)}</td></tr>" for key, value in _details(alert)]
        parts.append("</table>")
    if notification.dashboard_url:
        parts.append(f'<p><a href="{e(notification.dashboard_url, quote=True)}">Open in kaido</a></p>')
    parts.append(f"<p><small>Sent by {GENERATOR} at {e(rfc3339(notification.sent_at))}; ")
    parts.append(f"group {e(_group(notification))}</small></p></body></html>")
    return "".join(parts) + "\n"


def _details(alert: Alert) -> list[tuple[str, str]]:
    rows = [("started", rfc3339(alert.starts_at))]
    if alert.ends_at is not None:
        rows.append(("resolved", rfc3339(alert.ends_at)))
    rows += [(key, value) for key, value in sorted(alert.annotations.items()) if key not in _SKIP_ANNOTATIONS]
    rows.append(("labels", ", ".join(f"{key}={value}" for key, value in sorted(alert.labels.items()))))
    return rows


def _group(notification: Notification) -> str:
    pairs = ", ".join(f"{key}={value}" for key, value in sorted(notification.group_labels.items()))
    return pairs or notification.group_key


class Email:
    """Mails each notification to the configured addresses."""

    kind = "email"

    def __init__(
        self,
        name: str,
        config: EmailChannel,
        *,
        environ: Mapping[str, str],
        tls_context: ssl.SSLContext | None = None,  # None: the system's trusted CAs
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self._config = config
        self._environ = environ
        self._tls_context = tls_context
        self._timeout = timeout

    async def send(self, notification: Notification) -> None:
        config = self._config
        label = f"channel {self.name} (email)"
        field = "passwordFile" if config.password_file is not None else "passwordEnv"
        password = channel_secret(lambda: config.password(environ=self._environ), channel=label, field=field)
        message = email_message(notification, sender=config.from_, to=config.to)
        try:
            refused, _ = await aiosmtplib.send(
                message,
                sender=config.from_,
                recipients=config.to,
                hostname=config.smtp_host,
                port=config.port,
                username=config.username if password is not None else None,
                password=password,
                use_tls=config.tls == "tls",
                start_tls=config.tls == "starttls",
                tls_context=self._tls_context if config.tls != "plain" else None,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise _delivery_error(error, label=label, config=config, secret=password) from error
        if refused:
            # Some addresses took it; retrying would mail those twice, so the rest is only reported.
            log.warning("%s: %s refused %s", label, config.smtp_host, ", ".join(sorted(refused)))


def _delivery_error(
    error: aiosmtplib.SMTPException | OSError, *, label: str, config: EmailChannel, secret: str | None
) -> DeliveryError:
    server = f"{config.smtp_host}:{config.port}"
    said = scrub(str(error) or type(error).__name__, [secret])
    retryable, hint = _classify(error)
    return DeliveryError(f"{label}: sending to {server} ({config.tls}) failed: {said}; {hint}", retryable=retryable)


def _classify(error: aiosmtplib.SMTPException | OSError) -> tuple[bool, str]:
    """(retryable, what to check) for an SMTP failure."""
    if isinstance(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error):
        return False, "the server's certificate is not trusted; check smtpHost and the relay's certificate"
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return False, "the server rejected the credentials; check username and the password's Secret"
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return False, "the server does not offer this; check tls (starttls, tls or plain) and port"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        temporary = all(400 <= r.code < 500 for r in error.recipients)
        return temporary, "the server refused every address in to; check them"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        if 400 <= error.code < 500:
            return True, "the server is temporarily refusing mail; kaido retries"
        return False, "the server refused the message; check from, to and the relay's rules"
    if isinstance(error, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return True, "is the relay up and reachable from kaido (smtpHost, port)?"
    if isinstance(error, ssl.SSLError):
        return False, "the TLS handshake failed; check tls (starttls on 587, tls on 465, plain) and port"
    if isinstance(error, OSError):
        return True, "is the relay up and reachable from kaido (smtpHost, port)?"
    return True, "kaido retries"
