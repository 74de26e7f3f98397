"""Real JavaScript clients against a live server: amazon-cognito-identity-js, Amplify JS v6 and the
AWS SDK for JavaScript v3 (@aws-sdk/client-cognito-identity-provider).

The scripts live in tests/js (see its README); `./dev test` installs their packages with `npm ci`.
Each script prints one JSON line and exits 0 (all steps done), 1 (a step failed with a server error,
reported in the JSON) or 2 (a crash).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError
from tests.server import ServerProcess, start_server

JS_DIR = Path(__file__).resolve().parents[1] / "js"
PACKAGES = ("amazon-cognito-identity-js", "aws-amplify", "@aws-sdk/client-cognito-identity-provider")
PASSWORD = "Js-Cl1ent!Secret"
WRONG = "Not-The-Passw0rd!"
SIGN_IN_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"]


@dataclass
class JsPool:
    """A pool and app client on a server of their own, with helpers to add users and check tokens."""

    server: ServerProcess
    cognito: Any
    pool_id: str
    client_id: str

    def user(self, username: str) -> str:
        """Create a CONFIRMED user with PASSWORD; return its sub."""
        self.cognito.admin_create_user(UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS")
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        attributes = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)["UserAttributes"]
        return str(next(a["Value"] for a in attributes if a["Name"] == "sub"))

    def config(self, username: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        return {
            "endpoint": self.server.url,
            "userPoolId": self.pool_id,
            "clientId": self.client_id,
            "username": username,
            "password": password,
            **extra,
        }

    def verify(self, token: str, client_id: str | None = None) -> dict[str, Any]:
        """Check ``token``'s signature with PyJWT against the JWKS fetched over HTTP; return its claims."""
        with httpx.Client(timeout=10) as http:
            response = http.get(f"{self.server.url}/{self.pool_id}/.well-known/jwks.json")
        response.raise_for_status()
        keys = {key["kid"]: key for key in response.json()["keys"]}
        kid = jwt.get_unverified_header(token)["kid"]
        assert kid in keys, f"kid {kid} is not in the pool's JWKS"
        public_key = jwt.algorithms.RSAAlgorithm.from_jwk(keys[kid])
        # Only ID tokens carry `aud`; access tokens name their client in `client_id`.
        is_id = jwt.decode(token, options={"verify_signature": False}).get("token_use") == "id"
        claims: dict[str, Any] = jwt.decode(
            token,
            key=public_key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            issuer=f"{self.server.url}/{self.pool_id}",
            audience=(client_id or self.client_id) if is_id else None,
        )
        return claims

    def refresh_error(self, refresh_token: str, client_id: str | None = None) -> tuple[str, str]:
        """Code and message of GetTokensFromRefreshToken for a token that should no longer work."""
        with pytest.raises(ClientError) as exc:
            self.cognito.get_tokens_from_refresh_token(
                ClientId=client_id or self.client_id, RefreshToken=refresh_token
            )
        error = exc.value.response["Error"]
        return str(error["Code"]), str(error["Message"])


def require_node() -> str:
    """The node binary, with the pinned packages installed; the test fails (never skips) without them."""
    binary = shutil.which("node")
    if binary is None:
        pytest.fail("Node.js (node >= 20) is not on PATH: install it, then run ./dev test")
    missing = [name for name in PACKAGES if not (JS_DIR / "node_modules" / name / "package.json").is_file()]
    if missing:
        pytest.fail(
            f"tests/js/node_modules lacks {', '.join(missing)}: run ./dev test "
            "(it runs npm ci --prefix tests/js)"
        )
    return binary


@pytest.fixture(scope="module")
def js_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsPool]:
    server = start_server(tmp_path_factory.mktemp("js-clients") / "d")
    try:
        cognito = server.client()
        pool_id = cognito.create_user_pool(PoolName="js-clients")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="js",
            ExplicitAuthFlows=[*SIGN_IN_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        yield JsPool(server, cognito, pool_id, client_id)
    finally:
        server.stop()


def run_script(node: str, script: str, config: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run tests/js/<script> with ``config``; return its exit code and its JSON report."""
    done = subprocess.run(
        [node, str(JS_DIR / script), json.dumps(config)],
        cwd=JS_DIR,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        report: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        pytest.fail(
            f"{script} exited {done.returncode} without a JSON report\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    assert done.returncode != 2, f"{script} crashed: {json.dumps(report, indent=1)}\nstderr:\n{done.stderr}"
    return done.returncode, report


def succeeded(code: int, report: dict[str, Any]) -> dict[str, Any]:
    """The steps of a run that must have succeeded, with the report in the failure message."""
    assert code == 0 and report["ok"], json.dumps(
        {k: report.get(k) for k in ("failedStep", "error", "calls", "steps")}, indent=1
    )
    steps: dict[str, Any] = report["steps"]
    return steps


def refused_sign_in(code: int, report: dict[str, Any]) -> None:
    assert code == 1, json.dumps(report, indent=1)
    assert report["failedStep"] == "signIn"
    assert report["error"]["name"] == "NotAuthorizedException"
    assert report["error"]["message"] == "Incorrect username or password."


@pytest.mark.parametrize("auth_flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_identity_js_sign_in_and_refresh(js_pool: JsPool, auth_flow: str) -> None:
    node = require_node()
    username = f"ijs-{auth_flow.split('_')[1].lower()}"
    sub = js_pool.user(username)
    steps = succeeded(*run_script(node, "identity-js-srp.mjs", js_pool.config(username, authFlow=auth_flow)))

    signed_in = steps["signIn"]
    assert signed_in["valid"] is True
    id_claims = js_pool.verify(signed_in["idToken"])
    access = js_pool.verify(signed_in["accessToken"])
    assert id_claims["sub"] == access["sub"] == sub
    assert id_claims["cognito:username"] == access["username"] == username
    assert id_claims["aud"] == access["client_id"] == js_pool.client_id
    assert signed_in["refreshToken"]
    assert steps["getUserAttributes"]["attributes"]["sub"] == sub

    refreshed = steps["refreshSession"]
    assert refreshed["valid"] is True
    new_access = js_pool.verify(refreshed["accessToken"])
    new_id = js_pool.verify(refreshed["idToken"])
    assert new_id["sub"] == new_access["sub"] == sub
    assert new_access["jti"] != access["jti"]
    assert new_access["origin_jti"] == access["origin_jti"]
    assert new_access["auth_time"] == access["auth_time"]
    # REFRESH_TOKEN_AUTH returns no refresh token: the library keeps the one it had.
    assert refreshed["refreshToken"] == signed_in["refreshToken"]


def test_identity_js_wrong_password(js_pool: JsPool) -> None:
    node = require_node()
    js_pool.user("ijs-wrong")
    code, report = run_script(node, "identity-js-srp.mjs", js_pool.config("ijs-wrong", WRONG))
    refused_sign_in(code, report)
    assert [c["operation"] for c in report["calls"]] == ["InitiateAuth", "RespondToAuthChallenge"]


def test_amplify_sign_in_refresh_and_sign_out(js_pool: JsPool) -> None:
    node = require_node()
    sub = js_pool.user("amp-user")
    steps = succeeded(*run_script(node, "amplify-signin.mjs", js_pool.config("amp-user")))

    session = steps["fetchAuthSession"]
    id_claims = js_pool.verify(session["idToken"])
    access = js_pool.verify(session["accessToken"])
    assert session["sub"] == session["userSub"] == id_claims["sub"] == access["sub"] == sub
    assert session["username"] == "amp-user"
    assert session["hasOriginJti"] is True and session["refreshToken"]

    refreshed = steps["forceRefresh"]
    new_access = js_pool.verify(refreshed["accessToken"])
    assert js_pool.verify(refreshed["idToken"])["sub"] == sub
    assert isinstance(refreshed["accessIat"], int) and new_access["iat"] == refreshed["accessIat"]
    assert new_access["jti"] != access["jti"]
    assert new_access["origin_jti"] == access["origin_jti"]
    # Rotation is off for this client: Amplify keeps its refresh token.
    assert refreshed["refreshToken"] == session["refreshToken"]

    assert steps["getCurrentUser"]["username"] == "amp-user"
    assert steps["getCurrentUser"]["userId"] == sub

    # A plain sign-out revokes the refresh token because the access token carries origin_jti.
    signed_out = steps["signOut"]
    assert signed_out["hasTokensAfter"] is False
    assert {"operation": "RevokeToken", "status": 200} in signed_out["calls"], signed_out["calls"]
    assert js_pool.refresh_error(session["refreshToken"])[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        js_pool.cognito.get_user(AccessToken=refreshed["accessToken"])
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_amplify_with_refresh_token_rotation(js_pool: JsPool) -> None:
    node = require_node()
    # Rotation excludes REFRESH_TOKEN_AUTH (auth-flows.md §4.4): Amplify refreshes without it.
    rotating = js_pool.cognito.create_user_pool_client(
        UserPoolId=js_pool.pool_id,
        ClientName="js-rotating",
        ExplicitAuthFlows=SIGN_IN_FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )["UserPoolClient"]["ClientId"]
    sub = js_pool.user("amp-rotating")
    config = js_pool.config("amp-rotating", clientId=rotating, signOut=False)
    steps = succeeded(*run_script(node, "amplify-signin.mjs", config))

    first = steps["fetchAuthSession"]["refreshToken"]
    refreshed = steps["forceRefresh"]
    assert js_pool.verify(refreshed["idToken"], rotating)["sub"] == sub
    assert refreshed["originJti"] == steps["fetchAuthSession"]["originJti"]
    # Amplify stored the rotated refresh token; the one it replaced is spent.
    assert refreshed["refreshToken"] and refreshed["refreshToken"] != first
    again = js_pool.cognito.get_tokens_from_refresh_token(
        ClientId=rotating, RefreshToken=refreshed["refreshToken"]
    )
    assert js_pool.verify(again["AuthenticationResult"]["AccessToken"])["sub"] == sub
    # Reusing the spent token revokes the sign-in, the newest token too (security.md finding 9).
    assert js_pool.refresh_error(first, rotating)[0] == "RefreshTokenReuseException"
    newest = again["AuthenticationResult"]["RefreshToken"]
    assert js_pool.refresh_error(newest, rotating) == (
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    assert steps["getCurrentUser"]["userId"] == sub


def test_amplify_wrong_password(js_pool: JsPool) -> None:
    node = require_node()
    js_pool.user("amp-wrong")
    refused_sign_in(*run_script(node, "amplify-signin.mjs", js_pool.config("amp-wrong", WRONG)))


def _device_pool(js_pool: JsPool, **pool_args: Any) -> JsPool:
    """Another pool on the same server, tracking devices ("always", remembered devices skip MFA)."""
    cognito = js_pool.cognito
    pool_args.setdefault(
        "DeviceConfiguration",
        {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False},
    )
    pool_id = cognito.create_user_pool(PoolName="js-devices", **pool_args)["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="js", ExplicitAuthFlows=[*SIGN_IN_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return JsPool(js_pool.server, cognito, pool_id, client_id)


def _requests(step: dict[str, Any]) -> list[tuple[str, str | None, bool, bool]]:
    """(operation, ChallengeName, Session sent, DEVICE_KEY sent) of each request of a step."""
    return [
        (r["operation"], r["challengeName"], r["session"], r["deviceKey"] is not None)
        for r in step["requests"]
    ]


SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}


@pytest.mark.parametrize("mfa", [False, True], ids=["no-mfa", "sms-mfa-on"])
def test_identity_js_remembered_device(js_pool: JsPool, mfa: bool) -> None:
    node = require_node()
    username = f"ijs-device-{'mfa' if mfa else 'plain'}"
    pool = _device_pool(js_pool, **({"SmsConfiguration": SMS_CONFIGURATION} if mfa else {}))
    sub = pool.user(username)
    config = pool.config(username)
    mfa_step: list[tuple[str, str | None, bool, bool]] = []
    if mfa:
        # MFA ON by SMS: the first sign-in asks for a code (read from the testing API), the sign-in
        # on the remembered device asks for none.
        pool.cognito.set_user_pool_mfa_config(
            UserPoolId=pool.pool_id,
            SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"},
            MfaConfiguration="ON",
        )
        pool.cognito.admin_update_user_attributes(
            UserPoolId=pool.pool_id,
            Username=username,
            UserAttributes=[{"Name": "phone_number", "Value": "+15555550199"}],
        )
        pool.cognito.admin_set_user_mfa_preference(
            UserPoolId=pool.pool_id, Username=username, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        config["mfaCodes"] = f"{pool.server.url}/_testing/messages"
        mfa_step = [("RespondToAuthChallenge", "SMS_MFA", True, False)]
    steps = succeeded(*run_script(node, "identity-js-device.mjs", config))

    # The library confirms the device the sign-in handed out, on its own.
    first = steps["firstSignIn"]
    device_key = first["deviceKey"]
    assert device_key and first["deviceKeyClaim"] == device_key
    assert first["userConfirmationNecessary"] is None  # "always": no confirmation needed
    assert first["mfaPrompts"] == (["SMS_MFA"] if mfa else [])
    assert _requests(first) == [
        ("InitiateAuth", None, False, False),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER", True, False),
        *mfa_step,
        ("ConfirmDevice", None, False, True),
    ]
    device = steps["getDevice"]["device"]
    attributes = {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}
    assert device["DeviceKey"] == device_key
    assert attributes["dev:device_remembered_status"] == "remembered"
    assert attributes["device_name"]  # the library sends its user agent

    # The next sign-in proves the device with device SRP, Session on every step, and no new device.
    again = steps["deviceSignIn"]
    assert _requests(again) == [
        ("InitiateAuth", None, False, False),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER", True, True),
        ("RespondToAuthChallenge", "DEVICE_SRP_AUTH", True, True),
        ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER", True, True),
    ]
    assert again["mfaPrompts"] == []
    access = pool.verify(again["accessToken"])
    assert access["sub"] == sub and access["device_key"] == device_key

    refreshed = steps["refreshSession"]
    assert refreshed["deviceKeyClaim"] == device_key
    assert _requests(refreshed) == [("InitiateAuth", None, False, True)]
    assert _requests(steps["forgetDevice"]) == [("ForgetDevice", None, False, True)]
    with pytest.raises(ClientError) as exc:
        pool.cognito.admin_get_device(UserPoolId=pool.pool_id, Username=username, DeviceKey=device_key)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # After forgetDevice the next sign-in is an ordinary one, which hands out a new device.
    last = steps["signInAfterForget"]
    assert [r[:2] for r in _requests(last)] == [
        ("InitiateAuth", None),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        *[r[:2] for r in mfa_step],
        ("ConfirmDevice", None),
    ]
    assert last["deviceKey"] and last["deviceKey"] != device_key
    pool.cognito.delete_user_pool(UserPoolId=pool.pool_id)


def test_amplify_remembered_device(js_pool: JsPool) -> None:
    node = require_node()
    pool = _device_pool(js_pool)
    sub = pool.user("amp-device")
    steps = succeeded(*run_script(node, "amplify-device.mjs", pool.config("amp-device")))

    # Amplify confirms the device the sign-in handed out, and refreshes with its key.
    first = steps["signIn"]
    device_key = first["deviceKey"]
    assert device_key and pool.verify(first["accessToken"])["sub"] == sub
    assert _requests(first)[-1] == ("ConfirmDevice", None, False, True)
    assert steps["forceRefresh"]["deviceKey"] == device_key
    assert _requests(steps["forceRefresh"]) == [("GetTokensFromRefreshToken", None, False, True)]
    assert _requests(steps["rememberDevice"]) == [("UpdateDeviceStatus", None, False, True)]
    assert [device["id"] for device in steps["fetchDevices"]["devices"]] == [device_key]

    # Signed in again, Amplify proves the device with device SRP.
    again = steps["deviceSignIn"]
    assert again["deviceKey"] == device_key
    # (Amplify names the device in the PASSWORD_VERIFIER answer, not in InitiateAuth.)
    assert _requests(again) == [
        ("InitiateAuth", None, False, False),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER", True, True),
        ("RespondToAuthChallenge", "DEVICE_SRP_AUTH", True, True),
        ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER", True, True),
    ]
    assert _requests(steps["forgetDevice"]) == [("ForgetDevice", None, False, True)]
    assert pool.cognito.admin_list_devices(UserPoolId=pool.pool_id, Username="amp-device")["Devices"] == []
    pool.cognito.delete_user_pool(UserPoolId=pool.pool_id)


def test_aws_sdk_v3_admin_sign_in_and_errors(js_pool: JsPool) -> None:
    """@aws-sdk/client-cognito-identity-provider: admin calls signed by it, sign-up, sign-in, GetUser
    and refresh from a client without credentials, and Cognito's errors as the SDK parses them."""
    node = require_node()
    from tests.server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    # A pool of its own that sends sign-up codes by e-mail (to the outbox).
    cognito = js_pool.cognito
    pool_id = cognito.create_user_pool(PoolName="sdk-v3", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="sdk-v3",
        ExplicitAuthFlows=[*SIGN_IN_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    sdk_pool = JsPool(js_pool.server, js_pool.cognito, pool_id, client_id)
    config = sdk_pool.config(
        "sdk-v3",
        region=REGION,
        accessKeyId=ACCESS_KEY_ID,
        secretAccessKey=SECRET_ACCESS_KEY,
        messagesUrl=f"{js_pool.server.url}/_testing/messages",
    )
    code, report = run_script(node, "sdk-v3.mjs", config)
    steps = succeeded(code, report)

    assert steps["adminCreateUser"] == {"ok": True, "userStatus": "FORCE_CHANGE_PASSWORD", "created": True}
    assert steps["adminGetUser"]["userStatus"] == "CONFIRMED"
    assert steps["adminGetUser"]["attributes"]["email"] == "sdk-v3@example.com"
    signed_in = steps["signIn"]
    access = sdk_pool.verify(signed_in["accessToken"])
    assert access["username"] == "sdk-v3" and signed_in["tokenType"] == "Bearer"
    assert signed_in["expiresIn"] == 3600 and signed_in["refreshToken"]
    assert steps["getUser"]["username"] == "sdk-v3"
    assert steps["getUser"]["attributes"]["sub"] == access["sub"]
    refreshed = steps["refresh"]
    assert sdk_pool.verify(refreshed["accessToken"])["origin_jti"] == access["origin_jti"]
    assert refreshed["refreshToken"] is None  # REFRESH_TOKEN_AUTH returns none
    assert steps["signUp"]["userConfirmed"] is False and steps["signUp"]["destination"] == "EMAIL"
    assert sdk_pool.verify(steps["signInAfterSignUp"]["accessToken"])["username"] == "sdk-v3-signup"

    # Admin calls went out signed, public ones unsigned (the SDK asked the public client for no key).
    for call in report["calls"]:
        admin = call["operation"].startswith("Admin")
        assert call["signed"] is admin, call

    expected = {
        "wrongPassword": ("NotAuthorizedException", "Incorrect username or password."),
        "userNotFound": ("UserNotFoundException", "User does not exist."),
        "poolNotFound": ("ResourceNotFoundException", "User pool us-east-1_NoSuchPoo does not exist."),
        "usernameExists": ("UsernameExistsException", "User already exists"),
        "unknownAccessKey": (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
    }
    for name, (error, message) in expected.items():
        got = steps[name]
        assert (got["error"]["name"], got["error"]["message"]) == (error, message), (name, got)
        assert got["error"]["statusCode"] == 400 and got["fault"] == "client", (name, got)
        assert got["serviceException"] is True, (name, got)
        if error != "UnrecognizedClientException":  # a common AWS error, not in the cognito-idp model
            assert got["modeledClass"] is True, (name, got)
    invalid = steps["invalidParameter"]["error"]
    assert invalid["name"] == "InvalidParameterException" and invalid["statusCode"] == 400
    assert "Member must have length greater than or equal to 1" in invalid["message"], invalid
