"""Issuer styles, the POOLGATE_ISSUER_STYLE setting and the discovery document."""

from __future__ import annotations

import pytest

from poolgate.clock import FrozenClock
from poolgate.config import ConfigError, Settings, settings_from_env
from poolgate.tokens.discovery import issuer_for, jwks_uri_for, pool_id_of_issuer
from poolgate.tokens.service import TokenService

POOL = "eu-west-1_AbCd1234"


def test_setting_defaults_to_poolgate_and_is_checked() -> None:
    assert settings_from_env({}).issuer_style == "poolgate"
    assert settings_from_env({"POOLGATE_ISSUER_STYLE": "AWS"}).issuer_style == "aws"
    with pytest.raises(ConfigError, match="POOLGATE_ISSUER_STYLE"):
        settings_from_env({"POOLGATE_ISSUER_STYLE": "okta"})


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(), "http://127.0.0.1:9229/" + POOL),
        (Settings(public_url="https://auth.example.com/"), "https://auth.example.com/" + POOL),
        (Settings(public_url="http://poolgate:9229/base"), "http://poolgate:9229/base/" + POOL),
        (Settings(host="0.0.0.0", port=8080), "http://127.0.0.1:8080/" + POOL),
        (Settings(host="::", port=8080), "http://[::1]:8080/" + POOL),
        (Settings(host="localhost", port=1), "http://localhost:1/" + POOL),
        (
            Settings(issuer_style="aws", region="eu-west-1"),
            "https://cognito-idp.eu-west-1.amazonaws.com/" + POOL,
        ),
    ],
)
def test_issuer_styles(settings: Settings, expected: str) -> None:
    assert issuer_for(settings)(POOL) == expected
    assert pool_id_of_issuer(expected) == POOL


def test_issuer_never_depends_on_anything_but_settings() -> None:
    settings = Settings(public_url="http://a.example")
    assert issuer_for(settings)(POOL) == issuer_for(settings)(POOL)


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError):
        issuer_for(Settings(issuer_style="other"))


def test_discovery_document_poolgate_style() -> None:
    settings = Settings(public_url="https://auth.example.com")
    service = TokenService(FrozenClock(), issuer=issuer_for(settings), jwks_uri=jwks_uri_for(settings))
    assert service.discovery(POOL) == {
        "issuer": "https://auth.example.com/" + POOL,
        "jwks_uri": f"https://auth.example.com/{POOL}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def test_discovery_with_aws_issuers_points_at_poolgates_jwks() -> None:
    settings = Settings(public_url="http://localhost:9229", issuer_style="aws")
    service = TokenService(FrozenClock(), issuer=issuer_for(settings), jwks_uri=jwks_uri_for(settings))
    document = service.discovery(POOL)
    assert document["issuer"] == "https://cognito-idp.us-east-1.amazonaws.com/" + POOL
    assert document["jwks_uri"] == f"http://localhost:9229/{POOL}/.well-known/jwks.json"
    assert not any(key.endswith("_endpoint") for key in document)


def test_default_jwks_uri_follows_the_issuer() -> None:
    service = TokenService(FrozenClock(), issuer=lambda pool: f"http://x/{pool}")
    assert service.discovery(POOL)["jwks_uri"] == f"http://x/{POOL}/.well-known/jwks.json"
    assert service.issuer(POOL) == f"http://x/{POOL}"
