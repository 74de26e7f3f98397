"""Effective client IP: X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

import pytest

from poolgate.config import ConfigError, parse_cidrs, settings_from_env
from poolgate.web.client_ip import ClientAddress


def test_untrusted_peer_is_the_client() -> None:
    assert ClientAddress([]).resolve("198.51.100.1", "203.0.113.9") == "198.51.100.1"
    assert ClientAddress(["10.0.0.0/8"]).resolve("198.51.100.1", "203.0.113.9") == "198.51.100.1"


def test_trusted_proxy_forwards_the_rightmost_untrusted_hop() -> None:
    resolver = ClientAddress(["10.0.0.0/8"])
    assert resolver.resolve("10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert resolver.resolve("10.1.2.3", "1.1.1.1, 203.0.113.9, 10.9.9.9") == "203.0.113.9"
    assert resolver.resolve("10.1.2.3", None) == "10.1.2.3"
    assert resolver.resolve("10.1.2.3", "garbage") == "10.1.2.3"
    assert resolver.resolve(None, "203.0.113.9") is None


def test_trusted_proxies_setting() -> None:
    assert settings_from_env({"POOLGATE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}).trusted_proxies == (
        "10.0.0.0/8",
        "127.0.0.1/32",
    )
    assert parse_cidrs("", "X") == ()
    with pytest.raises(ConfigError):
        parse_cidrs("10.0.0.0/33", "X")
