"""Issue 9 item 8: secrets never reach the server's output, even at ``--log-level debug``.

Every member the model marks ``sensitive`` (top level, inside maps and inside structures) of a
spread of operations is sent a unique canary value, twice per operation: once with every
sensitive member a canary, once with the identifiers real (pool, client, user) so the request
gets past the lookups. Real flows add real secrets: a password sign-in (password and the issued
tokens), an SRP sign-in (SRP_A, the claim signature and the SECRET_BLOCK), a client secret and
its SECRET_HASH, a refresh and a revocation. The server's whole output must contain none of them.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.conformance.auth_support import AuthPool, make_pool
from tests.hardening.support import figure
from tests.server import ServerProcess, start_server

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
OPERATIONS = [
    "InitiateAuth",
    "RespondToAuthChallenge",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "ChangePassword",
    "AdminSetUserPassword",
    "AdminCreateUser",
    "AdminGetUser",
    "AdminResetUserPassword",
    "AdminConfirmSignUp",
    "GetUser",
    "UpdateUserAttributes",
    "DeleteUserAttributes",
    "VerifyUserAttribute",
    "GetUserAttributeVerificationCode",
    "RevokeToken",
    "GetTokensFromRefreshToken",
    "CreateUserPoolClient",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "SetUserMFAPreference",
    "ListDevices",
    "GetDevice",
    "ConfirmDevice",
    "AdminListGroupsForUser",
    "AdminAddUserToGroup",
    "AdminUpdateUserAttributes",
    "UpdateAuthEventFeedback",
    "AdminListUserAuthEvents",
    # Last: these end the user's tokens or the user.
    "GlobalSignOut",
    "AdminUserGlobalSignOut",
    "AdminDisableUser",
    "DeleteUser",
    "AdminDeleteUser",
]
MAP_KEYS = [
    "USERNAME",
    "PASSWORD",
    "SRP_A",
    "SECRET_HASH",
    "REFRESH_TOKEN",
    "NEW_PASSWORD",
    "ANSWER",
    "PASSWORD_CLAIM_SIGNATURE",
    "PASSWORD_CLAIM_SECRET_BLOCK",
    "SOFTWARE_TOKEN_MFA_CODE",
    "DEVICE_KEY",
]


class Canaries:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def new(self, where: str) -> str:
        value = f"Cnry{secrets.token_hex(12)}"
        self.values[value] = where
        return value

    def add(self, where: str, value: str) -> str:
        self.values[value] = where
        return value


def _sensitive(shape: Any) -> bool:
    return bool(shape.metadata.get("sensitive"))


def _fill(shape: Any, where: str, canaries: Canaries, inside_sensitive: bool) -> Any:
    """A value for ``shape`` with a canary in every sensitive string; None for other scalars."""
    sensitive = inside_sensitive or _sensitive(shape)
    if shape.type_name == "string":
        return canaries.new(where) if sensitive else None
    if shape.type_name == "map":
        if not sensitive and not _sensitive(shape.value):
            return None
        return {key: canaries.new(f"{where}.{key}") for key in MAP_KEYS}
    if shape.type_name == "structure":
        out = {}
        for name, member in shape.members.items():
            value = _fill(member, f"{where}.{name}", canaries, sensitive)
            if value is not None:
                out[name] = value
        return out or None
    if shape.type_name == "list":
        value = _fill(shape.member, f"{where}[]", canaries, sensitive)
        return [value] if value is not None else None
    return None


REAL_DEFAULTS = {
    "AuthFlow": "USER_PASSWORD_AUTH",
    "ChallengeName": "NEW_PASSWORD_REQUIRED",
    "ClientName": "canary-app",
    "GroupName": "g",
    "FeedbackValue": "Valid",
    "EventId": "e1",
    "UserAttributes": [{"Name": "name", "Value": "x"}],
    "UserAttributeNames": ["name"],
    "AttributeName": "email",
    "MFAOptions": [],
    "DeviceKey": "us-east-1_00000000-0000-0000-0000-000000000000",
    "ProviderName": "Google",
    "MaxResults": 1,
}


def _params(operation: str, canaries: Canaries, real: dict[str, str], *, keep_real: bool) -> dict[str, Any]:
    shape = MODEL.operation_model(operation).input_shape
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = _fill(member, f"{operation}.{name}", canaries, False)
        if keep_real and name in real:
            value = real[name]
        if value is None:
            value = real.get(name, REAL_DEFAULTS.get(name))
        if value is not None:
            params[name] = value
    for name in shape.required_members:
        params.setdefault(name, REAL_DEFAULTS.get(name, "x"))
    return params


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("logs"), extra_args=("--log-level", "debug"))
    yield proc
    proc.stop()


def _call(client: Any, operation: str, params: dict[str, Any], outcomes: Counter[str]) -> dict[str, Any]:
    method = getattr(client, botocore.xform_name(operation))
    try:
        result: dict[str, Any] = method(**params)
        outcomes["200"] += 1
        return result
    except ClientError as exc:
        outcomes[str(exc.response["Error"]["Code"])] += 1
        return {}


def test_no_canary_in_the_debug_output(live: ServerProcess) -> None:
    canaries = Canaries()
    outcomes: Counter[str] = Counter()
    ap: AuthPool = make_pool(live)
    password = canaries.add("real password", f"Cnry-Pw-{secrets.token_hex(8)}!A1")
    ap.user("victor", password)
    secret_client = ap.cognito.create_user_pool_client(
        UserPoolId=ap.pool_id,
        ClientName="secret",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    canaries.add("generated client secret", secret_client["ClientSecret"])
    client = live.client(parameter_validation=False)

    # Real secrets through real flows.
    tokens = ap.password_auth("victor", password)["AuthenticationResult"]
    for kind in ("AccessToken", "IdToken", "RefreshToken"):
        canaries.add(f"issued {kind}", tokens[kind])
    refreshed = _call(
        client,
        "InitiateAuth",
        {
            "ClientId": ap.client_id,
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]},
        },
        outcomes,
    )
    for kind, value in refreshed.get("AuthenticationResult", {}).items():
        if isinstance(value, str) and len(value) > 20:
            canaries.add(f"refreshed {kind}", value)
    srp = AWSSRP(
        username="victor",
        password=password,
        pool_id=ap.pool_id,
        client_id=secret_client["ClientId"],
        client_secret=secret_client["ClientSecret"],
        client=ap.cognito,
    )
    auth_params = srp.get_auth_params()
    canaries.add("SRP_A", auth_params["SRP_A"])
    canaries.add("SECRET_HASH", auth_params["SECRET_HASH"])
    challenge = ap.cognito.initiate_auth(
        ClientId=secret_client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params
    )
    responses = srp.process_challenge(challenge["ChallengeParameters"], auth_params)
    canaries.add("PASSWORD_CLAIM_SIGNATURE", responses["PASSWORD_CLAIM_SIGNATURE"])
    canaries.add("SECRET_BLOCK", responses["PASSWORD_CLAIM_SECRET_BLOCK"])
    canaries.add("SRP_B", challenge["ChallengeParameters"]["SRP_B"])
    srp_tokens = ap.cognito.respond_to_auth_challenge(
        ClientId=secret_client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
        Session=challenge["Session"],
    )["AuthenticationResult"]
    canaries.add("SRP access token", srp_tokens["AccessToken"])
    canaries.add("SRP refresh token", srp_tokens["RefreshToken"])
    _call(
        client,
        "RevokeToken",
        {
            "ClientId": secret_client["ClientId"],
            "Token": srp_tokens["RefreshToken"],
            "ClientSecret": secret_client["ClientSecret"],
        },
        outcomes,
    )

    # Sign-up with canary passwords that pass the policy, and the reset flow.
    signup_pw = canaries.add("sign-up password", f"Cnry-Su-{secrets.token_hex(8)}!A1")
    _call(client, "SignUp", {"ClientId": ap.client_id, "Username": "sally", "Password": signup_pw}, outcomes)
    new_pw = canaries.add("new password", f"Cnry-Np-{secrets.token_hex(8)}!A1")
    _call(
        client,
        "ChangePassword",
        {"AccessToken": tokens["AccessToken"], "PreviousPassword": password, "ProposedPassword": new_pw},
        outcomes,
    )
    # Canaries in every sensitive member of the spread of operations.
    real = {
        "UserPoolId": ap.pool_id,
        "ClientId": ap.client_id,
        "Username": "victor",
        "AccessToken": tokens["AccessToken"],
    }
    for operation in OPERATIONS:
        for keep_real in (False, True):
            _call(client, operation, _params(operation, canaries, real, keep_real=keep_real), outcomes)
    live.stop()  # flush and collect everything the process wrote
    output = "".join(live.output)
    leaked = {where: value for value, where in canaries.values.items() if value in output}
    figure(
        "secrets: canaries sent, responses, debug output size",
        {
            "canaries": len(canaries.values),
            "output lines": len(live.output),
            **{f"response {k}": v for k, v in outcomes.items()},
            "canaries found in output": len(leaked),
        },
    )
    assert len(live.output) > 50, "debug logging produced almost nothing"
    assert not leaked, leaked
