from __future__ import annotations

import pytest

from poolgate import errors
from poolgate.auth import messages
from poolgate.config import ConfigError, Settings, settings_from_env
from poolgate.web.ratelimit import ClientPools, FailedSignIns, RateLimiter, guessing_address, is_failed_guess


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_of_one_second_then_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    assert [limiter.allow("ip") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.allow("other")
    clock.now = 0.2
    assert limiter.allow("ip")
    assert not limiter.allow("ip")
    with pytest.raises(errors.TooManyRequestsException, match="Rate exceeded"):
        limiter.check("ip")


def test_rate_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.allow("ip") for _ in range(10_000))


def test_idle_buckets_are_pruned() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    for i in range(10_000):
        limiter.allow(f"ip{i}")
    clock.now = 5.0
    limiter.allow("new")
    assert len(limiter._buckets) == 1


def test_client_pools_remembers_known_clients_only() -> None:
    calls: list[str] = []

    def lookup(client_id: str) -> str | None:
        calls.append(client_id)
        return "pool" if client_id == "known" else None

    pools = ClientPools(lookup)
    assert pools.pool_of("known") == pools.pool_of("known") == "pool"
    assert pools.pool_of("unknown") is None
    assert calls == ["known", "unknown"]


def test_settings() -> None:
    settings = settings_from_env({})
    assert (settings.rate_limit_per_ip, settings.rate_limit_per_pool) == (1000.0, 5000.0)
    assert settings.sqlite_synchronous == "FULL"
    settings = settings_from_env({"POOLGATE_RATE_LIMIT_PER_IP": "0", "POOLGATE_SQLITE_SYNCHRONOUS": "normal"})
    assert settings.rate_limit_per_ip == 0 and settings.sqlite_synchronous == "NORMAL"
    with pytest.raises(ConfigError):
        settings_from_env({"POOLGATE_RATE_LIMIT_PER_POOL": "-1"})
    with pytest.raises(ConfigError):
        settings_from_env({"POOLGATE_SQLITE_SYNCHRONOUS": "OFF"})


# -- failed sign-ins per client IP (issue 15, finding 10) -------------------------------------------

WRONG = errors.NotAuthorizedException(messages.INCORRECT_CREDENTIALS)


def test_failed_sign_ins_allow_a_burst_then_refuse_until_refilled() -> None:
    clock = Clock()
    limit = FailedSignIns(10, 20, clock=clock)
    for _ in range(20):
        limit.check("198.51.100.7")
        limit.failed("198.51.100.7", WRONG)
    with pytest.raises(errors.TooManyRequestsException, match="^Rate exceeded$"):
        limit.check("198.51.100.7")
    limit.check("198.51.100.8")  # another address has its own budget
    clock.now = 0.1  # one failure's worth refilled
    limit.check("198.51.100.7")
    limit.failed("198.51.100.7", WRONG)
    with pytest.raises(errors.TooManyRequestsException):
        limit.check("198.51.100.7")


def test_failed_sign_ins_only_failures_count() -> None:
    limit = FailedSignIns(10, 20, clock=Clock())
    for _ in range(1000):  # right passwords and other errors take nothing
        limit.check("198.51.100.7")
        limit.failed("198.51.100.7", errors.InvalidParameterException("Missing required parameter SRP_A"))
        limit.failed("198.51.100.7", errors.NotAuthorizedException(messages.INVALID_SESSION))
    limit.check("198.51.100.7")


def test_failures_in_flight_together_are_paid_back() -> None:
    """16 attempts that passed the check together and all failed leave the bucket in debt: the
    address waits until the excess is refilled, so over time it gets no more than the rate."""
    clock = Clock()
    limit = FailedSignIns(10, 1, clock=clock)
    for _ in range(16):
        limit.check("a")
    for _ in range(16):
        limit.failed("a", WRONG)
    clock.now = 1.5  # 15 tokens refilled: still one short of a whole token
    with pytest.raises(errors.TooManyRequestsException):
        limit.check("a")
    clock.now = 1.6
    limit.check("a")


def test_failed_sign_ins_rate_zero_and_no_address_allow_everything() -> None:
    off = FailedSignIns(0, 20)
    assert not off.enabled
    for _ in range(100):
        off.failed("a", WRONG)
    off.check("a")
    on = FailedSignIns(10, 20)
    for _ in range(100):
        on.failed(None, WRONG)
    on.check(None)


@pytest.mark.parametrize(
    ("error", "counted"),
    [
        (errors.NotAuthorizedException(messages.INCORRECT_CREDENTIALS), True),
        (errors.NotAuthorizedException(messages.ATTEMPTS_EXCEEDED), True),
        (errors.UserNotFoundException(messages.USER_NOT_FOUND), True),
        (errors.CodeMismatchException("Invalid verification code provided, please try again."), True),
        (errors.NotAuthorizedException(messages.INVALID_SESSION), False),
        (errors.NotAuthorizedException("Unable to verify secret hash for client abc"), False),
        (errors.NotAuthorizedException(messages.USER_DISABLED), False),
        (errors.InvalidParameterException(messages.missing_parameter("SRP_A")), False),
        (errors.ResourceNotFoundException("User pool client abc does not exist."), False),
        (errors.ExpiredCodeException("Invalid code provided, please request a code again."), False),
    ],
)
def test_what_counts_as_a_failed_guess(error: errors.CognitoError, counted: bool) -> None:
    assert is_failed_guess(error) is counted


def test_whose_budget_a_call_draws_on() -> None:
    assert guessing_address("InitiateAuth", {}, "203.0.113.1") == "203.0.113.1"
    assert guessing_address("RespondToAuthChallenge", {}, "203.0.113.1") == "203.0.113.1"
    assert guessing_address("ConfirmForgotPassword", {}, "203.0.113.1") == "203.0.113.1"
    assert guessing_address("SignUp", {}, "203.0.113.1") is None
    assert guessing_address("GetUser", {}, "203.0.113.1") is None
    # Admin calls come from the application's backend: the end user's address, if it sent one.
    admin = {
        "ContextData": {"IpAddress": "198.51.100.9", "ServerName": "s", "ServerPath": "/", "HttpHeaders": []}
    }
    assert guessing_address("AdminInitiateAuth", admin, "10.0.0.2") == "198.51.100.9"
    assert guessing_address("AdminRespondToAuthChallenge", admin, "10.0.0.2") == "198.51.100.9"
    assert guessing_address("AdminInitiateAuth", {}, "10.0.0.2") is None
    other = {"ContextData": {**admin["ContextData"], "IpAddress": "not an address " * 1000}}
    assert guessing_address("AdminInitiateAuth", other, "10.0.0.2") is None
    ipv6 = {"ContextData": {**admin["ContextData"], "IpAddress": "2001:DB8::0001"}}
    assert guessing_address("AdminInitiateAuth", ipv6, "10.0.0.2") == "2001:db8::1"


def test_failed_sign_in_settings() -> None:
    settings = settings_from_env({})
    assert (settings.effective_failed_signin_rate, settings.failed_signin_burst_per_ip) == (10.0, 20.0)
    # --testing: off unless set (test suites sign in wrongly on purpose, lockout tests included).
    assert settings_from_env({"POOLGATE_TESTING": "1"}).effective_failed_signin_rate == 0
    assert Settings(testing=True).effective_failed_signin_rate == 0
    chosen = settings_from_env(
        {
            "POOLGATE_TESTING": "1",
            "POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "3",
            "POOLGATE_FAILED_SIGNIN_BURST_PER_IP": "5",
        }
    )
    assert (chosen.effective_failed_signin_rate, chosen.failed_signin_burst_per_ip) == (3.0, 5.0)
    assert settings_from_env({"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "0"}).effective_failed_signin_rate == 0
    for bad in (
        {"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "-1"},
        {"POOLGATE_FAILED_SIGNIN_RATE_PER_IP": "nan"},
        {"POOLGATE_FAILED_SIGNIN_BURST_PER_IP": "0.5"},
        {"POOLGATE_FAILED_SIGNIN_BURST_PER_IP": "x"},
    ):
        with pytest.raises(ConfigError):
            settings_from_env(bad)
