"""Encryption of stored secrets with the server's master key.

Client secrets, access-key secrets and (later) TOTP seeds are encrypted with
AES-256-GCM before they reach the database. The master key is never used
directly: HKDF derives one key for encryption and another for the public
fingerprint, so the fingerprint reveals nothing about the key.

A ciphertext ("blob") is laid out as::

    version (1 byte, 0x01) | fingerprint (4 bytes) | nonce (12 bytes) | ciphertext + tag

The version and fingerprint are authenticated together with the caller's
associated data (AAD). The AAD names the row and column a secret belongs to,
for example ``b"client_secret:<client id>"``, so a ciphertext copied into
another row fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from poolgate.config import Settings
from poolgate.private_files import make_private_folder

KEY_BYTES = 32
BLOB_VERSION = 1
_FINGERPRINT_BYTES = 4
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = 1 + _FINGERPRINT_BYTES
_ENCRYPTION_INFO = b"poolgate/secret-encryption/v1"
_FINGERPRINT_INFO = b"poolgate/key-fingerprint/v1"
KEY_FILE_NAME = "master.key"


class WrongMasterKeyError(Exception):
    """A stored secret cannot be decrypted with the current master key.

    ``current`` is the fingerprint of the key in use; ``expected`` is the one
    recorded in the ciphertext (equal to ``current`` when the key matches but the
    authentication tag failed, i.e. the blob was altered or moved to another row).
    """

    def __init__(self, message: str, *, current: str, expected: str) -> None:
        super().__init__(message)
        self.current = current
        self.expected = expected


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def blob_fingerprint(blob: bytes) -> str:
    """Return the fingerprint recorded in a ciphertext's header.

    Raises ``ValueError`` if ``blob`` is not a Poolgate ciphertext.
    """
    if len(blob) < _HEADER_BYTES + _NONCE_BYTES + _TAG_BYTES or blob[0] != BLOB_VERSION:
        raise ValueError("not a Poolgate ciphertext (too short or unknown version)")
    return blob[1:_HEADER_BYTES].hex()


class MasterKey:
    """A 256-bit key that encrypts secrets at rest; see the module docstring."""

    __slots__ = ("_aead", "_fingerprint", "_key")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes, not {len(key)}")
        self._key = bytes(key)
        self._aead = AESGCM(_derive(self._key, _ENCRYPTION_INFO))
        self._fingerprint = hashlib.sha256(_derive(self._key, _FINGERPRINT_INFO)).digest()[
            :_FINGERPRINT_BYTES
        ]

    @classmethod
    def generate(cls) -> MasterKey:
        """Return a new random key."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Parse a key written as base64 (URL-safe or standard, padding optional).

        Raises ``ValueError`` saying what is wrong, without echoing the text.
        """
        cleaned = text.strip()
        if not cleaned:
            raise ValueError("the master key is empty; expected 32 bytes as base64 (43 or 44 characters)")
        padded = cleaned + "=" * (-len(cleaned) % 4)
        try:
            raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(
                "the master key is not valid base64; expected 32 random bytes encoded as "
                "URL-safe base64 (for example the output of `poolgate master-key generate`)"
            ) from exc
        if len(raw) != KEY_BYTES:
            raise ValueError(f"the master key must decode to {KEY_BYTES} bytes, but it decodes to {len(raw)}")
        return cls(raw)

    def to_text(self) -> str:
        """The key as URL-safe base64 without padding (43 characters)."""
        return base64.urlsafe_b64encode(self._key).decode("ascii").rstrip("=")

    @property
    def fingerprint(self) -> str:
        """A short public id for the key (8 hex digits); safe to log."""
        return self._fingerprint.hex()

    def derive(self, purpose: str) -> bytes:
        """A 32-byte subkey for ``purpose`` (HKDF), e.g. to key the HMAC of one-time codes.

        Subkeys change when the master key is rotated, so only short-lived values (pending
        codes) may depend on them.
        """
        return _derive(self._key, b"poolgate subkey:" + purpose.encode())

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt ``plaintext`` bound to ``aad`` (which must be given again to decrypt)."""
        header = bytes([BLOB_VERSION]) + self._fingerprint
        nonce = os.urandom(_NONCE_BYTES)
        return header + nonce + self._aead.encrypt(nonce, plaintext, header + aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt a blob made by :meth:`encrypt` with the same ``aad``.

        Raises ``WrongMasterKeyError`` if the blob was written under another key or
        fails authentication, and ``ValueError`` if it is not a ciphertext at all.
        """
        expected = blob_fingerprint(blob)
        if not hmac.compare_digest(blob[1:_HEADER_BYTES], self._fingerprint):
            raise WrongMasterKeyError(
                f"this secret was encrypted with master key {expected}, "
                f"but the current master key is {self.fingerprint}",
                current=self.fingerprint,
                expected=expected,
            )
        header, nonce = blob[:_HEADER_BYTES], blob[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER_BYTES + _NONCE_BYTES :], header + aad)
        except InvalidTag:
            raise WrongMasterKeyError(
                "a stored secret failed authentication under master key "
                f"{self.fingerprint}: it was altered or copied from another row",
                current=self.fingerprint,
                expected=expected,
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"MasterKey(fingerprint={self.fingerprint!r})"


def _write_new_key_file(path: Path, key: MasterKey) -> None:
    """Create ``path`` holding ``key`` with mode 0600, never replacing an existing file.

    The key is written to a temporary file first and hard-linked into place, so
    another process never sees a half-written key file; ``os.link`` fails if the
    target exists, which makes the create-if-absent step atomic.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.to_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            # Another process won the race; the caller reads its file.
            raise
        except OSError:
            # Some filesystems have no hard links; fall back to an exclusive create.
            fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd2, "w", encoding="ascii") as handle:
                handle.write(key.to_text() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        tmp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> MasterKey:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the master key file {path}: {exc}") from exc
    try:
        return MasterKey.from_text(text)
    except ValueError as exc:
        raise ValueError(f"the master key file {path} is not usable: {exc}") from exc


def load_or_create_master_key(settings: Settings) -> MasterKey:
    """Return the master key: ``settings.master_key`` if set, else ``<data_dir>/master.key``.

    If neither exists, a new key is generated and written to the key file (mode
    0600, the folder created if needed). An existing file is never overwritten;
    when several processes start at once, they all end up with the first file
    written. Raises ``ValueError`` if the configured key or the file is unusable.
    """
    if settings.master_key:
        try:
            return MasterKey.from_text(settings.master_key)
        except ValueError as exc:
            raise ValueError(f"POOLGATE_MASTER_KEY: {exc}") from exc
    path = settings.data_dir / KEY_FILE_NAME
    if path.exists():
        return _read_key_file(path)
    make_private_folder(path.parent)
    key = MasterKey.generate()
    try:
        _write_new_key_file(path, key)
    except FileExistsError:
        # Another process created the file first; use its key.
        return _read_key_file(path)
    return key
