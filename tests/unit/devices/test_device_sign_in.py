"""Sign-in on a pool that tracks devices, through the operation handlers with the real token
service: NewDeviceMetadata, ConfirmDevice, device SRP (as pycognito does it, without Session,
and as the JS SDK does it, with Session), the errors of each step, the triggers' view, and
refresh tokens bound to the device."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.unit.auth._support import PASSWORD, WRONG
from tests.unit.devices._support import DEVICE_KEY_PATTERN, DeviceWorld, Remembered, make_device_world

from poolgate.errors import CognitoError, NotAuthorizedException, ResourceNotFoundException

DEVICE_NOT_FOUND = ("ResourceNotFoundException", "Device does not exist.")
GENERIC = ("NotAuthorizedException", "Incorrect username or password.")
INVALID_SESSION = ("NotAuthorizedException", "Invalid session for the user.")


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(CognitoError) as exc:
        call(**params)
    return exc.value.code, exc.value.message


def remembered_device(dw: DeviceWorld, username: str) -> Remembered:
    """Sign ``username`` in once and confirm the device handed out."""
    return dw.confirm(dw.password_auth(username))


def start_srp(dw: DeviceWorld, username: str, device: Remembered | None, password: str = PASSWORD) -> Any:
    """InitiateAuth USER_SRP_AUTH and the PASSWORD_VERIFIER answer (with Session, DEVICE_KEY)."""
    client = dw.srp(username, password, device)
    params = client.get_auth_params()
    started = dw.boto.initiate_auth(
        ClientId=dw.client.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    answer = client.process_challenge(started["ChallengeParameters"], params)
    return client, started, answer


# -- NewDeviceMetadata ------------------------------------------------------------------------


def test_sign_in_hands_out_a_device(dw: DeviceWorld) -> None:
    dw.user("ann")
    result = dw.password_auth("ann")["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert re.fullmatch(DEVICE_KEY_PATTERN, metadata["DeviceKey"])
    assert re.fullmatch(r"-[A-Za-z0-9]{9}", metadata["DeviceGroupKey"])
    # The tokens are bound to the new device; the ID token does not name it.
    assert dw.claims(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    assert "device_key" not in dw.claims(result["IdToken"])
    (post,) = dw.tw.triggers.of("PostAuthentication")
    assert post["new_device_used"] is True
    (pre,) = dw.tw.triggers.of("PreTokenGeneration")
    assert pre["source"] == "Authentication"
    dw.tw.no_trigger_ran_in_a_transaction()


def test_group_key_is_stable_per_user(dw: DeviceWorld) -> None:
    dw.user("ann")
    dw.user("bob")
    first = dw.password_auth("ann")["AuthenticationResult"]["NewDeviceMetadata"]
    second = dw.password_auth("ann")["AuthenticationResult"]["NewDeviceMetadata"]
    other = dw.password_auth("bob")["AuthenticationResult"]["NewDeviceMetadata"]
    assert first["DeviceKey"] != second["DeviceKey"]
    assert first["DeviceGroupKey"] == second["DeviceGroupKey"] != other["DeviceGroupKey"]


def test_no_device_without_tracking_or_in_admin_flows() -> None:
    dw = make_device_world(None)
    dw.user("ann")
    result = dw.password_auth("ann", DEVICE_KEY="us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    assert "NewDeviceMetadata" not in result["AuthenticationResult"]
    assert "device_key" not in dw.claims(result["AuthenticationResult"]["AccessToken"])
    assert dw.tw.triggers.of("PostAuthentication")[-1]["new_device_used"] is None

    tracked = make_device_world()
    tracked.user("ann")
    admin = tracked.boto.admin_initiate_auth(
        UserPoolId=tracked.pool.id,
        ClientId=tracked.client.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD},
    )
    assert "NewDeviceMetadata" not in admin["AuthenticationResult"]
    assert tracked.tw.triggers.of("PostAuthentication")[-1]["new_device_used"] is False


# -- ConfirmDevice and device SRP -------------------------------------------------------------


def test_pycognito_device_srp_without_session(dw: DeviceWorld) -> None:
    user = dw.user("ann")
    device = remembered_device(dw, "ann")
    assert device.user_confirmation_necessary is False
    dw.tw.triggers.calls.clear()
    dw.boto.sent.clear()

    result = dw.srp("ann", device=device).authenticate_user()
    authenticated = result["AuthenticationResult"]
    assert "NewDeviceMetadata" not in authenticated
    assert dw.claims(authenticated["AccessToken"])["device_key"] == device.key
    assert dw.claims(authenticated["IdToken"])["sub"] == user.sub
    calls = [(name, params.get("ChallengeName"), params.get("Session")) for name, params in dw.boto.sent]
    assert calls == [
        ("InitiateAuth", None, None),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER", None),
        ("RespondToAuthChallenge", "DEVICE_SRP_AUTH", None),
        ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER", None),
    ]
    assert dw.tw.triggers.of("PreTokenGeneration")[-1]["source"] == "AuthenticateDevice"
    assert dw.tw.triggers.of("PostAuthentication")[-1]["new_device_used"] is False
    dw.tw.no_trigger_ran_in_a_transaction()
    listed = dw.devices.admin_get_device(dw.pool.id, "ann", device.key)
    assert listed.last_authenticated_at == dw.clock.now()


def test_device_srp_with_sessions_like_the_js_sdk(dw: DeviceWorld) -> None:
    dw.user("ann")
    device = remembered_device(dw, "ann")
    client, started, answer = start_srp(dw, "ann", device)
    assert answer["DEVICE_KEY"] == device.key
    challenge = dw.boto.respond_to_auth_challenge(
        ClientId=dw.client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=started["Session"],
        ChallengeResponses=answer,
    )
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert challenge["ChallengeParameters"] == {}
    verifier = dw.boto.respond_to_auth_challenge(
        ClientId=dw.client.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "ann",
            "DEVICE_KEY": device.key,
            "SRP_A": format(client.large_a_value, "x"),
        },
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    params = verifier["ChallengeParameters"]
    assert set(params) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "DEVICE_KEY"}
    assert params["USERNAME"] == "ann" and params["DEVICE_KEY"] == device.key
    proof = client.process_device_challenge(params)
    done = dw.boto.respond_to_auth_challenge(
        ClientId=dw.client.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=proof,
    )
    assert dw.claims(done["AuthenticationResult"]["AccessToken"])["device_key"] == device.key
    # Each device session is single use.
    assert (
        error_of(
            dw.boto.respond_to_auth_challenge,
            ClientId=dw.client.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=proof,
        )
        == INVALID_SESSION
    )


def test_password_flow_with_a_device_goes_to_device_srp(dw: DeviceWorld) -> None:
    dw.user("ann")
    device = remembered_device(dw, "ann")
    challenge = dw.password_auth("ann", DEVICE_KEY=device.key)
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH" and challenge["Session"]


def test_unknown_device_at_password_verifier_can_be_retried_without_it(dw: DeviceWorld) -> None:
    dw.user("ann")
    _, started, answer = start_srp(dw, "ann", None)
    with_key = {**answer, "DEVICE_KEY": "us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}
    respond = dw.boto.respond_to_auth_challenge
    assert (
        error_of(
            respond,
            ClientId=dw.client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=started["Session"],
            ChallengeResponses=with_key,
        )
        == DEVICE_NOT_FOUND
    )
    # What amazon-cognito-identity-js does next: the same answer, DEVICE_KEY null (dropped).
    result = respond(
        ClientId=dw.client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=started["Session"],
        ChallengeResponses=answer,
    )
    assert "NewDeviceMetadata" in result["AuthenticationResult"]


def test_devices_a_sign_in_may_not_use(dw: DeviceWorld) -> None:
    dw.user("ann")
    dw.user("bob")
    pending = dw.password_auth("ann")["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    bobs = remembered_device(dw, "bob").key
    for key in (pending, bobs, "us-east-1_00000000-0000-4000-8000-000000000000"):
        with pytest.raises(ResourceNotFoundException) as exc:
            dw.password_auth("ann", DEVICE_KEY=key)
        assert exc.value.message == "Device does not exist."
    # A refused device key is not a failed password.
    with dw.tw.store.transaction() as uow:
        assert uow.login_attempts.get(dw.pool.id, dw.users["ann"].sub).failures == 0


def test_wrong_device_password_is_refused_and_not_counted(dw: DeviceWorld) -> None:
    dw.user("ann")
    device = remembered_device(dw, "ann")
    stolen_key = Remembered(device.key, device.group_key, "not-the-device-password")
    with pytest.raises(NotAuthorizedException) as exc:
        dw.srp("ann", device=stolen_key).authenticate_user()
    assert exc.value.message == GENERIC[1]
    with dw.tw.store.transaction() as uow:
        assert uow.login_attempts.get(dw.pool.id, dw.users["ann"].sub).failures == 0
    # The right password still works afterwards.
    assert "AuthenticationResult" in dw.srp("ann", device=device).authenticate_user()


def test_wrong_user_password_with_a_device_is_counted(dw: DeviceWorld) -> None:
    dw.user("ann")
    device = remembered_device(dw, "ann")
    with pytest.raises(NotAuthorizedException):
        dw.srp("ann", WRONG, device).authenticate_user()
    with dw.tw.store.transaction() as uow:
        assert uow.login_attempts.get(dw.pool.id, dw.users["ann"].sub).failures == 1


def test_device_step_without_session_needs_a_pending_step(dw: DeviceWorld) -> None:
    dw.user("ann")
    dw.user("bob")
    device = remembered_device(dw, "ann")
    answer = {"USERNAME": "ann", "DEVICE_KEY": device.key, "SRP_A": "ab" * 64}
    respond = dw.boto.respond_to_auth_challenge
    assert (
        error_of(
            respond, ClientId=dw.client.client_id, ChallengeName="DEVICE_SRP_AUTH", ChallengeResponses=answer
        )
        == INVALID_SESSION
    )
    challenge = dw.password_auth("ann", DEVICE_KEY=device.key)
    # Another user cannot take the pending step, nor can another app client.
    assert (
        error_of(
            respond,
            ClientId=dw.client.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={**answer, "USERNAME": "bob"},
        )
        == INVALID_SESSION
    )
    other = dw.tw.world.client(dw.pool)
    assert (
        error_of(
            respond, ClientId=other.client_id, ChallengeName="DEVICE_SRP_AUTH", ChallengeResponses=answer
        )
        == INVALID_SESSION
    )
    # The session names its device: another key is refused and the session stays usable.
    assert (
        error_of(
            respond,
            ClientId=dw.client.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=challenge["Session"],
            ChallengeResponses={**answer, "DEVICE_KEY": "us-east-1_00000000-0000-4000-8000-000000000000"},
        )
        == INVALID_SESSION
    )
    assert (
        respond(ClientId=dw.client.client_id, ChallengeName="DEVICE_SRP_AUTH", ChallengeResponses=answer)[
            "ChallengeName"
        ]
        == "DEVICE_PASSWORD_VERIFIER"
    )


def test_device_forgotten_during_the_sign_in(dw: DeviceWorld) -> None:
    dw.user("ann")
    device = remembered_device(dw, "ann")
    challenge = dw.password_auth("ann", DEVICE_KEY=device.key)
    dw.devices.admin_forget_device(dw.pool.id, "ann", device.key)
    assert (
        error_of(
            dw.boto.respond_to_auth_challenge,
            ClientId=dw.client.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "ann", "DEVICE_KEY": device.key, "SRP_A": "ab"},
        )
        == DEVICE_NOT_FOUND
    )


# -- refresh tokens bound to the device ---------------------------------------------------------


def refresh(dw: DeviceWorld, token: str, device_key: str | None) -> dict[str, Any]:
    params = {"REFRESH_TOKEN": token, **({"DEVICE_KEY": device_key} if device_key else {})}
    return dw.boto.initiate_auth(
        ClientId=dw.client.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params
    )


def test_refresh_needs_the_device_key(dw: DeviceWorld) -> None:
    dw.user("ann")
    first = dw.password_auth("ann")
    device = dw.confirm(first)
    signed_in = dw.srp("ann", device=device).authenticate_user()["AuthenticationResult"]
    for result in (first["AuthenticationResult"], signed_in):
        token = result["RefreshToken"]
        for wrong in (None, "us-east-1_00000000-0000-4000-8000-000000000000"):
            assert error_of(refresh, dw=dw, token=token, device_key=wrong) == (
                "NotAuthorizedException",
                "Invalid Refresh Token.",
            )
        refreshed = refresh(dw, token, device.key)["AuthenticationResult"]
        assert dw.claims(refreshed["AccessToken"])["device_key"] == device.key
    # Forgetting the device ends its refresh tokens; the access token stays valid.
    dw.boto.forget_device(AccessToken=signed_in["AccessToken"], DeviceKey=device.key)
    assert error_of(refresh, dw=dw, token=signed_in["RefreshToken"], device_key=device.key) == (
        "NotAuthorizedException",
        "Invalid Refresh Token.",
    )
    assert dw.boto.list_devices(AccessToken=signed_in["AccessToken"])["Devices"] == []
    # The next sign-in is an ordinary one and hands out a new device.
    again = dw.srp("ann", device=device)
    with pytest.raises(ResourceNotFoundException):
        again.authenticate_user()
