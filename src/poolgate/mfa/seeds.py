"""Encryption of TOTP secrets at rest.

A user's TOTP secret (pending or verified) is kept in ``User.settings`` as text:
``Base64(version || nonce || AES-GCM(key, nonce, secret, aad))`` with the key
``master_key.derive("totp seeds")`` (handed over by the composition root) and the associated
data ``<pool id>|<sub>``, so a sealed secret copied to another user does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION: Final = 1
_NONCE_BYTES: Final = 12
KEY_PURPOSE: Final = "totp seeds"
"""The ``MasterKey.derive`` purpose of the sealing key."""


class SeedError(Exception):
    """A sealed secret that does not open: altered, moved to another user, or sealed under
    another key."""


class SeedBox:
    """Seals and opens TOTP secrets for one (pool, user) at a time."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the TOTP sealing key is 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, pool_id: str, sub: str, secret: bytes) -> str:
        """``secret`` encrypted and bound to the user, as ASCII text."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret, _aad(pool_id, sub))
        return base64.b64encode(bytes([_VERSION]) + nonce + sealed).decode("ascii")

    def open(self, pool_id: str, sub: str, text: str) -> bytes:
        """The secret :meth:`seal` sealed for this user; raises ``SeedError`` otherwise."""
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise SeedError("not a sealed TOTP secret") from None
        if len(raw) < 1 + _NONCE_BYTES + 16 or raw[0] != _VERSION:
            raise SeedError("not a sealed TOTP secret")
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, _aad(pool_id, sub))
        except InvalidTag:
            raise SeedError("the sealed TOTP secret does not open for this user under this key") from None


def _aad(pool_id: str, sub: str) -> bytes:
    return f"{pool_id}|{sub}".encode()
