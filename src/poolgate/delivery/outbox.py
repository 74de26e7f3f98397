"""``OutboxSender``: records messages in the store's outbox table.

The outbox is where the testing API and local developers read codes. It holds the
only plain-text copy of a code at rest (the code store keeps hashes), so the routing
sender writes to it only for the channels ``routing.outbox_channels`` names; rows carry
the code's own expiry and ``Store.purge_expired`` deletes them after it.
"""

from __future__ import annotations

from poolgate.clock import Clock, SystemClock
from poolgate.delivery.message import Message
from poolgate.store.base import Store, UnitOfWork


class OutboxSender:
    """Writes every message into the outbox; has no external channel of its own."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self._store = store
        self._clock: Clock = clock or SystemClock()

    def send(self, message: Message) -> None:
        """Record ``message`` in a transaction of its own."""
        with self._store.transaction() as uow:
            self.send_in(uow, message)

    def send_in(self, uow: UnitOfWork, message: Message) -> None:
        """Record ``message`` through the caller's open unit of work.

        The row commits or rolls back with the caller's transaction. Store errors
        propagate unchanged: they are internal errors, not delivery failures.
        """
        uow.outbox.add(
            user_pool_id=message.user_pool_id,
            username=message.username,
            channel=message.channel,
            destination=message.destination,
            purpose=str(message.purpose),
            message=message.body,
            code=message.code,
            created_at=self._clock.now(),
            expires_at=message.expires_at,
        )

    def deliver(self, message: Message) -> None:
        """Do nothing: the outbox has no external channel, and ``send_in`` already wrote the row."""
