"""A pool's MFA configuration: what SetUserPoolMfaConfig stores, what GetUserPoolMfaConfig
returns, and the typed view the sign-in engine reads (mfa-devices-security.md section 1).

Where it lives: ``MfaConfiguration``, ``SmsConfiguration`` and ``SmsAuthenticationMessage`` are
UserPoolType members (CreateUserPool / UpdateUserPool set them too); TOTP, e-mail MFA and the
SMS switch are private members of the pool config (``pools.defaults.MFA_FACTOR_MEMBERS``).

SetUserPoolMfaConfig replaces the whole factor set [decision, as moto does]: a factor whose
configuration the request leaves out is switched off (SMS MFA is switched off without
forgetting the SmsConfiguration, which sign-up codes still use). ``MfaConfiguration`` left out
keeps its current value. ``ON`` or ``OPTIONAL`` without any factor is refused with Cognito's
message.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from poolgate.errors import InvalidParameterException
from poolgate.pools.defaults import mfa_factors
from poolgate.pools.model import UserPool
from poolgate.users.rules import DEFAULT_SMS_AUTHENTICATION_MESSAGE

DEFAULT_EMAIL_MFA_MESSAGE: Final = "Your authentication code is {####}. "
"""[decision] the SMS default's wording; AWS's e-mail default is not in our sources."""
DEFAULT_EMAIL_MFA_SUBJECT: Final = "Your authentication code"
"""[decision]"""

NO_FACTOR_MESSAGE: Final = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
)
SMS_CONFIGURATION_MISSING: Final = (
    "SmsConfiguration is required to enable SMS MFA on a user pool without one."
)
"""[decision] free text; AWS words this differently per console and API."""

OFF: Final = "OFF"
ON: Final = "ON"
OPTIONAL: Final = "OPTIONAL"


@dataclass(frozen=True, slots=True)
class PoolMfa:
    """The MFA settings of a pool that sign-in reads."""

    mode: str
    sms: bool
    totp: bool
    email: bool
    sms_message: str
    email_message: str
    email_subject: str

    @property
    def factors(self) -> tuple[str, ...]:
        """The factors enabled on the pool, in Cognito's order (SMS, TOTP, e-mail)."""
        return tuple(
            name
            for name, on in (
                ("SMS_MFA", self.sms),
                ("SOFTWARE_TOKEN_MFA", self.totp),
                ("EMAIL_OTP", self.email),
            )
            if on
        )


def pool_mfa(pool: UserPool) -> PoolMfa:
    """The typed MFA view of ``pool``'s configuration."""
    config = pool.config
    factors = mfa_factors(config)
    email: Mapping[str, Any] = config.get("EmailMfaConfiguration") or {}
    return PoolMfa(
        mode=str(config.get("MfaConfiguration") or OFF),
        sms="SMS_MFA" in factors,
        totp="SOFTWARE_TOKEN_MFA" in factors,
        email="EMAIL_OTP" in factors,
        sms_message=str(config.get("SmsAuthenticationMessage") or DEFAULT_SMS_AUTHENTICATION_MESSAGE),
        email_message=str(email.get("Message") or DEFAULT_EMAIL_MFA_MESSAGE),
        email_subject=str(email.get("Subject") or DEFAULT_EMAIL_MFA_SUBJECT),
    )


def describe(config: Mapping[str, Any]) -> dict[str, Any]:
    """The GetUserPoolMfaConfig (and SetUserPoolMfaConfig) response for a pool config: the
    configuration of each enabled factor, and ``MfaConfiguration``."""
    factors = mfa_factors(config)
    result: dict[str, Any] = {}
    if "SMS_MFA" in factors:
        sms: dict[str, Any] = {"SmsConfiguration": copy.deepcopy(config["SmsConfiguration"])}
        if config.get("SmsAuthenticationMessage"):
            sms["SmsAuthenticationMessage"] = config["SmsAuthenticationMessage"]
        result["SmsMfaConfiguration"] = sms
    result["SoftwareTokenMfaConfiguration"] = {"Enabled": "SOFTWARE_TOKEN_MFA" in factors}
    if "EMAIL_OTP" in factors:
        result["EmailMfaConfiguration"] = copy.deepcopy(dict(config["EmailMfaConfiguration"]))
    if config.get("WebAuthnConfiguration") is not None:
        result["WebAuthnConfiguration"] = copy.deepcopy(dict(config["WebAuthnConfiguration"]))
    result["MfaConfiguration"] = str(config.get("MfaConfiguration") or OFF)
    return result


def apply_set_config(config: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The pool config after SetUserPoolMfaConfig with ``request`` (its members but
    ``UserPoolId``). Shapes and the ``{####}`` patterns were checked by the protocol layer;
    raises InvalidParameterException for SMS MFA without any SmsConfiguration and for ON /
    OPTIONAL without a factor."""
    updated = copy.deepcopy(dict(config))
    sms = request.get("SmsMfaConfiguration")
    if sms is not None:
        if sms.get("SmsConfiguration") is not None:
            updated["SmsConfiguration"] = copy.deepcopy(dict(sms["SmsConfiguration"]))
        elif "SmsConfiguration" not in updated:
            raise InvalidParameterException(SMS_CONFIGURATION_MISSING)
        if sms.get("SmsAuthenticationMessage"):
            updated["SmsAuthenticationMessage"] = sms["SmsAuthenticationMessage"]
        updated.pop("SmsMfaEnabled", None)
    else:
        updated["SmsMfaEnabled"] = False
    token = request.get("SoftwareTokenMfaConfiguration")
    updated["SoftwareTokenMfaConfiguration"] = {"Enabled": bool(token and token.get("Enabled"))}
    email = request.get("EmailMfaConfiguration")
    if email is not None:
        updated["EmailMfaConfiguration"] = {k: v for k, v in dict(email).items() if v is not None}
    else:
        updated.pop("EmailMfaConfiguration", None)
    if request.get("WebAuthnConfiguration") is not None:
        updated["WebAuthnConfiguration"] = copy.deepcopy(dict(request["WebAuthnConfiguration"]))
    if request.get("MfaConfiguration") is not None:
        updated["MfaConfiguration"] = request["MfaConfiguration"]
    if updated.get("MfaConfiguration", OFF) != OFF and not mfa_factors(updated):
        raise InvalidParameterException(NO_FACTOR_MESSAGE)
    return updated
