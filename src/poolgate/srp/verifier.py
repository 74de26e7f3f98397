"""Password verifiers: creating them at password-set time and checking a plain password.

srp.md section 6.1. A verifier is the pair ``(salt_hex, verifier_hex)`` where
``salt_hex`` is the canonical padHex of a random 16-byte salt and
``verifier_hex`` is padHex(g^x mod N). Both are what the store keeps; the
``salt_hex`` is also sent verbatim as the ``SALT`` challenge parameter, so it
must stay canonical (clients disagree on non-canonical salts, srp.md section 2).
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Final

from poolgate.srp.errors import ProofMismatch
from poolgate.srp.math import N, compute_verifier, compute_x, pad_hex, to_fixed_bytes

SALT_BITS: Final[int] = 128
"""Size of a freshly drawn salt (16 random bytes, as the clients use for device salts)."""

_HEX: Final = re.compile(r"[0-9a-fA-F]+")


def pool_name_from_pool_id(pool_id: str) -> str:
    """Return Cognito's SRP "pool name": the pool id without its region prefix.

    ``us-east-1_TestPool1`` becomes ``TestPool1`` (everything up to and including
    the first ``_`` is dropped). Raises ``ValueError`` when there is no ``_``.
    """
    _region, sep, name = pool_id.partition("_")
    if not sep or not name:
        raise ValueError(f"not a user pool id: {pool_id!r}")
    return name


def parse_stored_int(hex_digits: str, *, what: str) -> int:
    """Parse a stored hex value (salt or verifier) strictly; raise ``ValueError`` if it is not hex."""
    if not _HEX.fullmatch(hex_digits):
        raise ValueError(f"stored SRP {what} is not hex")
    return int(hex_digits, 16)


def parse_stored_verifier(verifier_hex: str) -> int:
    """Parse a stored verifier and check 0 < v < N; raise ``ValueError`` otherwise."""
    v = parse_stored_int(verifier_hex, what="verifier")
    if not 0 < v < N:
        raise ValueError("stored SRP verifier is out of range")
    return v


def random_salt() -> int:
    """Draw a random non-zero 16-byte salt."""
    while True:
        salt = secrets.randbits(SALT_BITS)
        if salt:
            return salt


def derive_verifier(
    pool_name: str, user_id_for_srp: str, password: str, *, salt: int | None = None
) -> tuple[str, str]:
    """Return ``(salt_hex, verifier_hex)`` for any identity triple (user or device).

    ``make_verifier`` and ``device.make_device_verifier`` are the named entry
    points; this is the shared body. A given ``salt`` must be positive.
    """
    if salt is None:
        salt = random_salt()
    elif salt <= 0:
        raise ValueError("an SRP salt must be a positive integer")
    v = compute_verifier(compute_x(salt, pool_name, user_id_for_srp, password))
    return pad_hex(salt), pad_hex(v)


def make_verifier(
    pool_name: str, user_id_for_srp: str, password: str, *, salt: int | None = None
) -> tuple[str, str]:
    """Create the stored verifier for a user's new password.

    ``pool_name`` is ``pool_name_from_pool_id(pool_id)``; ``user_id_for_srp`` is
    the immutable internal username (never an alias). ``salt`` is drawn at random
    unless given (tests and imports). Returns ``(salt_hex, verifier_hex)``, both
    canonical padHex.
    """
    return derive_verifier(pool_name, user_id_for_srp, password, salt=salt)


def check_password(
    pool_name: str, user_id_for_srp: str, password: str, salt_hex: str, verifier_hex: str
) -> None:
    """Check a plain password against a stored verifier (USER_PASSWORD_AUTH and friends).

    Recomputes v from the password and compares it with the stored one in
    constant time. Raises ``ProofMismatch`` when they differ, and ``ValueError``
    when the stored values are malformed.
    """
    salt = parse_stored_int(salt_hex, what="salt")
    if salt == 0:
        raise ValueError("stored SRP salt is zero")
    stored = parse_stored_verifier(verifier_hex)
    candidate = compute_verifier(compute_x(salt, pool_name, user_id_for_srp, password))
    if not hmac.compare_digest(to_fixed_bytes(candidate), to_fixed_bytes(stored)):
        raise ProofMismatch("password does not match the stored verifier")
