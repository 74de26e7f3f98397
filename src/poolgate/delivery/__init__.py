"""Delivery of codes, temporary passwords and notices by e-mail and SMS.

Another module renders the pool's templates; this package gets the final text as a
:class:`Message` and delivers it, to the external sender configured for its channel:

* EMAIL: ``SmtpSender`` when ``POOLGATE_SMTP_URL`` is set (``POOLGATE_SMTP_FROM`` is
  the sender address);
* SMS: ``WebhookSender`` when ``POOLGATE_SMS_WEBHOOK_URL`` is set, otherwise
  ``SnsSender`` when ``POOLGATE_SMS_SNS=1``;
* with neither, the store's outbox is the destination (read by ``poolgate outbox``
  and the testing API).

The outbox also keeps a copy of every message with ``--testing`` (tests read codes
from it whatever the channel), or of all or none with ``POOLGATE_OUTBOX=on|off``;
see ``routing.outbox_channels``.

Transactions. A service that stores a code calls ``sender.send_in(uow, message)``
inside its unit of work and ``sender.deliver(message)`` after the unit of work has
committed (see :class:`TransactionalSender`). So:

* a call that rolls back leaves no outbox row and sends nothing;
* no database transaction (on SQLite, the single write lock) is held during SMTP,
  SNS or HTTP round trips;
* if external delivery fails after the commit, the code stays stored and the outbox
  row stays too; the caller gets ``CodeDeliveryFailureException`` and the user can
  ask for a new code, which is what Cognito's resend operations are for.

``send(message)`` does both steps in a transaction of its own, for callers outside
any unit of work.

Plain codes at rest. An outbox row keeps the plain ``code`` (the code store keeps only
hashes). This is the only plain-text copy at rest, which is why by default the outbox
keeps only the messages it delivers itself (and everything with ``--testing``); it is
short-lived: a row carries the code's own expiry and ``Store.purge_expired`` deletes
it afterwards.

Imports. ``message`` (the value and the protocols) uses only the standard library
and ``poolgate.store.base``; core packages import from there or from this module.
The senders are adapters that import ``poolgate.errors``, ``poolgate.config``,
``poolgate.clock`` and ``poolgate.store.base``; only ``sns`` imports boto3. The
composition root imports ``build_sender`` from ``poolgate.delivery.routing``.
"""

from __future__ import annotations

from poolgate.delivery.message import (
    CHANNELS,
    Channel,
    Message,
    MessageSender,
    Purpose,
    TransactionalSender,
)

__all__ = ["CHANNELS", "Channel", "Message", "MessageSender", "Purpose", "TransactionalSender"]
