"""Refresh tokens: opaque random strings shaped like the compact JWE AWS issues.

AWS refresh tokens are five dot-separated base64url parts whose header is
``{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`` (tokens.md §1). Poolgate keeps that shape
so clients that peek at the header are satisfied, but every part after the header is random:
nothing is encrypted and nothing is ever decoded. The server keeps only the SHA-256 of the
whole string, so a database dump does not reveal usable tokens.
"""

from __future__ import annotations

import hashlib
import json
import os

from poolgate.tokens.jws import b64url_encode

JWE_HEADER = {"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}
_HEADER_PART = b64url_encode(json.dumps(JWE_HEADER, separators=(",", ":")).encode())

# Part sizes of an RSA-OAEP / A256GCM compact JWE: a 2048-bit encrypted key, a 96-bit IV,
# the ciphertext and a 128-bit tag. The "encrypted key" part alone carries 2048 random bits.
_ENCRYPTED_KEY_BYTES = 256
_IV_BYTES = 12
_CIPHERTEXT_BYTES = 64
_TAG_BYTES = 16


def new_refresh_token() -> str:
    """A fresh refresh token: the fixed JWE header and four parts of OS randomness."""
    parts = [
        _HEADER_PART,
        b64url_encode(os.urandom(_ENCRYPTED_KEY_BYTES)),
        b64url_encode(os.urandom(_IV_BYTES)),
        b64url_encode(os.urandom(_CIPHERTEXT_BYTES)),
        b64url_encode(os.urandom(_TAG_BYTES)),
    ]
    return ".".join(parts)


def refresh_token_hash(token: str) -> str:
    """The key a refresh token is stored and looked up under (hex SHA-256 of the string).

    A plain hash is enough: the token carries far more than 256 bits of randomness, so
    there is nothing to guess, and lookups by hash need no constant-time comparison.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
