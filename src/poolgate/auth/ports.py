"""The seams of the auth engine to other core packages."""

from __future__ import annotations

from typing import Protocol

from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import UnitOfWork
from poolgate.tokens.model import IssuedTokens
from poolgate.users.model import User


class TokenIssuer(Protocol):
    """What the engine needs from the token service (``poolgate.tokens.service.TokenService``).

    Both methods run inside the caller's unit of work and raise ``CognitoError`` subclasses.
    """

    def sign_in(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        client: AppClient,
        user: User,
        *,
        auth_time: float,
        device_key: str | None = None,
    ) -> IssuedTokens:
        """Issue ID, access and refresh tokens for a completed sign-in; ``auth_time`` is the time
        the password step passed."""
        ...

    def refresh(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        client: AppClient,
        refresh_token: str,
        *,
        secret_hash: str | None,
        device_key: str | None,
    ) -> IssuedTokens:
        """REFRESH_TOKEN_AUTH: new ID and access tokens. Checks the refresh token, its client and
        user, ``SECRET_HASH`` over the internal username and the device binding."""
        ...
