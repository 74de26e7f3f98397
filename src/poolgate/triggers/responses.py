"""Strict readers for what trigger functions return [spec triggers.md §2, §6].

A function returns the whole event; Cognito reads only its ``response`` (:func:`read_response`).
Each ``parse_*`` turns one trigger's ``response`` into the value ``triggers.api`` declares.
A member that is missing or null takes its default; a member of the wrong JSON type, output
that is not JSON, or a result that is not an object raises
``InvalidLambdaResponseException("Invalid lambda function output : Invalid JSON")``.
Coercions (``"true"`` for ``true``, ``1`` for ``"1"``) are deliberately refused.

Placeholders, message lengths and whether the pool may take e-mail text from CustomMessage
are the message drafting's business (``users.messages``), not checked here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from poolgate.errors import InvalidLambdaResponseException, UserNotFoundException
from poolgate.triggers.api import (
    CreateResult,
    DefineResult,
    GroupOverride,
    MessageOverride,
    MigrationResult,
    PreSignUpResult,
    TokenOverrides,
)

INVALID_JSON = "Invalid lambda function output : Invalid JSON"

# The values a migrated user's finalUserStatus, messageAction and mediums may take [spec §6.9].
FINAL_STATUSES = ("CONFIRMED", "RESET_REQUIRED")
MESSAGE_ACTIONS = ("SUPPRESS", "RESEND")
DELIVERY_MEDIUMS = ("EMAIL", "SMS")


def invalid() -> InvalidLambdaResponseException:
    return InvalidLambdaResponseException(INVALID_JSON)


def load_output(raw: bytes) -> Any:
    """The function's result as JSON; raises InvalidLambdaResponseException if it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid() from None


def read_response(output: Any) -> Mapping[str, Any]:
    """The ``response`` of a returned event (``{}`` when missing or null)."""
    if not isinstance(output, dict):
        raise invalid()
    response = output.get("response")
    if response is None:
        return {}
    if not isinstance(response, dict):
        raise invalid()
    return response


def _bool(obj: Mapping[str, Any], key: str) -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid()
    return value


def _optional_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid()
    return value


def _object(obj: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, dict):
        raise invalid()
    return value


def _string_map(obj: Mapping[str, Any], key: str) -> dict[str, str]:
    value = _object(obj, key) or {}
    if not all(isinstance(v, str) for v in value.values()):
        raise invalid()
    return dict(value)


def _json_map(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    return dict(_object(obj, key) or {})


def _string_list(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid()
    return tuple(value)


def parse_pre_sign_up(response: Mapping[str, Any]) -> PreSignUpResult:
    """``autoConfirmUser``, ``autoVerifyEmail``, ``autoVerifyPhone`` [spec §6.1]."""
    return PreSignUpResult(
        auto_confirm=_bool(response, "autoConfirmUser"),
        auto_verify_email=_bool(response, "autoVerifyEmail"),
        auto_verify_phone=_bool(response, "autoVerifyPhone"),
    )


def parse_define(response: Mapping[str, Any]) -> DefineResult:
    """``challengeName``, ``issueTokens``, ``failAuthentication`` [spec §6.5]."""
    return DefineResult(
        challenge_name=_optional_str(response, "challengeName"),
        issue_tokens=_bool(response, "issueTokens"),
        fail_authentication=_bool(response, "failAuthentication"),
    )


def parse_create(response: Mapping[str, Any]) -> CreateResult:
    """``publicChallengeParameters``, ``privateChallengeParameters`` (string maps) and
    ``challengeMetadata`` [spec §6.6]."""
    return CreateResult(
        public_parameters=_string_map(response, "publicChallengeParameters"),
        private_parameters=_string_map(response, "privateChallengeParameters"),
        challenge_metadata=_optional_str(response, "challengeMetadata"),
    )


def parse_verify(response: Mapping[str, Any]) -> bool:
    """``answerCorrect`` [spec §6.7]."""
    return _bool(response, "answerCorrect")


def _groups(details: Mapping[str, Any]) -> GroupOverride | None:
    # Absent: keep the user's groups. Present but null or empty: the groups are removed [spec §6.8].
    if "groupOverrideDetails" not in details:
        return None
    group = _object(details, "groupOverrideDetails") or {}
    return GroupOverride(
        groups=_string_list(group, "groupsToOverride"),
        iam_roles=_string_list(group, "iamRolesToOverride"),
        preferred_role=_optional_str(group, "preferredRole"),
    )


def parse_pre_token_v1(response: Mapping[str, Any]) -> TokenOverrides | None:
    """``claimsOverrideDetails`` (V1: string claim values, ID token only, plus groups);
    None when the function left it null [spec §6.8]."""
    details = _object(response, "claimsOverrideDetails")
    if details is None:
        return None
    return TokenOverrides(
        id_claims_add=_string_map(details, "claimsToAddOrOverride"),
        id_claims_suppress=_string_list(details, "claimsToSuppress"),
        groups=_groups(details),
    )


def parse_pre_token_v2(response: Mapping[str, Any]) -> TokenOverrides | None:
    """``claimsAndScopeOverrideDetails`` (V2/V3: claim values of any JSON type, both tokens,
    scopes, groups); None when the function left it null [spec §6.8]."""
    details = _object(response, "claimsAndScopeOverrideDetails")
    if details is None:
        return None
    id_token = _object(details, "idTokenGeneration") or {}
    access_token = _object(details, "accessTokenGeneration") or {}
    return TokenOverrides(
        id_claims_add=_json_map(id_token, "claimsToAddOrOverride"),
        id_claims_suppress=_string_list(id_token, "claimsToSuppress"),
        access_claims_add=_json_map(access_token, "claimsToAddOrOverride"),
        access_claims_suppress=_string_list(access_token, "claimsToSuppress"),
        scopes_add=_string_list(access_token, "scopesToAdd"),
        scopes_suppress=_string_list(access_token, "scopesToSuppress"),
        groups=_groups(details),
    )


def parse_migration(output: Any, client_id: str) -> MigrationResult | None:
    """A UserMigration result [spec §6.9]: None when ``userAttributes`` is missing or empty (no
    such user). A result that is null, or an object without ``response``, is Cognito's
    ``UserNotFoundException`` ``Exception migrating user in app client <clientId>``."""
    if output is None or (isinstance(output, dict) and output.get("response") is None):
        raise UserNotFoundException(f"Exception migrating user in app client {client_id}")
    response = read_response(output)
    attributes = _string_map(response, "userAttributes")
    if not attributes:
        return None
    final_status = _optional_str(response, "finalUserStatus") or "RESET_REQUIRED"
    message_action = _optional_str(response, "messageAction")
    mediums = _string_list(response, "desiredDeliveryMediums") or ("SMS",)
    if (
        final_status not in FINAL_STATUSES
        or (message_action is not None and message_action not in MESSAGE_ACTIONS)
        or any(m not in DELIVERY_MEDIUMS for m in mediums)
    ):
        raise invalid()
    return MigrationResult(
        attributes=attributes,
        final_status=final_status,
        message_action=message_action,
        desired_delivery_mediums=mediums,
        force_alias_creation=_bool(response, "forceAliasCreation"),
        enable_sms_mfa=_bool(response, "enableSMSMFA"),
    )


def parse_custom_message(response: Mapping[str, Any]) -> MessageOverride | None:
    """``smsMessage``, ``emailMessage``, ``emailSubject``; None when all three are null
    [spec §6.10]."""
    override = MessageOverride(
        sms_message=_optional_str(response, "smsMessage"),
        email_message=_optional_str(response, "emailMessage"),
        email_subject=_optional_str(response, "emailSubject"),
    )
    if override == MessageOverride():
        return None
    return override
