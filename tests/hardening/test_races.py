"""Races between two ``poolgate serve`` processes sharing one PostgreSQL (issue 9, items 9-13;
issue 15, items 1 and 8).

Each test asserts correctness (exactly one sign-up, no refresh after a revoke, ...) and
prints its figures. The whole module is in the ``stress`` suite (``./dev stress``). Counts are
scaled for a 2-core machine; set ``POOLGATE_HARDENING_SCALE`` (e.g. 5 for the issue's 1,000
revoke races) for longer runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.conformance.auth_support import FLOWS, PASSWORD, AuthPool
from tests.hardening.load_support import (
    Pair,
    error_of,
    figure,
    ms,
    outcome,
    parallel,
    percentile,
    scale,
    two_processes,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.stress]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with two_processes(tmp_path_factory.mktemp("races")) as servers:
        yield servers


def _pool(pair: Pair, **client_args: Any) -> AuthPool:
    cognito = pair.a.client()
    pool_id = cognito.create_user_pool(PoolName="races")["UserPool"]["Id"]
    client_args.setdefault("ExplicitAuthFlows", FLOWS)
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app", **client_args)[
        "UserPoolClient"
    ]["ClientId"]
    return AuthPool(pair.a, cognito, pool_id, client_id, public_url="http://auth.example")


def test_parallel_sign_up_of_one_username(pair: Pair) -> None:
    """Item 9: N parallel SignUp of one username, split across both processes."""
    pool = _pool(pair)
    clients = [pair.a.client(), pair.b.client()]
    n = scale(200)

    def sign_up(i: int) -> str:
        return outcome(
            lambda: clients[i % 2].sign_up(ClientId=pool.client_id, Username="same", Password=PASSWORD)
        )

    started = time.perf_counter()
    results = Counter(parallel(sign_up, range(n), threads=32))
    figure(
        f"item 9: {n} parallel SignUp of one username on 2 processes ({time.perf_counter() - started:.1f} s)",
        results,
    )
    assert results["ok"] == 1
    assert results["UsernameExistsException"] == n - 1
    assert not [k for k in results if k.startswith("5xx")]
    users = pool.cognito.list_users(UserPoolId=pool.pool_id)["Users"]
    assert [u["Username"] for u in users] == ["same"]


def test_parallel_wrong_passwords_respect_the_lockout(pair: Pair) -> None:
    """Item 10: N parallel wrong-password attempts across both processes; at most 5 (plus one
    per lock that runs out during the flood) are answered 'Incorrect username or password.',
    the rest 'Password attempts exceeded'."""
    pool = _pool(pair)
    pool.user("victim")
    clients = [pair.a.client(), pair.b.client()]
    n = scale(100)

    def attempt(i: int) -> str:
        try:
            clients[i % 2].initiate_auth(
                ClientId=pool.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "victim", "PASSWORD": f"Wr0ng!{i}"},
            )
        except ClientError as exc:
            code, message = error_of(exc)
            return f"{code}: {message}"
        return "ok"

    started = time.monotonic()
    results = Counter(parallel(attempt, range(n), threads=32))
    elapsed = time.monotonic() - started
    allowed = _failures_allowed(elapsed)
    figure(
        f"item 10: {n} parallel wrong passwords on 2 processes ({elapsed:.1f} s; "
        f"the lockout allows {allowed} 'Incorrect' answers in that time)",
        results,
    )
    incorrect = results["NotAuthorizedException: Incorrect username or password."]
    exceeded = results["NotAuthorizedException: Password attempts exceeded"]
    assert incorrect <= allowed
    assert incorrect + exceeded == n


def _failures_allowed(elapsed: float) -> int:
    """The failed password checks the lockout lets through in a flood of ``elapsed`` seconds.

    The lock after the 5th failure lasts 1 s, then 2 s, 4 s, ... (poolgate.security.lockout, as
    Cognito); each lock that runs out inside the flood lets exactly one more attempt through.
    """
    expired, spent = 0, 0.0
    while spent + 2.0**expired <= elapsed:
        spent += 2.0**expired
        expired += 1
    return 5 + expired


ATTEMPT_LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")


def test_parallel_wrong_previous_passwords_respect_the_lockout(pair: Pair) -> None:
    """Issue 15 item 1: N parallel ChangePassword calls with one access token and wrong
    PreviousPassword guesses, split across both processes. The guesses count toward the
    sign-in lockout: at most 5 (plus one per lock that runs out during the flood) are checked
    and answered 'Incorrect username or password.', the rest refused with LimitExceededException;
    the right old password is refused too while a lock holds."""
    pool = _pool(pair)
    pool.user("changer")
    token = pool.password_auth("changer")["AuthenticationResult"]["AccessToken"]
    clients = [pair.a.client(), pair.b.client()]
    n = scale(100)

    def change(i: int, previous: str) -> str:
        try:
            clients[i % 2].change_password(
                AccessToken=token, PreviousPassword=previous, ProposedPassword="An0ther!Password"
            )
        except ClientError as exc:
            return ": ".join(error_of(exc))
        return "ok"

    started = time.monotonic()
    results = Counter(parallel(lambda i: change(i, f"Wr0ng!{i}"), range(n), threads=32))
    elapsed = time.monotonic() - started
    allowed = _failures_allowed(elapsed)
    figure(
        f"issue 15 item 1: {n} parallel wrong PreviousPassword guesses, one access token, 2 processes "
        f"({elapsed:.1f} s; the lockout allows {allowed} checked guesses in that time)",
        results,
    )
    checked = results["NotAuthorizedException: Incorrect username or password."]
    assert checked <= allowed
    assert checked + results[": ".join(ATTEMPT_LIMIT)] == n
    # Once a wrong guess is counted again (a new lock of at least 2 s starts), the right old
    # password is refused unchecked on either process, and so is a sign-in.
    deadline = time.monotonic() + 120
    while not change(0, "Wr0ng!again").startswith("NotAuthorizedException"):
        assert time.monotonic() < deadline, "no lock ran out in 2 minutes"
        time.sleep(0.05)
    for i in range(2):
        assert change(i, PASSWORD) == ": ".join(ATTEMPT_LIMIT)
    with pytest.raises(ClientError) as exc:
        pool.password_auth("changer")
    assert error_of(exc.value) == ("NotAuthorizedException", "Password attempts exceeded")


def test_parallel_wrong_codes_are_checked_at_most_five_times(pair: Pair) -> None:
    """Issue 15 item 8: 49 parallel ConfirmForgotPassword calls with a wrong code, split across
    both processes: the attempt limit (5) is tested and counted in one step, so exactly 5 are
    compared (CodeMismatchException) and the rest get LimitExceededException; so does the
    right code afterwards."""
    pool = _pool(pair)
    pool.user("forgetful", email="forgetful@example.com", email_verified="true")
    pool.cognito.forgot_password(ClientId=pool.client_id, Username="forgetful")
    code = pair.a.last_code(pool.pool_id, "forgetful")
    wrong = "000000" if code != "000000" else "111111"
    clients = [pair.a.client(), pair.b.client()]
    n = scale(49)

    def confirm(i: int, guess: str) -> str:
        return outcome(
            lambda: clients[i % 2].confirm_forgot_password(
                ClientId=pool.client_id, Username="forgetful", ConfirmationCode=guess, Password="N3w!Password"
            )
        )

    started = time.monotonic()
    results = Counter(parallel(lambda i: confirm(i, wrong), range(n), threads=49))
    figure(
        f"issue 15 item 8: {n} parallel wrong ConfirmForgotPassword codes on 2 processes "
        f"({time.monotonic() - started:.1f} s; CodeMismatchException = codes compared)",
        results,
    )
    assert results["CodeMismatchException"] == 5
    assert results["LimitExceededException"] == n - 5
    assert confirm(0, code) == "LimitExceededException"


def test_refresh_never_succeeds_after_revoke_returned(pair: Pair) -> None:
    """Item 11a: revoke on one process races refreshes on the other. A refresh that started
    after RevokeToken's response arrived must fail."""
    pool = _pool(pair, EnableTokenRevocation=True)
    pool.user("rita")
    ca, cb = pair.a.client(), pair.b.client()
    n = scale(200)
    tokens = parallel(
        lambda _i: pool.password_auth("rita")["AuthenticationResult"]["RefreshToken"], range(n), threads=8
    )
    late_successes = 0
    refreshes = Counter[str]()
    gaps: list[float] = []

    def race(token: str) -> None:
        nonlocal late_successes
        revoked_at: list[float] = []
        go = threading.Barrier(2)

        def revoke() -> None:
            go.wait()
            ca.revoke_token(ClientId=pool.client_id, Token=token)
            revoked_at.append(time.monotonic())

        thread = threading.Thread(target=revoke)
        thread.start()
        go.wait()
        # Refresh until one fails after the revoke returned (or 50 tries).
        for _ in range(50):
            began = time.monotonic()
            result = outcome(
                lambda: cb.initiate_auth(
                    ClientId=pool.client_id,
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters={"REFRESH_TOKEN": token},
                )
            )
            after = bool(revoked_at) and began > revoked_at[0]
            refreshes[f"{'after' if after else 'during'} revoke: {result}"] += 1
            if after:
                gaps.append(began - revoked_at[0])
                if result == "ok":
                    late_successes += 1
                break
        thread.join()

    parallel(race, tokens, threads=4)
    figure(
        f"item 11a: {n} revoke-vs-refresh races on 2 processes",
        {
            **refreshes,
            "refreshes that began after the revoke returned and succeeded": late_successes,
            "median gap revoke-response -> next refresh start": ms(percentile(gaps, 0.5)),
        },
    )
    assert late_successes == 0
    assert not [k for k in refreshes if "5xx" in k]


def test_rotation_issues_at_most_one_successor(pair: Pair) -> None:
    """Item 11b: GetTokensFromRefreshToken with rotation and no grace period: two parallel
    uses of one refresh token (one per process) give at most one new refresh token."""
    pool = _pool(
        pair,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        ExplicitAuthFlows=[f for f in FLOWS if f != "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    pool.user("rob")
    ca, cb = pair.a.client(), pair.b.client()
    n = scale(100)
    tokens = parallel(
        lambda _i: pool.password_auth("rob")["AuthenticationResult"]["RefreshToken"], range(n), threads=8
    )
    successors = Counter[int]()
    answers = Counter[str]()

    def race(token: str) -> None:
        go = threading.Barrier(2)
        issued: list[str] = []

        def use(client: Any) -> None:
            go.wait()
            try:
                result = client.get_tokens_from_refresh_token(ClientId=pool.client_id, RefreshToken=token)
            except ClientError as exc:
                answers["/".join(error_of(exc))] += 1
                return
            answers["ok"] += 1
            if result["AuthenticationResult"].get("RefreshToken"):
                issued.append(result["AuthenticationResult"]["RefreshToken"])

        threads = [threading.Thread(target=use, args=(c,)) for c in (ca, cb)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        successors[len(issued)] += 1

    parallel(race, tokens, threads=4)
    figure(
        f"item 11b: {n} parallel double uses of a rotating refresh token (grace 0)",
        {**{f"races issuing {k} new refresh tokens": v for k, v in successors.items()}, **answers},
    )
    assert set(successors) <= {0, 1}
    assert successors[1] > 0
    assert not [k for k in answers if k.startswith("InternalError")]


def test_srp_started_on_one_process_answered_on_the_other(pair: Pair) -> None:
    """Item 12: USER_SRP_AUTH's first step on one process, PASSWORD_VERIFIER on the other."""
    pool = _pool(pair)
    pool.user("sara")
    clients = [pair.a.client(), pair.b.client()]
    n = scale(100)

    def sign_in(i: int) -> str:
        first, second = clients[i % 2], clients[(i + 1) % 2]
        srp = AWSSRP(
            username="sara", password=PASSWORD, pool_id=pool.pool_id, client_id=pool.client_id, client=first
        )
        params = srp.get_auth_params()

        def run() -> None:
            challenge = first.initiate_auth(
                ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
            )
            assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
            answer = srp.process_challenge(challenge["ChallengeParameters"], params)
            done = second.respond_to_auth_challenge(
                ClientId=pool.client_id,
                ChallengeName="PASSWORD_VERIFIER",
                Session=challenge.get("Session", ""),
                ChallengeResponses=answer,
            )
            assert "AccessToken" in done["AuthenticationResult"]

        return outcome(run)

    started = time.perf_counter()
    results = Counter(parallel(sign_in, range(n), threads=8))
    figure(
        f"item 12: {n} SRP sign-ins split across 2 processes ({time.perf_counter() - started:.1f} s)", results
    )
    assert results["ok"] == n


def test_key_rotation_under_load_refuses_no_unexpired_token(pair: Pair) -> None:
    """Item 13: ``poolgate keys rotate`` (twice) while sign-ins and GetUser run on both processes."""
    pool = _pool(pair)
    pool.user("kim")
    clients = [pair.a.client(), pair.b.client()]
    stop = threading.Event()
    results = Counter[str]()
    lock = threading.Lock()

    def load(worker: int) -> None:
        i = worker
        while not stop.is_set():
            signer, checker = clients[i % 2], clients[(i + 1) % 2]
            i += 1
            try:
                token = signer.initiate_auth(
                    ClientId=pool.client_id,
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": "kim", "PASSWORD": PASSWORD},
                )["AuthenticationResult"]["AccessToken"]
            except ClientError as exc:
                with lock:
                    results["sign-in " + "/".join(error_of(exc))] += 1
                continue
            for _ in range(3):
                got = outcome(lambda c=checker, t=token: c.get_user(AccessToken=t))  # type: ignore[misc]
                with lock:
                    results[f"GetUser {got}"] += 1

    threads = [threading.Thread(target=load, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    rotations = []
    try:
        for _ in range(2):
            time.sleep(1.5)
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "poolgate",
                    "keys",
                    "rotate",
                    "--pool",
                    pool.pool_id,
                    "--database-url",
                    pair.database_url,
                ],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
                env={**_clean_env(), **pair.env},
            )
            rotations.append(done.returncode)
            assert done.returncode == 0, done.stdout + done.stderr
        time.sleep(1.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    figure("item 13: sign-ins and GetUser on 2 processes across 2 key rotations", results)
    refused = {k: v for k, v in results.items() if k != "GetUser ok"}
    assert results["GetUser ok"] > 0
    assert refused == {}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
