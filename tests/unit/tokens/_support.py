"""A small world for token tests: a store with one pool, clients, users and groups, a frozen
clock, a TokenService, and PyJWT checks against the service's own JWKS.

Two stores are offered: the in-memory SQL store, and the same store with its signing-key and
token-session repositories replaced by in-memory fakes (the service must work with any
implementation of the protocols).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

from poolgate.clock import FrozenClock
from poolgate.pools.clients import build_client_config
from poolgate.pools.defaults import build_pool_config
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import compute_secret_hash
from poolgate.store.sql import SqlStore, memory_store
from poolgate.tokens.keys import generate_rsa_key
from poolgate.tokens.model import IssuedTokens, SigningKey, TokenSession
from poolgate.tokens.service import TokenService
from poolgate.triggers.api import Caller
from poolgate.users.model import Group, User, UserStatus

POOL_ID = "us-east-1_TokTest1"
BASE_URL = "http://127.0.0.1:9229"
SECRET = "client-secret-0123456789abcdefghijklmnopqrstuvwxyz"

# RSA key generation is slow; tests share a few keys handed out in turn. A pool never gets
# the same key twice within the rotations a test performs.
_KEYS: list[RSAPrivateKey] = [generate_rsa_key() for _ in range(10)]
_KEY_CYCLE = itertools.cycle(_KEYS)
_KEY_LOCK = threading.Lock()


def next_key() -> RSAPrivateKey:
    with _KEY_LOCK:
        return next(_KEY_CYCLE)


def issuer(pool_id: str) -> str:
    return f"{BASE_URL}/{pool_id}"


class FakeSigningKeys:
    """In-memory SigningKeyRepo."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []

    def add(self, key: SigningKey) -> None:
        assert all((k.user_pool_id, k.kid) != (key.user_pool_id, key.kid) for k in self.keys)
        self.keys.append(key)

    def list(self, pool_id: str) -> Sequence[SigningKey]:
        return sorted(
            (k for k in self.keys if k.user_pool_id == pool_id), key=lambda k: (k.created_at, k.kid)
        )

    def retire(self, pool_id: str, kid: str, when: float) -> None:
        self.keys = [
            replace(k, retired_at=when)
            if (k.user_pool_id, k.kid) == (pool_id, kid) and k.retired_at is None
            else k
            for k in self.keys
        ]

    def delete(self, pool_id: str, kid: str) -> None:
        self.keys = [k for k in self.keys if (k.user_pool_id, k.kid) != (pool_id, kid)]


class FakeTokenSessions:
    """In-memory TokenSessionRepo."""

    def __init__(self) -> None:
        self.rows: dict[str, TokenSession] = {}

    def add(self, session: TokenSession) -> None:
        assert session.refresh_hash not in self.rows
        self.rows[session.refresh_hash] = session

    def get(self, refresh_hash: str, *, for_update: bool = False) -> TokenSession | None:
        return self.rows.get(refresh_hash)

    def update(self, session: TokenSession) -> None:
        if session.refresh_hash in self.rows:
            self.rows[session.refresh_hash] = session

    def origin_revoked(self, pool_id: str, origin_jti: str) -> bool:
        return any(
            s.user_pool_id == pool_id and s.origin_jti == origin_jti and s.revoked_at is not None
            for s in self.rows.values()
        )

    def revoke_user(self, pool_id: str, sub: str, when: float) -> int:
        changed = 0
        for h, s in list(self.rows.items()):
            if s.user_pool_id == pool_id and s.sub == sub and s.revoked_at is None:
                self.rows[h] = replace(s, revoked_at=when)
                changed += 1
        return changed


class _HybridUnitOfWork:
    """A SQL unit of work whose token repositories are the fakes."""

    def __init__(self, inner: Any, keys: FakeSigningKeys, sessions: FakeTokenSessions) -> None:
        self._inner = inner
        self.signing_keys = keys
        self.token_sessions = sessions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class HybridStore:
    """The SQL store with fake token repositories (their state ignores rollbacks)."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.keys = FakeSigningKeys()
        self.sessions = FakeTokenSessions()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        with self.inner.transaction(readonly=readonly) as uow:
            yield _HybridUnitOfWork(uow, self.keys, self.sessions)

    def close(self) -> None:
        self.inner.close()


@dataclass
class World:
    store: Any
    clock: FrozenClock
    tokens: TokenService
    pool: UserPool
    client: AppClient
    user: User
    groups: list[Group] = field(default_factory=list)

    # Building.

    def add_client(self, *, secret: str | None = None, **request: Any) -> AppClient:
        config = build_client_config(request, self.pool, has_secret=secret is not None)
        client_id = uuid.uuid4().hex[:26]
        client = AppClient(client_id, self.pool.id, "app", 1.0, 1.0, secret, config)
        with self.store.transaction() as uow:
            uow.clients.add(client)
        return client

    def add_user(
        self, username: str, attributes: Mapping[str, str] | None = None, *, enabled: bool = True
    ) -> User:
        sub = str(uuid.uuid4())
        user = User(
            user_pool_id=self.pool.id,
            username=username,
            sub=sub,
            status=UserStatus.CONFIRMED,
            enabled=enabled,
            attributes={"sub": sub, **(attributes or {})},
            created_at=1.0,
            updated_at=1.0,
        )
        with self.store.transaction() as uow:
            uow.users.add(user, [("username", username)])
        return user

    def add_group(self, name: str, *, precedence: int | None = None, role: str | None = None) -> Group:
        group = Group(self.pool.id, name, 1.0, 1.0, None, role, precedence)
        with self.store.transaction() as uow:
            uow.groups.add(group)
            uow.groups.add_member(self.pool.id, name, self.user.sub)
        return group

    def set_enabled(self, user: User, enabled: bool) -> None:
        with self.store.transaction() as uow:
            uow.users.update(replace(user, enabled=enabled))

    def delete_user(self, user: User) -> None:
        with self.store.transaction() as uow:
            uow.users.delete(self.pool.id, user.sub)

    # Using the service.

    def sign_in(
        self, client: AppClient | None = None, user: User | None = None, *, device_key: str | None = None
    ) -> IssuedTokens:
        with self.store.transaction() as uow:
            pending = self.tokens.prepare_sign_in(
                uow,
                self.pool,
                client or self.client,
                user or self.user,
                auth_time=self.clock.now(),
                device_key=device_key,
            )
        return pending.sign()

    def refresh(
        self,
        token: str,
        client: AppClient | None = None,
        *,
        secret_hash: str | None = None,
        device_key: str | None = None,
    ) -> IssuedTokens:
        """REFRESH_TOKEN_AUTH through the service's entry point, which runs its own transactions."""
        client = client or self.client
        return self.tokens.refresh_tokens(
            self.store,
            self.pool,
            client,
            token,
            secret_hash=secret_hash,
            device_key=device_key,
            caller=Caller(client.client_id),
        )

    def get_tokens(
        self,
        token: str,
        client: AppClient | None = None,
        *,
        client_secret: str | None = None,
        device_key: str | None = None,
    ) -> IssuedTokens:
        """GetTokensFromRefreshToken through the service's entry point, which runs its own
        transactions (a reused token's sign-in is revoked in one of them)."""
        client_id = (client or self.client).client_id
        return self.tokens.tokens_from_refresh_token(
            self.store,
            client_id,
            token,
            client_secret=client_secret,
            device_key=device_key,
            client_metadata=None,
            caller=Caller(client_id),
        )

    def revoke(
        self, token: str, client: AppClient | None = None, *, client_secret: str | None = None
    ) -> None:
        with self.store.transaction() as uow:
            self.tokens.revoke(uow, (client or self.client).client_id, token, client_secret=client_secret)

    def verify(self, token: str) -> Any:
        with self.store.transaction(readonly=True) as uow:
            return self.tokens.verify_access_token(uow, token)

    def global_sign_out(self, user: User | None = None) -> None:
        with self.store.transaction() as uow:
            current = uow.users.get(self.pool.id, (user or self.user).sub)
            assert current is not None
            self.tokens.global_sign_out(uow, self.pool, current)

    def jwks(self) -> dict[str, Any]:
        with self.store.transaction(readonly=True) as uow:
            return self.tokens.jwks(uow, self.pool.id)

    def rotate(self) -> list[str]:
        with self.store.transaction() as uow:
            return self.tokens.rotate_keys(uow, self.pool.id)

    def secret_hash(self, client: AppClient, username: str) -> str:
        assert client.client_secret is not None
        return compute_secret_hash(client.client_secret, username, client.client_id)

    # Checking with PyJWT, an independent implementation.

    def decode(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """Verify ``token`` with PyJWT against the pool's JWKS (by kid) and return its claims.

        PyJWT's own time checks use the real clock, not the test's, so they are off; the
        tests compare ``iat``/``exp`` with the frozen clock themselves."""
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = next(k for k in self.jwks()["keys"] if k["kid"] == kid)
        key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        options = {
            "verify_exp": False,
            "verify_iat": False,
            "verify_aud": audience is not None,
            "require": ["exp", "iat", "iss", "sub"],
        }
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer(self.pool.id),
            options=options,  # type: ignore[arg-type]
            leeway=0,
        )
        return claims


def pool_config() -> dict[str, Any]:
    return build_pool_config(
        {
            "PoolName": "tokens",
            "Schema": [
                {"Name": "tier", "AttributeDataType": "String"},
                {"Name": "level", "AttributeDataType": "Number"},
                {"Name": "flag", "AttributeDataType": "Boolean"},
                {"Name": "hidden", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            ],
        }
    )


def make_world(kind: str) -> World:
    """A world on the SQL store (``kind="sql"``) or with fake token repos (``"fake"``)."""
    sql = memory_store()
    store: Any = sql if kind == "sql" else HybridStore(sql)
    # The clock starts near the real time, so the tokens look current to any reader.
    clock = FrozenClock(float(int(time.time())) + 0.25)
    tokens = TokenService(clock, issuer=issuer, key_generator=next_key)
    pool = UserPool(POOL_ID, "tokens", 1.0, 1.0, pool_config())
    with store.transaction() as uow:
        uow.pools.add(pool)
        tokens.ensure_keys(uow, pool.id)
    world = World(store, clock, tokens, pool, client=None, user=None)  # type: ignore[arg-type]
    world.client = world.add_client()
    world.user = world.add_user(
        "alice",
        {
            "email": "alice@example.com",
            "email_verified": "true",
            "phone_number": "+15555550100",
            "phone_number_verified": "false",
            "given_name": "Alice",
            "updated_at": "1700000000",
            "address": "1 Main St, Springfield",
            "custom:tier": "gold",
            "custom:level": "7",
            "custom:flag": "true",
            "dev:custom:hidden": "do not show",
        },
    )
    return world
