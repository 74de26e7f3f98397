"""TOTP (RFC 6238) over HOTP (RFC 4226): the arithmetic of software-token MFA. Hazmat.

Pure functions and one small class, no I/O, no clock: the caller passes the time. Following
pyca/cryptography's rules (STYLE.md section 7.11), arguments are checked in the constructor,
``verify`` raises instead of returning a bool, and candidate codes are compared in constant time.

Cognito's parameters (mfa-devices-security.md section 3.2): HMAC-SHA1, 6 digits, 30-second
steps, and a code of the step before or after the current one is still accepted. Other hash
functions and lengths exist only so that the RFC 6238 test vectors can be checked.

A verified code reports its time step, so the caller can refuse the same step (and every
earlier one) next time: a code is accepted once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from typing import Final

SECRET_BYTES: Final = 20
"""Random bytes in a new secret (160 bits, RFC 4226 section 4's recommended length): 32
Base32 characters [decision; AWS does not document its length]."""

MIN_KEY_BYTES: Final = 16
"""RFC 4226 section 4 requires a shared secret of at least 128 bits."""

DIGITS: Final = 6
STEP_SECONDS: Final = 30
WINDOW: Final = 1
"""Steps accepted on either side of the current one."""

_ALGORITHMS: Final = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


class InvalidCode(Exception):
    """The code matches no accepted time step."""


class CodeReused(InvalidCode):
    """The code is right but its time step was already used."""


def new_secret() -> bytes:
    """A fresh random secret of ``SECRET_BYTES`` bytes."""
    return secrets.token_bytes(SECRET_BYTES)


def to_base32(secret: bytes) -> str:
    """``secret`` in the RFC 4648 Base32 alphabet, without padding (what apps scan)."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    """The inverse of :func:`to_base32` (case-insensitive, padding optional); ValueError if
    ``text`` is not Base32."""
    cleaned = text.strip().upper()
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a Base32 secret") from exc


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The HOTP value of ``counter`` (RFC 4226 section 5.3, dynamic truncation)."""
    digest = hmac.new(key, struct.pack(">Q", counter), _ALGORITHMS[algorithm]).digest()
    offset = digest[-1] & 0x0F
    binary = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{binary % 10**digits:0{digits}d}"


class Totp:
    """A TOTP generator and checker for one secret.

    Raises ValueError in the constructor for a key shorter than 128 bits, a length outside
    6 to 8 digits, a non-positive step, a negative window or an unknown hash function.
    """

    __slots__ = ("_algorithm", "_digits", "_key", "_step", "_window")

    def __init__(
        self,
        key: bytes,
        *,
        digits: int = DIGITS,
        step: int = STEP_SECONDS,
        window: int = WINDOW,
        algorithm: str = "sha1",
    ) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a TOTP key has at least {MIN_KEY_BYTES} bytes (128 bits)")
        if not 6 <= digits <= 8:
            raise ValueError("a TOTP code has 6 to 8 digits")
        if step <= 0:
            raise ValueError("the time step must be positive")
        if window < 0:
            raise ValueError("the window cannot be negative")
        if algorithm not in _ALGORITHMS:
            raise ValueError(f"unknown hash function {algorithm!r}")
        self._key = bytes(key)
        self._digits = digits
        self._step = step
        self._window = window
        self._algorithm = algorithm

    def time_step(self, at: float) -> int:
        """The RFC 6238 ``T`` of the instant ``at`` (epoch seconds; T0 = 0)."""
        return int(at // self._step)

    def generate(self, at: float) -> str:
        """The code of the step containing ``at``."""
        return self.code_of_step(self.time_step(at))

    def code_of_step(self, step: int) -> str:
        """The code of time step ``step``."""
        return hotp(self._key, step, digits=self._digits, algorithm=self._algorithm)

    def verify(self, code: str, at: float, *, last_used_step: int | None = None) -> int:
        """Check ``code`` against the steps around ``at`` and return the step it matched.

        Raises ``CodeReused`` when it matches a step at or before ``last_used_step``, and
        ``InvalidCode`` when it matches none (or is not ``digits`` decimal digits). Every
        candidate is computed and compared in constant time, whichever matches.
        """
        candidate = code.encode("ascii", "replace")
        well_formed = len(code) == self._digits and code.isascii() and code.isdigit()
        current = self.time_step(at)
        matched: int | None = None
        for step in range(max(0, current - self._window), current + self._window + 1):
            expected = self.code_of_step(step).encode("ascii")
            if hmac.compare_digest(expected, candidate):
                matched = step  # the latest matching step wins (codes of two steps may collide)
        if matched is None or not well_formed:
            raise InvalidCode("the code matches no accepted time step")
        if last_used_step is not None and matched <= last_used_step:
            raise CodeReused("the code's time step was already used")
        return matched
