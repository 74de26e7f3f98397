"""Issue 9 item 7 and issue 15 item 4: with PreventUserExistenceErrors=ENABLED an unknown user
looks like a known one, in every operation AWS's documented answer allows it.

Error bodies must be identical byte for byte (password flow; SRP flow at both steps, where the
first step for an unknown user is a simulated PASSWORD_VERIFIER; ConfirmSignUp). ForgotPassword
and ResendConfirmationCode answer a simulated delivery of the same shape, under the same request
limit. The timing difference over 2,000 samples per operation (password sign-in, SRP first
step, ForgotPassword, ResendConfirmationCode, ConfirmSignUp) is measured and printed (median
difference in %); the stress tests assert only a loose bound, since the machine's load moves
the figure (the goal, < 5%, is for a quiet machine).
"""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pycognito.aws_srp import AWSSRP, long_to_hex
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.hardening.support import figure
from tests.server import ServerProcess, start_server

WRONG = "Wr0ng!Password"
HEADERS = {"content-type": "application/x-amz-json-1.1"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # Thousands of failed sign-ins from one address: the per-IP limit on failed sign-ins
    # (issue 15 item 10) is turned off here so that it does not answer instead of the pool.
    proc = start_server(
        tmp_path_factory.mktemp("enumeration"), env={"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "0"}
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def hiding(live: ServerProcess) -> tuple[AuthPool, str]:
    ap = make_pool(live)
    return ap, ap.client(PreventUserExistenceErrors="ENABLED")


def _post(http: httpx.Client, operation: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(
        "/",
        content=json.dumps(body),
        headers={**HEADERS, "x-amz-target": f"AWSCognitoIdentityProviderService.{operation}"},
    )


def _password_auth(http: httpx.Client, client_id: str, username: str, password: str) -> httpx.Response:
    return _post(
        http,
        "InitiateAuth",
        {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        },
    )


def _shape(resp: httpx.Response) -> tuple[int, bytes, str | None, str | None]:
    return (
        resp.status_code,
        resp.content,
        resp.headers.get("x-amzn-errortype"),
        resp.headers.get("x-amzn-errormessage"),
    )


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


def _srp_steps(
    live: ServerProcess, ap: AuthPool, client_id: str, names: tuple[str, ...]
) -> dict[str, tuple[dict[str, Any], httpx.Response]]:
    """Both SRP steps with a wrong password for each name: the challenge and the answer."""
    steps: dict[str, tuple[dict[str, Any], httpx.Response]] = {}
    with live.http() as http:
        for name in names:
            srp = AWSSRP(
                username=name, password=WRONG, pool_id=ap.pool_id, client_id=client_id, client=ap.cognito
            )
            auth_params = srp.get_auth_params()
            first = _post(
                http,
                "InitiateAuth",
                {"ClientId": client_id, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": auth_params},
            )
            assert first.status_code == 200, first.text
            challenge = first.json()
            responses = srp.process_challenge(challenge["ChallengeParameters"], auth_params)
            second = _post(
                http,
                "RespondToAuthChallenge",
                {
                    "ClientId": client_id,
                    "ChallengeName": "PASSWORD_VERIFIER",
                    "Session": challenge["Session"],
                    "ChallengeResponses": responses,
                },
            )
            steps[name] = (challenge, second)
    return steps


@pytest.mark.parametrize("kind", ["username", "email-as-username", "case-insensitive"])
def test_srp_flow_is_indistinguishable(live: ServerProcess, kind: str) -> None:
    pool_args: dict[str, Any] = {  # type: ignore[assignment]
        "username": {},
        "email-as-username": {"UsernameAttributes": ["email"]},
        "case-insensitive": {"UsernameConfiguration": {"CaseSensitive": False}},
    }[kind]
    ap = make_pool(live, **pool_args)
    client_id = ap.client(PreventUserExistenceErrors="ENABLED")
    names = {
        "username": ("known2", "nobody-srp"),
        "email-as-username": ("known2@example.com", "nobody-srp@example.com"),
        # Typed in capitals; the real user was created in lower case (issue 15 item 4: the
        # real one answered "known2", the unknown one "NOBODY-SRP").
        "case-insensitive": ("KNOWN2", "NOBODY-SRP"),
    }[kind]
    ap.user(names[0].lower(), **({"email": names[0]} if kind == "email-as-username" else {}))
    steps = _srp_steps(live, ap, client_id, names)
    (known_first, known_second), (unknown_first, unknown_second) = steps[names[0]], steps[names[1]]
    assert known_first["ChallengeName"] == unknown_first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(known_first) == set(unknown_first)
    kp, up = known_first["ChallengeParameters"], unknown_first["ChallengeParameters"]
    assert set(kp) == set(up)
    for key in ("SALT", "SRP_B", "SECRET_BLOCK"):
        assert abs(len(kp[key]) - len(up[key])) <= 2, key
    for key in ("USER_ID_FOR_SRP", "USERNAME"):
        # A UUID for both (e-mail pool) or the name as the pool folds it (username pools).
        assert _is_uuid(kp[key]) == _is_uuid(up[key]), key
        if kind != "email-as-username":
            assert kp[key] == (names[0].lower() if kind == "case-insensitive" else names[0])
            assert up[key] == (names[1].lower() if kind == "case-insensitive" else names[1])
    assert abs(len(known_first["Session"]) - len(unknown_first["Session"])) <= 4
    assert _shape(known_second) == _shape(unknown_second), (known_second.text, unknown_second.text)


def test_srp_alias_sign_in_follows_aws(live: ServerProcess) -> None:
    """An address typed in an alias pool: a real user's USER_ID_FOR_SRP is the username, an
    unknown one's a stable UUID, as AWS documents (its advice: UUID usernames, or
    USER_PASSWORD_AUTH). A leftover signal when usernames are not UUIDs (docs/security.md)."""
    ap = make_pool(live, AliasAttributes=["email"])
    client_id = ap.client(PreventUserExistenceErrors="ENABLED")
    real = str(uuid.uuid4())
    ap.user(real, email="alias-known@example.com", email_verified="true")
    steps = _srp_steps(live, ap, client_id, ("alias-known@example.com", "alias-nobody@example.com"))
    again = _srp_steps(live, ap, client_id, ("alias-nobody@example.com",))
    known = steps["alias-known@example.com"][0]["ChallengeParameters"]
    unknown = steps["alias-nobody@example.com"][0]["ChallengeParameters"]
    assert known["USER_ID_FOR_SRP"] == real
    assert _is_uuid(unknown["USER_ID_FOR_SRP"])
    assert (
        again["alias-nobody@example.com"][0]["ChallengeParameters"]["USER_ID_FOR_SRP"]
        == unknown["USER_ID_FOR_SRP"]
    )


# -- ForgotPassword, ResendConfirmationCode, ConfirmSignUp (issue 15 item 4) ------------------

MASKED_EMAIL = re.compile(r"^[a-z0-9]\*\*\*@[a-z0-9]\*\*\*$")


@pytest.fixture(scope="module")
def codes_pool(live: ServerProcess) -> tuple[AuthPool, str]:
    """A pool that signs in with usernames, verifies e-mail and recovers by e-mail, and a
    client that hides existence."""
    ap = make_pool(
        live,
        AutoVerifiedAttributes=["email"],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )
    return ap, ap.client(PreventUserExistenceErrors="ENABLED")


def _forgot(http: httpx.Client, client_id: str, name: str) -> httpx.Response:
    return _post(http, "ForgotPassword", {"ClientId": client_id, "Username": name})


def _resend(http: httpx.Client, client_id: str, name: str) -> httpx.Response:
    return _post(http, "ResendConfirmationCode", {"ClientId": client_id, "Username": name})


def _confirm(http: httpx.Client, client_id: str, name: str, code: str = "000000") -> httpx.Response:
    return _post(http, "ConfirmSignUp", {"ClientId": client_id, "Username": name, "ConfirmationCode": code})


def _sign_up(http: httpx.Client, client_id: str, name: str) -> None:
    resp = _post(
        http,
        "SignUp",
        {
            "ClientId": client_id,
            "Username": name,
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": f"{name}@example.com"}],
        },
    )
    assert resp.status_code == 200, resp.text


def _delivery(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 200, resp.text
    details: dict[str, str] = resp.json()["CodeDeliveryDetails"]
    assert set(details) == {"Destination", "DeliveryMedium", "AttributeName"}
    return details


def _error(resp: httpx.Response) -> tuple[str, str]:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    return body["__type"], body["message"]


def _requests_until_limited(send: Callable[[], httpx.Response], usual: int | str = 200) -> int:
    """How many calls of ``send`` it takes until LimitExceededException replaces the usual
    answer (a status, or an error code)."""
    for count in range(1, 20):
        resp = send()
        if resp.status_code != usual and (resp.status_code == 200 or resp.json()["__type"] != usual):
            assert _error(resp) == (
                "LimitExceededException",
                "Attempt limit exceeded, please try after some time.",
            )
            return count
    raise AssertionError("no limit")


def test_forgot_password_answers_alike(live: ServerProcess, codes_pool: tuple[AuthPool, str]) -> None:
    """Unknown names, disabled users, users who never set a password and users without a
    verified contact get the delivery a real user gets: same medium, same masked shape, same
    request limit (before: SMS ``+*******0000`` for unknown names, errors for the others)."""
    ap, client_id = codes_pool
    ap.user("fp-walter", email="walter@example.com", email_verified="true")
    ap.user("fp-dora", email="dora@example.com", email_verified="true")
    ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="fp-dora")
    ap.user("fp-uma", email="uma@example.com")  # e-mail not verified
    ap.cognito.admin_create_user(
        UserPoolId=ap.pool_id,
        Username="fp-temp",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "temp@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    with live.http() as http:
        real = _delivery(_forgot(http, client_id, "fp-walter"))
        assert real == {"Destination": "w***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
        for name in ("fp-wanda", "FP-WANDA", "fp-dora", "fp-uma", "fp-temp", "fp-nobody@example.com"):
            details = _delivery(_forgot(http, client_id, name))
            assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email", name
            assert MASKED_EMAIL.match(details["Destination"]), (name, details)
        assert _delivery(_forgot(http, client_id, "fp-nobody@example.com"))["Destination"] == "f***@e***"
        # Stable for a name, whatever the case (a username pool is case-sensitive, but the
        # stand-in is the same for both spellings only where the pool folds names: compare one).
        assert _delivery(_forgot(http, client_id, "fp-wanda")) == _delivery(
            _forgot(http, client_id, "fp-wanda")
        )
        assert live.messages(ap.pool_id, "fp-wanda") == []
        limits = {
            name: _requests_until_limited(lambda name=name: _forgot(http, client_id, name))  # type: ignore[misc]
            for name in ("fp-walter", "fp-ghost")
        }
    # fp-walter had one request already: both stop after the same number of requests.
    assert limits["fp-walter"] + 1 == limits["fp-ghost"], limits


def test_resend_confirmation_code_answers_alike(
    live: ServerProcess, codes_pool: tuple[AuthPool, str]
) -> None:
    """Unknown names and disabled users get the delivery an unconfirmed user gets (before:
    UserNotFoundException); a confirmed user still gets AWS's "User is already confirmed."."""
    ap, client_id = codes_pool
    with live.http() as http:
        _sign_up(http, client_id, "rc-una")
        _sign_up(http, client_id, "rc-dan")
        ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="rc-dan")
        ap.user("rc-carl", email="carl@example.com", email_verified="true")
        sent_before = len(live.messages(ap.pool_id, "rc-dan"))
        real = _delivery(_resend(http, client_id, "rc-una"))
        assert real == {"Destination": "r***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
        for name in ("rc-ghost", "rc-dan", "rc-ghost@example.com"):
            details = _delivery(_resend(http, client_id, name))
            assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email", name
            assert MASKED_EMAIL.match(details["Destination"]), (name, details)
        assert _error(_resend(http, client_id, "rc-carl")) == (
            "InvalidParameterException",
            "User is already confirmed.",
        )
        assert live.messages(ap.pool_id, "rc-ghost") == []
        assert len(live.messages(ap.pool_id, "rc-dan")) == sent_before
        limits = {
            name: _requests_until_limited(lambda name=name: _resend(http, client_id, name))  # type: ignore[misc]
            for name in ("rc-una", "rc-limit-ghost")
        }
    assert limits["rc-una"] + 1 == limits["rc-limit-ghost"], limits


def test_confirm_sign_up_answers_alike(live: ServerProcess, codes_pool: tuple[AuthPool, str]) -> None:
    """An unknown name gets exactly the wrong-code answer of an unconfirmed user, and the same
    attempt limit (before: UserNotFoundException)."""
    _, client_id = codes_pool
    with live.http() as http:
        _sign_up(http, client_id, "cs-una")
        known = _confirm(http, client_id, "cs-una")
        unknown = _confirm(http, client_id, "cs-ghost")
        assert _error(known) == (
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        )
        assert _shape(known) == _shape(unknown), (known.text, unknown.text)
        limits = {
            name: _requests_until_limited(
                lambda name=name: _confirm(http, client_id, name),  # type: ignore[misc]
                "CodeMismatchException",
            )
            for name in ("cs-una", "cs-ghost")
        }
    assert limits["cs-una"] == limits["cs-ghost"], limits


def _timing_figure(operation: str, known: list[float], unknown: list[float], what: str) -> float:
    """Print the figure of one operation's timing sample; return the median gap in %."""
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    gap = (unknown_median - known_median) / known_median * 100
    figure(
        f"enumeration: {operation} timing over {len(known) + len(unknown):,} samples",
        {
            f"known user ({what}): median ms": round(known_median * 1000, 2),
            "unknown user: median ms": round(unknown_median * 1000, 2),
            "median difference % (unknown vs known)": round(gap, 1),
            "known p90 ms": round(statistics.quantiles(known, n=10)[-1] * 1000, 2),
            "unknown p90 ms": round(statistics.quantiles(unknown, n=10)[-1] * 1000, 2),
        },
    )
    return gap


def _sample(
    rounds: int,
    known: Callable[[int], httpx.Response],
    unknown: Callable[[int], httpx.Response],
    check: Callable[[httpx.Response], None],
) -> tuple[list[float], list[float]]:
    """``rounds`` timed calls of each, interleaved (the order alternates, so that a slow phase
    of the machine costs both sides alike)."""
    samples: dict[bool, list[float]] = {True: [], False: []}
    for i in range(rounds):
        for is_known in (True, False) if i % 2 == 0 else (False, True):
            call = known if is_known else unknown
            started = time.perf_counter()
            resp = call(i)
            samples[is_known].append(time.perf_counter() - started)
            check(resp)
    return samples[True], samples[False]


# The timing tests assert only that the gap stays well below what the red-team review found
# (ForgotPassword +280%): a loaded machine moves the medians by more than the 5% goal.
LOOSE_BOUND = 25.0
ROUNDS = 1000  # per side: 2,000 samples per operation
# A code can be requested and guessed 5 times per user (rules.RESEND_LIMIT, MAX_CODE_ATTEMPTS):
# enough users (and as many unknown names) that no side reaches a limit.
USERS = ROUNDS // 5


@pytest.mark.stress
def test_password_flow_timing(live: ServerProcess, hiding: tuple[AuthPool, str]) -> None:
    ap, client_id = hiding
    users = [f"timing{i}" for i in range(25)]
    for name in users:
        ap.user(name)
    known: list[float] = []
    unknown: list[float] = []
    with live.http() as http:
        for i in range(ROUNDS):
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
    _timing_figure("password-flow", known, unknown, "wrong password")


@pytest.mark.stress
def test_srp_first_step_timing(live: ServerProcess, hiding: tuple[AuthPool, str]) -> None:
    ap, client_id = hiding
    users = [f"srp-timing{i}" for i in range(25)]
    for name in users:
        ap.user(name)
    # One valid A for every call: the server's work (B, the session) does not depend on it.
    srp_a = long_to_hex(
        AWSSRP(
            username="x", password="x", pool_id=ap.pool_id, client_id=client_id, client=ap.cognito
        ).large_a_value
    )

    def start(name: str) -> httpx.Response:
        return _post(
            http,
            "InitiateAuth",
            {
                "ClientId": client_id,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": {"USERNAME": name, "SRP_A": srp_a},
            },
        )

    def check(resp: httpx.Response) -> None:
        assert resp.status_code == 200 and resp.json()["ChallengeName"] == "PASSWORD_VERIFIER", resp.text

    with live.http() as http:
        known, unknown = _sample(
            ROUNDS, lambda i: start(users[i % 25]), lambda i: start(f"srp-ghost{i % 25}"), check
        )
    gap = _timing_figure("USER_SRP_AUTH first step", known, unknown, "PASSWORD_VERIFIER")
    assert abs(gap) < LOOSE_BOUND


@pytest.mark.stress
def test_forgot_password_timing(live: ServerProcess, codes_pool: tuple[AuthPool, str]) -> None:
    ap, client_id = codes_pool
    users = [f"fp-timing{i}" for i in range(USERS)]
    for name in users:
        ap.user(name, email=f"{name}@example.com", email_verified="true")

    def check(resp: httpx.Response) -> None:
        assert resp.status_code == 200, resp.text

    with live.http() as http:
        known, unknown = _sample(
            ROUNDS,
            lambda i: _forgot(http, client_id, users[i % USERS]),
            lambda i: _forgot(http, client_id, f"fp-ghost{i % USERS}"),
            check,
        )
    gap = _timing_figure("ForgotPassword", known, unknown, "code sent")
    assert abs(gap) < LOOSE_BOUND


@pytest.mark.stress
def test_resend_confirmation_code_timing(live: ServerProcess, codes_pool: tuple[AuthPool, str]) -> None:
    _, client_id = codes_pool

    def check(resp: httpx.Response) -> None:
        assert resp.status_code == 200, resp.text

    users = [f"rc-timing{i}" for i in range(USERS)]
    with live.http() as http:
        for name in users:
            _sign_up(http, client_id, name)
        known, unknown = _sample(
            ROUNDS,
            lambda i: _resend(http, client_id, users[i % USERS]),
            lambda i: _resend(http, client_id, f"rc-ghost{i % USERS}"),
            check,
        )
    gap = _timing_figure("ResendConfirmationCode", known, unknown, "code sent")
    assert abs(gap) < LOOSE_BOUND


@pytest.mark.stress
def test_confirm_sign_up_timing(live: ServerProcess, codes_pool: tuple[AuthPool, str]) -> None:
    _, client_id = codes_pool

    def check(resp: httpx.Response) -> None:
        assert _error(resp)[0] == "CodeMismatchException", resp.text

    users = [f"cs-timing{i}" for i in range(USERS)]
    with live.http() as http:
        for name in users:
            _sign_up(http, client_id, name)
        known, unknown = _sample(
            ROUNDS,
            lambda i: _confirm(http, client_id, users[i % USERS]),
            lambda i: _confirm(http, client_id, f"cs-ghost{i % USERS}"),
            check,
        )
    gap = _timing_figure("ConfirmSignUp", known, unknown, "wrong code")
    assert abs(gap) < LOOSE_BOUND
