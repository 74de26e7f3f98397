"""A user's MFA state as kept in ``User.settings`` (mfa-devices-security.md section 2).

Keys, read by ``users.views`` for GetUser / AdminGetUser and written only here (and by the
migration trigger's ``enableSMSMFA``):

- ``UserMFASettingList``: the enabled factors, in Cognito's order (``SMS_MFA``,
  ``SOFTWARE_TOKEN_MFA``, ``EMAIL_OTP``);
- ``PreferredMfaSetting``: the preferred factor, if any;
- ``MFAOptions``: the legacy ``[{DeliveryMedium: SMS, AttributeName: phone_number}]``, present
  while SMS MFA is enabled (a legacy entry alone also counts as SMS enabled);
- ``SoftwareToken``: Poolgate's TOTP record: ``secret`` (the verified secret, sealed by
  ``seeds.SeedBox``), ``pending`` (an associated, not yet verified one), ``last_step`` (the
  last accepted time step: a code is accepted once) and ``device_name``
  (VerifySoftwareToken's ``FriendlyDeviceName``).

Pure functions over values: the services read and save the user.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from poolgate.errors import InvalidParameterException
from poolgate.mfa.model import (
    EMAIL_OTP,
    FACTORS,
    MFA_OPTIONS,
    SETTING_LIST,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    enabled_factors,
)
from poolgate.users.model import User

PREFERRED: Final = "PreferredMfaSetting"
SOFTWARE_TOKEN: Final = "SoftwareToken"
SMS_OPTION: Final = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}

# SetUserMFAPreference's members and the factor each one sets.
PREFERENCE_MEMBERS: Final = {
    "SMSMfaSettings": SMS_MFA,
    "SoftwareTokenMfaSettings": SOFTWARE_TOKEN_MFA,
    "EmailMfaSettings": EMAIL_OTP,
}

NO_PHONE: Final = "User does not have delivery config set to turn on SMS_MFA"
"""[inferred, spec section 2]"""
NO_EMAIL: Final = "User does not have delivery config set to turn on EMAIL_OTP"
"""[decision] the SMS text's wording for e-mail."""
TOTP_NOT_VERIFIED: Final = "User has not verified software token mfa"
"""[inferred, spec section 2]"""
PREFERRED_DISABLED: Final = "A disabled MFA method cannot be the preferred one."
"""[decision] no source for AWS's text."""
SEVERAL_PREFERRED: Final = "Only one MFA method can be preferred."
"""[decision]"""
WEB_AUTHN_UNSUPPORTED: Final = "WebAuthn (passkey) MFA is not supported by this server."
"""[decision] passkeys are not implemented."""


@dataclass(frozen=True, slots=True)
class TotpRecord:
    """The ``SoftwareToken`` record (sealed secrets stay sealed here)."""

    secret: str | None = None
    pending: str | None = None
    last_step: int | None = None
    device_name: str | None = None

    def to_settings(self) -> dict[str, Any]:
        """The JSON document stored under ``SoftwareToken`` (None members left out)."""
        document = {
            "secret": self.secret,
            "pending": self.pending,
            "last_step": self.last_step,
            "device_name": self.device_name,
        }
        return {k: v for k, v in document.items() if v is not None}


@dataclass(frozen=True, slots=True)
class UserMfa:
    """What a user has enabled and prefers, and their TOTP record."""

    enabled: tuple[str, ...]
    preferred: str | None
    totp: TotpRecord

    @property
    def totp_verified(self) -> bool:
        """True when the user has a verified TOTP secret (usable even if not enabled)."""
        return self.totp.secret is not None


def read(user: User) -> UserMfa:
    """The MFA state in ``user.settings``."""
    settings = user.settings
    record: Mapping[str, Any] = settings.get(SOFTWARE_TOKEN) or {}
    last = record.get("last_step")
    preferred = settings.get(PREFERRED)
    return UserMfa(
        enabled=enabled_factors(user),
        preferred=str(preferred) if preferred in FACTORS else None,
        totp=TotpRecord(
            secret=record.get("secret"),
            pending=record.get("pending"),
            last_step=None if last is None else int(last),
            device_name=record.get("device_name"),
        ),
    )


def with_state(
    settings: Mapping[str, Any], enabled: tuple[str, ...], preferred: str | None
) -> dict[str, Any]:
    """``settings`` with the enabled factors and the preference replaced (empty values are
    removed, so a user without MFA shows no MFA members)."""
    updated = {
        k: copy.deepcopy(v) for k, v in settings.items() if k not in (SETTING_LIST, PREFERRED, MFA_OPTIONS)
    }
    ordered = [factor for factor in FACTORS if factor in enabled]
    if ordered:
        updated[SETTING_LIST] = ordered
    if preferred is not None and preferred in ordered:
        updated[PREFERRED] = preferred
    if SMS_MFA in ordered:
        updated[MFA_OPTIONS] = [dict(SMS_OPTION)]
    return updated


def with_totp(settings: Mapping[str, Any], record: TotpRecord) -> dict[str, Any]:
    """``settings`` with the ``SoftwareToken`` record replaced."""
    updated = {k: copy.deepcopy(v) for k, v in settings.items() if k != SOFTWARE_TOKEN}
    document = record.to_settings()
    if document:
        updated[SOFTWARE_TOKEN] = document
    return updated


def apply_preferences(user: User, request: Mapping[str, Any]) -> dict[str, Any]:
    """``user.settings`` after SetUserMFAPreference / AdminSetUserMFAPreference.

    Each ``*MfaSettings`` member given changes its factor; members left out, and ``Enabled``
    or ``PreferredMfa`` left out inside one, leave things as they are. A factor switched off
    stops being preferred; one made preferred takes the preference from the others.

    Raises InvalidParameterException: SMS without ``phone_number``, e-mail without ``email``,
    TOTP without a verified token, a disabled factor made preferred, two factors made
    preferred, and WebAuthn switched on.
    """
    state = read(user)
    enabled = set(state.enabled)
    preferred = state.preferred
    chosen: list[str] = []
    web_authn = request.get("WebAuthnMfaSettings") or {}
    if web_authn.get("Enabled"):
        raise InvalidParameterException(WEB_AUTHN_UNSUPPORTED)
    for member, factor in PREFERENCE_MEMBERS.items():
        given = request.get(member)
        if given is None:
            continue
        on = given.get("Enabled")
        if on is True:
            _check_can_enable(user, state, factor)
            enabled.add(factor)
        elif on is False:
            enabled.discard(factor)
            if preferred == factor:
                preferred = None
        wants = given.get("PreferredMfa")
        if wants is True:
            if factor not in enabled:
                raise InvalidParameterException(PREFERRED_DISABLED)
            chosen.append(factor)
        elif wants is False and preferred == factor:
            preferred = None
    if len(chosen) > 1:
        raise InvalidParameterException(SEVERAL_PREFERRED)
    if chosen:
        preferred = chosen[0]
    return with_state(user.settings, tuple(enabled), preferred)


def _check_can_enable(user: User, state: UserMfa, factor: str) -> None:
    if factor == SMS_MFA and not user.attributes.get("phone_number"):
        raise InvalidParameterException(NO_PHONE)
    if factor == EMAIL_OTP and not user.attributes.get("email"):
        raise InvalidParameterException(NO_EMAIL)
    if factor == SOFTWARE_TOKEN_MFA and not state.totp_verified:
        raise InvalidParameterException(TOTP_NOT_VERIFIED)
