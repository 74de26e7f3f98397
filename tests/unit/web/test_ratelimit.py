from __future__ import annotations

import pytest

from poolgate import errors
from poolgate.config import ConfigError, settings_from_env
from poolgate.web.ratelimit import ClientPools, RateLimiter


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
