"""SmtpSender against a real aiosmtpd server on 127.0.0.1: plain, login, STARTTLS, implicit TLS."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.unit.delivery._support import free_port, make_message

from poolgate.config import ConfigError
from poolgate.delivery.smtp import SmtpEndpoint, SmtpSender, parse_smtp_url
from poolgate.errors import CodeDeliveryFailureException


class Inbox:
    """An aiosmtpd handler that keeps every envelope and can refuse recipients."""

    def __init__(self, refuse: str | None = None) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse = refuse

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def email(self) -> EmailMessage:
        [envelope] = self.envelopes
        assert isinstance(envelope.content, bytes)
        return message_from_bytes(envelope.content, policy=default_policy)


def _check_login(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"mailer@example.com", b"p@ss:word")
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(inbox: Inbox, **options: Any) -> Iterator[int]:
    """Run aiosmtpd on a free loopback port until the block ends; yield the port."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A (server, client) pair of TLS contexts around a self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "poolgate test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def test_plain_smtp_delivers_subject_body_and_addresses() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        sender = SmtpSender(
            f"smtp://127.0.0.1:{port}", "Example <no-reply@example.com>", local_hostname="localhost"
        )
        sender.send(make_message(subject="Your\nverification  code"))
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "no-reply@example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    email = inbox.email()
    assert email["Subject"] == "Your verification code"
    assert email["From"] == "Example <no-reply@example.com>"
    assert email["To"] == "alice@example.com"
    assert email.get_content_type() == "text/plain"
    assert email.get_content().strip() == "Your confirmation code is 123456"
    assert str(email["Message-ID"]).endswith("@example.com>")


def test_missing_subject_uses_cognitos_default() -> None:
    sender = SmtpSender("smtp://127.0.0.1:1", "no-reply@example.com")
    assert sender.compose(make_message(subject=None))["Subject"] == "Your verification code"


def test_login_with_percent_encoded_credentials() -> None:
    inbox = Inbox()
    with smtp_server(inbox, authenticator=_check_login, auth_require_tls=False) as port:
        url = f"smtp://mailer%40example.com:p%40ss%3Aword@127.0.0.1:{port}"
        SmtpSender(url, "no-reply@example.com", local_hostname="localhost").send(make_message())
        assert len(inbox.envelopes) == 1
        bad = f"smtp://mailer%40example.com:wrong@127.0.0.1:{port}"
        with pytest.raises(CodeDeliveryFailureException, match="credentials") as caught:
            SmtpSender(bad, "no-reply@example.com", local_hostname="localhost").send(make_message())
    assert "wrong" not in caught.value.message


def test_starttls_upgrades_before_login(tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_pair
    inbox = Inbox()
    options = {"tls_context": server_ctx, "require_starttls": True, "authenticator": _check_login}
    with smtp_server(inbox, **options) as port:
        url = f"smtp+starttls://mailer%40example.com:p%40ss%3Aword@127.0.0.1:{port}"
        sender = SmtpSender(url, "no-reply@example.com", ssl_context=client_ctx, local_hostname="localhost")
        sender.send(make_message())
        assert inbox.email()["Subject"] == "Your verification code"
        # The same server refuses a client that does not trust its certificate.
        untrusting = SmtpSender(url, "no-reply@example.com", local_hostname="localhost")
        with pytest.raises(CodeDeliveryFailureException, match="TLS"):
            untrusting.send(make_message())


def test_implicit_tls(tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_pair
    inbox = Inbox()
    with smtp_server(inbox, ssl_context=server_ctx) as port:
        sender = SmtpSender(
            f"smtps://127.0.0.1:{port}",
            "no-reply@example.com",
            ssl_context=client_ctx,
            local_hostname="localhost",
        )
        sender.send(make_message())
    assert inbox.email().get_content().strip() == "Your confirmation code is 123456"


def test_server_down_is_a_delivery_failure() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", "no-reply@example.com", timeout=2)
    with pytest.raises(CodeDeliveryFailureException, match="could not be reached"):
        sender.send(make_message())


def test_refused_recipient_is_a_delivery_failure() -> None:
    inbox = Inbox(refuse="alice@example.com")
    with smtp_server(inbox) as port:
        sender = SmtpSender(f"smtp://127.0.0.1:{port}", "no-reply@example.com", local_hostname="localhost")
        with pytest.raises(CodeDeliveryFailureException, match="refused the recipient"):
            sender.send(make_message())
    assert inbox.envelopes == []


def test_destination_with_a_line_break_is_refused_before_connecting() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", "no-reply@example.com")
    with pytest.raises(CodeDeliveryFailureException, match="destination address is invalid"):
        sender.send(make_message(destination="alice@example.com\r\nBcc: eve@example.com"))


def test_sms_messages_are_a_routing_bug() -> None:
    sender = SmtpSender("smtp://127.0.0.1:1", "no-reply@example.com")
    with pytest.raises(ValueError, match="SMS"):
        sender.send(make_message(channel="SMS", destination="+15555550100"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.local", SmtpEndpoint("none", "mail.local", 25)),
        ("smtp+starttls://u:p@mail.local", SmtpEndpoint("starttls", "mail.local", 587, "u", "p")),
        ("SMTPS://u%40x:p%2F@mail.local:2465", SmtpEndpoint("tls", "mail.local", 2465, "u@x", "p/")),
    ],
)
def test_parse_smtp_url(url: str, expected: SmtpEndpoint) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.local",
        "smtp://",
        "smtp://mail.local:99999",
        "smtp://mail.local/x",
        "smtp://:secret@mail.local",
    ],
)
def test_parse_smtp_url_rejects_bad_urls_without_leaking_passwords(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_smtp_url(url)
    assert "secret" not in str(caught.value)


def test_endpoint_str_hides_the_password() -> None:
    endpoint = parse_smtp_url("smtps://user:hunter2@mail.local")
    assert str(endpoint) == "smtps://user:***@mail.local:465"
    assert "hunter2" not in repr(endpoint)


def test_bad_from_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="POOLGATE_SMTP_FROM"):
        SmtpSender("smtp://mail.local", "not an address")
