"""build_sender: which external sender each channel gets, from settings and the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poolgate.config import ConfigError, Settings, settings_from_env
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
