"""``RoutingSender`` and ``build_sender``: the outbox plus one external sender per channel.

This module is for the composition root (``web/app.py``); core code depends on the
``TransactionalSender`` protocol in ``poolgate.delivery.message`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from poolgate.clock import Clock
from poolgate.config import Settings
from poolgate.delivery.message import Channel, Message, MessageSender
from poolgate.delivery.outbox import OutboxSender
from poolgate.delivery.smtp import SmtpSender
from poolgate.delivery.webhook import WebhookSender
from poolgate.store.base import Store, UnitOfWork

log = logging.getLogger("poolgate.delivery")


class RoutingSender:
    """Records every message in the outbox, then hands it to its channel's sender.

    A channel with no sender in ``routes`` is delivered to the outbox only. The
    outbox row is written first, so it also records attempts whose external
    delivery then failed.
    """

    def __init__(self, outbox: OutboxSender, routes: Mapping[Channel, MessageSender] | None = None) -> None:
        self._outbox = outbox
        self._routes: dict[Channel, MessageSender] = dict(routes or {})

    @property
    def routes(self) -> Mapping[Channel, MessageSender]:
        """The external sender of each channel that has one (read-only)."""
        return MappingProxyType(self._routes)

    @property
    def external_channels(self) -> frozenset[Channel]:
        """The channels that leave Poolgate (have a sender besides the outbox)."""
        return frozenset(self._routes)

    def send(self, message: Message) -> None:
        """Record ``message`` in its own transaction, then deliver it externally."""
        self._outbox.send(message)
        self.deliver(message)

    def send_in(self, uow: UnitOfWork, message: Message) -> None:
        """Record ``message`` in the caller's transaction; call ``deliver`` after it commits."""
        self._outbox.send_in(uow, message)

    def deliver(self, message: Message) -> None:
        """Send ``message`` through its channel's external sender, if there is one.

        Raises ``CodeDeliveryFailureException`` if that sender fails.
        """
        sender = self._routes.get(message.channel)
        if sender is not None:
            sender.send(message)

    def close(self) -> None:
        """Release the external senders' connections (the SNS client keeps a pool)."""
        for sender in self._routes.values():
            close = getattr(sender, "close", None)
            if callable(close):
                close()


def build_sender(settings: Settings, store: Store, *, clock: Clock | None = None) -> RoutingSender:
    """The sender the services use, chosen from the delivery settings.

    EMAIL goes through SMTP when ``smtp_url`` is set. SMS goes to the webhook when
    ``sms_webhook_url`` is set, otherwise through SNS when ``sms_sns`` is true.
    Every message is also recorded in the outbox, which is the only destination of
    a channel with nothing configured. ``clock`` stamps outbox rows (the testing
    clock, when the server runs with one). Raises ``ConfigError`` for a bad SMTP or
    webhook URL or sender address.
    """
    routes: dict[Channel, MessageSender] = {}
    if settings.smtp_url:
        smtp = SmtpSender(settings.smtp_url, settings.smtp_from)
        routes["EMAIL"] = smtp
        log.info("email delivery: SMTP %s", smtp.endpoint)
    if settings.sms_webhook_url:
        routes["SMS"] = WebhookSender(settings.sms_webhook_url)
        log.info("SMS delivery: webhook")
    elif settings.sms_sns:
        # Imported here so that boto3 is loaded only when SNS is in use.
        from poolgate.delivery.sns import SnsSender

        routes["SMS"] = SnsSender(default_region=settings.region)
        log.info("SMS delivery: Amazon SNS")
    return RoutingSender(OutboxSender(store, clock), routes)
