"""TestingGuard: which requests may use the testing API (issue 15 item 7), and its setting."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from poolgate.config import ConfigError, Settings, settings_from_env
from poolgate.web.testing_api import TestingGuard, normalise_origin


def _request(method: str = "GET", **headers: str) -> Request:
    raw = [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": method, "path": "/_testing/clock", "headers": raw})


GUARD = TestingGuard(
    host="0.0.0.0", public_url="https://pg.example.com", allowed_origins=["http://localhost:3000"]
)


@pytest.mark.parametrize(
    "host",
    ["localhost:9229", "127.0.0.1:9229", "[::1]:9229", "10.1.2.3", "pg.example.com", "PG.example.com:443"],
)
def test_own_host_names_pass(host: str) -> None:
    assert GUARD.refusal(_request(host=host)) is None


@pytest.mark.parametrize("host", ["evil.example:9229", "localhost.evil.example", "", "bad host:x"])
def test_other_host_names_are_refused(host: str) -> None:
    refused = GUARD.refusal(_request(host=host))
    assert refused is not None and refused.status_code == 403


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:9229", True),  # the page's origin is the address asked (same origin)
        ("https://pg.example.com", True),  # --public-url
        ("http://localhost:3000", True),  # --testing-allowed-origins
        ("http://localhost:3001", False),
        ("http://evil.example", False),
        ("null", False),
    ],
)
def test_origins(origin: str, allowed: bool) -> None:
    refused = GUARD.refusal(_request(host="localhost:9229", origin=origin))
    assert (refused is None) is allowed


def test_post_needs_a_json_content_type() -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        refused = GUARD.refusal(_request("POST", host="localhost:9229", content_type=content_type))
        assert refused is not None and refused.status_code == 415
    assert GUARD.refusal(_request("POST", host="localhost:9229", content_type="application/json")) is None
    assert (
        GUARD.refusal(_request("POST", host="localhost", content_type="Application/JSON; charset=utf-8"))
        is None
    )


def test_cors_only_for_allowed_origins() -> None:
    assert GUARD.cors_headers(_request(host="localhost", origin="http://localhost:3000")) == {
        "Access-Control-Allow-Origin": "http://localhost:3000",
        "Vary": "Origin",
    }
    assert GUARD.cors_headers(_request(host="localhost", origin="http://evil.example")) == {}
    assert GUARD.cors_headers(_request(host="localhost")) == {}


def test_normalise_origin() -> None:
    assert normalise_origin("HTTP://LocalHost:80/") == "http://localhost"
    assert normalise_origin("https://[::1]:8443") == "https://[::1]:8443"
    assert normalise_origin("null") is None
    assert normalise_origin("ftp://x") is None


def test_allowed_origins_setting() -> None:
    env = {"POOLGATE_TESTING_ALLOWED_ORIGINS": "http://localhost:3000, https://e2e.example.com/"}
    assert settings_from_env(env).testing_allowed_origins == (
        "http://localhost:3000",
        "https://e2e.example.com",
    )
    assert Settings().testing_allowed_origins == ()
    for bad in ("localhost:3000", "http://x/path", "*"):
        with pytest.raises(ConfigError, match="POOLGATE_TESTING_ALLOWED_ORIGINS"):
            settings_from_env({"POOLGATE_TESTING_ALLOWED_ORIGINS": bad})
