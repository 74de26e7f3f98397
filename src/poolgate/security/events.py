"""The auth event history: one record per sign-in attempt (and sign-up), with its risk.

An ``AuthEvent`` (``poolgate.security.model``) is written when an attempt starts (``InProgress`` while a challenge is
pending) and updated when it passes or fails. Its ``event_id`` is the ``event_id`` claim of
the tokens the attempt issues. AdminListUserAuthEvents reads them newest first; feedback
(AdminUpdateAuthEventFeedback, UpdateAuthEventFeedback) is stored on the event and read back
by the risk engine through ``as_attempt``.

``AuthEventLog`` is the storage seam; each method is its own short transaction, so callers
never hold one open around a trigger. ``StoreAuthEventLog`` keeps them in the store's
``auth_events`` repository (shared by every worker, kept across restarts);
``MemoryAuthEventLog`` serves unit tests.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from poolgate.errors import NotAuthorizedException
from poolgate.security.model import AuthEvent

if TYPE_CHECKING:
    from poolgate.store.base import Store


class AuthEventLog(Protocol):
    """Where auth events are kept."""

    def add(self, event: AuthEvent) -> None:
        """Store a new event."""

    def update(self, event: AuthEvent) -> None:
        """Replace the stored event with the same ``event_id``."""

    def get(self, pool_id: str, event_id: str) -> AuthEvent | None:
        """The event, or None."""

    def for_user(
        self, pool_id: str, sub: str, *, limit: int, before: str | None = None
    ) -> Sequence[AuthEvent]:
        """The user's events, newest first, after the cursor ``before`` (an event id)."""

    def since_for_ip(self, pool_id: str, ip: str, since: float) -> Sequence[AuthEvent]:
        """Events of any user of the pool from ``ip`` created at or after ``since``."""

    def purge_before(self, before: float) -> int:
        """Delete the events of every pool created before ``before``; return how many."""


class MemoryAuthEventLog:
    """An ``AuthEventLog`` in a dict, for tests."""

    def __init__(self) -> None:
        # Insertion order breaks ties between events created at the same instant.
        self._events: dict[str, AuthEvent] = {}
        self._order: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, event: AuthEvent) -> None:
        with self._lock:
            self._order.setdefault(event.event_id, len(self._order))
            self._events[event.event_id] = event

    def update(self, event: AuthEvent) -> None:
        self.add(event)

    def get(self, pool_id: str, event_id: str) -> AuthEvent | None:
        event = self._events.get(event_id)
        return event if event is not None and event.pool_id == pool_id else None

    def for_user(
        self, pool_id: str, sub: str, *, limit: int, before: str | None = None
    ) -> Sequence[AuthEvent]:
        with self._lock:
            mine = [e for e in self._events.values() if e.pool_id == pool_id and e.sub == sub]
        mine.sort(key=lambda e: (e.created_at, self._order[e.event_id]), reverse=True)
        if before is not None:
            keys = [e.event_id for e in mine]
            mine = mine[keys.index(before) + 1 :] if before in keys else []
        return mine[:limit]

    def since_for_ip(self, pool_id: str, ip: str, since: float) -> Sequence[AuthEvent]:
        with self._lock:
            return [
                e
                for e in self._events.values()
                if e.pool_id == pool_id and e.ip == ip and e.created_at >= since
            ]

    def purge_before(self, before: float) -> int:
        with self._lock:
            old = [key for key, e in self._events.items() if e.created_at < before]
            for key in old:
                del self._events[key]
        return len(old)


class StoreAuthEventLog:
    """An ``AuthEventLog`` over the store; each call is one short transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, event: AuthEvent) -> None:
        with self._store.transaction() as uow:
            uow.auth_events.add(event)

    def update(self, event: AuthEvent) -> None:
        with self._store.transaction() as uow:
            uow.auth_events.update(event)

    def get(self, pool_id: str, event_id: str) -> AuthEvent | None:
        with self._store.transaction(readonly=True) as uow:
            return uow.auth_events.get(pool_id, event_id)

    def for_user(
        self, pool_id: str, sub: str, *, limit: int, before: str | None = None
    ) -> Sequence[AuthEvent]:
        with self._store.transaction(readonly=True) as uow:
            return uow.auth_events.for_user(pool_id, sub, limit=limit, before=before)

    def since_for_ip(self, pool_id: str, ip: str, since: float) -> Sequence[AuthEvent]:
        with self._store.transaction(readonly=True) as uow:
            return uow.auth_events.since_for_ip(pool_id, ip, since)

    def purge_before(self, before: float) -> int:
        with self._store.transaction() as uow:
            return uow.auth_events.purge_before(before)


def feedback_token(key: bytes, pool_id: str, sub: str, event_id: str) -> str:
    """The ``FeedbackToken`` of UpdateAuthEventFeedback: an HMAC binding the event to its pool
    and user (by ``sub``, which survives renames), put into the notification e-mails."""
    message = f"{pool_id}\x00{sub}\x00{event_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_feedback_token(key: bytes, pool_id: str, sub: str, event_id: str, token: str) -> None:
    """Constant-time check of a FeedbackToken; NotAuthorizedException when it does not match."""
    if not hmac.compare_digest(feedback_token(key, pool_id, sub, event_id), token):
        raise NotAuthorizedException("The feedback token is not valid for this event.")
