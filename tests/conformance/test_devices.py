"""Remembered devices through boto3 and pycognito against a live server: NewDeviceMetadata,
ConfirmDevice as pycognito sends it (its own HTTP request, with an Authorization header), device
SRP, the management operations and their Admin twins with Cognito's errors, and refresh tokens
bound to the device."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from pycognito import aws_srp
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.server import ServerProcess
from tests.snapshot import assert_output_shape, assert_snapshot

from poolgate.srp import encode_device_verifier_config, make_device_verifier

ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
DEVICE_KEY = re.compile(r"us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NOT_FOUND = ("ResourceNotFoundException", "Device does not exist.")
INVALID_REFRESH = ("NotAuthorizedException", "Invalid Refresh Token.")
UNKNOWN_KEY = "us-east-1_00000000-0000-4000-8000-000000000000"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def fails(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**params)
    return error(exc)


@pytest.fixture
def ap(server: ServerProcess) -> Iterator[AuthPool]:
    pool = make_pool(server, DeviceConfiguration=ALWAYS)
    yield pool
    pool.cognito.delete_user_pool(UserPoolId=pool.pool_id)


@pytest.fixture
def to_server(ap: AuthPool, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Send pycognito's own device requests (made with ``requests`` to the AWS endpoint) to the
    server instead, unchanged otherwise; returns the requests made."""
    real_post = requests.post
    sent: list[dict[str, Any]] = []

    def post(url: str, **kwargs: Any) -> requests.Response:
        assert url.startswith("https://cognito-idp.us-east-1.amazonaws.com"), url
        sent.append(kwargs)
        return real_post(ap.server.url + "/", **kwargs)

    monkeypatch.setattr(aws_srp.requests, "post", post)
    return sent


def srp_client(ap: AuthPool, username: str, device: dict[str, str] | None = None) -> aws_srp.AWSSRP:
    """pycognito's SRP client on boto3; ``device`` holds key, group key and password."""
    extra = {}
    if device is not None:
        extra = {
            "device_key": device["key"],
            "device_group_key": device["group"],
            "device_password": device["password"],
        }
    return aws_srp.AWSSRP(username, PASSWORD, ap.pool_id, ap.client_id, client=ap.cognito, **extra)


def remember(ap: AuthPool, username: str, to_server: list[dict[str, Any]]) -> dict[str, str]:
    """Sign in with SRP and confirm the new device the way pycognito does; return the device."""
    client = srp_client(ap, username)
    tokens = client.authenticate_user()
    metadata = tokens["AuthenticationResult"]["NewDeviceMetadata"]
    response, password = client.confirm_device(tokens, device_name="pytest laptop")
    assert response.status_code == 200, response.text
    assert response.json() == {"UserConfirmationNecessary": False}
    return {
        "key": metadata["DeviceKey"],
        "group": metadata["DeviceGroupKey"],
        "password": password,
        "access": tokens["AuthenticationResult"]["AccessToken"],
        "refresh": tokens["AuthenticationResult"]["RefreshToken"],
    }


def test_sign_in_returns_new_device_metadata(ap: AuthPool) -> None:
    ap.user("dina")
    result = ap.password_auth("dina")["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert DEVICE_KEY.fullmatch(metadata["DeviceKey"])
    assert re.fullmatch(r"-[A-Za-z0-9]+", metadata["DeviceGroupKey"])
    assert ap.decode(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    assert_output_shape(result, "AuthenticationResultType")
    # Admin password flows do not track devices.
    admin = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dina", "PASSWORD": PASSWORD},
    )
    assert "NewDeviceMetadata" not in admin["AuthenticationResult"]


def test_pycognito_confirms_the_device_and_signs_in_with_device_srp(
    ap: AuthPool, to_server: list[dict[str, Any]]
) -> None:
    ap.user("eric")
    device = remember(ap, "eric", to_server)
    # pycognito sent its request with a Bearer header, which the public operation ignores.
    assert to_server[0]["headers"]["Authorization"].startswith("Bearer ")
    signed_in = srp_client(ap, "eric", device).authenticate_user()["AuthenticationResult"]
    assert "NewDeviceMetadata" not in signed_in
    assert ap.decode(signed_in["AccessToken"])["device_key"] == device["key"]
    assert ap.decode(signed_in["IdToken"], audience=ap.client_id)["cognito:username"] == "eric"

    # pycognito's status and forget helpers work too.
    client = srp_client(ap, "eric", device)
    client.update_device_status(False, signed_in["AccessToken"], device["key"])
    got = ap.cognito.get_device(AccessToken=signed_in["AccessToken"], DeviceKey=device["key"])["Device"]
    attributes = {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}
    assert attributes["dev:device_remembered_status"] == "not_remembered"
    assert attributes["device_name"] == "pytest laptop"
    client.forget_device(signed_in["AccessToken"], device["key"])
    assert ap.cognito.list_devices(AccessToken=signed_in["AccessToken"])["Devices"] == []
    assert [request["headers"]["X-Amz-Target"].split(".")[-1] for request in to_server] == [
        "ConfirmDevice",
        "UpdateDeviceStatus",
        "ForgetDevice",
    ]


def test_device_operations_and_admin_twins(ap: AuthPool, to_server: list[dict[str, Any]]) -> None:
    ap.user("fern")
    ap.user("gabe")
    device = remember(ap, "fern", to_server)
    cognito, token = ap.cognito, device["access"]

    got = cognito.get_device(AccessToken=token, DeviceKey=device["key"])
    assert_output_shape({k: v for k, v in got.items() if k != "ResponseMetadata"}, "GetDeviceResponse")
    device_type = got["Device"]
    times = ("DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate")
    assert_snapshot(
        {"Device": {**device_type, **dict.fromkeys(times, "<time>")}},
        "device_type",
        values={device["key"]: "<device-key>"},
    )
    assert device_type["DeviceKey"] == device["key"]
    assert {a["Name"] for a in device_type["DeviceAttributes"]} == {
        "device_status",
        "device_name",
        "dev:device_remembered_status",
        "last_ip_used",
    }
    assert device_type["DeviceLastAuthenticatedDate"] >= device_type["DeviceCreateDate"]
    admin = cognito.admin_get_device(UserPoolId=ap.pool_id, Username="fern", DeviceKey=device["key"])
    assert admin["Device"] == device_type
    listed = cognito.list_devices(AccessToken=token, Limit=10)
    assert listed["Devices"] == [device_type] and "PaginationToken" not in listed
    assert cognito.admin_list_devices(UserPoolId=ap.pool_id, Username="fern")["Devices"] == [device_type]
    cognito.admin_update_device_status(
        UserPoolId=ap.pool_id,
        Username="fern",
        DeviceKey=device["key"],
        DeviceRememberedStatus="not_remembered",
    )
    cognito.update_device_status(
        AccessToken=token, DeviceKey=device["key"], DeviceRememberedStatus="remembered"
    )

    # Cognito's errors.
    gabe = ap.password_auth("gabe")["AuthenticationResult"]
    assert fails(cognito.get_device, AccessToken=gabe["AccessToken"], DeviceKey=device["key"]) == NOT_FOUND
    assert fails(cognito.get_device, AccessToken=token, DeviceKey=UNKNOWN_KEY) == NOT_FOUND
    assert fails(
        cognito.admin_get_device, UserPoolId=ap.pool_id, Username="gabe", DeviceKey=device["key"]
    ) == (NOT_FOUND)
    # The model's error lists of AdminListDevices and AdminGetDevice lack UserNotFoundException.
    assert fails(cognito.admin_list_devices, UserPoolId=ap.pool_id, Username="nobody") == (
        "ResourceNotFoundException",
        "User does not exist.",
    )
    assert fails(
        cognito.admin_update_device_status,
        UserPoolId=ap.pool_id,
        Username="nobody",
        DeviceKey=device["key"],
        DeviceRememberedStatus="remembered",
    ) == ("UserNotFoundException", "User does not exist.")
    assert fails(cognito.get_device, AccessToken="x" * 40, DeviceKey=device["key"]) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )
    assert (
        fails(
            cognito.update_device_status,
            AccessToken=token,
            DeviceKey=device["key"],
            DeviceRememberedStatus="maybe",
        )[0]
        == "InvalidParameterException"
    )
    salt, verifier = make_device_verifier(device["group"], device["key"], "another")
    salt_b64, verifier_b64 = encode_device_verifier_config(salt, verifier)
    config = {"Salt": salt_b64, "PasswordVerifier": verifier_b64}
    assert (
        fails(
            cognito.confirm_device,
            AccessToken=token,
            DeviceKey=device["key"],
            DeviceSecretVerifierConfig=config,
        )[0]
        == "DeviceKeyExistsException"
    )
    assert (
        fails(
            cognito.confirm_device,
            AccessToken=gabe["AccessToken"],
            DeviceKey=device["key"],
            DeviceSecretVerifierConfig=config,
        )
        == NOT_FOUND
    )

    cognito.admin_forget_device(UserPoolId=ap.pool_id, Username="fern", DeviceKey=device["key"])
    assert fails(cognito.forget_device, AccessToken=token, DeviceKey=device["key"]) == NOT_FOUND
    assert cognito.list_devices(AccessToken=token)["Devices"] == []


def test_refresh_is_bound_to_the_device(ap: AuthPool, to_server: list[dict[str, Any]]) -> None:
    ap.user("hana")
    device = remember(ap, "hana", to_server)
    signed_in = srp_client(ap, "hana", device).authenticate_user()["AuthenticationResult"]
    for token in (device["refresh"], signed_in["RefreshToken"]):
        for params in ({}, {"DEVICE_KEY": UNKNOWN_KEY}):
            assert (
                fails(
                    ap.cognito.initiate_auth,
                    ClientId=ap.client_id,
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters={"REFRESH_TOKEN": token, **params},
                )
                == INVALID_REFRESH
            )
        refreshed = ap.cognito.initiate_auth(
            ClientId=ap.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": token, "DEVICE_KEY": device["key"]},
        )["AuthenticationResult"]
        assert ap.decode(refreshed["AccessToken"])["device_key"] == device["key"]
        assert "RefreshToken" not in refreshed
    assert (
        fails(
            ap.cognito.get_tokens_from_refresh_token,
            ClientId=ap.client_id,
            RefreshToken=signed_in["RefreshToken"],
        )
        == INVALID_REFRESH
    )
    assert ap.cognito.get_tokens_from_refresh_token(
        ClientId=ap.client_id, RefreshToken=signed_in["RefreshToken"], DeviceKey=device["key"]
    )["AuthenticationResult"]["AccessToken"]
    # Forgetting the device ends the refresh tokens bound to it.
    ap.cognito.forget_device(AccessToken=signed_in["AccessToken"], DeviceKey=device["key"])
    assert (
        fails(
            ap.cognito.initiate_auth,
            ClientId=ap.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"], "DEVICE_KEY": device["key"]},
        )
        == INVALID_REFRESH
    )


def test_disabling_the_user_revokes_the_refresh_tokens_bound_to_a_device(
    ap: AuthPool, to_server: list[dict[str, Any]]
) -> None:
    """Finding 5: AdminDisableUser then AdminEnableUser leaves device-bound refresh tokens
    revoked, with or without the device key. The device stays remembered (the user still has to
    pass the password step before device SRP)."""
    ap.user("ines")
    device = remember(ap, "ines", to_server)
    signed_in = srp_client(ap, "ines", device).authenticate_user()["AuthenticationResult"]
    ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="ines")
    ap.cognito.admin_enable_user(UserPoolId=ap.pool_id, Username="ines")
    revoked = ("NotAuthorizedException", "Refresh Token has been revoked")
    for token in (device["refresh"], signed_in["RefreshToken"]):
        assert (
            fails(
                ap.cognito.initiate_auth,
                ClientId=ap.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": token, "DEVICE_KEY": device["key"]},
            )
            == revoked
        )
        assert (
            fails(
                ap.cognito.get_tokens_from_refresh_token,
                ClientId=ap.client_id,
                RefreshToken=token,
                DeviceKey=device["key"],
            )
            == revoked
        )
    assert fails(ap.cognito.get_user, AccessToken=signed_in["AccessToken"]) == (
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    again = srp_client(ap, "ines", device).authenticate_user()["AuthenticationResult"]
    assert ap.decode(again["AccessToken"])["device_key"] == device["key"]


def test_unknown_device_key_at_password_verifier(ap: AuthPool) -> None:
    ap.user("ivan")
    client = srp_client(ap, "ivan", {"key": UNKNOWN_KEY, "group": "-nogroup", "password": "x"})
    with pytest.raises(ClientError) as exc:
        client.authenticate_user()
    assert error(exc) == NOT_FOUND


def test_user_opt_in_pool(server: ServerProcess) -> None:
    ap = make_pool(server, DeviceConfiguration=OPT_IN)
    try:
        ap.user("jill")
        result = ap.password_auth("jill")["AuthenticationResult"]
        key = result["NewDeviceMetadata"]["DeviceKey"]
        salt, verifier = make_device_verifier(result["NewDeviceMetadata"]["DeviceGroupKey"], key, "device-pw")
        salt_b64, verifier_b64 = encode_device_verifier_config(salt, verifier)
        confirmed = ap.cognito.confirm_device(
            AccessToken=result["AccessToken"],
            DeviceKey=key,
            DeviceSecretVerifierConfig={"Salt": salt_b64, "PasswordVerifier": verifier_b64},
        )
        assert confirmed["UserConfirmationNecessary"] is True
        status = ap.cognito.get_device(AccessToken=result["AccessToken"], DeviceKey=key)["Device"]
        assert {"Name": "dev:device_remembered_status", "Value": "not_remembered"} in status[
            "DeviceAttributes"
        ]
        ap.cognito.update_device_status(
            AccessToken=result["AccessToken"], DeviceKey=key, DeviceRememberedStatus="remembered"
        )
        status = ap.cognito.admin_get_device(UserPoolId=ap.pool_id, Username="jill", DeviceKey=key)["Device"]
        assert {"Name": "dev:device_remembered_status", "Value": "remembered"} in status["DeviceAttributes"]
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}


def sms_mfa_pool(server: ServerProcess, devices: dict[str, bool]) -> AuthPool:
    """A pool with MFA ON by SMS and device tracking ``devices``."""
    ap = make_pool(server, SmsConfiguration=SMS_CONFIGURATION, DeviceConfiguration=devices)
    ap.cognito.set_user_pool_mfa_config(
        UserPoolId=ap.pool_id,
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Sign-in code {####}"},
        MfaConfiguration="ON",
    )
    return ap


def with_device(ap: AuthPool, username: str, device_key: str) -> dict[str, Any]:
    """USER_PASSWORD_AUTH naming a device."""
    result: dict[str, Any] = ap.cognito.initiate_auth(
        ClientId=ap.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD, "DEVICE_KEY": device_key},
    )
    return result


def sms_code(ap: AuthPool, username: str) -> str:
    return ap.server.last_code(ap.pool_id, username)


def test_remembered_device_replaces_sms_mfa(server: ServerProcess) -> None:
    ap = sms_mfa_pool(server, ALWAYS)
    try:
        ap.user("kim", phone_number="+15555550123")
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="kim", SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        # First sign-in: SMS MFA, then a new device, confirmed like a client does.
        challenge = ap.password_auth("kim")
        assert challenge["ChallengeName"] == "SMS_MFA"
        first = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "kim", "SMS_MFA_CODE": sms_code(ap, "kim")},
        )["AuthenticationResult"]
        metadata = first["NewDeviceMetadata"]
        password, config = aws_srp.generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
        ap.cognito.confirm_device(
            AccessToken=first["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig=config,
        )
        device = {"key": metadata["DeviceKey"], "group": metadata["DeviceGroupKey"], "password": password}
        sent = len(ap.server.messages(ap.pool_id, "kim"))

        # Remembered: pycognito's SRP sign-in goes PASSWORD_VERIFIER -> device SRP -> tokens, no code.
        signed_in = srp_client(ap, "kim", device).authenticate_user()["AuthenticationResult"]
        assert ap.decode(signed_in["AccessToken"])["device_key"] == device["key"]
        assert len(ap.server.messages(ap.pool_id, "kim")) == sent

        # Not remembered: MFA first, then the device proves itself.
        ap.cognito.update_device_status(
            AccessToken=signed_in["AccessToken"],
            DeviceKey=device["key"],
            DeviceRememberedStatus="not_remembered",
        )
        client = srp_client(ap, "kim", device)
        challenge = with_device(ap, "kim", device["key"])
        assert challenge["ChallengeName"] == "SMS_MFA"
        device_step = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "kim",
                "SMS_MFA_CODE": sms_code(ap, "kim"),
                "DEVICE_KEY": device["key"],
            },
        )
        assert device_step["ChallengeName"] == "DEVICE_SRP_AUTH"
        verifier = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=device_step["Session"],
            ChallengeResponses={
                "USERNAME": "kim",
                "DEVICE_KEY": device["key"],
                "SRP_A": format(client.large_a_value, "x"),
            },
        )
        done = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=client.process_device_challenge(verifier["ChallengeParameters"]),
        )["AuthenticationResult"]
        assert "NewDeviceMetadata" not in done
        assert ap.decode(done["AccessToken"])["device_key"] == device["key"]
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


def test_remembered_device_does_not_replace_mfa_when_the_pool_says_so(server: ServerProcess) -> None:
    ap = sms_mfa_pool(
        server, {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
    )
    try:
        ap.user("lou", phone_number="+15555550124")
        ap.cognito.admin_set_user_mfa_preference(
            UserPoolId=ap.pool_id, Username="lou", SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        challenge = ap.password_auth("lou")
        first = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "lou", "SMS_MFA_CODE": sms_code(ap, "lou")},
        )["AuthenticationResult"]
        metadata = first["NewDeviceMetadata"]
        _, config = aws_srp.generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
        ap.cognito.confirm_device(
            AccessToken=first["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig=config,
        )
        again = with_device(ap, "lou", metadata["DeviceKey"])
        assert again["ChallengeName"] == "SMS_MFA"
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)
