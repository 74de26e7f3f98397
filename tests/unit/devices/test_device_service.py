"""ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice and their Admin twins,
through the operation handlers: response shapes, remembered status per pool setting, and the
errors Cognito gives."""

from __future__ import annotations

from typing import Any

import pytest
from pycognito import aws_srp
from tests.unit.devices._support import OPT_IN, DeviceWorld, make_device_world

from poolgate.errors import CognitoError
from poolgate.srp import encode_device_verifier_config, make_device_verifier

NOT_FOUND = ("ResourceNotFoundException", "Device does not exist.")


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(CognitoError) as exc:
        call(**params)
    return exc.value.code, exc.value.message


def sign_in(dw: DeviceWorld, username: str) -> tuple[str, str]:
    """(access token, new device key) of a password sign-in."""
    result = dw.password_auth(username)["AuthenticationResult"]
    return result["AccessToken"], result["NewDeviceMetadata"]["DeviceKey"]


def attributes(device: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}


def test_confirm_get_list_update_forget(dw: DeviceWorld) -> None:
    dw.user("ann")
    result = dw.password_auth("ann")
    device = dw.confirm(result, name="Firefox")
    token = result["AuthenticationResult"]["AccessToken"]
    boto = dw.boto

    got = boto.get_device(AccessToken=token, DeviceKey=device.key)["Device"]
    assert got["DeviceKey"] == device.key
    assert attributes(got) == {
        "device_status": "valid",
        "device_name": "Firefox",
        "dev:device_remembered_status": "remembered",
        "last_ip_used": "192.0.2.10",
    }
    now = dw.clock.now()
    assert (
        got["DeviceCreateDate"] == got["DeviceLastModifiedDate"] == got["DeviceLastAuthenticatedDate"] == now
    )
    assert boto.admin_get_device(UserPoolId=dw.pool.id, Username="ann", DeviceKey=device.key) == {
        "Device": got
    }
    assert boto.list_devices(AccessToken=token) == {"Devices": [got], "PaginationToken": None}

    dw.clock.advance(5)
    assert (
        boto.update_device_status(
            AccessToken=token, DeviceKey=device.key, DeviceRememberedStatus="not_remembered"
        )
        == {}
    )
    changed = boto.admin_get_device(UserPoolId=dw.pool.id, Username="ann", DeviceKey=device.key)["Device"]
    assert attributes(changed)["dev:device_remembered_status"] == "not_remembered"
    assert changed["DeviceLastModifiedDate"] == now + 5
    boto.admin_update_device_status(
        UserPoolId=dw.pool.id, Username="ann", DeviceKey=device.key, DeviceRememberedStatus="remembered"
    )
    assert (
        attributes(boto.get_device(AccessToken=token, DeviceKey=device.key)["Device"])[
            "dev:device_remembered_status"
        ]
        == "remembered"
    )

    assert boto.forget_device(AccessToken=token, DeviceKey=device.key) == {}
    assert error_of(boto.get_device, AccessToken=token, DeviceKey=device.key) == NOT_FOUND
    assert error_of(boto.forget_device, AccessToken=token, DeviceKey=device.key) == NOT_FOUND


def test_user_opt_in_pool_asks_before_remembering() -> None:
    dw = make_device_world(OPT_IN)
    dw.user("ann")
    result = dw.password_auth("ann")
    device = dw.confirm(result)
    assert device.user_confirmation_necessary is True
    token = result["AuthenticationResult"]["AccessToken"]
    got = dw.boto.get_device(AccessToken=token, DeviceKey=device.key)["Device"]
    assert attributes(got)["dev:device_remembered_status"] == "not_remembered"


def test_confirm_device_errors(dw: DeviceWorld) -> None:
    dw.user("ann")
    dw.user("bob")
    token, key = sign_in(dw, "ann")
    bob_token, bob_key = sign_in(dw, "bob")
    salt, verifier = make_device_verifier("-grp", key, "device-password")
    salt_b64, verifier_b64 = encode_device_verifier_config(salt, verifier)
    config = {"Salt": salt_b64, "PasswordVerifier": verifier_b64}
    confirm = dw.boto.confirm_device
    assert (
        error_of(confirm, AccessToken=token, DeviceKey=bob_key, DeviceSecretVerifierConfig=config)
        == NOT_FOUND
    )
    assert (
        error_of(
            confirm,
            AccessToken=token,
            DeviceKey="us-east-1_00000000-0000-4000-8000-000000000000",
            DeviceSecretVerifierConfig=config,
        )
        == NOT_FOUND
    )
    assert error_of(confirm, AccessToken=token, DeviceKey=key) == (
        "InvalidParameterException",
        "Missing required parameter DeviceSecretVerifierConfig",
    )
    for bad in (
        {"Salt": "AA==", "PasswordVerifier": verifier_b64},
        {"Salt": salt_b64, "PasswordVerifier": "AQ=="},
        {"Salt": "not base64!", "PasswordVerifier": verifier_b64},
    ):
        assert error_of(confirm, AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=bad) == (
            "InvalidParameterException",
            "Invalid device secret verifier config.",
        )
    assert confirm(AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config) == {
        "UserConfirmationNecessary": False
    }
    code, _ = error_of(confirm, AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config)
    assert code == "DeviceKeyExistsException"
    assert error_of(confirm, AccessToken="not-a-token", DeviceKey=key, DeviceSecretVerifierConfig=config) == (
        "NotAuthorizedException",
        "Invalid Access Token",
    )
    # A pending device that outlived its refresh token cannot be confirmed.
    dw.clock.advance(30 * 86400 + 1)
    fresh_token, _ = sign_in(dw, "bob")
    assert bob_token != fresh_token
    assert (
        error_of(confirm, AccessToken=fresh_token, DeviceKey=bob_key, DeviceSecretVerifierConfig=config)
        == NOT_FOUND
    )


def test_devices_of_others_and_pending_devices_are_invisible(dw: DeviceWorld) -> None:
    dw.user("ann")
    dw.user("bob")
    ann = dw.password_auth("ann")
    ann_device = dw.confirm(ann)
    bob_token, pending = sign_in(dw, "bob")
    boto = dw.boto
    for key in (ann_device.key, pending):
        assert error_of(boto.get_device, AccessToken=bob_token, DeviceKey=key) == NOT_FOUND
        assert (
            error_of(
                boto.update_device_status,
                AccessToken=bob_token,
                DeviceKey=key,
                DeviceRememberedStatus="remembered",
            )
            == NOT_FOUND
        )
        assert error_of(boto.forget_device, AccessToken=bob_token, DeviceKey=key) == NOT_FOUND
        assert (
            error_of(boto.admin_get_device, UserPoolId=dw.pool.id, Username="bob", DeviceKey=key) == NOT_FOUND
        )
        assert (
            error_of(boto.admin_forget_device, UserPoolId=dw.pool.id, Username="bob", DeviceKey=key)
            == NOT_FOUND
        )
    assert boto.list_devices(AccessToken=bob_token)["Devices"] == []
    assert boto.admin_list_devices(UserPoolId=dw.pool.id, Username="bob")["Devices"] == []
    assert error_of(boto.admin_list_devices, UserPoolId=dw.pool.id, Username="nobody") == (
        "ResourceNotFoundException",
        "User does not exist.",
    )
    assert error_of(
        boto.admin_get_device, UserPoolId=dw.pool.id, Username="nobody", DeviceKey=ann_device.key
    ) == ("ResourceNotFoundException", "User does not exist.")
    assert error_of(
        boto.admin_forget_device, UserPoolId=dw.pool.id, Username="nobody", DeviceKey=ann_device.key
    ) == ("UserNotFoundException", "User does not exist.")
    assert error_of(
        boto.admin_get_device, UserPoolId="us-east-1_nopool", Username="ann", DeviceKey=ann_device.key
    ) == ("ResourceNotFoundException", "User pool us-east-1_nopool does not exist.")
    assert error_of(boto.forget_device, DeviceKey=ann_device.key) == (
        "InvalidParameterException",
        "Missing required parameter AccessToken",
    )


def test_list_devices_in_pages(dw: DeviceWorld) -> None:
    dw.user("ann")
    keys = []
    for _ in range(5):
        result = dw.password_auth("ann")
        keys.append(dw.confirm(result).key)
    token = result["AuthenticationResult"]["AccessToken"]
    seen: list[str] = []
    page: dict[str, Any] = {"PaginationToken": None}
    while True:
        extra = {"PaginationToken": page["PaginationToken"]} if page["PaginationToken"] else {}
        page = dw.boto.list_devices(AccessToken=token, Limit=2, **extra)
        assert len(page["Devices"]) <= 2
        seen += [device["DeviceKey"] for device in page["Devices"]]
        if not page["PaginationToken"]:
            break
    assert seen == sorted(keys)
    everything = dw.boto.admin_list_devices(UserPoolId=dw.pool.id, Username="ann", Limit=0)
    assert [d["DeviceKey"] for d in everything["Devices"]] == sorted(keys)


def test_pycognito_computes_what_confirm_device_accepts(dw: DeviceWorld) -> None:
    dw.user("ann")
    token, key = sign_in(dw, "ann")
    with dw.tw.store.transaction() as uow:
        device = uow.devices.get(dw.pool.id, key)
    assert device is not None
    password, config = aws_srp.generate_hash_device(device.group_key, key)
    dw.boto.confirm_device(AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config)
    with dw.tw.store.transaction() as uow:
        stored = uow.devices.get(dw.pool.id, key)
    assert stored is not None and stored.confirmed and stored.expires_at is None
    # The stored values are the ones the client's device password derives.
    expected_salt, expected_verifier = make_device_verifier(
        device.group_key, key, password, salt=int(stored.salt or "0", 16)
    )
    assert (stored.salt, stored.verifier) == (expected_salt, expected_verifier)
