"""The MFA factors and which of them a user has enabled, read from ``User.settings``.

A model module (the bottom layer, docs/architecture.md): ``users`` reads a user's factors here
(a recovery channel that is also a second factor is skipped) without importing the ``mfa``
services, which import ``users``. ``mfa.user_settings`` writes these keys.
"""

from __future__ import annotations

from typing import Final

from poolgate.users.model import User

SMS_MFA: Final = "SMS_MFA"
SOFTWARE_TOKEN_MFA: Final = "SOFTWARE_TOKEN_MFA"
EMAIL_OTP: Final = "EMAIL_OTP"
FACTORS: Final = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP)

SETTING_LIST: Final = "UserMFASettingList"
MFA_OPTIONS: Final = "MFAOptions"


def enabled_factors(user: User) -> tuple[str, ...]:
    """The factors ``user`` has enabled, in Cognito's order; a legacy SMS ``MFAOptions`` entry
    alone also counts as SMS enabled."""
    settings = user.settings
    listed = set(settings.get(SETTING_LIST) or ())
    if any(option.get("DeliveryMedium") == "SMS" for option in settings.get(MFA_OPTIONS) or ()):
        listed.add(SMS_MFA)
    return tuple(factor for factor in FACTORS if factor in listed)
