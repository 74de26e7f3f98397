"""Refresh-token checks and rotation bookkeeping (tokens.md §8, auth-flows.md §4.3-4.4).

A refresh token is usable when its token session exists, belongs to the pool and client
asking, has not been revoked (itself or any session of its sign-in), has not expired, has
not been rotated out beyond its grace period, matches the device it was bound to, and
its user exists and is enabled.

A rotated-out token presented after its grace period is a sign that the token was copied:
the check raises (:class:`RefreshTokenReuseException`, or :class:`ReusedRefreshToken` on
REFRESH_TOKEN_AUTH) and the token service then revokes the whole sign-in with
:func:`revoke_reused`, the newest token included (a Poolgate decision; AWS does not say).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from poolgate.errors import (
    CognitoError,
    InvalidParameterException,
    NotAuthorizedException,
    RefreshTokenReuseException,
    ResourceNotFoundException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.store.base import UnitOfWork
from poolgate.tokens import jws
from poolgate.tokens.keys import LONGEST_TOKEN_LIFETIME
from poolgate.tokens.model import TokenSession
from poolgate.tokens.refresh import refresh_token_hash
from poolgate.tokens.verify import REVOKED_BEFORE_SETTING
from poolgate.users.model import User

INVALID = "Invalid Refresh Token."
REVOKED = "Refresh Token has been revoked"
REUSED = "Refresh Token has been reused"


class ReusedRefreshToken(NotAuthorizedException):
    """REFRESH_TOKEN_AUTH's answer to a rotated-out refresh token used after its grace period.

    On the wire it is NotAuthorizedException: InitiateAuth's and AdminInitiateAuth's error lists
    have no RefreshTokenReuseException. The subclass only lets the token service tell it from
    the other refusals, to revoke the token's sign-in (:func:`revoke_reused`)."""


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


def find(
    uow: UnitOfWork, pool_id: str, client: AppClient, refresh_token: str, *, lock: bool = True
) -> tuple[TokenSession, User]:
    """The token session of ``refresh_token`` (locked for this transaction unless ``lock`` is
    False, for a read phase) and its user.

    Raises NotAuthorizedException ``Invalid Refresh Token.`` when the token is unknown, was
    issued for another pool or client, or its user no longer exists."""
    session = uow.token_sessions.get(refresh_token_hash(refresh_token), for_update=lock)
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


def rotated_out(session: TokenSession, now: float) -> bool:
    """True when ``session``'s token was replaced by rotation and its grace period is over."""
    return session.replaced_by is not None and (session.grace_until is None or now >= session.grace_until)


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
    its grace period is RefreshTokenReuseException; on REFRESH_TOKEN_AUTH (a client that
    turned rotation off since) it is :class:`ReusedRefreshToken`, a NotAuthorizedException
    (that operation's error list has no reuse error). Either way the caller must then revoke
    the sign-in with :func:`revoke_reused` in a transaction of its own."""
    if (
        session.revoked_at is not None
        or uow.token_sessions.origin_revoked(session.user_pool_id, session.origin_jti)
        or _signed_out_after(session, user)
    ):
        raise NotAuthorizedException(REVOKED)
    if now >= session.expires_at:
        raise NotAuthorizedException(INVALID)
    if rotated_out(session, now):
        if rotating:
            raise RefreshTokenReuseException(REUSED)
        raise ReusedRefreshToken(REUSED)
    # A token issued to a tracked device is bound to it (auth-flows.md §4.3 step 5).
    if session.device_key is not None and device_key != session.device_key:
        raise NotAuthorizedException(INVALID)
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")


def successor(session: TokenSession, refresh_hash: str, *, now: float) -> TokenSession:
    """The record of the token that rotation issues in place of ``session``'s: same sign-in
    (``origin_jti``, ``event_id``, ``auth_time``, device) and the same expiry. Rotation does
    not extend a session: the new token gets only the original's remaining lifetime
    [docs: Developer Guide "Refresh tokens", section "Refresh token rotation"]."""
    return replace(
        session,
        refresh_hash=refresh_hash,
        issued_at=now,
        revoked_at=None,
        replaced_by=None,
        grace_until=None,
    )


def check_refresh(
    uow: UnitOfWork,
    pool: UserPool,
    client: AppClient,
    refresh_token: str,
    *,
    secret_hash: str | None,
    device_key: str | None,
    now: float,
    lock: bool = True,
) -> tuple[TokenSession, User]:
    """REFRESH_TOKEN_AUTH's checks: the session of ``refresh_token`` (locked unless ``lock`` is
    False) and its user, once the client, SECRET_HASH, token and user passed.

    Raises InvalidParameterException for a client with refresh-token rotation, and
    NotAuthorizedException for a bad SECRET_HASH or an unusable token or user."""
    if rotation(client).enabled:
        # Rotating clients refresh through GetTokensFromRefreshToken only (auth-flows.md §4.4).
        raise InvalidParameterException("REFRESH_TOKEN_AUTH flow not enabled for this client")
    if client.client_secret is not None and not secret_hash:
        check_secret_hash(client, "", secret_hash, refresh=True)
    session, user = find(uow, pool.id, client, refresh_token, lock=lock)
    # The hash is over the internal username, which only the token's user tells us.
    check_secret_hash(client, user.username, secret_hash, refresh=True)
    check_usable(uow, session, user, device_key, now, rotating=False)
    return session, user


def check_rotation_request(
    uow: UnitOfWork,
    client_id: str,
    refresh_token: str,
    *,
    client_secret: str | None,
    device_key: str | None,
    now: float,
    lock: bool = True,
) -> tuple[AppClient, UserPool, TokenSession, User]:
    """GetTokensFromRefreshToken's checks: the client, its pool, the token's session (locked
    unless ``lock`` is False) and user.

    Raises ResourceNotFoundException (unknown client or pool), NotAuthorizedException (client
    secret, unusable token or user) or RefreshTokenReuseException (rotated-out token)."""
    client = uow.clients.get(client_id)
    if client is None:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
    pool = uow.pools.get(client.user_pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool {client.user_pool_id} does not exist.")
    check_client_secret(client, client_secret, NotAuthorizedException)
    session, user = find(uow, client.user_pool_id, client, refresh_token, lock=lock)
    check_usable(uow, session, user, device_key, now, rotating=True)
    return client, pool, session, user


def revocation_enabled(client: AppClient) -> bool:
    """The client's ``EnableTokenRevocation`` (on unless turned off)."""
    return bool(client.config.get("EnableTokenRevocation", True))


def revoke(uow: UnitOfWork, client_id: str, token: str, *, client_secret: str | None, now: float) -> None:
    """RevokeToken's work (``TokenService.revoke`` documents it)."""
    client = uow.clients.get(client_id)
    if client is None:
        raise UnauthorizedException(f"User pool client {client_id} does not exist.")
    check_client_secret(client, client_secret, UnauthorizedException)
    if not revocation_enabled(client):
        raise UnsupportedOperationException("Token revocation is not enabled for this app client.")
    if jws.looks_like_jws(token):
        raise UnsupportedTokenTypeException("Only refresh tokens can be revoked.")
    session = uow.token_sessions.get(refresh_token_hash(token), for_update=True)
    if session is None:
        return
    if session.client_id != client.client_id:
        raise UnauthorizedException("The token was not issued to this app client.")
    if session.revoked_at is None:
        uow.token_sessions.update(_revoked(session, now))


def revoke_reused(uow: UnitOfWork, refresh_token: str, *, now: float) -> None:
    """Revoke the sign-in of ``refresh_token`` if it is a rotated-out token past its grace
    period (``check_usable`` refused it as reused): every refresh token of that sign-in, the
    newest included, and the ID and access tokens minted from them stop working. Does nothing
    for any other token."""
    session = uow.token_sessions.get(refresh_token_hash(refresh_token), for_update=True)
    if session is not None and session.revoked_at is None and rotated_out(session, now):
        # One revoked record refuses every token with its origin_jti (``origin_revoked``), the
        # successors rotation issued before and after this moment included.
        uow.token_sessions.update(_revoked(session, now))


def _revoked(session: TokenSession, now: float) -> TokenSession:
    # The record is what refuses the tokens of this sign-in, so it must outlive them: expired
    # records get purged, and a refresh token may expire long before an access token minted
    # from it does. Rotation keeps the sign-in's expiry, so the record outlives its successors.
    keep_until = max(session.expires_at, now + LONGEST_TOKEN_LIFETIME)
    return replace(session, revoked_at=now, expires_at=keep_until)
