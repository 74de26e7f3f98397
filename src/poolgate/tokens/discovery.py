"""The issuer (``iss``) of a pool's tokens and its OpenID discovery document (tokens.md §6).

The issuer comes from configuration, never from a request's Host header. With
``issuer_style = "poolgate"`` it is ``<public URL>/<poolId>`` so generic OIDC validators can
fetch the keys from Poolgate; with ``"aws"`` it is the real
``https://cognito-idp.<region>.amazonaws.com/<poolId>`` form that libraries such as
aws-jwt-verify compute from the pool id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from poolgate.config import ISSUER_STYLES, Settings
from poolgate.tokens.jws import ALGORITHM

JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def _listen_url(settings: Settings) -> str:
    host = settings.host
    # A wildcard listen address is not a place to send clients; the loopback address is.
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def issuer_base(settings: Settings) -> str:
    """The URL that ``poolgate``-style issuers start with: the public URL, else the listen URL."""
    return (settings.public_url or _listen_url(settings)).rstrip("/")


def issuer_for(settings: Settings) -> Callable[[str], str]:
    """The function mapping a pool id to its ``iss`` value under ``settings.issuer_style``."""
    if settings.issuer_style == "aws":
        region = settings.region

        def aws_issuer(pool_id: str) -> str:
            return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"

        return aws_issuer
    if settings.issuer_style not in ISSUER_STYLES:
        raise ValueError(f"unknown issuer style {settings.issuer_style!r}")
    base = issuer_base(settings)

    def poolgate_issuer(pool_id: str) -> str:
        return f"{base}/{pool_id}"

    return poolgate_issuer


def jwks_uri_for(settings: Settings) -> Callable[[str], str]:
    """The function mapping a pool id to the JWKS URL Poolgate serves, whatever the issuer
    style (with ``aws`` issuers, ``<iss>/.well-known/jwks.json`` is not Poolgate)."""
    base = issuer_base(settings)

    def jwks_uri(pool_id: str) -> str:
        return f"{base}/{pool_id}{JWKS_PATH}"

    return jwks_uri


def pool_id_of_issuer(iss: str) -> str:
    """The pool id an issuer names (its last path segment); the caller re-derives the issuer
    from the id and compares, so a forged prefix gets nowhere."""
    return iss.rstrip("/").rsplit("/", 1)[-1]


def discovery_document(issuer: str, jwks_uri: str) -> dict[str, Any]:
    """The ``openid-configuration`` document: only what Poolgate serves, so no OAuth
    endpoints until a hosted domain exists (tokens.md §6)."""
    return {
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
    }
