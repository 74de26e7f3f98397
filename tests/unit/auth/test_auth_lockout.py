"""The failed sign-in lockout (auth-flows.md section 10): the pure schedule, and the same schedule
through AuthService and ChangePassword on a frozen clock, with failures committed although the
call fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.auth._support import PASSWORD, WRONG, World, challenge, tokens

from poolgate.delivery.outbox import OutboxSender
from poolgate.errors import LimitExceededException, NotAuthorizedException
from poolgate.pools.model import AppClient, UserPool
from poolgate.security import lockout
from poolgate.store.base import LoginAttempts, UnitOfWork
from poolgate.tokens.model import AccessContext
from poolgate.users.codes import HmacCodeHasher
from poolgate.users.common import UserDeps
from poolgate.users.model import User, UserStatus
from poolgate.users.self_service import SelfService

LOCKED = "Password attempts exceeded"
WRONG_MESSAGE = "Incorrect username or password."


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (13, 256), (14, 512), (15, 900), (40, 900)],
)
def test_lock_seconds(failures: int, seconds: float) -> None:
    assert lockout.lock_seconds(failures) == seconds


def test_pure_schedule_and_idle_reset() -> None:
    record, now = LoginAttempts(), 1000.0
    for _ in range(5):
        record = lockout.after_failure(lockout.current(record, now), now)
    assert record == LoginAttempts(5, now, now + 1)
    assert lockout.is_locked(record, now + 0.5) and not lockout.is_locked(record, now + 1)
    refused = lockout.after_refused(record, now + 0.5)
    assert refused.failures == 5 and refused.locked_until == now + 1
    assert lockout.current(refused, now + 0.5 + 899) == refused
    assert lockout.current(refused, now + 0.5 + 900) == LoginAttempts()


def _fail(world: World, client: object, name: str, password: str, message: str) -> None:
    with pytest.raises(NotAuthorizedException) as exc:
        world.password_auth(client, name, password)  # type: ignore[arg-type]
    assert exc.value.message == message


def test_schedule_step_by_step(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "quinn")
    for _ in range(4):
        _fail(world, client, "quinn", WRONG, WRONG_MESSAGE)
    assert world.attempts(pool, user).failures == 4  # committed despite the error
    _fail(world, client, "quinn", WRONG, WRONG_MESSAGE)  # fifth: locked for 1 s
    _fail(world, client, "quinn", PASSWORD, LOCKED)  # the right password is not even checked
    lock = 1.0
    for _ in range(11):
        world.clock.advance(lock - 0.01)
        _fail(world, client, "quinn", PASSWORD, LOCKED)
        world.clock.advance(0.01)
        _fail(world, client, "quinn", WRONG, WRONG_MESSAGE)
        lock = min(lock * 2, 900.0)
        record = world.attempts(pool, user)
        assert record.locked_until == pytest.approx(world.clock.now() + lock)
    assert lock == 900.0 and world.attempts(pool, user).failures == 16
    world.clock.advance(900)
    assert tokens(world.password_auth(client, "quinn"))
    assert world.attempts(pool, user) == LoginAttempts()


def test_refused_attempts_do_not_extend_the_lock(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "rita")
    for _ in range(6):
        world.clock.advance(10)
        _fail(world, client, "rita", WRONG, WRONG_MESSAGE)
    until = world.attempts(pool, user).locked_until
    assert until == world.clock.now() + 2
    _fail(world, client, "rita", WRONG, LOCKED)
    world.clock.advance(1)
    _fail(world, client, "rita", PASSWORD, LOCKED)
    assert world.attempts(pool, user).locked_until == until
    world.clock.advance(1)
    assert tokens(world.password_auth(client, "rita"))


def test_reset_after_fifteen_idle_minutes(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "sven")
    for _ in range(4):
        _fail(world, client, "sven", WRONG, WRONG_MESSAGE)
    world.clock.advance(900)
    _fail(world, client, "sven", WRONG, WRONG_MESSAGE)
    assert world.attempts(pool, user).failures == 1 and world.attempts(pool, user).locked_until is None


def test_success_resets_the_count(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "tove")
    for _ in range(4):
        _fail(world, client, "tove", WRONG, WRONG_MESSAGE)
    assert tokens(world.password_auth(client, "tove"))
    _fail(world, client, "tove", WRONG, WRONG_MESSAGE)
    assert world.attempts(pool, user).failures == 1


def test_lockout_comes_before_the_account_checks(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "ugo", status=UserStatus.FORCE_CHANGE_PASSWORD)
    for _ in range(5):
        _fail(world, client, "ugo", WRONG, WRONG_MESSAGE)
    _fail(world, client, "ugo", PASSWORD, LOCKED)
    world.clock.advance(1)
    assert challenge(world.password_auth(client, "ugo")).name == "NEW_PASSWORD_REQUIRED"
    assert world.attempts(pool, user) == LoginAttempts()


def test_admin_flow_counts_too(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "vera")
    params = {"USERNAME": "vera", "PASSWORD": WRONG}
    for _ in range(5):
        with pytest.raises(NotAuthorizedException):
            world.auth.admin_initiate_auth(pool.id, client.client_id, "ADMIN_USER_PASSWORD_AUTH", params)
    _fail(world, client, "vera", PASSWORD, LOCKED)


# -- ChangePassword's PreviousPassword (issue 15, item 1) ----------------------------------------

NEW_PASSWORD = "An0ther!Horse"


class _AccessTokens:
    """Access tokens are ``"<pool>|<client>|<sub>"``."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        pool_id, client_id, sub = token.split("|")
        return AccessContext(pool_id, client_id, sub, sub, None, None, {})

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        pass


def _change_password(world: World, pool: UserPool, client: AppClient, user: User) -> Callable[[str], None]:
    deps = UserDeps(
        world.store, world.clock, HmacCodeHasher(b"k" * 32), OutboxSender(world.store, world.clock)
    )
    service = SelfService(deps, _AccessTokens())
    token = f"{pool.id}|{client.client_id}|{user.sub}"
    return lambda previous: service.change_password(token, previous, NEW_PASSWORD)


def test_wrong_previous_passwords_lock_change_password_and_sign_in(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "wanda")
    change = _change_password(world, pool, client, user)
    for _ in range(5):
        with pytest.raises(NotAuthorizedException) as exc:
            change(WRONG)
        assert exc.value.message == WRONG_MESSAGE
    assert world.attempts(pool, user).failures == 5  # committed despite the error
    # Locked for 1 s: the right previous password is refused unchecked (as Cognito answers
    # ChangePassword then), and so is a sign-in; neither counts or extends the lock.
    with pytest.raises(LimitExceededException) as limit:
        change(PASSWORD)
    assert limit.value.message == "Attempt limit exceeded, please try after some time."
    _fail(world, client, "wanda", PASSWORD, LOCKED)
    record = world.attempts(pool, user)
    assert record.failures == 5 and record.locked_until == world.clock.now() + 1
    world.clock.advance(1)
    change(PASSWORD)
    assert world.attempts(pool, user) == LoginAttempts()  # a right password resets the count
    assert tokens(world.password_auth(client, "wanda", NEW_PASSWORD))


def test_sign_in_and_change_password_share_one_count(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "xena")
    change = _change_password(world, pool, client, user)
    for _ in range(3):
        _fail(world, client, "xena", WRONG, WRONG_MESSAGE)
    for _ in range(2):
        with pytest.raises(NotAuthorizedException):
            change(WRONG)
    with pytest.raises(LimitExceededException):
        change(PASSWORD)
    world.clock.advance(1)
    _fail(world, client, "xena", WRONG, WRONG_MESSAGE)  # the sixth failure: locked for 2 s
    world.clock.advance(1.5)
    with pytest.raises(LimitExceededException):
        change(PASSWORD)
    assert world.attempts(pool, user).failures == 6
