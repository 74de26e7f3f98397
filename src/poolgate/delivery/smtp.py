"""``SmtpSender``: plain-text e-mail through an SMTP server, with the standard library.

The server is given as one URL, so it fits in one (secret) setting:

* ``smtp://[user:password@]host[:port]``: no TLS, port 25 by default (a local
  mail catcher such as Mailpit, or a relay on a trusted network);
* ``smtp+starttls://...``: upgrade with STARTTLS before logging in, port 587;
* ``smtps://...``: TLS from the first byte ("implicit TLS"), port 465.

User name and password are percent-decoded, so ``%40`` stands for ``@``. A fresh
connection is opened per message; codes are rare enough that pooling is not worth
its failure modes.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal
from urllib.parse import unquote, urlsplit

from poolgate.config import ConfigError
from poolgate.delivery.message import Message
from poolgate.errors import CodeDeliveryFailureException

log = logging.getLogger("poolgate.delivery")

Security = Literal["none", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}

# Cognito's subject line when a pool has no e-mail verification subject.
DEFAULT_SUBJECT = "Your verification code"


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """A parsed SMTP URL. ``str()`` gives the URL with the password hidden, for logs."""

    security: Security
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        scheme = next(name for name, (sec, _) in _SCHEMES.items() if sec == self.security)
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """Parse an ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL.

    Raises ``ConfigError`` for an unknown scheme, a missing host or a bad port; the
    message never repeats the password.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"POOLGATE_SMTP_URL is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ConfigError(
            f"POOLGATE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {scheme}://"
        )
    if not parts.hostname:
        raise ConfigError("POOLGATE_SMTP_URL has no host name")
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError("POOLGATE_SMTP_URL takes no path or query string")
    security, default_port = _SCHEMES[scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ConfigError("POOLGATE_SMTP_URL has a password but no user name")
    return SmtpEndpoint(security, parts.hostname, port or default_port, username, password)


def _failure_reason(exc: Exception) -> str:
    """A short, client-safe description of an SMTP failure."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the mail server did not accept Poolgate's credentials"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient address"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "the mail server refused the sender address"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the mail server does not support a required extension"
    if isinstance(exc, ssl.SSLError):
        return "the TLS connection to the mail server failed"
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return "the mail server could not be reached"
    # ``SMTPException`` derives from ``OSError``, so any other SMTP reply is handled
    # here, before the plain socket errors below.
    if isinstance(exc, smtplib.SMTPException):
        return "the mail server returned an error"
    if isinstance(exc, OSError):
        return "the mail server could not be reached"
    return "the mail server returned an error"


class SmtpSender:
    """Sends EMAIL messages as plain-text mail through one SMTP server."""

    def __init__(
        self,
        url: str,
        from_address: str,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        """Check the URL and the sender address now, so a bad setting fails at start-up.

        ``ssl_context`` defaults to the system trust store with host-name checks.
        ``local_hostname`` is the EHLO name (default: this machine's FQDN).
        """
        self.endpoint = parse_smtp_url(url)
        _, envelope_from = parseaddr(from_address)
        if "@" not in envelope_from or any(ch in from_address for ch in "\r\n"):
            raise ConfigError(f"POOLGATE_SMTP_FROM is not an e-mail address: {from_address!r}")
        self._from_header = from_address
        self._envelope_from = envelope_from
        self._timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._local_hostname = local_hostname

    def compose(self, message: Message) -> EmailMessage:
        """Build the e-mail for ``message`` (also used by tests to inspect headers)."""
        email = EmailMessage()
        email["From"] = message.sender or self._from_header
        email["To"] = message.destination
        if message.reply_to:
            email["Reply-To"] = message.reply_to
        # Templates may contain line breaks; a header must not.
        email["Subject"] = " ".join((message.subject or DEFAULT_SUBJECT).split()) or DEFAULT_SUBJECT
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = make_msgid(domain=self._envelope_from.rpartition("@")[2])
        email.set_content(message.body)
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html")
        return email

    def send(self, message: Message) -> None:
        """Send ``message`` by e-mail; raise ``CodeDeliveryFailureException`` on failure."""
        if message.channel != "EMAIL":
            raise ValueError(f"SmtpSender cannot send {message.channel} messages")
        try:
            email = self.compose(message)
        except ValueError:
            # The email package rejects header values with line breaks, which here can
            # only come from the destination address.
            raise CodeDeliveryFailureException(
                "Could not deliver the email message: the destination address is invalid."
            ) from None
        try:
            self._transmit(email, message.destination)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning(
                "email for pool %s purpose %s via %s failed: %s: %s",
                message.user_pool_id,
                message.purpose,
                self.endpoint,
                type(exc).__name__,
                exc,
            )
            raise CodeDeliveryFailureException(
                f"Could not deliver the email message: {_failure_reason(exc)}."
            ) from exc

    def _transmit(self, email: EmailMessage, recipient: str) -> None:
        endpoint = self.endpoint
        # The constructors connect and read the greeting; giving them the host (rather
        # than calling ``connect`` later) is what makes smtplib check the certificate
        # against that host name for both implicit TLS and STARTTLS.
        client: smtplib.SMTP
        if endpoint.security == "tls":
            client = smtplib.SMTP_SSL(
                endpoint.host,
                endpoint.port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._ssl_context,
            )
        else:
            client = smtplib.SMTP(
                endpoint.host, endpoint.port, local_hostname=self._local_hostname, timeout=self._timeout
            )
        with client:
            client.ehlo()
            if endpoint.security == "starttls":
                client.starttls(context=self._ssl_context)
                client.ehlo()
            if endpoint.username:
                client.login(endpoint.username, endpoint.password or "")
            client.send_message(email, from_addr=self._envelope_from, to_addrs=[recipient])
