"""Tokens: per-pool signing keys, ID/access JWTs, refresh-token sessions, JWKS and discovery.

``service.TokenService`` is the entry point. ``jws`` signs and checks compact RS256 JWS,
``keys`` makes and caches RSA keys, ``claims`` builds token contents, ``refresh`` makes
refresh tokens, ``sessions`` checks them, ``verify`` checks access tokens and ``discovery``
spells issuers and the OpenID document.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.config`` (issuer
settings), ``poolgate.pools``, ``poolgate.users`` and ``poolgate.store.base``; uses
``cryptography`` for RSA.
"""
