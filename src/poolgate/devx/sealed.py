"""Encrypted export files: ``poolgate export --include-secrets --encrypt``.

An export with secrets holds client secrets and password verifiers. ``--encrypt`` seals the
YAML with AES-256-GCM under a key derived with scrypt from a passphrase (taken from
``POOLGATE_EXPORT_PASSPHRASE``, never from the command line, so it stays out of shell history
and process listings). ``apply`` recognises a sealed file by its first line and opens it with
the same variable.

Format (text, so it survives copy and paste)::

    poolgate-sealed-export v1
    <base64 of: 16-byte salt | 12-byte nonce | ciphertext and tag>
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from poolgate.devx.spec import ApplyError

MAGIC = "poolgate-sealed-export v1"
PASSPHRASE_VARIABLE = "POOLGATE_EXPORT_PASSPHRASE"
_SALT_BYTES = 16
_NONCE_BYTES = 12
# scrypt cost: about 0.1 s and 32 MiB here, once per export or apply.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase.encode())


def passphrase_from_env() -> str:
    """The passphrase, or ApplyError saying how to give one."""
    passphrase = os.environ.get(PASSPHRASE_VARIABLE, "")
    if len(passphrase) < 12:
        raise ApplyError([f"set {PASSPHRASE_VARIABLE} to a passphrase of at least 12 characters"])
    return passphrase


def seal(text: str, passphrase: str) -> str:
    """``text`` encrypted for :func:`open_sealed`."""
    salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, text.encode(), MAGIC.encode())
    return f"{MAGIC}\n{base64.b64encode(salt + nonce + sealed).decode()}\n"


def is_sealed(text: str) -> bool:
    return text.startswith(MAGIC)


def open_sealed(text: str, passphrase: str, source: str) -> str:
    """The YAML inside a sealed file; ApplyError for a wrong passphrase or a damaged file."""
    try:
        raw = base64.b64decode(text[len(MAGIC) :].strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ApplyError([f"{source}: the sealed export is damaged (not base64)"]) from None
    salt, nonce, sealed = (
        raw[:_SALT_BYTES],
        raw[_SALT_BYTES : _SALT_BYTES + _NONCE_BYTES],
        raw[_SALT_BYTES + _NONCE_BYTES :],
    )
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, sealed, MAGIC.encode()).decode()
    except (InvalidTag, ValueError):
        raise ApplyError(
            [f"{source}: wrong {PASSPHRASE_VARIABLE}, or the sealed export is damaged"]
        ) from None
