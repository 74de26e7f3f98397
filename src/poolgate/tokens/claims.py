"""Claims of ID and access tokens (tokens.md §3 and §4): pure functions, no I/O.

:class:`TokenContext` holds what both tokens share; :func:`id_token_claims` adds the user's
readable attributes and ``aud``, :func:`access_token_claims` adds ``client_id``, ``username``,
``scope`` and ``device_key``. Group and role claims come from :func:`group_claims`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from poolgate.pools.schema import DEVELOPER_PREFIX
from poolgate.users.model import Group, User

ADMIN_SCOPE = "aws.cognito.signin.user.admin"

# Attributes the ID token carries as JSON booleans, although they are stored as text.
_BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})
# Stored attributes that never become claims: ``sub`` is already the subject, and
# ``cognito:*`` values (e.g. cognito:mfa_enabled) are internal.
_NEVER_CLAIMED = frozenset({"sub"})


@dataclass(frozen=True, slots=True)
class TokenContext:
    """What the ID and access token of one issue share.

    ``jti_id``/``jti_access`` and ``origin_jti`` are None when the client has token
    revocation turned off; the claims are then left out (tokens.md §3).
    """

    issuer: str
    sub: str
    username: str
    client_id: str
    event_id: str
    auth_time: int
    issued_at: int
    origin_jti: str | None
    jti_id: str | None
    jti_access: str | None
    groups: Mapping[str, Any]


def _precedence_key(group: Group) -> tuple[bool, int, str]:
    # Lower precedence values win; groups without one come after every numbered group.
    return (group.precedence is None, group.precedence or 0, group.name)


def group_claims(groups: Iterable[Group]) -> dict[str, Any]:
    """``cognito:groups``, ``cognito:roles`` and ``cognito:preferred_role`` for these groups.

    Groups are ordered by precedence, then name. The preferred role is the role of the
    best-placed group with a role; when several groups share that precedence and their
    roles differ, no group wins and the claim is left out (CreateGroup ``Precedence`` doc).
    """
    ordered = sorted(groups, key=_precedence_key)
    if not ordered:
        return {}
    claims: dict[str, Any] = {"cognito:groups": [g.name for g in ordered]}
    with_role = [g for g in ordered if g.role_arn]
    if with_role:
        claims["cognito:roles"] = list(dict.fromkeys(g.role_arn for g in with_role))
        best = with_role[0].precedence
        tied = {g.role_arn for g in with_role if g.precedence == best}
        if len(tied) == 1:
            claims["cognito:preferred_role"] = with_role[0].role_arn
    return claims


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    # NaN and infinities have no JSON spelling; such a value stays text.
    return value if math.isfinite(value) else text


def attribute_claim(name: str, value: str) -> Any:
    """One stored attribute as an ID-token claim value."""
    if name in _BOOLEAN_ATTRIBUTES:
        return value.strip().lower() == "true"
    if name == "updated_at":
        return _number(value)
    if name == "address":
        return {"formatted": value}
    # Everything else, custom attributes of every data type included, stays a string.
    return value


def attribute_claims(
    attributes: Mapping[str, str], read_attributes: Collection[str] | None
) -> dict[str, Any]:
    """The user attributes an ID token carries for a client.

    ``read_attributes`` is the client's ReadAttributes; None means every attribute is
    readable. Developer-only (``dev:``) and internal (``cognito:``) attributes never appear.
    """
    claims: dict[str, Any] = {}
    for name, value in attributes.items():
        if name in _NEVER_CLAIMED or name.startswith((DEVELOPER_PREFIX, "cognito:")):
            continue
        if read_attributes is not None and name not in read_attributes:
            continue
        claims[name] = attribute_claim(name, value)
    return claims


def id_token_claims(
    ctx: TokenContext, user: User, *, lifetime: int, read_attributes: Sequence[str] | None
) -> dict[str, Any]:
    """The ID token payload."""
    claims: dict[str, Any] = {"sub": ctx.sub, **ctx.groups}
    claims.update(attribute_claims(user.attributes, read_attributes))
    claims["iss"] = ctx.issuer
    claims["cognito:username"] = ctx.username
    if ctx.origin_jti is not None:
        claims["origin_jti"] = ctx.origin_jti
    claims["aud"] = ctx.client_id
    claims["event_id"] = ctx.event_id
    claims["token_use"] = "id"
    claims["auth_time"] = ctx.auth_time
    claims["exp"] = ctx.issued_at + lifetime
    claims["iat"] = ctx.issued_at
    if ctx.jti_id is not None:
        claims["jti"] = ctx.jti_id
    return claims


def access_token_claims(ctx: TokenContext, *, lifetime: int, device_key: str | None) -> dict[str, Any]:
    """The access token payload (no ``aud``, no user attributes)."""
    claims: dict[str, Any] = {"sub": ctx.sub}
    if device_key is not None:
        claims["device_key"] = device_key
    if "cognito:groups" in ctx.groups:
        claims["cognito:groups"] = ctx.groups["cognito:groups"]
    claims["iss"] = ctx.issuer
    claims["client_id"] = ctx.client_id
    if ctx.origin_jti is not None:
        claims["origin_jti"] = ctx.origin_jti
    claims["event_id"] = ctx.event_id
    claims["token_use"] = "access"
    claims["scope"] = ADMIN_SCOPE
    claims["auth_time"] = ctx.auth_time
    claims["exp"] = ctx.issued_at + lifetime
    claims["iat"] = ctx.issued_at
    if ctx.jti_access is not None:
        claims["jti"] = ctx.jti_access
    claims["username"] = ctx.username
    return claims
