"""Issue 9 item 7: with PreventUserExistenceErrors=ENABLED an unknown user looks like a known
user with a wrong password.

Error bodies must be identical byte for byte (password flow; SRP flow at both steps, where the
first step for an unknown user is a simulated PASSWORD_VERIFIER). The timing difference over
2,000 password-flow samples is measured and printed (median difference in %), not asserted.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pycognito.aws_srp import AWSSRP
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.hardening.support import figure
from tests.server import ServerProcess, start_server

WRONG = "Wr0ng!Password"
HEADERS = {"content-type": "application/x-amz-json-1.1"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("enumeration"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def hiding(live: ServerProcess) -> tuple[AuthPool, str]:
    ap = make_pool(live)
    return ap, ap.client(PreventUserExistenceErrors="ENABLED")


def _post(http: httpx.Client, operation: str, body: dict[str, Any]) -> httpx.Response:
    return http.post("/", content=json.dumps(body), headers={
        **HEADERS, "x-amz-target": f"AWSCognitoIdentityProviderService.{operation}"})


def _password_auth(http: httpx.Client, client_id: str, username: str, password: str) -> httpx.Response:
    return _post(http, "InitiateAuth", {"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                        "AuthParameters": {"USERNAME": username, "PASSWORD": password}})


def _shape(resp: httpx.Response) -> tuple[int, bytes, str | None, str | None]:
    return (resp.status_code, resp.content, resp.headers.get("x-amzn-errortype"),
            resp.headers.get("x-amzn-errormessage"))


def test_password_flow_bodies_are_identical(live: ServerProcess, hiding: tuple[AuthPool, str]) -> None:
    ap, client_id = hiding
    ap.user("known1")
    with live.http() as http:
        known = _password_auth(http, client_id, "known1", WRONG)
        unknown = _password_auth(http, client_id, "nobody-here", WRONG)
    assert known.status_code == 400
    assert _shape(known) == _shape(unknown), (known.text, unknown.text)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("email_pool", [False, True], ids=["username-pool", "email-as-username-pool"])
def test_srp_flow_is_indistinguishable(live: ServerProcess, email_pool: bool) -> None:
    ap = make_pool(live, **({"UsernameAttributes": ["email"]} if email_pool else {}))
    client_id = ap.client(PreventUserExistenceErrors="ENABLED")
    names = ("known2@example.com", "nobody-srp@example.com") if email_pool else ("known2", "nobody-srp")
    ap.user(names[0], **({"email": names[0]} if email_pool else {}))
    steps: dict[str, tuple[dict[str, Any], httpx.Response]] = {}
    with live.http() as http:
        for name in names:
            srp = AWSSRP(username=name, password=WRONG, pool_id=ap.pool_id, client_id=client_id, client=ap.cognito)
            auth_params = srp.get_auth_params()
            first = _post(http, "InitiateAuth", {"ClientId": client_id, "AuthFlow": "USER_SRP_AUTH",
                                                 "AuthParameters": auth_params})
            assert first.status_code == 200, first.text
            challenge = first.json()
            responses = srp.process_challenge(challenge["ChallengeParameters"], auth_params)
            second = _post(http, "RespondToAuthChallenge", {
                "ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER", "Session": challenge["Session"],
                "ChallengeResponses": responses})
            steps[name] = (challenge, second)
    (known_first, known_second), (unknown_first, unknown_second) = steps[names[0]], steps[names[1]]
    assert known_first["ChallengeName"] == unknown_first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(known_first) == set(unknown_first)
    kp, up = known_first["ChallengeParameters"], unknown_first["ChallengeParameters"]
    assert set(kp) == set(up)
    for key in ("SALT", "SRP_B", "SECRET_BLOCK"):
        assert abs(len(kp[key]) - len(up[key])) <= 2, key
    for key in ("USER_ID_FOR_SRP", "USERNAME"):
        # A UUID for both (e-mail pool) or the name as typed for both (username pool).
        assert _is_uuid(kp[key]) == _is_uuid(up[key]), key
    assert abs(len(known_first["Session"]) - len(unknown_first["Session"])) <= 4
    assert _shape(known_second) == _shape(unknown_second), (known_second.text, unknown_second.text)


@pytest.mark.stress
def test_password_flow_timing(live: ServerProcess, hiding: tuple[AuthPool, str]) -> None:
    ap, client_id = hiding
    users = [f"timing{i}" for i in range(25)]
    for name in users:
        ap.user(name)
    known: list[float] = []
    unknown: list[float] = []
    with live.http() as http:
        for i in range(1000):
            if i and i % (4 * len(users)) == 0:
                # Four failures each, then a right password: nobody reaches the lockout.
                for name in users:
                    assert _password_auth(http, client_id, name, PASSWORD).status_code == 200
            started = time.perf_counter()
            resp = _password_auth(http, client_id, users[i % len(users)], WRONG)
            known.append(time.perf_counter() - started)
            assert resp.status_code == 400 and resp.json()["message"] == "Incorrect username or password."
            started = time.perf_counter()
            resp = _password_auth(http, client_id, f"ghost{i}", WRONG)
            unknown.append(time.perf_counter() - started)
            assert resp.status_code == 400 and resp.json()["message"] == "Incorrect username or password."
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    figure("enumeration: password-flow timing over 2,000 samples", {
        "known user, wrong password: median ms": round(known_median * 1000, 2),
        "unknown user: median ms": round(unknown_median * 1000, 2),
        "median difference % (unknown vs known)": round((unknown_median - known_median) / known_median * 100, 1),
        "known p90 ms": round(statistics.quantiles(known, n=10)[-1] * 1000, 2),
        "unknown p90 ms": round(statistics.quantiles(unknown, n=10)[-1] * 1000, 2),
    })
