"""Contract tests for AuthEventRepo on every backend: storage round trip, update, listing
newest first with a cursor, the per-IP window, pool isolation and the cascade from pools."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.store._support import OTHER_POOL, POOL, add_pools

from poolgate.security.events import StoreAuthEventLog
from poolgate.security.model import AuthEvent
from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore

NOW = 1_700_000_000.0


def event(
    n: int, *, pool_id: str = POOL, sub: str = "sub-a", at: float | None = None, **changes: object
) -> AuthEvent:
    made = AuthEvent(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        pool_id=pool_id,
        sub=sub,
        username="alice",
        event_type="SignIn",
        created_at=NOW + n if at is None else at,
        ip="192.0.2.1",
        user_agent="Mozilla/5.0 ✓",
    )
    return replace(made, **changes)  # type: ignore[arg-type]


@pytest.fixture
def log(store: SqlStore) -> StoreAuthEventLog:
    add_pools(store)
    return StoreAuthEventLog(store)


def test_round_trip_keeps_every_member(log: StoreAuthEventLog) -> None:
    full = event(
        1,
        response="Fail",
        risk={
            "RiskDecision": "AccountTakeover",
            "RiskLevel": "High",
            "CompromisedCredentialsDetected": True,
            "signals": ["new_ip", "new_device"],
        },
        challenges=(("Password", "Success"), ("Mfa", "Failure")),
        device="fingerprint",
        context={"EncodedData": "abc"},
        analytics_endpoint_id="endpoint-1",
        feedback="Valid",
        feedback_provider="Admin",
        feedback_at=NOW + 5.0,
    )
    log.add(full)
    assert log.get(POOL, full.event_id) == full
    assert log.get(OTHER_POOL, full.event_id) is None
    assert log.get(POOL, "missing") is None


def test_add_twice_is_a_duplicate(log: StoreAuthEventLog) -> None:
    log.add(event(1))
    with pytest.raises(DuplicateError):
        log.add(event(1))


def test_update_replaces_the_mutable_members(log: StoreAuthEventLog) -> None:
    log.add(event(1))
    changed = replace(
        event(1),
        response="Pass",
        challenges=(("Password", "Success"),),
        feedback="Invalid",
        feedback_provider="Admin",
        feedback_at=NOW + 9.0,
    )
    log.update(changed)
    assert log.get(POOL, changed.event_id) == changed
    log.update(event(2))  # unknown: nothing happens
    assert log.get(POOL, event(2).event_id) is None


def test_for_user_newest_first_with_cursor(log: StoreAuthEventLog) -> None:
    for n in (3, 1, 4, 2):
        log.add(event(n))
    log.add(event(5, sub="sub-b"))
    log.add(event(6, pool_id=OTHER_POOL))
    ids = [e.event_id for e in log.for_user(POOL, "sub-a", limit=10)]
    assert ids == [event(n).event_id for n in (4, 3, 2, 1)]
    page = log.for_user(POOL, "sub-a", limit=2)
    assert [e.event_id for e in page] == [event(4).event_id, event(3).event_id]
    rest = log.for_user(POOL, "sub-a", limit=10, before=page[-1].event_id)
    assert [e.event_id for e in rest] == [event(2).event_id, event(1).event_id]
    assert log.for_user(POOL, "sub-a", limit=10, before="unknown") == []


def test_for_user_ties_are_stable(log: StoreAuthEventLog) -> None:
    for n in (1, 2, 3):
        log.add(event(n, at=NOW))
    first = log.for_user(POOL, "sub-a", limit=1)
    rest = log.for_user(POOL, "sub-a", limit=10, before=first[0].event_id)
    assert len(rest) == 2 and first[0] not in rest


def test_since_for_ip(log: StoreAuthEventLog) -> None:
    log.add(event(1))
    log.add(event(2, sub="sub-b"))
    log.add(event(3, ip="198.51.100.9"))
    log.add(event(4, pool_id=OTHER_POOL))
    found = log.since_for_ip(POOL, "192.0.2.1", NOW + 1.5)
    assert [e.event_id for e in found] == [event(2).event_id]
    assert len(log.since_for_ip(POOL, "192.0.2.1", NOW)) == 2


def test_deleting_the_pool_deletes_its_events(store: SqlStore, log: StoreAuthEventLog) -> None:
    log.add(event(1))
    log.add(event(2, pool_id=OTHER_POOL))
    with store.transaction() as uow:
        uow.pools.delete(POOL)
    assert log.get(POOL, event(1).event_id) is None
    assert log.get(OTHER_POOL, event(2).event_id) is not None
