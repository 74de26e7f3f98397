"""The seams of the auth engine to other core packages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import Store, UnitOfWork
from poolgate.tokens.model import IssuedTokens
from poolgate.triggers.api import Caller, TokenOverrides
from poolgate.users.model import User


class PendingTokens(Protocol):
    """Tokens whose claims are final; :meth:`sign` needs no transaction."""

    def sign(self) -> IssuedTokens:
        """The signed ID, access and refresh tokens."""
        ...


class TokenIssuer(Protocol):
    """What the engine needs from the token service (``poolgate.tokens.service.TokenService``).

    All methods raise ``CognitoError`` subclasses. Those taking a ``Store`` open their own
    transactions and may run the PreTokenGeneration trigger between them; ``prepare_sign_in``
    runs inside the caller's (write) unit of work and runs no trigger.
    """

    def pre_token_generation(
        self,
        store: Store,
        pool: UserPool,
        client: AppClient,
        user: User,
        *,
        source: str,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> TokenOverrides | None:
        """Run PreTokenGeneration (``TokenGeneration_<source>``) for tokens about to be issued to
        ``user``; None when the pool has no such trigger. Must be called with no transaction
        open."""
        ...

    def prepare_sign_in(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        client: AppClient,
        user: User,
        *,
        auth_time: float,
        device_key: str | None = None,
        overrides: TokenOverrides | None = None,
        event_id: str | None = None,
    ) -> PendingTokens:
        """Store the token session of a completed sign-in and return its tokens, to be signed
        (``PendingTokens.sign``) once the caller's transaction has committed; ``auth_time`` is the time
        the password step passed; ``overrides`` is what PreTokenGeneration returned; ``event_id``
        the auth event of the sign-in (threat protection), else a fresh one."""
        ...

    def refresh_tokens(
        self,
        store: Store,
        pool: UserPool,
        client: AppClient,
        refresh_token: str,
        *,
        secret_hash: str | None,
        device_key: str | None,
        caller: Caller,
    ) -> IssuedTokens:
        """REFRESH_TOKEN_AUTH: new ID and access tokens. Checks the refresh token, its client and
        user, ``SECRET_HASH`` over the internal username and the device binding, runs
        PreTokenGeneration (``TokenGeneration_RefreshTokens``) between a read and a write
        transaction, and checks again under lock before minting."""
        ...
