"""The one-time code attempt limit (5) is tested and counted in one step (issue 15, item 8).

Before, a code was compared in one transaction and a wrong guess counted in a second one, so
guesses that ran between the two were compared against the old count: 49 parallel wrong
codes got 6 comparisons on SQLite and up to 21 on two processes sharing PostgreSQL. Here the
interleaving is made deterministic: a store runs five more wrong guesses right after the first
guess's first write transaction ends, which is exactly where the parallel guesses slipped in.
The parallel versions run against live servers (``tests/conformance/test_delivery_and_races.py``,
``tests/hardening/test_races.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from poolgate.clock import FrozenClock
from poolgate.delivery.outbox import OutboxSender
from poolgate.errors import CodeMismatchException, CognitoError, LimitExceededException
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import PoolService
from poolgate.store.base import UnitOfWork
from poolgate.store.sql import SqlStore, memory_store
from poolgate.tokens.model import AccessContext
from poolgate.users import codes
from poolgate.users.codes import HmacCodeHasher
from poolgate.users.common import UserDeps
from poolgate.users.lookup import find_user
from poolgate.users.model import User
from poolgate.users.recovery import FORGOT_PASSWORD, RecoveryService
from poolgate.users.self_service import SelfService
from poolgate.users.signup import SIGN_UP, SignUpService

PASSWORD = "Corr3ct!Horse"
HASHER = HmacCodeHasher(b"k" * 32)


class InterleavingStore:
    """A store that runs ``between`` once, right after the next write transaction ends
    (committed or rolled back)."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.between: Callable[[], None] | None = None

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[UnitOfWork]:
        try:
            with self.inner.transaction(readonly=readonly) as uow:
                yield uow
        finally:
            between = None if readonly else self.between
            if between is not None:
                self.between = None
                between()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FakeTokens:
    """Access tokens are ``"<pool>|<client>|<sub>"``."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        pool_id, client_id, sub = token.split("|")
        return AccessContext(pool_id, client_id, sub, sub, None, None, {})

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        pass


@dataclass
class World:
    store: InterleavingStore
    clock: FrozenClock
    pool: UserPool
    client: AppClient
    user: User
    sign_up: SignUpService
    recovery: RecoveryService
    self_service: SelfService

    def issue(self, purpose: str) -> str:
        with self.store.inner.transaction() as uow:
            return codes.issue(
                uow,
                HASHER,
                pool_id=self.pool.id,
                sub=self.user.sub,
                purpose=purpose,
                now=self.clock.now(),
                ttl=3600,
            )


@pytest.fixture
def world() -> Iterator[World]:
    inner = memory_store()
    clock = FrozenClock()
    store = InterleavingStore(inner)
    deps = UserDeps(store, clock, HASHER, OutboxSender(inner, clock))
    pools = PoolService(inner, clock, region="us-east-1", account_id="000000000000")
    pool = pools.create_pool("codes", {"AutoVerifiedAttributes": ["email"]})
    client = pools.create_client(pool.id, "app", {}, generate_secret=False, secret=None)
    sign_up = SignUpService(deps)
    sign_up.sign_up(
        client.client_id, "alice", PASSWORD, {"UserAttributes": [{"Name": "email", "Value": "a@example.com"}]}
    )
    with inner.transaction(readonly=True) as uow:
        user = find_user(uow, pool, "alice")
    assert user is not None
    yield World(
        store, clock, pool, client, user, sign_up, RecoveryService(deps), SelfService(deps, FakeTokens())
    )
    inner.close()


def _confirm_sign_up(world: World, code: str) -> None:
    world.sign_up.confirm(world.client.client_id, "alice", code, {})


def _confirm_forgot_password(world: World, code: str) -> None:
    world.recovery.confirm_forgot_password(world.client.client_id, "alice", code, "N3w!Password", {})


def _verify_email(world: World, code: str) -> None:
    token = f"{world.pool.id}|{world.client.client_id}|{world.user.sub}"
    world.self_service.verify_attribute(token, "email", code)


CHECKS = [
    pytest.param(SIGN_UP, _confirm_sign_up, id="ConfirmSignUp"),
    pytest.param(FORGOT_PASSWORD, _confirm_forgot_password, id="ConfirmForgotPassword"),
    pytest.param("VERIFY_ATTRIBUTE:email", _verify_email, id="VerifyUserAttribute"),
]


def _answer(check: Callable[[World, str], None], world: World, code: str) -> str:
    try:
        check(world, code)
    except CognitoError as exc:
        return exc.code
    return "ok"


@pytest.mark.parametrize(("purpose", "check"), CHECKS)
def test_guesses_between_compare_and_count_are_counted(
    world: World, purpose: str, check: Callable[[World, str], None]
) -> None:
    right = world.issue(purpose)
    wrong = "000000" if right != "000000" else "111111"
    answers: list[str] = []
    world.store.between = lambda: answers.extend(_answer(check, world, wrong) for _ in range(5))
    answers.insert(0, _answer(check, world, wrong))
    # Six wrong guesses: five are compared, the sixth meets the limit; so does the right code.
    assert sorted(answers) == [CodeMismatchException.code] * 5 + [LimitExceededException.code]
    with pytest.raises(LimitExceededException) as exc:
        check(world, right)
    assert exc.value.message == "Attempt limit exceeded, please try after some time."


@pytest.mark.parametrize(("purpose", "check"), CHECKS)
def test_a_wrong_guess_is_counted_and_the_right_code_still_works(
    world: World, purpose: str, check: Callable[[World, str], None]
) -> None:
    right = world.issue(purpose)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(CodeMismatchException):
            check(world, wrong)
    with world.store.inner.transaction() as uow:
        stored = uow.codes.get(world.pool.id, world.user.sub, purpose)
    assert stored is not None and stored.attempts == 4
    check(world, right)  # the fifth attempt, right: the code is used up
    with world.store.inner.transaction() as uow:
        assert uow.codes.get(world.pool.id, world.user.sub, purpose) is None
