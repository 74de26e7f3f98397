"""The message value and the sender seams that core services depend on.

This module imports only the standard library and ``poolgate.store.base`` (for the
``UnitOfWork`` type), so core packages may import it without pulling in SMTP,
HTTP or boto3 code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from poolgate.store.base import UnitOfWork

Channel = Literal["EMAIL", "SMS"]
CHANNELS: tuple[Channel, ...] = ("EMAIL", "SMS")

# Column widths of the outbox table; a message that does not fit is a programming error.
_MAX_USERNAME = 128
_MAX_DESTINATION = 2048
_MAX_PURPOSE = 64
_MAX_CODE = 64


class Purpose(StrEnum):
    """Why a message is sent. ``Message.purpose`` accepts any short string; these are
    the values Poolgate's own services use."""

    SIGN_UP = "SIGN_UP"
    RESEND_CODE = "RESEND_CODE"
    FORGOT_PASSWORD = "FORGOT_PASSWORD"
    ADMIN_CREATE_USER = "ADMIN_CREATE_USER"
    VERIFY_ATTRIBUTE = "VERIFY_ATTRIBUTE"
    UPDATE_ATTRIBUTE = "UPDATE_ATTRIBUTE"
    MFA = "MFA"


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered e-mail or SMS, ready to send.

    ``body`` (and ``subject`` for e-mail) is the final text after template
    rendering. ``code`` is the plain code contained in the body, if any; it is
    written only to the outbox, so that local developers and tests can read it
    without parsing the body. ``expires_at`` (epoch seconds) is when the outbox row
    may be purged, normally the expiry of the code it carries. ``body`` and ``code``
    are left out of ``repr`` so that a logged message never shows a secret.
    ``html_body`` (an HTML alternative of ``body``), ``sender`` (the From header) and
    ``reply_to`` are set only by notices that carry their own (threat protection's
    account-takeover e-mails); senders without those notions ignore them.
    """

    user_pool_id: str
    username: str
    channel: Channel
    destination: str
    purpose: str
    subject: str | None
    body: str = field(repr=False)
    code: str | None = field(repr=False)
    expires_at: float
    html_body: str | None = field(default=None, repr=False)
    sender: str | None = None
    reply_to: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be EMAIL or SMS, not {self.channel!r}")
        if not self.destination.strip() or len(self.destination) > _MAX_DESTINATION:
            raise ValueError("destination must be a non-empty address of at most 2048 characters")
        if not self.username or len(self.username) > _MAX_USERNAME:
            raise ValueError("username must be 1 to 128 characters")
        if not self.purpose or len(self.purpose) > _MAX_PURPOSE:
            raise ValueError("purpose must be 1 to 64 characters")
        if self.code is not None and len(self.code) > _MAX_CODE:
            raise ValueError("code must be at most 64 characters")


class MessageSender(Protocol):
    """Something that delivers a message on its own (SMTP, SNS, a webhook, the outbox)."""

    def send(self, message: Message) -> None:
        """Deliver ``message``; return once the receiving system has accepted it.

        Raises ``poolgate.errors.CodeDeliveryFailureException`` when delivery fails,
        with a message that says which channel failed and why, but no credentials or
        internal addresses.
        """
        ...


class TransactionalSender(MessageSender, Protocol):
    """A sender whose outbox record can join the caller's transaction.

    A service that stores a code and sends it should call ``send_in(uow, message)``
    inside its unit of work, and ``deliver(message)`` after the unit of work has
    committed. A rolled-back call then leaves neither an outbox row nor an e-mail or
    SMS, and no database transaction is held open during network I/O. ``send`` does
    both steps in its own transaction, for callers that have none.
    """

    def send_in(self, uow: UnitOfWork, message: Message) -> None:
        """Record ``message`` in the outbox through the caller's open ``uow``."""
        ...

    def deliver(self, message: Message) -> None:
        """Hand ``message`` to the external channel, if one is configured for it.

        Raises ``CodeDeliveryFailureException`` if that channel fails.
        """
        ...
