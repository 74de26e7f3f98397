"""Tokens: per-pool signing keys, ID/access JWTs, refresh-token sessions, JWKS and discovery.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.pools``,
``poolgate.users`` and ``poolgate.store.base``; uses ``cryptography`` for RSA.
"""
