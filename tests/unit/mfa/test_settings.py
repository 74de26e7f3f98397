"""Pool MFA configuration (SetUserPoolMfaConfig, UpdateUserPool, custom senders), per-user
preferences (SetUserMFAPreference) and sealed TOTP secrets."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.errors import InvalidParameterException
from poolgate.mfa import pool_config, user_settings
from poolgate.mfa.seeds import SeedBox, SeedError
from poolgate.pools import defaults
from poolgate.users.model import User, UserStatus

SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}
NO_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
)


def _raises(message: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(InvalidParameterException) as info:
        call(*args, **kwargs)
    assert str(info.value) == message


def test_set_config_replaces_the_factor_set() -> None:
    config = defaults.build_pool_config(
        {"SmsConfiguration": SMS_CONFIGURATION, "MfaConfiguration": "OPTIONAL"}
    )
    assert pool_config.describe(config)["SmsMfaConfiguration"] == {"SmsConfiguration": SMS_CONFIGURATION}
    updated = pool_config.apply_set_config(config, {"SoftwareTokenMfaConfiguration": {"Enabled": True}})
    described = pool_config.describe(updated)
    # SMS switched off, its configuration kept for other messages; the mode kept.
    assert "SmsMfaConfiguration" not in described and updated["SmsConfiguration"] == SMS_CONFIGURATION
    assert described["MfaConfiguration"] == "OPTIONAL"
    assert described["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    _raises(NO_FACTOR, pool_config.apply_set_config, updated, {"MfaConfiguration": "ON"})
    back = pool_config.apply_set_config(
        updated, {"SmsMfaConfiguration": {"SmsAuthenticationMessage": "c {####}"}}
    )
    assert pool_config.describe(back)["SmsMfaConfiguration"] == {
        "SmsConfiguration": SMS_CONFIGURATION,
        "SmsAuthenticationMessage": "c {####}",
    }
    _raises(
        "SmsConfiguration is required to enable SMS MFA on a user pool without one.",
        pool_config.apply_set_config,
        defaults.build_pool_config({}),
        {"SmsMfaConfiguration": {}},
    )


def test_update_user_pool_keeps_the_factors() -> None:
    config = pool_config.apply_set_config(
        defaults.build_pool_config({}),
        {
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "EmailMfaConfiguration": {"Message": "x {####}"},
            "MfaConfiguration": "OPTIONAL",
        },
    )
    updated = defaults.update_pool_config(config, {"MfaConfiguration": "ON"})
    assert defaults.mfa_factors(updated) == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    _raises(
        NO_FACTOR, defaults.update_pool_config, defaults.build_pool_config({}), {"MfaConfiguration": "ON"}
    )


@pytest.mark.parametrize("trigger", ["CustomSMSSender", "CustomEmailSender"])
def test_custom_senders_refused(trigger: str) -> None:
    with pytest.raises(InvalidParameterException, match=f"^{trigger} is not supported by Poolgate"):
        defaults.build_pool_config({"LambdaConfig": {trigger: {"LambdaVersion": "V1_0", "LambdaArn": "arn"}}})


def _user(settings: dict[str, Any] | None = None, **attributes: str) -> User:
    return User(
        "p_1",
        "u",
        "s",
        UserStatus.CONFIRMED,
        True,
        {"sub": "s", **attributes},
        1.0,
        1.0,
        settings=settings or {},
    )


def test_preferences() -> None:
    user = _user({"SoftwareToken": {"secret": "sealed"}}, phone_number="+15555550100")
    both = user_settings.apply_preferences(
        user,
        {
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
            "SoftwareTokenMfaSettings": {"Enabled": True},
        },
    )
    assert both["UserMFASettingList"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert both["PreferredMfaSetting"] == "SMS_MFA"
    assert both["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    moved = user_settings.apply_preferences(
        _user(both, phone_number="+15555550100"), {"SoftwareTokenMfaSettings": {"PreferredMfa": True}}
    )
    assert moved["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    dropped = user_settings.apply_preferences(
        _user(moved, phone_number="+15555550100"), {"SoftwareTokenMfaSettings": {"Enabled": False}}
    )
    assert dropped["UserMFASettingList"] == ["SMS_MFA"] and "PreferredMfaSetting" not in dropped
    off = user_settings.apply_preferences(_user(dropped), {"SMSMfaSettings": {"Enabled": False}})
    assert off == {"SoftwareToken": {"secret": "sealed"}}


def test_preference_errors() -> None:
    cases = [
        ({"SMSMfaSettings": {"Enabled": True}}, user_settings.NO_PHONE),
        ({"EmailMfaSettings": {"Enabled": True}}, user_settings.NO_EMAIL),
        ({"SoftwareTokenMfaSettings": {"Enabled": True}}, user_settings.TOTP_NOT_VERIFIED),
        ({"SMSMfaSettings": {"PreferredMfa": True}}, user_settings.PREFERRED_DISABLED),
        ({"WebAuthnMfaSettings": {"Enabled": True}}, user_settings.WEB_AUTHN_UNSUPPORTED),
    ]
    for request, message in cases:
        _raises(message, user_settings.apply_preferences, _user(), request)
    rich = _user({"SoftwareToken": {"secret": "sealed"}}, phone_number="+15555550100")
    _raises(
        user_settings.SEVERAL_PREFERRED,
        user_settings.apply_preferences,
        rich,
        {
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
            "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True},
        },
    )


def test_sealed_secrets_are_bound_to_the_user() -> None:
    box = SeedBox(b"k" * 32)
    sealed = box.seal("pool_1", "sub-a", b"secret-bytes-1234567")
    assert box.open("pool_1", "sub-a", sealed) == b"secret-bytes-1234567"
    for pool, sub in (("pool_1", "sub-b"), ("pool_2", "sub-a")):
        with pytest.raises(SeedError):
            box.open(pool, sub, sealed)
    with pytest.raises(SeedError):
        SeedBox(b"x" * 32).open("pool_1", "sub-a", sealed)
    with pytest.raises(SeedError):
        box.open("pool_1", "sub-a", "not base64!")
