"""The message value, OutboxSender (own and caller's transactions) and RoutingSender."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.delivery._support import make_message

from poolgate.clock import FrozenClock
from poolgate.delivery import Message, TransactionalSender
from poolgate.delivery.outbox import OutboxSender
from poolgate.delivery.routing import RoutingSender
from poolgate.errors import CodeDeliveryFailureException
from poolgate.store.sql import SqlStore, memory_store


@pytest.fixture
def store() -> Iterator[SqlStore]:
    with memory_store() as store:
        yield store


class Recorder:
    """An external sender that keeps what it was given, or fails on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail:
            raise CodeDeliveryFailureException("Could not deliver the SMS message: test.")
        self.sent.append(message)


def test_message_hides_body_and_code_from_repr() -> None:
    text = repr(make_message())
    assert "123456" not in text
    assert "alice@example.com" in text


@pytest.mark.parametrize(
    "changes",
    [
        {"channel": "FAX"},
        {"destination": "  "},
        {"destination": "a" * 2049},
        {"username": ""},
        {"purpose": "P" * 65},
        {"code": "1" * 65},
    ],
)
def test_message_rejects_values_the_outbox_cannot_hold(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_message(**changes)


def test_outbox_send_records_every_field(store: SqlStore) -> None:
    clock = FrozenClock(1_800_000_000.0)
    OutboxSender(store, clock).send(make_message(channel="SMS", destination="+15555550100", subject=None))
    with store.transaction() as uow:
        [row] = uow.outbox.list("us-east-1_Example1", "alice")
    assert (row.channel, row.destination, row.purpose) == ("SMS", "+15555550100", "SIGN_UP")
    assert (row.message, row.code) == ("Your confirmation code is 123456", "123456")
    assert (row.created_at, row.expires_at) == (1_800_000_000.0, 1_800_086_400.0)


def test_outbox_row_joins_the_callers_transaction(store: SqlStore) -> None:
    sender = OutboxSender(store)
    with pytest.raises(RuntimeError), store.transaction() as uow:
        sender.send_in(uow, make_message())
        raise RuntimeError("the service call failed after storing its code")
    with store.transaction() as uow:
        assert uow.outbox.list(None, None) == []
        sender.send_in(uow, make_message(username="bob"))
    with store.transaction() as uow:
        assert [row.username for row in uow.outbox.list(None, None)] == ["bob"]


def test_routing_sender_records_then_delivers_by_channel(store: SqlStore) -> None:
    sms = Recorder()
    sender: TransactionalSender = RoutingSender(OutboxSender(store), {"SMS": sms})
    sender.send(make_message())
    sender.send(make_message(channel="SMS", destination="+15555550100"))
    assert [m.destination for m in sms.sent] == ["+15555550100"]
    with store.transaction() as uow:
        assert [row.channel for row in uow.outbox.list(None, None)] == ["EMAIL", "SMS"]


def test_routing_sender_send_in_then_deliver_after_commit(store: SqlStore) -> None:
    sms = Recorder()
    sender = RoutingSender(OutboxSender(store), {"SMS": sms})
    message = make_message(channel="SMS", destination="+15555550100")
    with store.transaction() as uow:
        sender.send_in(uow, message)
        assert sms.sent == []
    sender.deliver(message)
    assert sms.sent == [message]


def test_failed_external_delivery_keeps_the_outbox_row(store: SqlStore) -> None:
    sender = RoutingSender(OutboxSender(store), {"SMS": Recorder(fail=True)})
    with pytest.raises(CodeDeliveryFailureException, match="SMS"):
        sender.send(make_message(channel="SMS", destination="+15555550100"))
    with store.transaction() as uow:
        assert len(uow.outbox.list(None, None)) == 1


def test_outbox_sender_alone_is_a_transactional_sender(store: SqlStore) -> None:
    sender: TransactionalSender = OutboxSender(store)
    message = make_message()
    with store.transaction() as uow:
        sender.send_in(uow, message)
    sender.deliver(message)
    with store.transaction() as uow:
        assert len(uow.outbox.list(None, None)) == 1
