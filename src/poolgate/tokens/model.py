"""Stored token values: signing keys and token sessions (one per sign-in)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poolgate.users.model import User


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One RSA key pair of a pool. ``use`` is ``"id"`` or ``"access"``: ID and access tokens are
    signed with different keys. ``private_pem`` is plain PKCS#8 PEM here; the store encrypts it.
    A retired key signs nothing new but stays in the JWKS until ``retired_at`` plus the longest
    token lifetime has passed."""

    user_pool_id: str
    kid: str
    use: str
    private_pem: bytes
    public_jwk: Mapping[str, Any]
    created_at: float
    retired_at: float | None = None


@dataclass(frozen=True, slots=True)
class TokenSession:
    """A sign-in's refresh-token record (spec tokens.md §8). Only the refresh token's hash is
    stored. Tokens minted from this session carry its ``origin_jti``; revoking the session
    revokes them all. Rotation replaces the refresh token: the old record gets
    ``replaced_by`` and ``grace_until`` and a new record with the same ``origin_jti`` is added."""

    refresh_hash: str
    user_pool_id: str
    client_id: str
    sub: str
    origin_jti: str
    event_id: str
    auth_time: float
    issued_at: float
    expires_at: float
    device_key: str | None = None
    revoked_at: float | None = None
    replaced_by: str | None = None
    grace_until: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a successful sign-in or refresh returns (``AuthenticationResultType``)."""

    id_token: str
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"

    def as_result(self, new_device_metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The ``AuthenticationResult`` member of the response."""
        result: dict[str, Any] = {
            "AccessToken": self.access_token,
            "ExpiresIn": self.expires_in,
            "TokenType": self.token_type,
            "IdToken": self.id_token,
        }
        if self.refresh_token is not None:
            result["RefreshToken"] = self.refresh_token
        if new_device_metadata:
            result["NewDeviceMetadata"] = dict(new_device_metadata)
        return result


@dataclass(frozen=True, slots=True)
class AccessContext:
    """A verified access token: whose it is and what it carries. Produced only by
    ``TokenService.verify_access_token``, after signature, expiry, revocation, scope and user
    checks."""

    user_pool_id: str
    client_id: str
    sub: str
    username: str
    jti: str | None
    origin_jti: str | None
    claims: Mapping[str, Any]
    # The user as the check read it, in the caller's transaction (None only where built by hand).
    user: User | None = None
