"""MFA through boto3 and pycognito against a live server: pool configuration, preferences, TOTP
enrolment (access token and MFA_SETUP session), SOFTWARE_TOKEN_MFA in every password flow and
in SRP, SMS and e-mail codes from the outbox, SELECT_MFA_TYPE, and every failure's code and
message. Time moves with the testing API, never with sleep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.exceptions import SoftwareTokenMFAChallengeException
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.server import ServerProcess, start_server

SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}
INVALID_CODE = ("CodeMismatchException", "Invalid code or auth state for the user.")
# ExpiredCodeException, as Cognito answers a replayed TOTP code (issue 15 D, docs/security.md).
REUSED = ("ExpiredCodeException", "Your software token has already been used once.")
INVALID_SESSION = ("NotAuthorizedException", "Invalid session for the user.")
NO_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
)
ENABLE_MISMATCH = ("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own: these tests move its clock, which must not disturb the
    time checks of the other modules' shared server."""
    proc = start_server(tmp_path_factory.mktemp("poolgate-mfa"))
    yield proc
    proc.stop()


@pytest.fixture(autouse=True)
def real_time(server: ServerProcess) -> None:
    """Each test starts on the real time (pycognito signs SRP with the wall clock)."""
    with server.http() as http:
        http.post("/_testing/clock", json={"set": time.time()}).raise_for_status()


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def server_now(server: ServerProcess) -> float:
    with server.http() as http:
        return float(http.get("/_testing/clock").json()["now"])


def code_now(server: ServerProcess, totp: pyotp.TOTP, shift: float = 0.0) -> str:
    return str(totp.at(server_now(server) + shift))


def mfa_pool(
    server: ServerProcess, mode: str = "OPTIONAL", *, sms: bool = False, email: bool = False
) -> AuthPool:
    ap = make_pool(server, SmsConfiguration=SMS_CONFIGURATION)
    request: dict[str, Any] = {"SoftwareTokenMfaConfiguration": {"Enabled": True}, "MfaConfiguration": mode}
    if sms:
        request["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Sign-in code {####}"}
    if email:
        request["EmailMfaConfiguration"] = {"Message": "Your sign-in code: {####}", "Subject": "Sign-in"}
    ap.cognito.set_user_pool_mfa_config(UserPoolId=ap.pool_id, **request)
    return ap


@pytest.fixture
def ap(server: ServerProcess) -> Iterator[AuthPool]:
    pool = mfa_pool(server)
    yield pool
    pool.cognito.delete_user_pool(UserPoolId=pool.pool_id)


def enrol(ap: AuthPool, username: str, *, prefer: bool = True) -> pyotp.TOTP:
    """Sign in, associate and verify a TOTP token with the access token, enable it, and move
    the clock to the next step (the enrolment used the current one)."""
    access = ap.password_auth(username)["AuthenticationResult"]["AccessToken"]
    secret = ap.cognito.associate_software_token(AccessToken=access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    result = ap.cognito.verify_software_token(
        AccessToken=access, UserCode=code_now(ap.server, totp), FriendlyDeviceName="phone"
    )
    assert result["Status"] == "SUCCESS" and "Session" not in result
    ap.cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": prefer}
    )
    ap.server.advance_clock(30)
    return totp


def test_pool_mfa_configuration(server: ServerProcess, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="mfa-config")["UserPool"]["Id"]
    try:
        got = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
        assert got["MfaConfiguration"] == "OFF"
        assert got["SoftwareTokenMfaConfiguration"] == {"Enabled": False}
        assert "SmsMfaConfiguration" not in got and "EmailMfaConfiguration" not in got

        with pytest.raises(ClientError) as exc:
            cognito.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON")
        assert error(exc) == ("InvalidParameterException", NO_FACTOR)
        with pytest.raises(ClientError) as exc:
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"}
            )
        assert error(exc) == (
            "InvalidParameterException",
            "SmsConfiguration is required to enable SMS MFA on a user pool without one.",
        )
        with pytest.raises(ClientError) as exc:
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool_id, EmailMfaConfiguration={"Message": "no placeholder here"}
            )
        assert error(exc)[0] == "InvalidParameterException"

        request = {
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "EmailMfaConfiguration": {"Message": "Code: {####}", "Subject": "Your code"},
            "MfaConfiguration": "OPTIONAL",
        }
        answer = cognito.set_user_pool_mfa_config(UserPoolId=pool_id, **request)
        answer.pop("ResponseMetadata")
        assert answer == request
        got = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
        got.pop("ResponseMetadata")
        assert got == request
        described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert described["MfaConfiguration"] == "OPTIONAL"
        assert "SoftwareTokenMfaConfiguration" not in described

        # UpdateUserPool keeps the factors SetUserPoolMfaConfig enabled, so ON needs no SMS.
        cognito.update_user_pool(UserPoolId=pool_id, MfaConfiguration="ON")
        got = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
        assert got["MfaConfiguration"] == "ON" and got["SoftwareTokenMfaConfiguration"] == {"Enabled": True}

        with pytest.raises(ClientError) as exc:
            cognito.get_user_pool_mfa_config(UserPoolId="us-east-1_NoSuchPool")
        assert error(exc) == ("ResourceNotFoundException", "User pool us-east-1_NoSuchPool does not exist.")
    finally:
        cognito.delete_user_pool(UserPoolId=pool_id)


@pytest.mark.parametrize("trigger", ["CustomSMSSender", "CustomEmailSender"])
def test_custom_senders_are_refused(cognito: Any, trigger: str) -> None:
    sender = {"LambdaVersion": "V1_0", "LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:s"}
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool(
            PoolName="senders",
            LambdaConfig={trigger: sender, "KMSKeyID": "arn:aws:kms:us-east-1:123456789012:key/k"},
        )
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert message.startswith(f"{trigger} is not supported by Poolgate")


def test_totp_enrolment_and_password_flows(ap: AuthPool) -> None:
    ap.user("alice")
    # No factor yet in an OPTIONAL pool: tokens straight away.
    access = ap.password_auth("alice")["AuthenticationResult"]["AccessToken"]
    secret = ap.cognito.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) == 32 and secret.isalnum()
    with pytest.raises(ClientError) as exc:
        ap.cognito.verify_software_token(AccessToken=access, UserCode="000000")
    assert error(exc) == ENABLE_MISMATCH
    with pytest.raises(ClientError) as exc:
        ap.cognito.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    assert error(exc) == ("InvalidParameterException", "User has not verified software token mfa")
    totp = pyotp.TOTP(secret)
    assert (
        ap.cognito.verify_software_token(AccessToken=access, UserCode=code_now(ap.server, totp))["Status"]
        == "SUCCESS"
    )
    assert "UserMFASettingList" not in ap.cognito.get_user(AccessToken=access)
    ap.cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    me = ap.cognito.get_user(AccessToken=access)
    assert (
        me["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
        and me["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    )
    admin_view = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="alice")
    assert admin_view["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert "MFAOptions" not in admin_view
    ap.server.advance_clock(30)

    # USER_PASSWORD_AUTH: a wrong code leaves the session usable; the right one gives tokens.
    first = ap.password_auth("alice")
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and first["ChallengeParameters"] == {}
    assert "AuthenticationResult" not in first
    with pytest.raises(ClientError) as exc:
        respond(ap, first, SOFTWARE_TOKEN_MFA_CODE="000000")
    assert error(exc) == INVALID_CODE
    used = code_now(ap.server, totp)
    done = respond(ap, first, SOFTWARE_TOKEN_MFA_CODE=used)
    claims = ap.decode(done["AuthenticationResult"]["IdToken"], audience=ap.client_id, leeway=10**7)
    assert claims["cognito:username"] == "alice"

    # The same code again, in a new sign-in: refused as a replay.
    second = ap.password_auth("alice")
    with pytest.raises(ClientError) as exc:
        respond(ap, second, SOFTWARE_TOKEN_MFA_CODE=used)
    assert error(exc) == REUSED

    # ADMIN_USER_PASSWORD_AUTH with the next step's code.
    ap.server.advance_clock(30)
    admin = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert admin["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    tokens = ap.cognito.admin_respond_to_auth_challenge(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=admin["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code_now(ap.server, totp)},
    )
    assert tokens["AuthenticationResult"]["AccessToken"]


def test_the_code_verify_software_token_accepted_is_expired_at_sign_in(ap: AuthPool) -> None:
    """Issue 15 D (moto's test suite): signing in right after VerifySoftwareToken with the code
    it accepted answers ExpiredCodeException, as Cognito does; the challenge stays answerable
    and the next step's code passes."""
    ap.user("bea")
    access = ap.password_auth("bea")["AuthenticationResult"]["AccessToken"]
    totp = pyotp.TOTP(ap.cognito.associate_software_token(AccessToken=access)["SecretCode"])
    used = code_now(ap.server, totp)
    assert ap.cognito.verify_software_token(AccessToken=access, UserCode=used)["Status"] == "SUCCESS"
    ap.cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    first = ap.password_auth("bea")
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    with pytest.raises(ClientError) as exc:
        respond(ap, first, "bea", SOFTWARE_TOKEN_MFA_CODE=used)
    assert error(exc) == REUSED
    ap.server.advance_clock(30)
    done = respond(ap, first, "bea", SOFTWARE_TOKEN_MFA_CODE=code_now(ap.server, totp))
    assert done["AuthenticationResult"]["AccessToken"]


def respond(
    ap: AuthPool, challenge: dict[str, Any], username: str = "alice", **responses: str
) -> dict[str, Any]:
    result: dict[str, Any] = ap.cognito.respond_to_auth_challenge(
        ClientId=ap.client_id,
        ChallengeName=challenge["ChallengeName"],
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, **responses},
    )
    return result


def test_stale_code_and_exhausted_session(ap: AuthPool) -> None:
    ap.user("bob")
    totp = enrol(ap, "bob")
    stale = code_now(ap.server, totp)
    ap.server.advance_clock(90)
    challenge = ap.password_auth("bob")
    with pytest.raises(ClientError) as exc:
        respond(ap, challenge, "bob", SOFTWARE_TOKEN_MFA_CODE=stale)
    assert error(exc) == INVALID_CODE
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            respond(ap, challenge, "bob", SOFTWARE_TOKEN_MFA_CODE="111111")
        assert error(exc) == INVALID_CODE
    with pytest.raises(ClientError) as exc:
        respond(ap, challenge, "bob", SOFTWARE_TOKEN_MFA_CODE=code_now(ap.server, totp))
    assert error(exc) == INVALID_SESSION
    # A new sign-in still works.
    tokens = respond(ap, ap.password_auth("bob"), "bob", SOFTWARE_TOKEN_MFA_CODE=code_now(ap.server, totp))
    assert tokens["AuthenticationResult"]["IdToken"]


def test_pycognito_srp_with_totp(ap: AuthPool) -> None:
    ap.user("carol")
    totp = enrol(ap, "carol")
    user = Cognito(
        ap.pool_id,
        ap.client_id,
        username="carol",
        access_key="x",
        secret_key="y",
        botocore_config=Config(retries={"max_attempts": 1}),
        boto3_client_kwargs={"endpoint_url": ap.server.url, "region_name": "us-east-1"},
    )
    with pytest.raises(SoftwareTokenMFAChallengeException):
        user.authenticate(PASSWORD)
    user.respond_to_software_token_mfa_challenge(code_now(ap.server, totp))
    assert user.id_token and user.access_token
    assert ap.decode(user.id_token, audience=ap.client_id, leeway=10**7)["cognito:username"] == "carol"


def test_sms_and_email_codes(server: ServerProcess) -> None:
    ap = mfa_pool(server, sms=True, email=True)
    try:
        ap.user("dan", phone_number="+15555550100", email="dan@example.com", email_verified="true")
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="dan", SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        view = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="dan")
        assert view["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
        assert view["PreferredMfaSetting"] == "SMS_MFA"

        sms = ap.password_auth("dan")
        assert sms["ChallengeName"] == "SMS_MFA"
        assert sms["ChallengeParameters"] == {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": "+*******0100",
        }
        sent = server.messages(ap.pool_id, "dan")[-1]
        assert sent["channel"] == "SMS" and sent["destination"] == "+15555550100"
        assert sent["message"] == f"Sign-in code {sent['code']}"
        with pytest.raises(ClientError) as exc:
            respond(ap, sms, "dan", SMS_MFA_CODE="000000")
        assert error(exc) == INVALID_CODE
        assert respond(ap, sms, "dan", SMS_MFA_CODE=sent["code"])["AuthenticationResult"]["AccessToken"]
        with pytest.raises(ClientError) as exc:
            respond(ap, sms, "dan", SMS_MFA_CODE=sent["code"])
        assert error(exc) == INVALID_SESSION

        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="dan", EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        mail = ap.password_auth("dan")
        assert mail["ChallengeName"] == "EMAIL_OTP"
        assert mail["ChallengeParameters"] == {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
            "CODE_DELIVERY_DESTINATION": "d***@e***",
        }
        sent = server.messages(ap.pool_id, "dan")[-1]
        assert sent["channel"] == "EMAIL" and sent["message"] == f"Your sign-in code: {sent['code']}"
        assert respond(ap, mail, "dan", EMAIL_OTP_CODE=sent["code"])["AuthenticationResult"]["IdToken"]

        # Both enabled, the preference taken away: the caller chooses.
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="dan", EmailMfaSettings={"Enabled": True, "PreferredMfa": False}
        )
        select = ap.password_auth("dan")
        assert select["ChallengeName"] == "SELECT_MFA_TYPE"
        assert json.loads(select["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == ["SMS_MFA", "EMAIL_OTP"]
        assert select["ChallengeParameters"]["USER_ID_FOR_SRP"] == "dan"
        with pytest.raises(ClientError) as exc:
            respond(ap, select, "dan", ANSWER="SOFTWARE_TOKEN_MFA")
        assert error(exc) == (
            "SoftwareTokenMFANotFoundException",
            "Software Token MFA does not exist for the user.",
        )
        chosen = respond(ap, select, "dan", ANSWER="EMAIL_MFA")
        assert chosen["ChallengeName"] == "EMAIL_OTP" and chosen["Session"] != select["Session"]
        code = server.messages(ap.pool_id, "dan")[-1]["code"]
        assert respond(ap, chosen, "dan", EMAIL_OTP_CODE=code)["AuthenticationResult"]["AccessToken"]
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


def test_expired_sms_code(server: ServerProcess) -> None:
    ap = mfa_pool(server, sms=True)
    try:
        long_client = ap.client(AuthSessionValidity=15)
        ap.user("eve", phone_number="+15555550101")
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="eve", SMSMfaSettings={"Enabled": True}
        )
        sms = ap.password_auth("eve", client_id=long_client)
        code = server.messages(ap.pool_id, "eve")[-1]["code"]
        server.advance_clock(181)
        with pytest.raises(ClientError) as exc:
            ap.cognito.respond_to_auth_challenge(
                ClientId=long_client,
                ChallengeName="SMS_MFA",
                Session=sms["Session"],
                ChallengeResponses={"USERNAME": "eve", "SMS_MFA_CODE": code},
            )
        assert error(exc) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


def test_mfa_setup_with_the_session(server: ServerProcess) -> None:
    ap = mfa_pool(server, "ON")
    try:
        ap.user("fred")
        setup = ap.password_auth("fred")
        assert setup["ChallengeName"] == "MFA_SETUP"
        assert setup["ChallengeParameters"] == {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}
        with pytest.raises(ClientError) as exc:
            respond(ap, setup, "fred")
        assert error(exc) == (
            "InvalidParameterException",
            "The software token of this session has not been verified; call VerifySoftwareToken first.",
        )
        associated = ap.cognito.associate_software_token(Session=setup["Session"])
        assert associated["Session"] != setup["Session"]
        totp = pyotp.TOTP(associated["SecretCode"])
        with pytest.raises(ClientError) as exc:
            ap.cognito.verify_software_token(Session=associated["Session"], UserCode="000000")
        assert error(exc) == ENABLE_MISMATCH
        verified = ap.cognito.verify_software_token(
            Session=associated["Session"], UserCode=code_now(server, totp), FriendlyDeviceName="laptop"
        )
        assert verified["Status"] == "SUCCESS"
        done = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="MFA_SETUP",
            Session=verified["Session"],
            ChallengeResponses={"USERNAME": "fred"},
        )
        assert done["AuthenticationResult"]["AccessToken"]
        view = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="fred")
        assert view["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
        assert view["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
        server.advance_clock(30)
        again = ap.password_auth("fred")
        assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        assert again["ChallengeParameters"] == {"FRIENDLY_DEVICE_NAME": "laptop"}
        assert respond(ap, again, "fred", SOFTWARE_TOKEN_MFA_CODE=code_now(server, totp))[
            "AuthenticationResult"
        ]
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


def test_preference_errors(ap: AuthPool) -> None:
    ap.user("gail")
    access = ap.password_auth("gail")["AuthenticationResult"]["AccessToken"]
    cases = [
        ({"SMSMfaSettings": {"Enabled": True}}, "User does not have delivery config set to turn on SMS_MFA"),
        (
            {"EmailMfaSettings": {"Enabled": True}},
            "User does not have delivery config set to turn on EMAIL_OTP",
        ),
        (
            {"SMSMfaSettings": {"Enabled": False, "PreferredMfa": True}},
            "A disabled MFA method cannot be the preferred one.",
        ),
    ]
    for request, message in cases:
        with pytest.raises(ClientError) as exc:
            ap.cognito.set_user_mfa_preference(AccessToken=access, **request)
        assert error(exc) == ("InvalidParameterException", message)
    # pycognito switches a factor off by sending Enabled=false for it: accepted.
    ap.cognito.set_user_mfa_preference(
        AccessToken=access,
        SMSMfaSettings={"Enabled": False, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
    )
    with pytest.raises(ClientError) as exc:
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="nobody", SMSMfaSettings={"Enabled": False}
        )
    assert error(exc) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as exc:
        ap.cognito.set_user_mfa_preference(AccessToken="not-a-token", SMSMfaSettings={"Enabled": False})
    assert error(exc)[0] == "NotAuthorizedException"


def test_master_key_rotation_keeps_totp(tmp_path: Path) -> None:
    """TOTP secrets are sealed under a subkey of the master key: `master-key rotate` re-seals them."""
    data = tmp_path / "rotating"
    own = start_server(data)
    try:
        ap = mfa_pool(own)
        ap.user("hope")
        totp = enrol(ap, "hope")
        pending_user = "ida"
        ap.user(pending_user)
        access = ap.password_auth(pending_user)["AuthenticationResult"]["AccessToken"]
        pending = pyotp.TOTP(ap.cognito.associate_software_token(AccessToken=access)["SecretCode"])
    finally:
        own.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    rotated = subprocess.run(
        [sys.executable, "-m", "poolgate", "master-key", "rotate", "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert rotated.returncode == 0, rotated.stderr
    own = start_server(data)
    try:
        ap.server, ap.cognito = own, own.client()
        challenge = ap.password_auth("hope")
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        done = respond(ap, challenge, "hope", SOFTWARE_TOKEN_MFA_CODE=code_now(own, totp, 30))
        assert done["AuthenticationResult"]["AccessToken"]
        # The pending secret of the other user survived too (a new token: the issuer has a new port).
        access = ap.password_auth(pending_user)["AuthenticationResult"]["AccessToken"]
        assert (
            ap.cognito.verify_software_token(AccessToken=access, UserCode=code_now(own, pending))["Status"]
            == "SUCCESS"
        )
    finally:
        own.stop()
