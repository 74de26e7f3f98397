"""A small world for the auth tests: an in-memory SQL store, a frozen clock, a fake token
service, and builders for pools, clients and users."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from poolgate.auth.service import AuthService
from poolgate.auth.state import Authenticated, Challenge, StepResult
from poolgate.clock import FrozenClock
from poolgate.errors import NotAuthorizedException
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash, compute_secret_hash
from poolgate.pools.service import PoolService
from poolgate.security.crypto import MasterKey
from poolgate.srp import make_verifier, pool_name_from_pool_id
from poolgate.store.base import LoginAttempts, Store, UnitOfWork
from poolgate.store.sql import SqlStore, memory_store
from poolgate.tokens.model import IssuedTokens
from poolgate.triggers.api import Caller, TokenOverrides
from poolgate.users.attributes import username_keys
from poolgate.users.model import PasswordVerifier, User, UserStatus

PASSWORD = "Corr3ct!Horse"
WRONG = "Wr0ng!Password"
ALL_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@dataclass
class SignIn:
    """One call of the fake token service's ``sign_in``."""

    sub: str
    client_id: str
    auth_time: float
    device_key: str | None


@dataclass
class FakeTokens:
    """The ``TokenIssuer`` protocol with recognisable tokens; refresh tokens map to their user."""

    sign_ins: list[SignIn] = field(default_factory=list)
    issued_refresh: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    refreshes: list[dict[str, Any]] = field(default_factory=list)

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
        return None

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
    ) -> _Signed:
        self.sign_ins.append(SignIn(user.sub, client.client_id, auth_time, device_key))
        refresh = f"refresh-{uuid.uuid4()}"
        self.issued_refresh[refresh] = (client.client_id, user.sub, user.username)
        return _Signed(IssuedTokens(f"id:{user.sub}", f"access:{user.sub}", 3600, refresh))

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
        self.refreshes.append({"token": refresh_token, "secret_hash": secret_hash, "device_key": device_key})
        known = self.issued_refresh.get(refresh_token)
        if known is None or known[0] != client.client_id:
            raise NotAuthorizedException("Invalid Refresh Token.")
        check_secret_hash(client, known[2], secret_hash, refresh=True)
        return IssuedTokens(f"id:{known[1]}", f"access:{known[1]}", 3600)


@dataclass
class World:
    """Everything an auth test touches."""

    store: SqlStore
    clock: FrozenClock
    tokens: FakeTokens
    master_key: MasterKey
    auth: AuthService
    pools: PoolService

    def pool(self, **config: Any) -> UserPool:
        return self.pools.create_pool("auth", config)

    def client(self, pool: UserPool, *, secret: bool = False, **config: Any) -> AppClient:
        config.setdefault("ExplicitAuthFlows", ALL_FLOWS)
        return self.pools.create_client(pool.id, "app", config, generate_secret=secret, secret=None)

    def user(
        self,
        pool: UserPool,
        username: str,
        password: str | None = PASSWORD,
        *,
        status: UserStatus = UserStatus.CONFIRMED,
        enabled: bool = True,
        password_set_at: float | None = None,
        **attributes: str,
    ) -> User:
        """Store a user directly (no policy checks)."""
        sub = str(uuid.uuid4())
        internal = sub if pool.username_attributes else username
        attrs = {"sub": sub, **attributes}
        if pool.username_attributes:
            attrs.setdefault(pool.username_attributes[0], username)
        verifier = None
        if password is not None:
            verifier = PasswordVerifier(*make_verifier(pool_name_from_pool_id(pool.id), internal, password))
        now = self.clock.now()
        user = User(
            pool.id,
            internal,
            sub,
            status,
            enabled,
            attrs,
            now,
            now,
            password=verifier,
            password_set_at=now if password_set_at is None else password_set_at,
        )
        with self.store.transaction() as uow:
            uow.users.add(user, username_keys(pool, internal, attrs))
        return user

    def get_user(self, pool: UserPool, sub: str) -> User:
        with self.store.transaction() as uow:
            user = uow.users.get(pool.id, sub)
        assert user is not None
        return user

    def attempts(self, pool: UserPool, user: User) -> LoginAttempts:
        with self.store.transaction() as uow:
            return uow.login_attempts.get(pool.id, user.sub)

    def password_auth(
        self, client: AppClient, username: str, password: str = PASSWORD, **extra: str
    ) -> StepResult:
        return self.auth.initiate_auth(
            client.client_id, "USER_PASSWORD_AUTH", {"USERNAME": username, "PASSWORD": password, **extra}
        )


def make_world(start: float | None = None) -> World:
    """A fresh world; the clock starts at ``start`` (default: a fixed instant)."""
    store = memory_store()
    clock = FrozenClock(1_800_000_000.0 if start is None else start)
    tokens = FakeTokens()
    key = store.master_key
    return World(
        store=store,
        clock=clock,
        tokens=tokens,
        master_key=key,
        auth=AuthService(store, clock, tokens, key),
        pools=PoolService(store, clock, region="us-east-1", account_id="123456789012"),
    )


def real_time_world() -> World:
    """A world whose frozen clock reads the wall clock at creation (for pycognito's TIMESTAMP)."""
    return make_world(time.time())


def secret_hash(client: AppClient, username: str) -> str:
    assert client.client_secret is not None
    return compute_secret_hash(client.client_secret, username, client.client_id)


def challenge(result: StepResult) -> Challenge:
    assert isinstance(result, Challenge), result
    return result


def tokens(result: StepResult) -> IssuedTokens:
    assert isinstance(result, Authenticated), result
    return result.tokens


def config(**members: Any) -> Mapping[str, Any]:
    return members


@dataclass(frozen=True)
class _Signed:
    issued: IssuedTokens

    def sign(self) -> IssuedTokens:
        return self.issued
