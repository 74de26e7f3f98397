"""Failed sign-ins limited per client IP (issue 15, finding 10).

A guessing flood (16 threads of unknown-user sign-ins and wrong passwords) ran at 144 requests/s
without a single TooManyRequestsException: the per-IP request budget (1,000/s) is far above what
a process serves. Now each failed guess takes a token from the client IP's budget
(``POOLGATE_FAILED_SIGNIN_RATE_PER_IP``, default 10/s, burst ``POOLGATE_FAILED_SIGNIN_BURST_PER_IP``
20), and an address that used it up is answered ``TooManyRequestsException`` ``Rate exceeded``
before any work. Right passwords take nothing, so bulk sign-ins from one address are not slowed.

The flood tests print requests answered vs throttled per second and are in the ``stress`` suite;
the short sequential test runs in the default one.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycognito.aws_srp import AWSSRP
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.hardening.load_support import Pair, figure, outcome, parallel, scale, two_processes
from tests.server import ServerProcess, start_server

pytestmark = pytest.mark.slow

TARGET = "AWSCognitoIdentityProviderService."
# What a failed guess is answered while the address still has budget.
FAILED = {"NotAuthorizedException", "UserNotFoundException"}
THROTTLED = "TooManyRequestsException"


class Caller:
    """Unsigned cognito-idp calls from one local source address (127.0.0.x), over one connection."""

    def __init__(self, url: str, source: str) -> None:
        self.url = url
        self.http = httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)

    def call(self, operation: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """``("ok", result)`` or ``(error code, error body)``."""
        resp = self.http.post(
            self.url,
            content=json.dumps(body),
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + operation},
        )
        data: dict[str, Any] = resp.json() if resp.content else {}
        if resp.status_code == 200:
            return "ok", data
        assert resp.status_code < 500, resp.text
        return str(data.get("__type", resp.status_code)), data

    def password(self, client_id: str, username: str, password: str) -> str:
        return self.call(
            "InitiateAuth",
            {
                "ClientId": client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": username, "PASSWORD": password},
            },
        )[0]

    def srp(self, pool: AuthPool, username: str, password: str) -> str:
        """A whole USER_SRP_AUTH sign-in; the outcome of its last step."""
        srp = AWSSRP(
            username=username,
            password=password,
            pool_id=pool.pool_id,
            client_id=pool.client_id,
            client=object(),
        )
        params = srp.get_auth_params()
        got, challenge = self.call(
            "InitiateAuth",
            {"ClientId": pool.client_id, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": params},
        )
        if got != "ok":
            return got
        responses = srp.process_challenge(challenge["ChallengeParameters"], params)
        return self.call(
            "RespondToAuthChallenge",
            {
                "ClientId": pool.client_id,
                "ChallengeName": "PASSWORD_VERIFIER",
                "Session": challenge.get("Session", ""),
                "ChallengeResponses": responses,
            },
        )[0]

    def close(self) -> None:
        self.http.close()


def _users(server: ServerProcess, n: int = 1) -> AuthPool:
    pool = make_pool(server)
    for i in range(n):
        pool.user(f"user{i}")
    return pool


# ---------------------------------------------------------------------------------------------
# Default suite: a short sequence with a low limit.


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # 1 failure per second with a burst of 5: throttling shows within a few requests however
    # slow the machine is (the flood tests below use the defaults).
    server = start_server(
        tmp_path_factory.mktemp("failed-signins"),
        env={"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "1", "POOLGATE_FAILED_SIGNIN_BURST_PER_IP": "5"},
    )
    try:
        yield server
    finally:
        server.stop()


def test_failed_guesses_from_one_address_are_throttled(limited: ServerProcess) -> None:
    pool = _users(limited, 2)
    attacker, other = Caller(limited.url, "127.0.0.21"), Caller(limited.url, "127.0.0.22")
    try:
        guesses: list[Callable[[], str]] = [
            lambda: attacker.password(pool.client_id, "nobody", "Wr0ng!Pass"),  # unknown user
            lambda: attacker.password(pool.client_id, "user0", "Wr0ng!Pass"),  # wrong password
            lambda: attacker.srp(pool, "user0", "Wr0ng!Pass"),  # wrong SRP proof
        ]
        got = [guesses[i % 3]() for i in range(15)]
        # Once the budget is used up, the address is refused whatever it sends, right passwords
        # and SRP first steps included, until it refills; another address is served.
        right_from_attacker = attacker.password(pool.client_id, "user1", PASSWORD)
        srp_from_attacker = attacker.call(
            "InitiateAuth",
            {
                "ClientId": pool.client_id,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": {"USERNAME": "user1", "SRP_A": "ab" * 16},
            },
        )
        right_from_other = other.password(pool.client_id, "user1", PASSWORD)
    finally:
        attacker.close()
        other.close()
    figure("finding 10: 15 guesses from one address, 1 failure/s with a burst of 5", Counter(got))
    assert got[:5] == [
        "UserNotFoundException",
        "NotAuthorizedException",
        "NotAuthorizedException",
        "UserNotFoundException",
        "NotAuthorizedException",
    ]
    assert set(got) <= FAILED | {THROTTLED}
    assert got.count(THROTTLED) >= 5
    assert right_from_attacker == THROTTLED
    assert srp_from_attacker == (THROTTLED, {"__type": THROTTLED, "message": "Rate exceeded"})
    assert right_from_other == "ok"


def test_right_passwords_take_nothing(limited: ServerProcess) -> None:
    pool = _users(limited, 4)
    caller = Caller(limited.url, "127.0.0.23")
    try:
        got = Counter(caller.password(pool.client_id, f"user{i % 4}", PASSWORD) for i in range(60))
        got.update([caller.srp(pool, "user0", PASSWORD) for _ in range(5)])
    finally:
        caller.close()
    assert got == {"ok": 65}


def test_code_guesses_count_too(limited: ServerProcess) -> None:
    """ConfirmForgotPassword with wrong codes: CodeMismatchException takes from the same budget."""
    pool = _users(limited, 3)
    caller = Caller(limited.url, "127.0.0.24")
    try:
        for i in range(3):
            pool.cognito.admin_update_user_attributes(
                UserPoolId=pool.pool_id,
                Username=f"user{i}",
                UserAttributes=[
                    {"Name": "email", "Value": f"user{i}@example.com"},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
            assert (
                caller.call("ForgotPassword", {"ClientId": pool.client_id, "Username": f"user{i}"})[0] == "ok"
            )
        got = [
            caller.call(
                "ConfirmForgotPassword",
                {
                    "ClientId": pool.client_id,
                    "Username": f"user{i % 3}",
                    "ConfirmationCode": f"{i:06d}",
                    "Password": "N3w!Password",
                },
            )[0]
            for i in range(10)
        ]
    finally:
        caller.close()
    assert got[:5] == ["CodeMismatchException"] * 5
    assert THROTTLED in got


def test_admin_sign_ins_use_the_end_users_address(limited: ServerProcess) -> None:
    """AdminInitiateAuth comes from the application's backend: its failures count against the
    end user's ContextData.IpAddress, and without one the backend is not limited."""
    pool = _users(limited, 2)

    def admin(context: dict[str, Any] | None) -> str:
        extra = {"ContextData": context} if context else {}
        return outcome(
            lambda: pool.cognito.admin_initiate_auth(
                UserPoolId=pool.pool_id,
                ClientId=pool.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "nobody", "PASSWORD": "Wr0ng!Pass"},
                **extra,
            )
        )

    user_ip = {
        "IpAddress": "198.51.100.77",
        "ServerName": "app.example",
        "ServerPath": "/login",
        "HttpHeaders": [],
    }
    from_user = [admin(user_ip) for _ in range(10)]
    from_backend = [admin(None) for _ in range(10)]
    right_from_backend = outcome(
        lambda: pool.cognito.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "user1", "PASSWORD": PASSWORD},
        )
    )
    assert from_user[:5] == ["UserNotFoundException"] * 5
    assert THROTTLED in from_user
    assert from_backend == ["UserNotFoundException"] * 10
    assert right_from_backend == "ok"


# ---------------------------------------------------------------------------------------------
# Stress: the flood of the finding, with the default limits, and two processes.


def _flood(
    servers: list[ServerProcess], pools: list[AuthPool], source: str, seconds: float, threads: int = 16
) -> tuple[dict[int, Counter[str]], Counter[str]]:
    """``threads`` threads of unknown-user sign-ins and wrong passwords from ``source`` for
    ``seconds``, spread over ``servers``; outcomes by second and in total."""
    by_second: dict[int, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    lock = threading.Lock()
    started = time.monotonic()

    def run(worker: int) -> None:
        callers = [Caller(s.url, source) for s in servers]
        try:
            i = 0
            while (elapsed := time.monotonic() - started) < seconds:
                k = (worker + i) % len(servers)
                name = f"nobody{worker}-{i}" if i % 2 else "user0"
                got = callers[k].password(pools[k].client_id, name, f"Wr0ng!{i}")
                with lock:
                    by_second[int(elapsed)][got] += 1
                    total[got] += 1
                i += 1
        finally:
            for caller in callers:
                caller.close()

    parallel(run, range(threads), threads)
    return by_second, total


def _per_second(by_second: dict[int, Counter[str]]) -> dict[str, str]:
    return {
        f"second {s:2d}": f"{sum(c[k] for k in FAILED)} answered, {c[THROTTLED]} throttled"
        for s, c in sorted(by_second.items())
    }


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with the default limits (no --testing, no setting)."""
    server = start_server(tmp_path_factory.mktemp("failed-signins-defaults"), testing=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.stress
def test_guessing_flood_is_throttled_bulk_sign_ins_are_not(production: ServerProcess) -> None:
    pool = _users(production, 9)  # user0 takes the wrong passwords (and locks); 1-8 sign in
    seconds = 6.0
    by_second, total = _flood([production], [pool], "127.0.0.31", seconds)
    answered = sum(total[k] for k in FAILED)
    rows: dict[str, Any] = _per_second(by_second)
    rows["flood total (16 threads, 6 s, defaults 10/s burst 20)"] = dict(total)

    # Legitimate bulk sign-ins from one address, right after: none throttled.
    n = scale(400)
    begun = time.monotonic()

    def sign_in(i: int) -> str:
        caller = Caller(production.url, "127.0.0.32")
        try:
            return caller.password(pool.client_id, f"user{i % 8 + 1}", PASSWORD)
        finally:
            caller.close()

    bulk = Counter(parallel(sign_in, range(n), 16))
    rate = n / (time.monotonic() - begun)
    rows[f"bulk right-password sign-ins from 127.0.0.32 ({n}, 16 threads)"] = (
        f"{dict(bulk)}, {rate:.0f} sign-ins/s"
    )
    figure("finding 10: a guessing flood from one address vs bulk sign-ins", rows)
    assert set(total) <= FAILED | {THROTTLED}
    assert total[THROTTLED] > 0
    # The burst, the refill, and the attempts already in flight when the budget ran out.
    assert answered <= 20 + 10 * seconds + 16 + 10
    assert bulk == {"ok": n}


@pytest.mark.stress
@pytest.mark.postgres
def test_two_processes_allow_at_most_twice_the_limit(tmp_path: Path) -> None:
    env = {"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "5", "POOLGATE_FAILED_SIGNIN_BURST_PER_IP": "10"}
    pair: Pair
    with two_processes(tmp_path, env) as pair:
        pool = _users(pair.a)
        seconds = 6.0
        by_second, total = _flood([pair.a, pair.b], [pool, pool], "127.0.0.33", seconds)
    answered = sum(total[k] for k in FAILED)
    rows: dict[str, Any] = _per_second(by_second)
    rows["flood total (16 threads over 2 processes, 6 s, 5/s burst 10 each)"] = dict(total)
    figure("finding 10: two processes sharing PostgreSQL", rows)
    assert set(total) <= FAILED | {THROTTLED}
    assert total[THROTTLED] > 0
    assert answered <= 2 * (10 + 5 * seconds) + 16 + 10
