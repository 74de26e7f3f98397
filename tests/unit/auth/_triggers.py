"""A fake ``Triggers`` for the auth tests: records every call (with whether a transaction was
open at the time), answers with per-trigger behaviours, and a store wrapper that knows when a
transaction is open. Plus a world whose AuthService uses both and the real TokenService."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from tests.unit.auth._support import World, make_world

from poolgate.auth.service import AuthService
from poolgate.pools.model import UserPool
from poolgate.pools.service import PoolService
from poolgate.store.sql import SqlStore
from poolgate.tokens.keys import generate_rsa_key
from poolgate.tokens.service import TokenService
from poolgate.triggers.api import CreateResult, DefineResult, PreSignUpResult

_KEYS = [generate_rsa_key() for _ in range(2)]


class TrackingStore:
    """A store that counts the transactions open right now, in any thread."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.master_key = inner.master_key
        self._open = 0
        self._lock = threading.Lock()

    @property
    def open_transactions(self) -> int:
        with self._lock:
            return self._open

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        with self.inner.transaction(readonly=readonly) as uow:
            with self._lock:
                self._open += 1
            try:
                yield uow
            finally:
                with self._lock:
                    self._open -= 1

    def close(self) -> None:
        self.inner.close()


@dataclass
class Call:
    """One trigger invocation: the trigger name, its keyword arguments, and the number of
    transactions open when it ran (the calling thread's or any other's)."""

    trigger: str
    kwargs: dict[str, Any]
    open_transactions: int


_DEFAULTS: dict[str, Any] = {
    "PreSignUp": PreSignUpResult(),
    "DefineAuthChallenge": DefineResult(fail_authentication=True),
    "CreateAuthChallenge": CreateResult(),
    "VerifyAuthChallengeResponse": False,
}


@dataclass
class FakeTriggers:
    """The ``Triggers`` protocol. ``enabled`` names the configured triggers (all by default);
    ``behaviours`` maps a trigger name to ``fn(**kwargs)`` returning its answer (or raising)."""

    store: TrackingStore
    enabled: set[str] | None = None
    behaviours: dict[str, Callable[..., Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def configured(self, pool: UserPool, trigger: str) -> bool:
        return self.enabled is None or trigger in self.enabled

    def set(self, trigger: str, behaviour: Callable[..., Any]) -> None:
        self.behaviours[trigger] = behaviour

    def names(self) -> list[str]:
        return [call.trigger for call in self.calls]

    def of(self, trigger: str) -> list[dict[str, Any]]:
        return [call.kwargs for call in self.calls if call.trigger == trigger]

    def _run(self, trigger: str, pool: UserPool, kwargs: dict[str, Any]) -> Any:
        if not self.configured(pool, trigger):
            return _DEFAULTS.get(trigger)
        self.calls.append(Call(trigger, kwargs, self.store.open_transactions))
        behaviour = self.behaviours.get(trigger)
        if behaviour is None:
            return _DEFAULTS.get(trigger)
        return behaviour(**kwargs)

    def pre_sign_up(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("PreSignUp", pool, kwargs)

    def post_confirmation(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("PostConfirmation", pool, kwargs)

    def pre_authentication(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("PreAuthentication", pool, kwargs)

    def post_authentication(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("PostAuthentication", pool, kwargs)

    def define_auth_challenge(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("DefineAuthChallenge", pool, kwargs)

    def create_auth_challenge(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("CreateAuthChallenge", pool, kwargs)

    def verify_auth_challenge(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("VerifyAuthChallengeResponse", pool, kwargs)

    def pre_token_generation(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("PreTokenGeneration", pool, kwargs)

    def user_migration(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("UserMigration", pool, kwargs)

    def custom_message(self, pool: UserPool, **kwargs: Any) -> Any:
        return self._run("CustomMessage", pool, kwargs)


@dataclass
class TriggerWorld:
    """The auth test world with fake triggers and the real token service."""

    world: World
    store: TrackingStore
    triggers: FakeTriggers
    tokens: TokenService

    def claims(self, pool_id: str, token: str) -> dict[str, Any]:
        """The verified claims of an ID or access token."""
        with self.store.transaction(readonly=True) as uow:
            jwks = self.tokens.jwks(uow, pool_id)
        keys = {key["kid"]: key for key in jwks["keys"]}
        key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]])
        claims: dict[str, Any] = jwt.decode(
            token, key=key, algorithms=["RS256"], options={"verify_aud": False}, leeway=10**9
        )
        return claims

    def no_trigger_ran_in_a_transaction(self) -> None:
        assert self.triggers.calls, "no trigger ran"
        for call in self.triggers.calls:
            assert call.open_transactions == 0, f"{call.trigger} ran with a transaction open"


def make_trigger_world(enabled: set[str] | None = None) -> TriggerWorld:
    world = make_world(float(int(time.time())))
    store = TrackingStore(world.store)
    triggers = FakeTriggers(store, enabled)
    keys = iter(_KEYS * 200)
    tokens = TokenService(
        world.clock,
        issuer=lambda pool_id: f"https://issuer.example/{pool_id}",
        key_generator=lambda: next(keys),
        triggers=triggers,
    )
    world.auth = AuthService(store, world.clock, tokens, world.master_key, triggers=triggers)  # type: ignore[arg-type]
    world.pools = PoolService(
        world.store, world.clock, region="us-east-1", account_id="123456789012", on_create=tokens.ensure_keys
    )
    return TriggerWorld(world, store, triggers, tokens)
