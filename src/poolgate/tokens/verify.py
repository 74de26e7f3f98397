"""Checking an access token sent to a public operation (tokens.md §7).

Order of the checks: form and signature (against the keys of the pool its ``iss`` names),
``token_use``, expiry, ``iat``/``nbf`` not in the future, revocation, scope, the user, then
the app client (it must still exist in the token's pool). Each failure raises the exception
and message real Cognito uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from poolgate.errors import NotAuthorizedException, UserNotFoundException
from poolgate.store.base import UnitOfWork
from poolgate.tokens import jws
from poolgate.tokens.claims import ADMIN_SCOPE
from poolgate.tokens.discovery import pool_id_of_issuer
from poolgate.tokens.keys import ACCESS_USE, KeyCache
from poolgate.tokens.model import AccessContext
from poolgate.users.model import User

INVALID = "Invalid Access Token"
EXPIRED = "Access Token has expired"
REVOKED = "Access Token has been revoked"
MISSING_SCOPE = "Access Token does not have required scopes"

# Poolgate never issues a token dated in the future; a little leeway covers clocks of several
# processes that differ slightly. A token whose ``iat`` or ``nbf`` lies further ahead was not
# issued by this server's clock, so it is refused.
FUTURE_LEEWAY_SECONDS = 60

# The User.settings key global sign-out writes: access tokens issued before it are refused.
REVOKED_BEFORE_SETTING = "tokens_revoked_before"


def _invalid() -> NotAuthorizedException:
    return NotAuthorizedException(INVALID)


def _string_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid()
    return value


def _time_claim(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    # bool is an int subclass; true/false are not times.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid()
    return value


def _verified_claims(
    uow: UnitOfWork, token: str, issuer: Callable[[str], str], keys: KeyCache
) -> dict[str, Any]:
    try:
        parsed = jws.parse(token)
        kid = parsed.kid
    except jws.TokenFormatError as exc:
        raise _invalid() from exc
    iss = parsed.payload.get("iss")
    if not isinstance(iss, str):
        raise _invalid()
    # The issuer only chooses which pool's keys to try; it is trusted once the signature
    # verifies with one of them, and it must be exactly the issuer Poolgate gives that pool.
    pool_id = pool_id_of_issuer(iss)
    if not pool_id or issuer(pool_id) != iss:
        raise _invalid()
    key = next((k for k in uow.signing_keys.list(pool_id) if k.kid == kid), None)
    if key is None or key.use != ACCESS_USE:
        raise _invalid()
    try:
        jws.verify_signature(parsed, keys.public_key(key))
    except jws.TokenFormatError as exc:
        raise _invalid() from exc
    claims = dict(parsed.payload)
    if claims.get("token_use") != "access":
        raise _invalid()
    return claims


def _revoked_before(user: User | None) -> float | None:
    if user is None:
        return None
    value = user.settings.get(REVOKED_BEFORE_SETTING)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _issued_before_sign_out(issued_at: int, revoked_before: float | None, *, has_session: bool) -> bool:
    if revoked_before is None:
        return False
    # ``iat`` has whole seconds only. A token linked to a token session (it has an
    # origin_jti) is refused precisely through that session, so here it only counts as
    # earlier when its whole second is. A token without one can be judged by ``iat`` alone,
    # so a token from the same second as the sign-out is refused too: a sign-in within
    # that second loses its tokens, but no token from before the sign-out survives it.
    cutoff = math.floor(revoked_before)
    return issued_at < cutoff if has_session else issued_at <= cutoff


def _authenticated_before_sign_out(claims: Mapping[str, Any], revoked_before: float | None) -> bool:
    # A sign-in that proved the password before a global sign-out or AdminDisableUser but got
    # its tokens after it (a challenge answered later, the user enabled again meanwhile) has
    # tokens dated after the sign-out. Its refresh token is refused by its ``auth_time``
    # (``sessions._signed_out_after``); its access tokens are refused the same way here. The
    # claim has whole seconds, so only an earlier second counts.
    auth_time = claims.get("auth_time")
    if revoked_before is None or isinstance(auth_time, bool) or not isinstance(auth_time, int):
        return False
    return auth_time < math.floor(revoked_before)


def verify_access_token(
    uow: UnitOfWork, token: str, *, now: float, issuer: Callable[[str], str], keys: KeyCache
) -> AccessContext:
    """Check ``token`` and return who it speaks for.

    Raises NotAuthorizedException (``Invalid Access Token``, ``Access Token has expired``,
    ``Access Token has been revoked``, ``Access Token does not have required scopes``,
    ``User is disabled.``) or UserNotFoundException (``User does not exist.``).
    """
    claims = _verified_claims(uow, token, issuer, keys)
    pool_id = pool_id_of_issuer(claims["iss"])
    sub = _string_claim(claims, "sub")
    client_id = _string_claim(claims, "client_id")
    _string_claim(claims, "username")
    issued_at = _time_claim(claims, "iat")
    if now >= _time_claim(claims, "exp"):
        raise NotAuthorizedException(EXPIRED)
    if issued_at > now + FUTURE_LEEWAY_SECONDS:
        raise _invalid()
    if "nbf" in claims and _time_claim(claims, "nbf") > now + FUTURE_LEEWAY_SECONDS:
        raise _invalid()
    origin_jti = claims.get("origin_jti")
    jti = claims.get("jti")
    if origin_jti is not None and not isinstance(origin_jti, str):
        raise _invalid()
    if jti is not None and not isinstance(jti, str):
        raise _invalid()
    user = uow.users.get(pool_id, sub)
    if origin_jti is not None and uow.token_sessions.origin_revoked(pool_id, origin_jti):
        raise NotAuthorizedException(REVOKED)
    revoked_before = _revoked_before(user)
    if _issued_before_sign_out(issued_at, revoked_before, has_session=origin_jti is not None):
        raise NotAuthorizedException(REVOKED)
    if _authenticated_before_sign_out(claims, revoked_before):
        raise NotAuthorizedException(REVOKED)
    scope = claims.get("scope")
    if not isinstance(scope, str) or ADMIN_SCOPE not in scope.split(" "):
        raise NotAuthorizedException(MISSING_SCOPE)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    # The app client the token was issued to must still exist in the token's pool: deleting
    # a client ends the tokens issued to it.
    client = uow.clients.get(client_id)
    if client is None or client.user_pool_id != pool_id:
        raise _invalid()
    return AccessContext(
        user_pool_id=pool_id,
        client_id=client_id,
        sub=sub,
        username=user.username,
        jti=jti,
        origin_jti=origin_jti,
        claims=claims,
        user=user,
    )
