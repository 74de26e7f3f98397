"""build_sender: which external sender each channel gets, from settings and the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.delivery._support import make_message

from poolgate.config import ConfigError, Settings, settings_from_env
from poolgate.delivery import Message
from poolgate.delivery.outbox import OutboxSender
from poolgate.delivery.routing import RoutingSender, build_sender
from poolgate.delivery.smtp import SmtpSender
from poolgate.delivery.sns import SnsSender
from poolgate.delivery.webhook import WebhookSender
from poolgate.store.sql import SqlStore, memory_store


@pytest.fixture
def store() -> Iterator[SqlStore]:
    with memory_store() as store:
        yield store


def _routes(sender: RoutingSender) -> dict[str, type]:
    return {channel: type(route) for channel, route in sender.routes.items()}


def test_nothing_configured_means_outbox_only(store: SqlStore) -> None:
    sender = build_sender(Settings(), store)
    assert sender.external_channels == frozenset()


def test_smtp_and_webhook(store: SqlStore) -> None:
    settings = Settings(smtp_url="smtp://mail.local", sms_webhook_url="http://127.0.0.1:9/sms", sms_sns=True)
    sender = build_sender(settings, store)
    # The webhook wins over SNS when both are configured.
    assert _routes(sender) == {"EMAIL": SmtpSender, "SMS": WebhookSender}


def test_sns_for_sms(store: SqlStore) -> None:
    sender = build_sender(Settings(sms_sns=True), store)
    try:
        assert _routes(sender) == {"SMS": SnsSender}
    finally:
        sender.close()


def test_bad_smtp_url_fails_at_build_time(store: SqlStore) -> None:
    with pytest.raises(ConfigError, match="POOLGATE_SMTP_URL"):
        build_sender(Settings(smtp_url="mail.local:25"), store)


def test_delivery_settings_from_env(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-url"
    secret.write_text("smtps://user:pa%24s@mail.local\n")
    settings = settings_from_env(
        {
            "POOLGATE_SMTP_URL_FILE": str(secret),
            "POOLGATE_SMTP_FROM": "Example <no-reply@example.com>",
            "POOLGATE_SMS_WEBHOOK_URL": "https://hooks.example.com/sms",
            "POOLGATE_SMS_SNS": "1",
        }
    )
    assert settings.smtp_url == "smtps://user:pa%24s@mail.local"
    assert settings.smtp_from == "Example <no-reply@example.com>"
    assert settings.sms_webhook_url == "https://hooks.example.com/sms"
    assert settings.sms_sns is True


def test_delivery_defaults() -> None:
    settings = settings_from_env({})
    assert (settings.smtp_url, settings.sms_webhook_url, settings.sms_sns) == (None, None, False)
    assert settings.smtp_from == "no-reply@verificationemail.com"


# Issue 15 item 11: the outbox keeps codes in clear only where it is their delivery.


@pytest.mark.parametrize(
    ("outbox", "testing", "smtp", "kept"),
    [
        ("auto", False, False, {"EMAIL", "SMS"}),  # nothing configured: the outbox is the delivery
        ("auto", False, True, {"SMS"}),  # e-mail leaves by SMTP, so its codes are not kept
        ("auto", True, True, {"EMAIL", "SMS"}),  # --testing: the testing API reads every code
        ("on", False, True, {"EMAIL", "SMS"}),
        ("off", False, False, set()),
        ("off", True, False, set()),
    ],
)
def test_outbox_keeps_codes_only_where_it_is_the_delivery(
    store: SqlStore, outbox: str, testing: bool, smtp: bool, kept: set[str]
) -> None:
    settings = Settings(outbox=outbox, testing=testing, smtp_url="smtp://127.0.0.1:9" if smtp else None)
    sender = build_sender(settings, store)
    assert sender.recorded_channels == kept
    # An external sender that accepts everything stands in for SMTP.
    routes = {"EMAIL": _Accepting()} if smtp else {}
    sender = RoutingSender(OutboxSender(store), routes, recorded=sender.recorded_channels)  # type: ignore[arg-type]
    sender.send(make_message(channel="EMAIL", destination="alice@example.com", code="111111"))
    with store.transaction() as uow:
        sender.send_in(uow, make_message(channel="SMS", destination="+15555550100", code="222222"))
    with store.transaction(readonly=True) as uow:
        codes = {m.channel: m.code for m in uow.outbox.list(None, None)}
    assert set(codes) == kept
    assert all(codes[channel] == {"EMAIL": "111111", "SMS": "222222"}[channel] for channel in codes)


class _Accepting:
    def send(self, message: Message) -> None:
        return None


def test_outbox_setting_from_env() -> None:
    assert settings_from_env({}).outbox == "auto"
    assert settings_from_env({"POOLGATE_OUTBOX": "OFF"}).outbox == "off"
    with pytest.raises(ConfigError, match="POOLGATE_OUTBOX"):
        settings_from_env({"POOLGATE_OUTBOX": "sometimes"})
