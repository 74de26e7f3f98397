"""The MFA rows of ``engine.next_challenge`` as a table (mfa-devices-security.md section 2):
pool mode and factors x user factors and preference x steps already passed."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.auth.engine import TOKENS, NextStep, next_challenge
from poolgate.auth.state import AuthFlow, AuthSession, ChallengeName
from poolgate.mfa import selection
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.model import User, UserStatus

C = ChallengeName
SMS = {"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/s"}}
TOTP = {"SoftwareTokenMfaConfiguration": {"Enabled": True}}
EMAIL = {"EmailMfaConfiguration": {"Message": "{####}"}}
ALL = {**SMS, **TOTP, **EMAIL}
VERIFIED = {"SoftwareToken": {"secret": "sealed"}}
PHONE: dict[str, Any] = {"phone_number": "+15555550100"}
MAIL: dict[str, Any] = {"email": "u@example.com"}
CLIENT = AppClient("client", "us-east-1_pool", "app", 1.0, 1.0)


def _pool(mode: str, **factors: Any) -> UserPool:
    return UserPool("us-east-1_pool", "pool", 1.0, 1.0, {"MfaConfiguration": mode, **factors})


def _user(settings: dict[str, Any] | None = None, **attributes: str) -> User:
    return User(
        "us-east-1_pool",
        "u",
        "sub-1",
        UserStatus.CONFIRMED,
        True,
        {"sub": "sub-1", **attributes},
        1.0,
        1.0,
        settings=settings or {},
    )


def _enabled(*factors: str, preferred: str | None = None, verified: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = {"UserMFASettingList": list(factors)}
    if preferred:
        settings["PreferredMfaSetting"] = preferred
    if verified:
        settings.update(VERIFIED)
    return settings


def _session(*steps: ChallengeName) -> AuthSession:
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
    )


PASSED = (C.PASSWORD_VERIFIER,)
CASES = [
    # (what, pool, user, steps passed, expected)
    (
        "OFF ignores an enabled factor",
        _pool("OFF", **ALL),
        _user(_enabled("SOFTWARE_TOKEN_MFA", verified=True)),
        PASSED,
        TOKENS,
    ),
    ("OPTIONAL, no factor", _pool("OPTIONAL", **ALL), _user(**PHONE, **MAIL), PASSED, TOKENS),
    (
        "OPTIONAL, TOTP",
        _pool("OPTIONAL", **TOTP),
        _user(_enabled("SOFTWARE_TOKEN_MFA", verified=True)),
        PASSED,
        ChallengeName.SOFTWARE_TOKEN_MFA,
    ),
    (
        "OPTIONAL, TOTP enabled but never verified",
        _pool("OPTIONAL", **TOTP),
        _user(_enabled("SOFTWARE_TOKEN_MFA")),
        PASSED,
        TOKENS,
    ),
    (
        "TOTP still usable after the pool turned it off",
        _pool("OPTIONAL", **SMS),
        _user(_enabled("SOFTWARE_TOKEN_MFA", verified=True)),
        PASSED,
        ChallengeName.SOFTWARE_TOKEN_MFA,
    ),
    (
        "OPTIONAL, SMS",
        _pool("OPTIONAL", **SMS),
        _user(_enabled("SMS_MFA"), **PHONE),
        PASSED,
        ChallengeName.SMS_MFA,
    ),
    (
        "SMS without a phone is not usable",
        _pool("OPTIONAL", **SMS),
        _user(_enabled("SMS_MFA")),
        PASSED,
        TOKENS,
    ),
    (
        "SMS switched off on the pool",
        _pool("OPTIONAL", **SMS, SmsMfaEnabled=False),
        _user(_enabled("SMS_MFA"), **PHONE),
        PASSED,
        TOKENS,
    ),
    (
        "legacy MFAOptions count as SMS",
        _pool("OPTIONAL", **SMS),
        _user({"MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]}, **PHONE),
        PASSED,
        ChallengeName.SMS_MFA,
    ),
    (
        "OPTIONAL, e-mail",
        _pool("OPTIONAL", **EMAIL),
        _user(_enabled("EMAIL_OTP"), **MAIL),
        PASSED,
        ChallengeName.EMAIL_OTP,
    ),
    (
        "several, none preferred",
        _pool("ON", **ALL),
        _user(_enabled("SMS_MFA", "SOFTWARE_TOKEN_MFA", verified=True), **PHONE),
        PASSED,
        ChallengeName.SELECT_MFA_TYPE,
    ),
    (
        "several, one preferred",
        _pool("ON", **ALL),
        _user(_enabled("SMS_MFA", "EMAIL_OTP", preferred="EMAIL_OTP"), **PHONE, **MAIL),
        PASSED,
        ChallengeName.EMAIL_OTP,
    ),
    (
        "preferred but unusable: the other one",
        _pool("ON", **TOTP),
        _user(_enabled("SMS_MFA", "SOFTWARE_TOKEN_MFA", preferred="SMS_MFA", verified=True), **PHONE),
        PASSED,
        ChallengeName.SOFTWARE_TOKEN_MFA,
    ),
    ("ON, nothing: set up", _pool("ON", **TOTP), _user(), PASSED, ChallengeName.MFA_SETUP),
    (
        "ON, a verified token not enabled",
        _pool("ON", **TOTP),
        _user(VERIFIED),
        PASSED,
        ChallengeName.SOFTWARE_TOKEN_MFA,
    ),
    ("ON, SMS pool and a phone", _pool("ON", **SMS), _user(**PHONE), PASSED, ChallengeName.SMS_MFA),
    (
        "MFA already passed",
        _pool("ON", **TOTP),
        _user(_enabled("SOFTWARE_TOKEN_MFA", verified=True)),
        (*PASSED, C.SOFTWARE_TOKEN_MFA),
        TOKENS,
    ),
    (
        "set up already passed",
        _pool("ON", **TOTP),
        _user(),
        (*PASSED, C.SOFTWARE_TOKEN_MFA, C.MFA_SETUP),
        TOKENS,
    ),
    (
        "choosing is no MFA",
        _pool("ON", **ALL),
        _user(_enabled("SMS_MFA", "EMAIL_OTP"), **PHONE, **MAIL),
        (*PASSED, C.SELECT_MFA_TYPE),
        ChallengeName.SELECT_MFA_TYPE,
    ),
]


@pytest.mark.parametrize(
    ("pool", "user", "steps", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_mfa_rows(pool: UserPool, user: User, steps: tuple[ChallengeName, ...], expected: NextStep) -> None:
    assert next_challenge(_session(*steps), user, pool, CLIENT) is expected


def test_new_password_comes_first() -> None:
    user = User(
        "us-east-1_pool", "u", "sub-1", UserStatus.FORCE_CHANGE_PASSWORD, True, {"sub": "sub-1"}, 1.0, 1.0
    )
    pool = _pool("ON", **TOTP)
    assert next_challenge(_session(*PASSED), user, pool, CLIENT) is ChallengeName.NEW_PASSWORD_REQUIRED
    after = _session(*PASSED, C.NEW_PASSWORD_REQUIRED)
    assert next_challenge(after, user, pool, CLIENT) is ChallengeName.MFA_SETUP


def test_choices_and_setup_lists() -> None:
    user = _user(_enabled("EMAIL_OTP", "SMS_MFA", "SOFTWARE_TOKEN_MFA", verified=True), **PHONE, **MAIL)
    assert selection.choices(user, _pool("ON", **ALL)) == ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
    assert selection.can_set_up(_pool("ON", **ALL)) == ("SMS_MFA", "SOFTWARE_TOKEN_MFA")
    assert selection.can_set_up(_pool("ON", **TOTP, **EMAIL)) == ("SOFTWARE_TOKEN_MFA",)
