"""``engine.next_challenge`` as a table: every row of ``RULES`` and what it decides today."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.auth.challenges import CHALLENGES
from poolgate.auth.engine import RULES, TOKENS, NextStep, next_challenge
from poolgate.auth.state import AuthFlow, AuthSession, ChallengeName
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.model import User, UserStatus

C = ChallengeName


def _session(*steps: ChallengeName, device_key: str | None = None) -> AuthSession:
    return AuthSession(
        user_pool_id="us-east-1_pool",
        client_id="client",
        sub="sub-1",
        username="u",
        flow=AuthFlow.USER_SRP_AUTH,
        challenge=None,
        issued_at=1.0,
        expires_at=1.0,
        steps=steps,
        auth_time=1.0,
        device_key=device_key,
    )


def _user(status: UserStatus, settings: dict[str, Any] | None = None) -> User:
    return User(
        "us-east-1_pool", "u", "sub-1", status, True, {"sub": "sub-1"}, 1.0, 1.0, settings=settings or {}
    )


def _pool(**config: Any) -> UserPool:
    return UserPool("us-east-1_pool", "pool", 1.0, 1.0, config)


CLIENT = AppClient("client", "us-east-1_pool", "app", 1.0, 1.0)

CASES = [
    # (what, session steps, status, pool config, device key, expected)
    (
        "temporary password after SRP",
        (C.PASSWORD_VERIFIER,),
        UserStatus.FORCE_CHANGE_PASSWORD,
        {},
        None,
        ChallengeName.NEW_PASSWORD_REQUIRED,
    ),
    (
        "temporary password after a password flow",
        (C.PASSWORD,),
        UserStatus.FORCE_CHANGE_PASSWORD,
        {},
        None,
        ChallengeName.NEW_PASSWORD_REQUIRED,
    ),
    (
        "new password already chosen",
        (C.PASSWORD, C.NEW_PASSWORD_REQUIRED),
        UserStatus.FORCE_CHANGE_PASSWORD,
        {},
        None,
        TOKENS,
    ),
    ("confirmed user", (C.PASSWORD_VERIFIER,), UserStatus.CONFIRMED, {}, None, TOKENS),
    (
        "after the new password the user is confirmed",
        (C.PASSWORD, C.NEW_PASSWORD_REQUIRED),
        UserStatus.CONFIRMED,
        {},
        None,
        TOKENS,
    ),
    # Rows of later issues: in the table, never matching yet.
    (
        "device key on a pool without device tracking",
        (C.PASSWORD_VERIFIER,),
        UserStatus.CONFIRMED,
        {},
        "us-east-1_dev",
        TOKENS,
    ),
    (
        "pool MFA ON, user without a factor: set one up (more in tests/unit/mfa)",
        (C.PASSWORD_VERIFIER,),
        UserStatus.CONFIRMED,
        {"MfaConfiguration": "ON"},
        None,
        ChallengeName.MFA_SETUP,
    ),
    (
        "pool MFA OPTIONAL, user without a factor: tokens",
        (C.PASSWORD,),
        UserStatus.CONFIRMED,
        {"MfaConfiguration": "OPTIONAL"},
        None,
        TOKENS,
    ),
    (
        "forced change wins over MFA",
        (C.PASSWORD,),
        UserStatus.FORCE_CHANGE_PASSWORD,
        {"MfaConfiguration": "ON"},
        None,
        ChallengeName.NEW_PASSWORD_REQUIRED,
    ),
]


@pytest.mark.parametrize(
    ("steps", "status", "pool_config", "device_key", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_next_challenge(
    steps: tuple[ChallengeName, ...],
    status: UserStatus,
    pool_config: dict[str, Any],
    device_key: str | None,
    expected: NextStep,
) -> None:
    session = _session(*steps, device_key=device_key)
    assert next_challenge(session, _user(status), _pool(**pool_config), CLIENT) is expected


def test_table_shape() -> None:
    assert RULES[-1].then is TOKENS
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert [rule.then for rule in RULES] == [
        ChallengeName.NEW_PASSWORD_REQUIRED,
        ChallengeName.MFA_SETUP,
        ChallengeName.SELECT_MFA_TYPE,
        ChallengeName.SMS_MFA,
        ChallengeName.EMAIL_OTP,
        ChallengeName.SOFTWARE_TOKEN_MFA,
        # Device SRP after MFA: tests/unit/devices/test_device_table.py.
        ChallengeName.DEVICE_SRP_AUTH,
        TOKENS,
    ]
    assert all(rule.then is TOKENS or CHALLENGES[rule.then].issue is not None for rule in RULES)
