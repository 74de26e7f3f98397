"""Pure builders for the event each trigger sends [spec triggers.md §3-§6].

Every builder returns a JSON-ready dict: the common envelope (``version``, ``triggerSource``,
``region``, ``userPoolId``, ``userName``, ``callerContext``), the trigger's ``request`` and
the initial ``response``. Nothing here does I/O, and nothing reads the clock.

Decisions where real events vary [spec §5]: ``clientMetadata`` and ``validationData`` are
always present, as ``{}`` when the caller passed none; ``userNotFound`` is always present
for the custom-auth trio (as AWS's examples show it) and, for PreAuthentication, only when
true (Cognito sets it only for clients that hide user existence, and the core calls
PreAuthentication for an unknown user only then).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from poolgate.pools.model import UserPool
from poolgate.triggers.api import Caller, ChallengeResult
from poolgate.users.model import Group, User

# The LambdaConfig keys, which are also the names in Cognito's error messages.
PRE_SIGN_UP = "PreSignUp"
POST_CONFIRMATION = "PostConfirmation"
PRE_AUTHENTICATION = "PreAuthentication"
POST_AUTHENTICATION = "PostAuthentication"
DEFINE_AUTH_CHALLENGE = "DefineAuthChallenge"
CREATE_AUTH_CHALLENGE = "CreateAuthChallenge"
VERIFY_AUTH_CHALLENGE = "VerifyAuthChallengeResponse"
PRE_TOKEN_GENERATION = "PreTokenGeneration"
USER_MIGRATION = "UserMigration"
CUSTOM_MESSAGE = "CustomMessage"

# The triggerSource prefix of each trigger; only pre token generation differs from its name.
SOURCE_PREFIX = {PRE_TOKEN_GENERATION: "TokenGeneration"}

# The triggerSource suffixes each trigger may be called with [spec §4].
SOURCES: Mapping[str, tuple[str, ...]] = {
    PRE_SIGN_UP: ("SignUp", "AdminCreateUser", "ExternalProvider"),
    POST_CONFIRMATION: ("ConfirmSignUp", "ConfirmForgotPassword"),
    PRE_AUTHENTICATION: ("Authentication",),
    POST_AUTHENTICATION: ("Authentication",),
    DEFINE_AUTH_CHALLENGE: ("Authentication",),
    CREATE_AUTH_CHALLENGE: ("Authentication",),
    VERIFY_AUTH_CHALLENGE: ("Authentication",),
    PRE_TOKEN_GENERATION: (
        "HostedAuth",
        "Authentication",
        "NewPasswordChallenge",
        "AuthenticateDevice",
        "RefreshTokens",
    ),
    USER_MIGRATION: ("Authentication", "ForgotPassword"),
    CUSTOM_MESSAGE: (
        "SignUp",
        "AdminCreateUser",
        "ResendCode",
        "ForgotPassword",
        "UpdateUserAttribute",
        "VerifyUserAttribute",
        "Authentication",
    ),
}

# The placeholder CustomMessage events carry for link-style verification [spec §6.10].
LINK_PARAMETER = "{##Click Here##}"

# The event ``version`` for each PreTokenGenerationConfig LambdaVersion [spec §3].
TOKEN_EVENT_VERSIONS = {"V1_0": "1", "V2_0": "2", "V3_0": "3"}


def trigger_source(trigger: str, source: str) -> str:
    """``<Trigger>_<source>``, e.g. ``PreSignUp_SignUp`` or ``TokenGeneration_RefreshTokens``."""
    return f"{SOURCE_PREFIX.get(trigger, trigger)}_{source}"


def region_of(pool_id: str, default: str) -> str:
    """The region a pool id starts with (``us-east-1_AbC`` → ``us-east-1``)."""
    prefix, sep, _ = pool_id.partition("_")
    return prefix if sep and prefix else default


def user_attributes(pool: UserPool, user: User) -> dict[str, str]:
    """``request.userAttributes`` for an existing user: every stored attribute as a string,
    plus ``sub``, ``cognito:user_status`` and the verified aliases the pool uses."""
    attributes: dict[str, str] = {"sub": user.sub}
    for name, value in user.attributes.items():
        attributes[name] = _string(value)
    attributes["sub"] = user.sub
    attributes["cognito:user_status"] = str(user.status.value)
    for alias in ("email", "phone_number"):
        if (
            alias in pool.alias_attributes
            and attributes.get(alias)
            and attributes.get(f"{alias}_verified") == "true"
        ):
            attributes[f"cognito:{alias}_alias"] = attributes[alias]
    return attributes


def _string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(values: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k): _string(v) for k, v in (values or {}).items()}


def envelope(
    *,
    trigger: str,
    source: str,
    pool: UserPool,
    region: str,
    username: str,
    caller: Caller,
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    version: str = "1",
) -> dict[str, Any]:
    """The common envelope around a trigger's ``request`` [spec §3]."""
    return {
        "version": version,
        "triggerSource": trigger_source(trigger, source),
        "region": region_of(pool.id, region),
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": caller.sdk, "clientId": caller.client_id},
        "request": request,
        "response": {} if response is None else response,
    }


def session_entries(session: Sequence[ChallengeResult]) -> list[dict[str, Any]]:
    """The CUSTOM_AUTH ``session`` array; ``challengeMetadata`` only where one was recorded."""
    entries: list[dict[str, Any]] = []
    for step in session:
        entry: dict[str, Any] = {
            "challengeName": step.challenge_name,
            "challengeResult": step.challenge_result,
        }
        if step.challenge_metadata is not None:
            entry["challengeMetadata"] = step.challenge_metadata
        entries.append(entry)
    return entries


def group_configuration(groups: Sequence[Group]) -> dict[str, Any]:
    """``request.groupConfiguration``: the user's groups by precedence, their roles, and the
    preferred role (none when several best-placed groups have different roles)."""
    ordered = sorted(groups, key=lambda g: (g.precedence is None, g.precedence or 0, g.name))
    with_role = [g for g in ordered if g.role_arn]
    preferred: str | None = None
    if with_role:
        best = with_role[0].precedence
        if len({g.role_arn for g in with_role if g.precedence == best}) == 1:
            preferred = with_role[0].role_arn
    return {
        "groupsToOverride": [g.name for g in ordered],
        "iamRolesToOverride": list(dict.fromkeys(g.role_arn for g in with_role if g.role_arn)),
        "preferredRole": preferred,
    }


def pre_sign_up(
    pool: UserPool,
    *,
    region: str,
    source: str,
    username: str,
    attributes: Mapping[str, str],
    validation_data: Mapping[str, str] | None,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """PreSignUp: the submitted attributes (the user does not exist yet) [spec §6.1]."""
    request = {
        "userAttributes": _strings(attributes),
        "validationData": _strings(validation_data),
        "clientMetadata": _strings(client_metadata),
    }
    return envelope(
        trigger=PRE_SIGN_UP,
        source=source,
        pool=pool,
        region=region,
        username=username,
        caller=caller,
        request=request,
    )


def post_confirmation(
    pool: UserPool,
    *,
    region: str,
    source: str,
    user: User,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """PostConfirmation: the confirmed user's attributes [spec §6.2]."""
    request = {"userAttributes": user_attributes(pool, user), "clientMetadata": _strings(client_metadata)}
    return envelope(
        trigger=POST_CONFIRMATION,
        source=source,
        pool=pool,
        region=region,
        username=user.username,
        caller=caller,
        request=request,
    )


def pre_authentication(
    pool: UserPool,
    *,
    region: str,
    username: str,
    user: User | None,
    validation_data: Mapping[str, str] | None,
    user_not_found: bool,
    caller: Caller,
) -> dict[str, Any]:
    """PreAuthentication: ``validationData`` is the Initiate call's ClientMetadata [spec §5, §6.3]."""
    request: dict[str, Any] = {
        "userAttributes": user_attributes(pool, user) if user else {},
        "validationData": _strings(validation_data),
    }
    if user_not_found:
        request["userNotFound"] = True
    return envelope(
        trigger=PRE_AUTHENTICATION,
        source="Authentication",
        pool=pool,
        region=region,
        username=user.username if user else username,
        caller=caller,
        request=request,
    )


def post_authentication(
    pool: UserPool,
    *,
    region: str,
    user: User,
    new_device_used: bool | None,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """PostAuthentication: ``newDeviceUsed`` only when device tracking is on [spec §6.4]."""
    request: dict[str, Any] = {"userAttributes": user_attributes(pool, user)}
    if new_device_used is not None:
        request["newDeviceUsed"] = new_device_used
    request["clientMetadata"] = _strings(client_metadata)
    return envelope(
        trigger=POST_AUTHENTICATION,
        source="Authentication",
        pool=pool,
        region=region,
        username=user.username,
        caller=caller,
        request=request,
    )


def define_auth_challenge(
    pool: UserPool,
    *,
    region: str,
    username: str,
    user: User | None,
    session: Sequence[ChallengeResult],
    client_metadata: Mapping[str, str] | None,
    user_not_found: bool,
    caller: Caller,
) -> dict[str, Any]:
    """DefineAuthChallenge: the session so far, oldest first [spec §6.5]."""
    request = {
        "userAttributes": user_attributes(pool, user) if user else {},
        "session": session_entries(session),
        "clientMetadata": _strings(client_metadata),
        "userNotFound": user_not_found,
    }
    return envelope(
        trigger=DEFINE_AUTH_CHALLENGE,
        source="Authentication",
        pool=pool,
        region=region,
        username=user.username if user else username,
        caller=caller,
        request=request,
    )


def create_auth_challenge(
    pool: UserPool,
    *,
    region: str,
    username: str,
    user: User | None,
    challenge_name: str,
    session: Sequence[ChallengeResult],
    client_metadata: Mapping[str, str] | None,
    user_not_found: bool,
    caller: Caller,
) -> dict[str, Any]:
    """CreateAuthChallenge: the challenge Define chose, and the session [spec §6.6]."""
    request = {
        "userAttributes": user_attributes(pool, user) if user else {},
        "challengeName": challenge_name,
        "session": session_entries(session),
        "clientMetadata": _strings(client_metadata),
        "userNotFound": user_not_found,
    }
    return envelope(
        trigger=CREATE_AUTH_CHALLENGE,
        source="Authentication",
        pool=pool,
        region=region,
        username=user.username if user else username,
        caller=caller,
        request=request,
    )


def verify_auth_challenge(
    pool: UserPool,
    *,
    region: str,
    username: str,
    user: User | None,
    private_parameters: Mapping[str, str],
    answer: str,
    client_metadata: Mapping[str, str] | None,
    user_not_found: bool,
    caller: Caller,
) -> dict[str, Any]:
    """VerifyAuthChallengeResponse: Create's private parameters and the ANSWER [spec §6.7]."""
    request = {
        "userAttributes": user_attributes(pool, user) if user else {},
        "privateChallengeParameters": _strings(private_parameters),
        "challengeAnswer": answer,
        "clientMetadata": _strings(client_metadata),
        "userNotFound": user_not_found,
    }
    return envelope(
        trigger=VERIFY_AUTH_CHALLENGE,
        source="Authentication",
        pool=pool,
        region=region,
        username=user.username if user else username,
        caller=caller,
        request=request,
    )


def pre_token_generation(
    pool: UserPool,
    *,
    region: str,
    lambda_version: str,
    source: str,
    user: User,
    groups: Sequence[Group],
    scopes: Sequence[str],
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """PreTokenGeneration in the event version ``lambda_version`` asks for (``V1_0`` has no
    ``scopes``) [spec §6.8]. The response starts with the override member set to null."""
    request: dict[str, Any] = {
        "userAttributes": user_attributes(pool, user),
        "groupConfiguration": group_configuration(groups),
    }
    if lambda_version == "V1_0":
        response: dict[str, Any] = {"claimsOverrideDetails": None}
    else:
        request["scopes"] = list(scopes)
        response = {"claimsAndScopeOverrideDetails": None}
    request["clientMetadata"] = _strings(client_metadata)
    return envelope(
        trigger=PRE_TOKEN_GENERATION,
        source=source,
        pool=pool,
        region=region,
        username=user.username,
        caller=caller,
        request=request,
        response=response,
        version=TOKEN_EVENT_VERSIONS.get(lambda_version, "1"),
    )


def user_migration(
    pool: UserPool,
    *,
    region: str,
    source: str,
    username: str,
    password: str | None,
    validation_data: Mapping[str, str] | None,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """UserMigration: ``userName`` is what the user typed; no ``password`` for ForgotPassword
    [spec §6.9]."""
    request: dict[str, Any] = {}
    if password is not None and source != "ForgotPassword":
        request["password"] = password
    request["validationData"] = _strings(validation_data)
    request["clientMetadata"] = _strings(client_metadata)
    return envelope(
        trigger=USER_MIGRATION,
        source=source,
        pool=pool,
        region=region,
        username=username,
        caller=caller,
        request=request,
    )


def custom_message(
    pool: UserPool,
    *,
    region: str,
    source: str,
    user: User,
    code_parameter: str,
    username_parameter: str | None,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> dict[str, Any]:
    """CustomMessage: the placeholders the messages must keep [spec §6.10]. ``linkParameter``
    is sent for every source but MFA codes (``Authentication``); ``usernameParameter`` only
    when given (AdminCreateUser)."""
    request: dict[str, Any] = {"userAttributes": user_attributes(pool, user), "codeParameter": code_parameter}
    if source != "Authentication":
        request["linkParameter"] = LINK_PARAMETER
    if username_parameter is not None:
        request["usernameParameter"] = username_parameter
    request["clientMetadata"] = _strings(client_metadata)
    return envelope(
        trigger=CUSTOM_MESSAGE,
        source=source,
        pool=pool,
        region=region,
        username=user.username,
        caller=caller,
        request=request,
    )
