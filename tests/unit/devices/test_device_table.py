"""``engine.next_challenge`` with devices: the DEVICE row, its place after the MFA rows, and
``device_skips_mfa``, the condition by which a remembered device replaces MFA."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.auth.devices import DevicePlan, device_skips_mfa, plan_for_tokens
from poolgate.auth.engine import TOKENS, NextStep, next_challenge
from poolgate.auth.state import AuthFlow, AuthSession, ChallengeName
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.model import User, UserStatus

C = ChallengeName
KEY = "us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
NO_SKIP = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
CLIENT = AppClient("client", "us-east-1_pool", "app", 1.0, 1.0)


def _session(
    *steps: ChallengeName, key: str | None = KEY, remembered: bool = False, admin: bool = False
) -> AuthSession:
    return AuthSession(
        user_pool_id="us-east-1_pool",
        client_id="client",
        sub="sub-1",
        username="u",
        flow=AuthFlow.USER_SRP_AUTH,
        challenge=None,
        issued_at=1.0,
        expires_at=1.0,
        admin=admin,
        steps=steps,
        auth_time=1.0,
        device_key=key,
        device_remembered=remembered,
    )


def _user(status: UserStatus = UserStatus.CONFIRMED) -> User:
    return User("us-east-1_pool", "u", "sub-1", status, True, {"sub": "sub-1"}, 1.0, 1.0)


def _pool(devices: dict[str, bool] | None = ALWAYS, **config: Any) -> UserPool:
    if devices is not None:
        config["DeviceConfiguration"] = devices
    return UserPool("us-east-1_pool", "pool", 1.0, 1.0, config)


MFA_ON: dict[str, Any] = {"MfaConfiguration": "ON"}

CASES = [
    # (what, session, status, pool, expected)
    (
        "confirmed device after SRP",
        _session(C.PASSWORD_VERIFIER),
        UserStatus.CONFIRMED,
        _pool(),
        ChallengeName.DEVICE_SRP_AUTH,
    ),
    (
        "confirmed device after a password flow",
        _session(C.PASSWORD),
        UserStatus.CONFIRMED,
        _pool(),
        ChallengeName.DEVICE_SRP_AUTH,
    ),
    (
        "device proven",
        _session(C.PASSWORD, C.DEVICE_PASSWORD_VERIFIER),
        UserStatus.CONFIRMED,
        _pool(),
        TOKENS,
    ),
    ("no device named", _session(C.PASSWORD, key=None), UserStatus.CONFIRMED, _pool(), TOKENS),
    ("pool without tracking", _session(C.PASSWORD), UserStatus.CONFIRMED, _pool(None), TOKENS),
    (
        "tracking with both switches off",
        _session(C.PASSWORD),
        UserStatus.CONFIRMED,
        _pool(NO_SKIP),
        ChallengeName.DEVICE_SRP_AUTH,
    ),
    (
        "temporary password first",
        _session(C.PASSWORD),
        UserStatus.FORCE_CHANGE_PASSWORD,
        _pool(),
        ChallengeName.NEW_PASSWORD_REQUIRED,
    ),
    (
        "then the device",
        _session(C.PASSWORD, C.NEW_PASSWORD_REQUIRED),
        UserStatus.CONFIRMED,
        _pool(),
        ChallengeName.DEVICE_SRP_AUTH,
    ),
    # MFA and devices: a device that does not replace MFA is proven after it.
    (
        "MFA ON, device not remembered",
        _session(C.PASSWORD),
        UserStatus.CONFIRMED,
        _pool(**MFA_ON),
        ChallengeName.MFA_SETUP,
    ),
    (
        "MFA ON, remembered device, pool does not let it skip MFA",
        _session(C.PASSWORD, remembered=True),
        UserStatus.CONFIRMED,
        _pool(NO_SKIP, **MFA_ON),
        ChallengeName.MFA_SETUP,
    ),
    (
        "MFA ON, remembered device replaces MFA",
        _session(C.PASSWORD, remembered=True),
        UserStatus.CONFIRMED,
        _pool(**MFA_ON),
        ChallengeName.DEVICE_SRP_AUTH,
    ),
    (
        "MFA ON, remembered device proven: tokens without MFA",
        _session(C.PASSWORD, C.DEVICE_PASSWORD_VERIFIER, remembered=True),
        UserStatus.CONFIRMED,
        _pool(**MFA_ON),
        TOKENS,
    ),
    (
        "MFA ON, no device named",
        _session(C.PASSWORD, key=None),
        UserStatus.CONFIRMED,
        _pool(**MFA_ON),
        ChallengeName.MFA_SETUP,
    ),
]


@pytest.mark.parametrize(
    ("session", "status", "pool", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_next_challenge_with_devices(
    session: AuthSession, status: UserStatus, pool: UserPool, expected: NextStep
) -> None:
    assert next_challenge(session, _user(status), pool, CLIENT) is expected


@pytest.mark.parametrize(
    ("session", "pool", "skips"),
    [
        (_session(remembered=True), _pool(), True),
        (_session(remembered=False), _pool(), False),
        (_session(remembered=True), _pool(NO_SKIP), False),
        (_session(remembered=True), _pool(None), False),
        (_session(key=None, remembered=True), _pool(), False),
    ],
    ids=["remembered", "not remembered", "switch off", "tracking off", "no device"],
)
def test_device_skips_mfa(session: AuthSession, pool: UserPool, skips: bool) -> None:
    assert device_skips_mfa(session, _user(), pool) is skips


@pytest.mark.parametrize(
    ("session", "pool", "plan"),
    [
        (_session(C.PASSWORD, key=None), _pool(None), DevicePlan()),
        (_session(C.PASSWORD, key=None), _pool(), DevicePlan(hand_out=True, new_device_used=True)),
        (_session(C.PASSWORD, key=None, admin=True), _pool(), DevicePlan(new_device_used=False)),
        (
            _session(C.PASSWORD, C.DEVICE_PASSWORD_VERIFIER),
            _pool(),
            DevicePlan(bind=KEY, new_device_used=False),
        ),
        # A device named but never proven (CUSTOM_AUTH): no binding, no new device.
        (_session(C.PASSWORD_VERIFIER), _pool(), DevicePlan(new_device_used=False)),
    ],
    ids=["tracking off", "new device", "admin flow", "device proven", "device not proven"],
)
def test_plan_for_tokens(session: AuthSession, pool: UserPool, plan: DevicePlan) -> None:
    assert plan_for_tokens(pool, session) == plan
