"""User-pool configuration: defaults, semantic checks, replace-on-update, responses, ids.

Pure functions (no I/O). The facts and their evidence are in ``docs/management.md``;
every value Poolgate chose without a source is a module constant here, in
``pools/schema.py`` or in ``pools/clients.py``. The app-client functions are re-exported
so callers need only this module.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Collection, Mapping
from typing import Any

from poolgate.errors import InvalidParameterException
from poolgate.pools import schema
from poolgate.pools.clients import (
    allowed_auth_flows,
    build_client_config,
    describe_client,
    summarize_client,
    token_validity_seconds,
    update_client_config,
)
from poolgate.pools.model import UserPool

__all__ = [
    "allowed_auth_flows",
    "build_client_config",
    "build_pool_config",
    "describe_client",
    "describe_pool",
    "mfa_factors",
    "new_client_id",
    "new_client_secret",
    "new_pool_id",
    "summarize_client",
    "summarize_pool",
    "token_validity_seconds",
    "update_client_config",
    "update_pool_config",
]

DEFAULT_PASSWORD_POLICY: Mapping[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
# MinimumLength when a PasswordPolicy is given without one (no source; decision).
DEFAULT_MINIMUM_LENGTH = 8
DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS = 7
DEFAULT_SIGN_IN_POLICY: Mapping[str, Any] = {"AllowedFirstAuthFactors": ["PASSWORD"]}
DEFAULT_USERNAME_CONFIGURATION: Mapping[str, Any] = {"CaseSensitive": True}
DEFAULT_EMAIL_SENDING_ACCOUNT = "COGNITO_DEFAULT"
DEFAULT_EMAIL_OPTION = "CONFIRM_WITH_CODE"
DEFAULT_TIER = "ESSENTIALS"
DEFAULT_ACR_NAMES: Mapping[str, str] = {f"Level{i}": f"urn:cognito:loa:{i}" for i in range(1, 5)}

# Members UpdateUserPool cannot change: always carried over from the existing pool.
IMMUTABLE_MEMBERS: tuple[str, ...] = (
    "SchemaAttributes",
    "UsernameAttributes",
    "AliasAttributes",
    "UsernameConfiguration",
    "Domain",
    "CustomDomain",
)
# Members UpdateUserPool keeps when the request omits them (model for DcrConfiguration,
# decision for the rest); every other omitted member reverts to its default.
KEPT_WHEN_OMITTED: tuple[str, ...] = (
    "DcrConfiguration",
    "UserPoolTags",
    "UserPoolTier",
    "IssuerConfiguration",
    "KeyConfiguration",
)

# Members stored exactly as given when present, and absent otherwise.
_AS_GIVEN = (
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsAuthenticationMessage",
    "DeviceConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "UserPoolAddOns",
    "AccountRecoverySetting",
    "UserAttributeUpdateSettings",
    "KeyConfiguration",
    "IssuerConfiguration",
)
# Legacy top-level verification members and their VerificationMessageTemplate twins.
_LEGACY_TEMPLATE = {
    "SmsVerificationMessage": "SmsMessage",
    "EmailVerificationMessage": "EmailMessage",
    "EmailVerificationSubject": "EmailSubject",
}
_MFA_WITHOUT_SMS = (
    "SMS configuration and Auto verification for phone_number are required when MFA is required/optional"
)
_MFA_WITHOUT_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
)

# SetUserPoolMfaConfig's settings that are not UserPoolType members: kept in the pool config
# (DescribeUserPool never shows them, the serializer drops unmodelled members) and carried over
# by UpdateUserPool, which cannot change them. ``SmsMfaEnabled`` False records that
# SetUserPoolMfaConfig switched SMS MFA off while the pool keeps its SmsConfiguration for
# other messages.
MFA_FACTOR_MEMBERS: tuple[str, ...] = (
    "SoftwareTokenMfaConfiguration",
    "EmailMfaConfiguration",
    "SmsMfaEnabled",
    "WebAuthnConfiguration",
)
_CUSTOM_SENDERS_UNSUPPORTED = (
    "{trigger} is not supported by Poolgate: codes and messages are delivered by its own senders "
    "(SMTP, SMS webhook, SNS, outbox) and can be reworded with the CustomMessage trigger."
)

_POOL_ID_ALPHABET = string.ascii_letters + string.digits
_CLIENT_ALPHABET = string.ascii_lowercase + string.digits


def build_pool_config(request: Mapping[str, Any]) -> dict[str, Any]:
    """The stored config of a pool created from CreateUserPool members.

    ``PoolName`` is ignored (the name lives on ``UserPool``). The result holds every
    UserPoolType member AWS returns except Id, Name, Arn, CreationDate, LastModifiedDate
    and EstimatedNumberOfUsers. Raises InvalidParameterException (or
    LimitExceededException for the schema quota) for rules the model cannot express.
    """
    config = _assemble(request, schema.build_schema(request.get("Schema")))
    if config["MfaConfiguration"] != "OFF" and "SmsConfiguration" not in config:
        raise InvalidParameterException(_MFA_WITHOUT_SMS)
    return config


def update_pool_config(
    existing: Mapping[str, Any], request: Mapping[str, Any], *, enabled_mfa_factors: Collection[str] = ()
) -> dict[str, Any]:
    """Apply UpdateUserPool: members omitted from ``request`` revert to their defaults.

    Members UpdateUserPool cannot change (schema, username attributes, aliases, username
    configuration, domains) and those in ``KEPT_WHEN_OMITTED`` are kept from ``existing``.
    SetUserPoolMfaConfig's own settings (``MFA_FACTOR_MEMBERS``) are carried over.
    MFA ON/OPTIONAL needs a factor (``mfa_factors`` of the result, or one named in
    ``enabled_mfa_factors``), else InvalidParameterException.
    """
    kept = {m: existing[m] for m in IMMUTABLE_MEMBERS if m in existing}
    kept.update({m: existing[m] for m in KEPT_WHEN_OMITTED if m in existing and m not in request})
    merged = {k: v for k, v in request.items() if k not in IMMUTABLE_MEMBERS}
    merged.update({k: v for k, v in kept.items() if k != "SchemaAttributes"})
    config = _assemble(
        merged, copy.deepcopy(list(existing.get("SchemaAttributes") or schema.default_schema()))
    )
    for member in ("Domain", "CustomDomain", *MFA_FACTOR_MEMBERS):
        if member in existing:
            config[member] = copy.deepcopy(existing[member])
    if config["MfaConfiguration"] != "OFF" and not (mfa_factors(config) or enabled_mfa_factors):
        raise InvalidParameterException(_MFA_WITHOUT_FACTOR)
    return config


def mfa_factors(config: Mapping[str, Any]) -> list[str]:
    """The MFA factors a pool config enables, in Cognito's order: ``SMS_MFA`` (an
    SmsConfiguration that SetUserPoolMfaConfig did not switch off), ``SOFTWARE_TOKEN_MFA``
    and ``EMAIL_OTP`` (switched on by SetUserPoolMfaConfig)."""
    factors: list[str] = []
    if "SmsConfiguration" in config and config.get("SmsMfaEnabled", True):
        factors.append("SMS_MFA")
    if (config.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        factors.append("SOFTWARE_TOKEN_MFA")
    if config.get("EmailMfaConfiguration") is not None:
        factors.append("EMAIL_OTP")
    return factors


def describe_pool(pool: UserPool, *, arn: str, estimated_users: int) -> dict[str, Any]:
    """The UserPoolType document DescribeUserPool (and Create/UpdateUserPool) return."""
    described: dict[str, Any] = {"Id": pool.id, "Name": pool.name}
    described.update(copy.deepcopy(dict(pool.config)))
    described["LastModifiedDate"] = pool.updated_at
    described["CreationDate"] = pool.created_at
    described["EstimatedNumberOfUsers"] = estimated_users
    described["Arn"] = arn
    return described


def summarize_pool(pool: UserPool) -> dict[str, Any]:
    """The UserPoolDescriptionType item ListUserPools returns."""
    return {
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": copy.deepcopy(dict(pool.config.get("LambdaConfig") or {})),
        "LastModifiedDate": pool.updated_at,
        "CreationDate": pool.created_at,
    }


def new_pool_id(region: str) -> str:
    """A fresh user pool id: ``<region>_`` and 9 random letters or digits."""
    return region + "_" + "".join(secrets.choice(_POOL_ID_ALPHABET) for _ in range(9))


def new_client_id() -> str:
    """A fresh app client id: 26 random lowercase letters or digits."""
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(26))


def new_client_secret() -> str:
    """A fresh app client secret: 52 random lowercase letters or digits."""
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(52))


def _assemble(request: Mapping[str, Any], schema_attributes: list[dict[str, Any]]) -> dict[str, Any]:
    """Build a config from request members; shared by create and update."""
    if request.get("UsernameAttributes") and request.get("AliasAttributes"):
        raise InvalidParameterException(
            "Only one of AliasAttributes or UsernameAttributes can be set in a User Pool."
        )
    config: dict[str, Any] = {
        member: copy.deepcopy(request[member]) for member in _AS_GIVEN if member in request
    }
    admin_create = dict(request.get("AdminCreateUserConfig") or {})
    config["Policies"] = _policies(request.get("Policies"), admin_create)
    config["DeletionProtection"] = request.get("DeletionProtection", "INACTIVE")
    config["LambdaConfig"] = _lambda_config(request.get("LambdaConfig"))
    config["SchemaAttributes"] = schema_attributes
    config.update(_verification(request))
    config["MfaConfiguration"] = request.get("MfaConfiguration", "OFF")
    config["EmailConfiguration"] = _email_configuration(request.get("EmailConfiguration"))
    if (
        "SmsConfiguration" in config
        and config["SmsConfiguration"].get("SnsCallerArn")
        and config["SmsConfiguration"].get("EumsSms")
    ):
        raise InvalidParameterException(
            "Provide either SnsCallerArn or EumsSms in SmsConfiguration, but not both."
        )
    admin_create["AllowAdminCreateUserOnly"] = bool(admin_create.get("AllowAdminCreateUserOnly", False))
    admin_create["UnusedAccountValidityDays"] = config["Policies"]["PasswordPolicy"][
        "TemporaryPasswordValidityDays"
    ]
    config["AdminCreateUserConfig"] = admin_create
    config["UsernameConfiguration"] = dict(
        request.get("UsernameConfiguration") or DEFAULT_USERNAME_CONFIGURATION
    )
    config["UserPoolTier"] = request.get("UserPoolTier", DEFAULT_TIER)
    if "AcrConfiguration" in request:
        config["AcrConfiguration"] = _acr_configuration(request["AcrConfiguration"])
    if "DcrConfiguration" in request:
        dcr = dict(request["DcrConfiguration"])
        dcr.setdefault("EnableStatus", "Enabled")
        dcr.setdefault("OpenDcrEnabled", False)
        config["DcrConfiguration"] = dcr
    _check_update_settings(config)
    _check_account_recovery(config)
    return config


def _policies(policies: Mapping[str, Any] | None, admin_create: Mapping[str, Any]) -> dict[str, Any]:
    given = dict((policies or {}).get("PasswordPolicy") or {})
    legacy_days = admin_create.get("UnusedAccountValidityDays")
    # Both members given with different values conflict; equal values (a DescribeUserPool
    # result sent back unchanged) are accepted.
    if given.get("TemporaryPasswordValidityDays") and legacy_days not in (
        None,
        given["TemporaryPasswordValidityDays"],
    ):
        raise InvalidParameterException(
            "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
        )
    if given:
        password: dict[str, Any] = {
            "MinimumLength": given.get("MinimumLength", DEFAULT_MINIMUM_LENGTH),
            "RequireUppercase": bool(given.get("RequireUppercase", False)),
            "RequireLowercase": bool(given.get("RequireLowercase", False)),
            "RequireNumbers": bool(given.get("RequireNumbers", False)),
            "RequireSymbols": bool(given.get("RequireSymbols", False)),
        }
        if "PasswordHistorySize" in given:
            password["PasswordHistorySize"] = given["PasswordHistorySize"]
        password["TemporaryPasswordValidityDays"] = given.get("TemporaryPasswordValidityDays") or 0
    else:
        password = dict(DEFAULT_PASSWORD_POLICY)
        password["TemporaryPasswordValidityDays"] = 0
    if not password["TemporaryPasswordValidityDays"]:
        password["TemporaryPasswordValidityDays"] = legacy_days or DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS
    sign_in = (policies or {}).get("SignInPolicy") or DEFAULT_SIGN_IN_POLICY
    return {"PasswordPolicy": password, "SignInPolicy": copy.deepcopy(dict(sign_in))}


def _lambda_config(given: Mapping[str, Any] | None) -> dict[str, Any]:
    config = copy.deepcopy(dict(given or {}))
    for trigger in ("CustomSMSSender", "CustomEmailSender"):
        if trigger in config:
            raise InvalidParameterException(_CUSTOM_SENDERS_UNSUPPORTED.format(trigger=trigger))
    legacy = config.get("PreTokenGeneration")
    versioned = config.get("PreTokenGenerationConfig")
    if legacy and versioned and versioned.get("LambdaArn") != legacy:
        raise InvalidParameterException(
            "PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same ARN."
        )
    if legacy and not versioned:
        config["PreTokenGenerationConfig"] = {"LambdaArn": legacy, "LambdaVersion": "V1_0"}
    elif versioned and not legacy:
        config["PreTokenGeneration"] = versioned["LambdaArn"]
    return config


def _verification(request: Mapping[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(dict(request.get("VerificationMessageTemplate") or {}))
    template.setdefault("DefaultEmailOption", DEFAULT_EMAIL_OPTION)
    members: dict[str, Any] = {}
    for legacy, twin in _LEGACY_TEMPLATE.items():
        if legacy in request:
            members[legacy] = request[legacy]
            template.setdefault(twin, request[legacy])
        elif twin in template:
            members[legacy] = template[twin]
    members["VerificationMessageTemplate"] = template
    return members


def _email_configuration(given: Mapping[str, Any] | None) -> dict[str, Any]:
    config = dict(given or {})
    config.setdefault("EmailSendingAccount", DEFAULT_EMAIL_SENDING_ACCOUNT)
    if config["EmailSendingAccount"] == "DEVELOPER" and not config.get("SourceArn"):
        raise InvalidParameterException("SourceArn is required when EmailSendingAccount is DEVELOPER.")
    return config


def _acr_configuration(given: Mapping[str, str]) -> dict[str, str]:
    names = {**DEFAULT_ACR_NAMES, **dict(given)}
    if len(set(names.values())) != len(names):
        raise InvalidParameterException("Each ACR level name must be unique across all four levels.")
    return names


def _check_update_settings(config: Mapping[str, Any]) -> None:
    settings = config.get("UserAttributeUpdateSettings") or {}
    verified = set(config.get("AutoVerifiedAttributes") or ())
    for attribute in settings.get("AttributesRequireVerificationBeforeUpdate") or ():
        if attribute not in verified:
            raise InvalidParameterException(
                f"{attribute} must be in AutoVerifiedAttributes to require verification before update."
            )


def _check_account_recovery(config: Mapping[str, Any]) -> None:
    mechanisms = list((config.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or ())
    names = [m["Name"] for m in mechanisms]
    if len(set(names)) != len(names) or len({m["Priority"] for m in mechanisms}) != len(mechanisms):
        raise InvalidParameterException("RecoveryMechanisms must have unique names and priorities.")
    if "admin_only" in names and len(names) > 1:
        raise InvalidParameterException("admin_only cannot be combined with other recovery mechanisms.")
