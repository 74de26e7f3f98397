"""Auth events in ``auth_events``: the ``AuthEventRepo`` protocol.

Events are ordered by creation time, ties broken by event id (the memory log breaks them by
insertion order; with a real clock ties do not happen). The risk, challenge responses and
context data are one JSON document in ``details``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from poolgate.security.model import AuthEvent
from poolgate.store.sql.repos import insert_unique
from poolgate.store.sql.tables import auth_events


class SqlAuthEventRepo:
    """The ``AuthEventRepo`` protocol."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, event: AuthEvent) -> None:
        """Store a new event; ``DuplicateError`` if its id is taken."""
        insert_unique(self._conn, auth_events, _values(event), f"auth event {event.event_id}")

    def update(self, event: AuthEvent) -> None:
        """Replace the stored event with the same id (no-op if there is none)."""
        values = _values(event)
        for fixed in ("event_id", "pool_id", "sub", "created_at"):
            del values[fixed]
        c = auth_events.c
        self._conn.execute(
            sa.update(auth_events)
            .where(c.event_id == event.event_id, c.pool_id == event.pool_id)
            .values(values)
        )

    def get(self, pool_id: str, event_id: str) -> AuthEvent | None:
        c = auth_events.c
        row = self._conn.execute(
            sa.select(auth_events).where(c.pool_id == pool_id, c.event_id == event_id)
        ).one_or_none()
        return None if row is None else _from_row(row)

    def for_user(
        self, pool_id: str, sub: str, *, limit: int, before: str | None = None
    ) -> Sequence[AuthEvent]:
        """The user's events newest first, after the event ``before`` (none if it is unknown)."""
        c = auth_events.c
        query = sa.select(auth_events).where(c.pool_id == pool_id, c.sub == sub)
        if before is not None:
            cursor = self._conn.execute(
                sa.select(c.created_at).where(c.pool_id == pool_id, c.sub == sub, c.event_id == before)
            ).one_or_none()
            if cursor is None:
                return []
            at = cursor.created_at
            query = query.where(sa.or_(c.created_at < at, sa.and_(c.created_at == at, c.event_id < before)))
        query = query.order_by(c.created_at.desc(), c.event_id.desc()).limit(limit)
        return [_from_row(row) for row in self._conn.execute(query)]

    def since_for_ip(self, pool_id: str, ip: str, since: float) -> Sequence[AuthEvent]:
        c = auth_events.c
        query = sa.select(auth_events).where(c.pool_id == pool_id, c.ip == ip, c.created_at >= since)
        return [_from_row(row) for row in self._conn.execute(query.order_by(c.created_at, c.event_id))]

    def purge_before(self, before: float) -> int:
        """Delete events created before ``before`` (the ``created_at`` index keeps it a range
        delete); return how many."""
        result = self._conn.execute(sa.delete(auth_events).where(auth_events.c.created_at < before))
        return int(result.rowcount or 0)


def _values(event: AuthEvent) -> dict[str, Any]:
    details = {
        "risk": dict(event.risk),
        "challenges": [list(pair) for pair in event.challenges],
        "context": dict(event.context),
    }
    return {
        "event_id": event.event_id,
        "pool_id": event.pool_id,
        "sub": event.sub,
        "username": event.username,
        "event_type": event.event_type,
        "created_at": event.created_at,
        "response": event.response,
        "ip": event.ip,
        "device": event.device,
        "user_agent": event.user_agent,
        "analytics_endpoint_id": event.analytics_endpoint_id,
        "feedback": event.feedback,
        "feedback_provider": event.feedback_provider,
        "feedback_at": event.feedback_at,
        "details": json.dumps(details, separators=(",", ":"), sort_keys=True),
    }


def _from_row(row: sa.Row[Any]) -> AuthEvent:
    details = json.loads(row.details)
    return AuthEvent(
        event_id=row.event_id,
        pool_id=row.pool_id,
        sub=row.sub,
        username=row.username,
        event_type=row.event_type,
        created_at=float(row.created_at),
        response=row.response,
        risk=details.get("risk", {}),
        challenges=tuple((str(n), str(r)) for n, r in details.get("challenges", ())),
        ip=row.ip,
        device=row.device,
        user_agent=row.user_agent,
        context=details.get("context", {}),
        analytics_endpoint_id=row.analytics_endpoint_id,
        feedback=row.feedback,
        feedback_provider=row.feedback_provider,
        feedback_at=None if row.feedback_at is None else float(row.feedback_at),
    )
