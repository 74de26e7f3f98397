"""``RoutingSender`` and ``build_sender``: one external sender per channel, and the outbox.

This module is for the composition root (``web/app.py``); core code depends on the
``TransactionalSender`` protocol in ``poolgate.delivery.message`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from poolgate.clock import Clock
from poolgate.config import Settings
from poolgate.delivery.message import CHANNELS, Channel, Message, MessageSender
from poolgate.delivery.outbox import OutboxSender
from poolgate.delivery.smtp import SmtpSender
from poolgate.delivery.webhook import WebhookSender
from poolgate.store.base import Store, UnitOfWork

log = logging.getLogger("poolgate.delivery")


class RoutingSender:
    """Records a message in the outbox when its channel is kept there, then hands it to its
    channel's sender.

    ``recorded`` are the channels whose messages the outbox keeps (default: both); a channel
    with no sender in ``routes`` is delivered to the outbox only. The outbox row is written
    first, so it also records attempts whose external delivery then failed.
    """

    def __init__(
        self,
        outbox: OutboxSender,
        routes: Mapping[Channel, MessageSender] | None = None,
        *,
        recorded: Iterable[Channel] = CHANNELS,
    ) -> None:
        self._outbox = outbox
        self._routes: dict[Channel, MessageSender] = dict(routes or {})
        self._recorded = frozenset(recorded)

    @property
    def routes(self) -> Mapping[Channel, MessageSender]:
        """The external sender of each channel that has one (read-only)."""
        return MappingProxyType(self._routes)

    @property
    def external_channels(self) -> frozenset[Channel]:
        """The channels that leave Poolgate (have a sender besides the outbox)."""
        return frozenset(self._routes)

    @property
    def recorded_channels(self) -> frozenset[Channel]:
        """The channels whose messages the outbox keeps."""
        return self._recorded

    def send(self, message: Message) -> None:
        """Record ``message`` in its own transaction (if its channel is kept), then deliver it externally."""
        if message.channel in self._recorded:
            self._outbox.send(message)
        self.deliver(message)

    def send_in(self, uow: UnitOfWork, message: Message) -> None:
        """Record ``message`` in the caller's transaction (if its channel is kept); call ``deliver``
        after it commits."""
        if message.channel in self._recorded:
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


def outbox_channels(settings: Settings, external: Iterable[Channel]) -> frozenset[Channel]:
    """The channels whose messages the outbox keeps, given those with an ``external`` sender.

    The outbox holds codes and temporary passwords in clear, so by default (``outbox="auto"``)
    it keeps them only where it is their delivery: every channel with ``--testing`` (the testing
    API reads it), else the channels with no external sender. ``"on"`` keeps every message,
    ``"off"`` none.
    """
    if settings.outbox == "on" or (settings.outbox == "auto" and settings.testing):
        return frozenset(CHANNELS)
    if settings.outbox == "off":
        return frozenset()
    sent = frozenset(external)
    return frozenset(channel for channel in CHANNELS if channel not in sent)


def build_sender(settings: Settings, store: Store, *, clock: Clock | None = None) -> RoutingSender:
    """The sender the services use, chosen from the delivery settings.

    EMAIL goes through SMTP when ``smtp_url`` is set. SMS goes to the webhook when
    ``sms_webhook_url`` is set, otherwise through SNS when ``sms_sns`` is true.
    The outbox keeps the messages of the channels :func:`outbox_channels` names; it
    is the only destination of a channel with nothing configured. ``clock`` stamps
    outbox rows (the testing clock, when the server runs with one). Raises
    ``ConfigError`` for a bad SMTP or webhook URL or sender address.
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
    recorded = outbox_channels(settings, routes)
    dropped = [channel for channel in CHANNELS if channel not in routes and channel not in recorded]
    if dropped:
        log.warning(
            "POOLGATE_OUTBOX=off and no sender for %s: those messages (codes included) go nowhere",
            " or ".join(dropped),
        )
    log.info("outbox keeps: %s", ", ".join(sorted(recorded)) or "nothing")
    return RoutingSender(OutboxSender(store, clock), routes, recorded=recorded)
