"""TokenService: signing keys, issuing tokens at sign-in and refresh, revocation, and
access-token checks.

Most methods take the caller's unit of work; the caller owns the transaction. The methods
that run PreTokenGeneration (:meth:`TokenService.pre_token_generation`,
:meth:`TokenService.refresh_tokens`, :meth:`TokenService.tokens_from_refresh_token`) take the
``Store`` instead and must be called with no transaction open: they read in a read-only
transaction, run the trigger with none open, and mint in a short write transaction that
checks the refresh token again under lock. Token contents are built by
:mod:`poolgate.tokens.claims` and changed by :mod:`poolgate.tokens.overrides`; refresh-token
checks live in :mod:`poolgate.tokens.sessions`, access-token checks in
:mod:`poolgate.tokens.verify`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Final

from poolgate.clock import Clock
from poolgate.errors import RefreshTokenReuseException, ResourceNotFoundException
from poolgate.pools.clients import token_validity_seconds
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import Store, UnitOfWork
from poolgate.tokens import claims, jws, sessions
from poolgate.tokens.discovery import JWKS_PATH, discovery_document
from poolgate.tokens.keys import (
    ACCESS_USE,
    ID_USE,
    KEY_USES,
    KeyCache,
    KeyGenerator,
    active_key,
    expired_retired_keys,
    generate_rsa_key,
    new_signing_key,
)
from poolgate.tokens.model import AccessContext, IssuedTokens, SigningKey, TokenSession
from poolgate.tokens.overrides import apply_overrides
from poolgate.tokens.refresh import new_refresh_token, refresh_token_hash
from poolgate.tokens.verify import REVOKED_BEFORE_SETTING, verify_access_token
from poolgate.triggers.api import Caller, NoTriggers, TokenOverrides, Triggers
from poolgate.users.model import Group, User

_GROUP_PAGE = 60
# TokenGeneration_RefreshTokens: REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken.
REFRESH_SOURCE: Final = "RefreshTokens"


@dataclass(frozen=True, slots=True)
class UnsignedTokens:
    """ID and access tokens whose claims are final, waiting for their RS256 signatures.

    Everything they need from the store has been read; :meth:`sign` runs no query, so it can
    (and should) run after the transaction has ended."""

    id_claims: dict[str, Any]
    access_claims: dict[str, Any]
    id_key: SigningKey
    access_key: SigningKey
    keys: KeyCache
    expires_in: int
    refresh_token: str | None = None

    def sign(self) -> IssuedTokens:
        """The signed tokens."""
        keys = self.keys
        return IssuedTokens(
            id_token=jws.sign(self.id_claims, keys.private_key(self.id_key), self.id_key.kid),
            access_token=jws.sign(self.access_claims, keys.private_key(self.access_key), self.access_key.kid),
            expires_in=self.expires_in,
            refresh_token=self.refresh_token,
        )


class TokenService:
    """Issues, refreshes, revokes and checks a pool's tokens.

    ``issuer`` maps a pool id to its ``iss`` (see :func:`poolgate.tokens.discovery.issuer_for`);
    ``jwks_uri`` maps it to the JWKS URL Poolgate serves (default: ``<iss>/.well-known/jwks.json``).
    ``key_generator`` makes new RSA-2048 keys; tests may pass a faster one.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        issuer: Callable[[str], str],
        jwks_uri: Callable[[str], str] | None = None,
        key_generator: KeyGenerator = generate_rsa_key,
        key_cache_size: int = 256,
        triggers: Triggers | None = None,
    ) -> None:
        self._clock = clock
        self._triggers: Triggers = triggers or NoTriggers()
        self._issuer = issuer
        self._jwks_uri = jwks_uri or (lambda pool_id: issuer(pool_id) + JWKS_PATH)
        self._generate = key_generator
        self._keys = KeyCache(key_cache_size)

    # Keys, JWKS and discovery.

    def issuer(self, pool_id: str) -> str:
        """The ``iss`` of the pool's tokens."""
        return self._issuer(pool_id)

    def ensure_keys(self, uow: UnitOfWork, pool_id: str) -> None:
        """Give the pool an active ID-token key and a different access-token key if it lacks
        either. Called when a pool is created; harmless to call again."""
        keys = list(uow.signing_keys.list(pool_id))
        for use in KEY_USES:
            if active_key(keys, use) is None:
                keys.append(self._add_key(uow, pool_id, use, keys))

    def rotate_keys(self, uow: UnitOfWork, pool_id: str) -> list[str]:
        """Retire the pool's active keys, add new ones and return their kids.

        Retired keys stay in the JWKS (tokens they signed keep verifying) until every such
        token has expired; keys retired longer ago than that are deleted here.
        """
        now = self._clock.now()
        keys = list(uow.signing_keys.list(pool_id))
        for key in keys:
            if key.retired_at is None:
                uow.signing_keys.retire(pool_id, key.kid, now)
        for key in expired_retired_keys(keys, now):
            uow.signing_keys.delete(pool_id, key.kid)
        added: list[SigningKey] = []
        for use in KEY_USES:
            added.append(self._add_key(uow, pool_id, use, keys + added))
        return [key.kid for key in added]

    def jwks(self, uow: UnitOfWork, pool_id: str) -> dict[str, Any]:
        """The pool's JWKS document: every active and retired key.

        Raises ResourceNotFoundException for an unknown pool."""
        if uow.pools.get(pool_id) is None:
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        return {"keys": [dict(key.public_jwk) for key in uow.signing_keys.list(pool_id)]}

    def discovery(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``openid-configuration`` document."""
        return discovery_document(self._issuer(pool_id), self._jwks_uri(pool_id))

    def _add_key(self, uow: UnitOfWork, pool_id: str, use: str, existing: list[SigningKey]) -> SigningKey:
        taken = {key.kid for key in existing}
        for _ in range(3):
            key = new_signing_key(pool_id, use, self._clock.now(), self._generate())
            if key.kid not in taken:
                uow.signing_keys.add(key)
                return key
        raise RuntimeError("the key generator keeps returning keys the pool already has")

    def _signing_keys(self, uow: UnitOfWork, pool_id: str) -> tuple[SigningKey, SigningKey]:
        keys = uow.signing_keys.list(pool_id)
        id_key, access_key = active_key(keys, ID_USE), active_key(keys, ACCESS_USE)
        if id_key is None or access_key is None:
            # Pools created before keys existed get theirs on first use.
            self.ensure_keys(uow, pool_id)
            keys = uow.signing_keys.list(pool_id)
            id_key, access_key = active_key(keys, ID_USE), active_key(keys, ACCESS_USE)
        if id_key is None or access_key is None:
            raise RuntimeError(f"pool {pool_id} has no active signing keys")
        return id_key, access_key

    # Issuing.

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
        """Run PreTokenGeneration (``TokenGeneration_<source>``) for tokens about to be issued
        to ``user``: the user's groups are read in a read-only transaction, then the trigger
        runs with none open. None when the pool has no such trigger. Raises the trigger
        errors."""
        if not self._triggers.configured(pool, "PreTokenGeneration"):
            return None
        with store.transaction(readonly=True) as uow:
            groups = self._groups(uow, pool.id, user.sub)
        return self._triggers.pre_token_generation(
            pool,
            source=source,
            user=user,
            groups=groups,
            scopes=[claims.ADMIN_SCOPE],
            client_metadata=client_metadata,
            caller=caller,
        )

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
    ) -> UnsignedTokens:
        """Tokens for a completed sign-in: a new token session, a refresh token, and ID and
        access tokens carrying its ``origin_jti``, changed as ``overrides`` (PreTokenGeneration's
        answer) asks. The caller has authenticated the user. The signatures are made by
        :meth:`UnsignedTokens.sign`, best called once the transaction has committed, so the
        database's write lock is not held during the RSA work."""
        now = self._clock.now()
        refresh_token = new_refresh_token()
        session = TokenSession(
            refresh_hash=refresh_token_hash(refresh_token),
            user_pool_id=pool.id,
            client_id=client.client_id,
            sub=user.sub,
            origin_jti=str(uuid.uuid4()),
            event_id=event_id or str(uuid.uuid4()),
            auth_time=auth_time,
            issued_at=now,
            expires_at=now + token_validity_seconds(client.config)["RefreshToken"],
            device_key=device_key,
        )
        uow.token_sessions.add(session)
        unsigned = self._prepare(uow, client, user, session, now, overrides)
        return replace(unsigned, refresh_token=refresh_token)

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
        """REFRESH_TOKEN_AUTH with PreTokenGeneration: the checks of :meth:`prepare_refresh` in a
        read-only transaction, the trigger (``TokenGeneration_RefreshTokens``, no
        ClientMetadata: InitiateAuth's does not reach it) with none open, then
        :meth:`prepare_refresh` in another read-only transaction, which checks everything
        again, and the signatures after it. A rotated-out token (the client turned rotation off
        since) revokes its sign-in and is refused with NotAuthorizedException."""
        with self._reuse_revokes_sign_in(store, refresh_token):
            overrides = None
            if self._triggers.configured(pool, "PreTokenGeneration"):
                with store.transaction(readonly=True) as uow:
                    _, user = sessions.check_refresh(
                        uow,
                        pool,
                        client,
                        refresh_token,
                        secret_hash=secret_hash,
                        device_key=device_key,
                        now=self._clock.now(),
                        lock=False,
                    )
                overrides = self.pre_token_generation(
                    store, pool, client, user, source=REFRESH_SOURCE, client_metadata=None, caller=caller
                )
            # Nothing is written: REFRESH_TOKEN_AUTH never rotates (rotating clients are refused),
            # so the checks run in a read-only transaction and the tokens are signed after it.
            # A revocation that commits before this read is seen; one that commits after it is
            # ordered after this refresh.
            with store.transaction(readonly=True) as uow:
                unsigned = self.prepare_refresh(
                    uow,
                    pool,
                    client,
                    refresh_token,
                    secret_hash=secret_hash,
                    device_key=device_key,
                    overrides=overrides,
                )
            return unsigned.sign()

    def prepare_refresh(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        client: AppClient,
        refresh_token: str,
        *,
        secret_hash: str | None,
        device_key: str | None,
        overrides: TokenOverrides | None = None,
    ) -> UnsignedTokens:
        """REFRESH_TOKEN_AUTH / REFRESH_TOKEN in the caller's transaction (which may be
        read-only: nothing is written): new ID and access tokens, no refresh token, to be signed
        with :meth:`UnsignedTokens.sign`.

        The caller has found the client and checked that the flow is enabled. Raises
        InvalidParameterException for a client with refresh-token rotation, and
        NotAuthorizedException for a bad SECRET_HASH or an unusable token or user."""
        now = self._clock.now()
        session, user = sessions.check_refresh(
            uow,
            pool,
            client,
            refresh_token,
            secret_hash=secret_hash,
            device_key=device_key,
            now=now,
            lock=False,
        )
        return self._prepare(uow, client, user, session, now, overrides)

    def tokens_from_refresh_token(
        self,
        store: Store,
        client_id: str,
        refresh_token: str,
        *,
        client_secret: str | None,
        device_key: str | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> IssuedTokens:
        """GetTokensFromRefreshToken with PreTokenGeneration (``TokenGeneration_RefreshTokens``,
        with this call's ClientMetadata): checks in a read-only transaction, the trigger with
        none open, then :meth:`get_tokens_from_refresh_token` in a write transaction. A
        rotated-out token past its grace period revokes its whole sign-in, the newest token
        included, before RefreshTokenReuseException is raised."""
        with self._reuse_revokes_sign_in(store, refresh_token):
            return self._tokens_from_refresh_token(
                store,
                client_id,
                refresh_token,
                client_secret=client_secret,
                device_key=device_key,
                client_metadata=client_metadata,
                caller=caller,
            )

    def _tokens_from_refresh_token(
        self,
        store: Store,
        client_id: str,
        refresh_token: str,
        *,
        client_secret: str | None,
        device_key: str | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> IssuedTokens:
        overrides = None
        with store.transaction(readonly=True) as uow:
            client, pool, _, user = sessions.check_rotation_request(
                uow,
                client_id,
                refresh_token,
                client_secret=client_secret,
                device_key=device_key,
                now=self._clock.now(),
                lock=False,
            )
        if self._triggers.configured(pool, "PreTokenGeneration"):
            overrides = self.pre_token_generation(
                store,
                pool,
                client,
                user,
                source=REFRESH_SOURCE,
                client_metadata=client_metadata,
                caller=caller,
            )
        with store.transaction() as uow:
            return self.get_tokens_from_refresh_token(
                uow,
                client_id,
                refresh_token,
                client_secret=client_secret,
                device_key=device_key,
                overrides=overrides,
            )

    def get_tokens_from_refresh_token(
        self,
        uow: UnitOfWork,
        client_id: str,
        refresh_token: str,
        *,
        client_secret: str | None,
        device_key: str | None,
        overrides: TokenOverrides | None = None,
    ) -> IssuedTokens:
        """GetTokensFromRefreshToken in the caller's write transaction. With rotation enabled on
        the client, a new refresh token is returned too and the one sent stays usable only for
        RetryGracePeriodSeconds.

        Raises ResourceNotFoundException (unknown client), NotAuthorizedException (client
        secret, unusable token or user) or RefreshTokenReuseException (rotated-out token). This
        transaction rolls back with the error, so revoking the sign-in of a reused token is the
        caller's to do afterwards (:meth:`tokens_from_refresh_token` does it)."""
        # Lock the token's row before reading the clock: a parallel use that waited for the lock
        # must judge the grace period at a time after the winner's rotation, not before it.
        uow.token_sessions.get(refresh_token_hash(refresh_token), for_update=True)
        now = self._clock.now()
        client, _, session, user = sessions.check_rotation_request(
            uow, client_id, refresh_token, client_secret=client_secret, device_key=device_key, now=now
        )
        policy = sessions.rotation(client)
        if not policy.enabled:
            return self._mint(uow, client, user, session, now, overrides)
        new_token = new_refresh_token()
        successor = sessions.successor(session, refresh_token_hash(new_token), now=now)
        uow.token_sessions.add(successor)
        if session.replaced_by is None:
            # A retry inside the grace period gets another token but does not extend the grace.
            # With no grace period the old token is rotated out at once: no grace_until at all,
            # so no clock (of this process or another host's) can find it still inside one.
            grace_until = now + policy.grace_seconds if policy.grace_seconds > 0 else None
            uow.token_sessions.update(
                replace(session, replaced_by=successor.refresh_hash, grace_until=grace_until)
            )
        return replace(self._mint(uow, client, user, successor, now, overrides), refresh_token=new_token)

    @contextmanager
    def _reuse_revokes_sign_in(self, store: Store, refresh_token: str) -> Iterator[None]:
        """Let the refusals of the block through; after one for a reused (rotated-out) refresh
        token, revoke that token's sign-in in a write transaction of its own (the block's
        transactions rolled back with the error), then re-raise."""
        try:
            yield
        except (RefreshTokenReuseException, sessions.ReusedRefreshToken):
            with store.transaction() as uow:
                sessions.revoke_reused(uow, refresh_token, now=self._clock.now())
            raise

    def _mint(
        self,
        uow: UnitOfWork,
        client: AppClient,
        user: User,
        session: TokenSession,
        now: float,
        overrides: TokenOverrides | None,
    ) -> IssuedTokens:
        return self._prepare(uow, client, user, session, now, overrides).sign()

    def _prepare(
        self,
        uow: UnitOfWork,
        client: AppClient,
        user: User,
        session: TokenSession,
        now: float,
        overrides: TokenOverrides | None,
    ) -> UnsignedTokens:
        """What ``_mint`` reads from the store, with the signatures left for
        :meth:`UnsignedTokens.sign` (which needs no transaction)."""
        lifetimes = token_validity_seconds(client.config)
        revocable = sessions.revocation_enabled(client)
        ctx = claims.TokenContext(
            issuer=self._issuer(session.user_pool_id),
            sub=user.sub,
            username=user.username,
            client_id=client.client_id,
            event_id=session.event_id,
            auth_time=int(session.auth_time),
            issued_at=int(now),
            origin_jti=session.origin_jti if revocable else None,
            jti_id=str(uuid.uuid4()) if revocable else None,
            jti_access=str(uuid.uuid4()) if revocable else None,
            groups=claims.group_claims(self._groups(uow, session.user_pool_id, user.sub)),
        )
        read_attributes = client.config.get("ReadAttributes")
        id_claims = claims.id_token_claims(
            ctx, user, lifetime=lifetimes["IdToken"], read_attributes=read_attributes
        )
        access_claims = claims.access_token_claims(
            ctx, lifetime=lifetimes["AccessToken"], device_key=session.device_key
        )
        apply_overrides(id_claims, access_claims, overrides)
        id_key, access_key = self._signing_keys(uow, session.user_pool_id)
        return UnsignedTokens(
            id_claims=id_claims,
            access_claims=access_claims,
            id_key=id_key,
            access_key=access_key,
            keys=self._keys,
            expires_in=lifetimes["AccessToken"],
        )

    def _groups(self, uow: UnitOfWork, pool_id: str, sub: str) -> list[Group]:
        groups: list[Group] = []
        after: str | None = None
        while True:
            page = uow.groups.groups_of(pool_id, sub, limit=_GROUP_PAGE, after=after)
            groups.extend(page)
            if len(page) < _GROUP_PAGE:
                return groups
            after = page[-1].name

    # Revocation and checks.

    def revoke(self, uow: UnitOfWork, client_id: str, token: str, *, client_secret: str | None) -> None:
        """RevokeToken: revoke a refresh token's session, so it and every ID and access token
        with its ``origin_jti`` stop working; the user's other sessions are untouched.

        An unknown or already revoked token succeeds. Raises UnauthorizedException (unknown
        client, client secret, token of another client), UnsupportedOperationException
        (revocation off for the client) or UnsupportedTokenTypeException (a JWT was sent)."""
        sessions.revoke(uow, client_id, token, client_secret=client_secret, now=self._clock.now())

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        """GlobalSignOut / AdminUserGlobalSignOut: revoke every token session of the user and
        refuse every access token issued before now."""
        now = self._clock.now()
        uow.token_sessions.revoke_user(pool.id, user.sub, now)
        settings = dict(user.settings)
        settings[REVOKED_BEFORE_SETTING] = now
        uow.users.update(replace(user, settings=settings))

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        """Check an access token sent to a public operation (tokens.md §7).

        Raises NotAuthorizedException or UserNotFoundException with Cognito's messages."""
        return verify_access_token(uow, token, now=self._clock.now(), issuer=self._issuer, keys=self._keys)
