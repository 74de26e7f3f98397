"""Our SRP server functions against pycognito's client math (an independent implementation).

pycognito is driven through its real ``AWSSRP.authenticate_user`` with a fake
boto3 client whose two methods are built on ``poolgate.srp``; nothing goes over
the network.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pycognito import aws_srp

from poolgate.srp import (
    ProofMismatch,
    ServerChallenge,
    check_password,
    check_timestamp,
    make_verifier,
    parse_device_verifier_config,
    pool_name_from_pool_id,
    start,
    timestamp_now,
    verify_claim,
    verify_device_claim,
)

POOL_ID = "us-east-1_TestPool1"
POOL_NAME = pool_name_from_pool_id(POOL_ID)
CLIENT_ID = "1example23456789abcdefghij"
GROUP_KEY = "-abcDEF12"
DEVICE_KEY = "us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


@dataclass
class FakeCognito:
    """Just enough of boto3's cognito-idp client for ``AWSSRP.authenticate_user``.

    Users map a username to ``(salt_hex, verifier_hex)``; devices map a device key
    to ``(salt_hex, verifier_hex)``. Pending exchanges are found by SECRET_BLOCK,
    as pycognito sends no Session.
    """

    users: dict[str, tuple[str, str]]
    devices: dict[str, tuple[str, str]] = field(default_factory=dict)
    pending: dict[str, tuple[str, ServerChallenge]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def _challenge(
        self, name: str, verifier_hex: str, a_hex: str, parameters: dict[str, str]
    ) -> dict[str, Any]:
        challenge = start(verifier_hex, a_hex)
        secret_block = base64.b64encode(os.urandom(48)).decode()
        self.pending[secret_block] = (name, challenge)
        parameters.update({"SRP_B": challenge.B_hex, "SECRET_BLOCK": secret_block})
        return {"ChallengeName": name, "ChallengeParameters": parameters, "Session": "s"}

    def _take(self, name: str, responses: dict[str, str]) -> ServerChallenge:
        kind, challenge = self.pending.pop(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
        assert kind == name
        check_timestamp(responses["TIMESTAMP"], now=time.time())
        return challenge

    def initiate_auth(
        self, *, AuthFlow: str, AuthParameters: dict[str, str], ClientId: str
    ) -> dict[str, Any]:
        assert (AuthFlow, ClientId) == ("USER_SRP_AUTH", CLIENT_ID)
        self.calls.append("USER_SRP_AUTH")
        username = AuthParameters["USERNAME"]
        salt_hex, verifier_hex = self.users[username]
        parameters = {"SALT": salt_hex, "USERNAME": username, "USER_ID_FOR_SRP": username}
        return self._challenge("PASSWORD_VERIFIER", verifier_hex, AuthParameters["SRP_A"], parameters)

    def respond_to_auth_challenge(
        self, *, ClientId: str, ChallengeName: str, ChallengeResponses: dict[str, str], **_: Any
    ) -> dict[str, Any]:
        self.calls.append(ChallengeName)
        r = ChallengeResponses
        tokens = {"AuthenticationResult": {"AccessToken": "access"}}
        if ChallengeName == "PASSWORD_VERIFIER":
            challenge = self._take(ChallengeName, r)
            salt_hex, verifier_hex = self.users[r["USERNAME"]]
            verify_claim(
                challenge,
                verifier_hex=verifier_hex,
                pool_name=POOL_NAME,
                user_id_for_srp=r["USERNAME"],
                secret_block_b64=r["PASSWORD_CLAIM_SECRET_BLOCK"],
                timestamp=r["TIMESTAMP"],
                signature_b64=r["PASSWORD_CLAIM_SIGNATURE"],
            )
            if r.get("DEVICE_KEY") in self.devices:
                return {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {}, "Session": "s"}
            return tokens
        if ChallengeName == "DEVICE_SRP_AUTH":
            salt_hex, verifier_hex = self.devices[r["DEVICE_KEY"]]
            parameters = {"SALT": salt_hex, "USERNAME": r["USERNAME"], "DEVICE_KEY": r["DEVICE_KEY"]}
            return self._challenge("DEVICE_PASSWORD_VERIFIER", verifier_hex, r["SRP_A"], parameters)
        assert ChallengeName == "DEVICE_PASSWORD_VERIFIER"
        challenge = self._take(ChallengeName, r)
        verify_device_claim(
            challenge,
            verifier_hex=self.devices[r["DEVICE_KEY"]][1],
            device_group_key=GROUP_KEY,
            device_key=r["DEVICE_KEY"],
            secret_block_b64=r["PASSWORD_CLAIM_SECRET_BLOCK"],
            timestamp=r["TIMESTAMP"],
            signature_b64=r["PASSWORD_CLAIM_SIGNATURE"],
        )
        return tokens


def client_for(server: FakeCognito, username: str, password: str, **device: str) -> aws_srp.AWSSRP:
    return aws_srp.AWSSRP(username, password, POOL_ID, CLIENT_ID, client=server, **device)


# Salts chosen to hit both padHex branches: no sign byte, a sign byte (0xc0...), and odd length.
SALTS = [None, 0x5A1C3E7F9B2D4C6E8F0A1B2C3D4E5F60, 0xC0FFEE11111111111111111111111111, 0xABC]


@pytest.mark.parametrize("salt", SALTS)
@pytest.mark.parametrize("password", ["Passw0rd!", "pässwörd ✓ 密码", ""])
def test_pycognito_user_srp_right_password(salt: int | None, password: str) -> None:
    server = FakeCognito({"alice": make_verifier(POOL_NAME, "alice", password, salt=salt)})
    assert client_for(server, "alice", password).authenticate_user() == {
        "AuthenticationResult": {"AccessToken": "access"}
    }
    assert server.calls == ["USER_SRP_AUTH", "PASSWORD_VERIFIER"]


@pytest.mark.parametrize("salt", SALTS)
@pytest.mark.parametrize("wrong", ["Passw0rd", "passw0rd!", "Passw0rd! "])
def test_pycognito_user_srp_wrong_password(salt: int | None, wrong: str) -> None:
    server = FakeCognito({"alice": make_verifier(POOL_NAME, "alice", "Passw0rd!", salt=salt)})
    with pytest.raises(ProofMismatch):
        client_for(server, "alice", wrong).authenticate_user()


def test_pycognito_with_vector_values() -> None:
    """pycognito, pinned to vector 1's a, b, secret block and timestamp, reproduces its signature."""
    salt_hex, verifier_hex = make_verifier(
        POOL_NAME, "alice", "Passw0rd!", salt=0x5A1C3E7F9B2D4C6E8F0A1B2C3D4E5F60
    )
    client = client_for(FakeCognito({}), "alice", "Passw0rd!")
    client.small_a_value = int("3f" * 32, 16)
    client.large_a_value = client.calculate_a()
    a_hex = client.get_auth_params()["SRP_A"]
    assert a_hex.startswith("5a294b12f0b4916d")
    challenge = start(verifier_hex, a_hex, b=int("7d" * 32, 16))
    secret_block = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    timestamp = "Tue Nov 5 07:08:09 UTC 2024"
    client.get_cognito_formatted_timestamp = lambda _now: timestamp
    parameters = {
        "SALT": salt_hex,
        "SRP_B": challenge.B_hex,
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": "alice",
        "USERNAME": "alice",
    }
    response = client.process_challenge(parameters, {"USERNAME": "alice"})
    assert response["PASSWORD_CLAIM_SIGNATURE"] == "LnXN9QTrqr7v4X+pHlX4KsPW3pDH73tMKYXdLvLjcGo="
    verify_claim(
        challenge,
        verifier_hex=verifier_hex,
        pool_name=POOL_NAME,
        user_id_for_srp="alice",
        secret_block_b64=secret_block,
        timestamp=timestamp,
        signature_b64=response["PASSWORD_CLAIM_SIGNATURE"],
    )


def registered_device(server: FakeCognito) -> str:
    """Register a device the way pycognito's ``confirm_device`` computes it; return its password."""
    device_password, config = aws_srp.generate_hash_device(GROUP_KEY, DEVICE_KEY)
    server.devices[DEVICE_KEY] = parse_device_verifier_config(
        password_verifier_b64=config["PasswordVerifier"], salt_b64=config["Salt"]
    )
    return str(device_password)


@pytest.mark.parametrize("attempt", range(8))
def test_pycognito_device_srp_right_device_password(attempt: int) -> None:
    # Several attempts, since each registration draws a new random salt (sometimes with a sign byte).
    server = FakeCognito({"alice": make_verifier(POOL_NAME, "alice", "Passw0rd!")})
    device_password = registered_device(server)
    client = client_for(
        server,
        "alice",
        "Passw0rd!",
        device_key=DEVICE_KEY,
        device_group_key=GROUP_KEY,
        device_password=device_password,
    )
    assert client.authenticate_user() == {"AuthenticationResult": {"AccessToken": "access"}}
    assert server.calls == [
        "USER_SRP_AUTH",
        "PASSWORD_VERIFIER",
        "DEVICE_SRP_AUTH",
        "DEVICE_PASSWORD_VERIFIER",
    ]


def test_pycognito_device_srp_wrong_device_password() -> None:
    server = FakeCognito({"alice": make_verifier(POOL_NAME, "alice", "Passw0rd!")})
    device_password = registered_device(server)
    wrong = device_password[:-2] + ("A=" if device_password[-2] != "A" else "B=")
    client = client_for(
        server, "alice", "Passw0rd!", device_key=DEVICE_KEY, device_group_key=GROUP_KEY, device_password=wrong
    )
    with pytest.raises(ProofMismatch):
        client.authenticate_user()
    assert server.calls[-1] == "DEVICE_PASSWORD_VERIFIER"


def test_pycognito_timestamp_format_matches_ours() -> None:
    import datetime

    for epoch in (1730790489, 1736687045, 951782400, 4102444799):
        moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
        assert aws_srp.AWSSRP.get_cognito_formatted_timestamp(moment) == timestamp_now(epoch)


def test_print_timings() -> None:
    """Printed, not asserted: machines here are shared and noisy."""
    salt_hex, verifier_hex = make_verifier(POOL_NAME, "alice", "Passw0rd!")
    client = client_for(FakeCognito({}), "alice", "Passw0rd!")
    a_hex = client.get_auth_params()["SRP_A"]
    challenge = start(verifier_hex, a_hex)
    secret_block = base64.b64encode(os.urandom(48)).decode()
    parameters = {
        "SALT": salt_hex,
        "SRP_B": challenge.B_hex,
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": "alice",
    }
    response = client.process_challenge(parameters, {"USERNAME": "alice"})

    def claim() -> None:
        verify_claim(
            challenge,
            verifier_hex=verifier_hex,
            pool_name=POOL_NAME,
            user_id_for_srp="alice",
            secret_block_b64=secret_block,
            timestamp=response["TIMESTAMP"],
            signature_b64=response["PASSWORD_CLAIM_SIGNATURE"],
        )

    cases: dict[str, Callable[[], object]] = {
        "make_verifier": lambda: make_verifier(POOL_NAME, "alice", "Passw0rd!"),
        "start": lambda: start(verifier_hex, a_hex),
        "verify_claim": claim,
        "check_password": lambda: check_password(POOL_NAME, "alice", "Passw0rd!", salt_hex, verifier_hex),
    }
    lines = []
    for name, run in cases.items():
        began = time.perf_counter()
        for _ in range(200):
            run()
        lines.append(f"{name} {(time.perf_counter() - began) / 200 * 1000:.3f} ms")
    print("\nSRP timings over 200 runs each: " + ", ".join(lines))
