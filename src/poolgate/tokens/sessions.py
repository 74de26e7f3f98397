"""Refresh-token checks and rotation bookkeeping (tokens.md §8, auth-flows.md §4.3-4.4).

A refresh token is usable when its token session exists, belongs to the pool and client
asking, has not been revoked (itself or any session of its sign-in), has not expired, has
not been rotated out beyond its grace period, matches the device it was bound to, and
its user exists and is enabled.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from poolgate.errors import CognitoError, NotAuthorizedException, RefreshTokenReuseException
from poolgate.pools.model import AppClient
from poolgate.store.base import UnitOfWork
from poolgate.tokens.model import TokenSession
from poolgate.tokens.refresh import refresh_token_hash
from poolgate.tokens.verify import REVOKED_BEFORE_SETTING
from poolgate.users.model import User

INVALID = "Invalid Refresh Token."
REVOKED = "Refresh Token has been revoked"
REUSED = "Refresh Token has been reused"


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    """A client's ``RefreshTokenRotation``: on or off, and the grace period of a replaced token."""

    enabled: bool
    grace_seconds: int


def rotation(client: AppClient) -> RotationPolicy:
    """The client's refresh-token rotation settings (off when not configured)."""
    config = client.config.get("RefreshTokenRotation") or {}
    return RotationPolicy(
        enabled=config.get("Feature") == "ENABLED",
        grace_seconds=int(config.get("RetryGracePeriodSeconds") or 0),
    )


def check_client_secret(client: AppClient, client_secret: str | None, error: type[CognitoError]) -> None:
    """Raise ``error`` unless a client with a secret was sent that secret (constant-time).

    A secret sent to a client without one is ignored, as a stray SECRET_HASH is."""
    if client.client_secret is None:
        return
    if not client_secret:
        raise error(f"Client {client.client_id} is configured for secret but secret was not received")
    if not hmac.compare_digest(client.client_secret.encode(), client_secret.encode()):
        raise error("Invalid client secret.")


def find(uow: UnitOfWork, pool_id: str, client: AppClient, refresh_token: str) -> tuple[TokenSession, User]:
    """The token session of ``refresh_token`` (locked for this transaction) and its user.

    Raises NotAuthorizedException ``Invalid Refresh Token.`` when the token is unknown, was
    issued for another pool or client, or its user no longer exists."""
    session = uow.token_sessions.get(refresh_token_hash(refresh_token), for_update=True)
    if session is None or session.user_pool_id != pool_id or session.client_id != client.client_id:
        raise NotAuthorizedException(INVALID)
    user = uow.users.get(pool_id, session.sub)
    if user is None:
        raise NotAuthorizedException(INVALID)
    return session, user


def _signed_out_after(session: TokenSession, user: User) -> bool:
    # A global sign-out revokes every session it finds; this also catches a session whose
    # sign-in happened before the sign-out but was stored by a transaction that overlapped it.
    value = user.settings.get(REVOKED_BEFORE_SETTING)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return session.auth_time < float(value)


def check_usable(
    uow: UnitOfWork,
    session: TokenSession,
    user: User,
    device_key: str | None,
    now: float,
    *,
    rotating: bool,
) -> None:
    """Raise unless the session may mint new tokens now.

    ``rotating`` is True on GetTokensFromRefreshToken, where a rotated-out token used after
    its grace period is RefreshTokenReuseException; on REFRESH_TOKEN_AUTH it is
    ``Invalid Refresh Token.`` (that operation's error list has no reuse error)."""
    if (
        session.revoked_at is not None
        or uow.token_sessions.origin_revoked(session.user_pool_id, session.origin_jti)
        or _signed_out_after(session, user)
    ):
        raise NotAuthorizedException(REVOKED)
    if now >= session.expires_at:
        raise NotAuthorizedException(INVALID)
    if session.replaced_by is not None and (session.grace_until is None or now >= session.grace_until):
        if rotating:
            raise RefreshTokenReuseException(REUSED)
        raise NotAuthorizedException(INVALID)
    # A token issued to a tracked device is bound to it (auth-flows.md §4.3 step 5).
    if session.device_key is not None and device_key != session.device_key:
        raise NotAuthorizedException(INVALID)
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")


def successor(session: TokenSession, refresh_hash: str, *, now: float, lifetime: int) -> TokenSession:
    """The record of the token that rotation issues in place of ``session``'s: same sign-in
    (``origin_jti``, ``event_id``, ``auth_time``, device), a fresh full lifetime."""
    return replace(
        session,
        refresh_hash=refresh_hash,
        issued_at=now,
        expires_at=now + lifetime,
        revoked_at=None,
        replaced_by=None,
        grace_until=None,
    )
