"""The server side of one SRP exchange: parse A, answer with B, verify the claim.

srp.md sections 6.2 and 6.3. The same functions serve device SRP (section 8)
with the device group key, device key and device verifier substituted; see
``poolgate.srp.device`` for named wrappers.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import re
import secrets
from typing import Final

import gmpy2

from poolgate.srp.errors import InvalidSrpA, ProofMismatch
from poolgate.srp.math import (
    G_MPZ,
    K_MPZ,
    N_MPZ,
    N,
    claim_signature,
    compute_u,
    derive_key,
)
from poolgate.srp.verifier import parse_stored_verifier

MAX_SRP_A_DIGITS: Final[int] = 1024
"""Longest accepted ``SRP_A`` after leading zeros (a real A has at most 768 digits)."""

B_SECRET_BITS: Final[int] = 256
"""Size of the server's random secret b."""

_HEX: Final = re.compile(r"[0-9a-fA-F]+")


@dataclasses.dataclass(frozen=True, slots=True)
class ServerChallenge:
    """What the server keeps between ``SRP_A`` and the claim.

    ``b`` is secret: store it only encrypted, never log it (it is left out of
    ``repr``). ``B_hex`` is the ``SRP_B`` challenge parameter; ``A_hex`` is the
    client's A in canonical lowercase hex without leading zeros.
    """

    b: int = dataclasses.field(repr=False)
    B_hex: str
    A_hex: str


def parse_srp_a(a_hex: str) -> int:
    """Parse and check the client's public value ``SRP_A``.

    Accepts upper or lower case and leading zeros. Raises ``InvalidSrpA`` when it
    is empty or not hex, longer than ``MAX_SRP_A_DIGITS`` significant digits,
    not below N, or zero modulo N.
    """
    if not _HEX.fullmatch(a_hex):
        raise InvalidSrpA("SRP_A is not hex")
    if len(a_hex.lstrip("0")) > MAX_SRP_A_DIGITS:
        raise InvalidSrpA("SRP_A is too long")
    big_a = int(a_hex, 16)
    if big_a >= N:
        raise InvalidSrpA("SRP_A is not below N")
    if big_a % N == 0:
        raise InvalidSrpA("SRP_A is zero modulo N")
    return big_a


def _random_b() -> int:
    while True:
        b = secrets.randbits(B_SECRET_BITS)
        if b:
            return b


def start(verifier_hex: str, a_hex: str, *, b: int | None = None) -> ServerChallenge:
    """Answer the client's ``SRP_A`` with B = (k*v + g^b) mod N.

    ``verifier_hex`` is the stored verifier (user or device). ``b`` is drawn at
    random unless given; a forced ``b`` is for test vectors only. A random ``b``
    giving B = 0 is redrawn; a forced one raises ``ValueError``. Raises
    ``InvalidSrpA`` for a bad ``SRP_A`` and ``ValueError`` for a corrupt verifier.
    """
    big_a = parse_srp_a(a_hex)
    v = gmpy2.mpz(parse_stored_verifier(verifier_hex))
    kv = K_MPZ * v % N_MPZ
    forced = b is not None
    if b is not None and not 0 < b < N:
        raise ValueError("a forced SRP b must lie in (0, N)")
    while True:
        secret = b if b is not None else _random_b()
        big_b = (kv + gmpy2.powmod_sec(G_MPZ, gmpy2.mpz(secret), N_MPZ)) % N_MPZ
        if big_b != 0:
            return ServerChallenge(b=int(secret), B_hex=format(int(big_b), "x"), A_hex=format(big_a, "x"))
        if forced:
            raise ValueError("the forced SRP b gives B = 0")


def premaster_secret(challenge: ServerChallenge, verifier_hex: str) -> int:
    """Return the shared secret S = (A * v^u)^b mod N (exposed for vector tests).

    Raises ``ProofMismatch`` when u = 0 (the exchange must be aborted) and
    ``InvalidSrpA`` when the stored A no longer passes ``parse_srp_a``.
    """
    big_a = parse_srp_a(challenge.A_hex)
    big_b = int(challenge.B_hex, 16)
    u = compute_u(big_a, big_b)
    if u == 0:
        raise ProofMismatch("SRP scrambling parameter u is zero")
    v = gmpy2.mpz(parse_stored_verifier(verifier_hex))
    base = gmpy2.mpz(big_a) * gmpy2.powmod_sec(v, gmpy2.mpz(u), N_MPZ) % N_MPZ
    return int(gmpy2.powmod_sec(base, gmpy2.mpz(challenge.b), N_MPZ))


def session_key(challenge: ServerChallenge, verifier_hex: str) -> bytes:
    """Return the 16-byte HKDF key K both sides derive (exposed for vector tests)."""
    s = premaster_secret(challenge, verifier_hex)
    u = compute_u(int(challenge.A_hex, 16), int(challenge.B_hex, 16))
    return derive_key(s, u)


def _strict_b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ProofMismatch(f"{what} is not valid Base64") from exc


def verify_claim(
    challenge: ServerChallenge,
    *,
    verifier_hex: str,
    pool_name: str,
    user_id_for_srp: str,
    secret_block_b64: str,
    timestamp: str,
    signature_b64: str,
) -> None:
    """Verify ``PASSWORD_CLAIM_SIGNATURE`` for the exchange in ``challenge``.

    The caller supplies the stored verifier, the pool name and ``USER_ID_FOR_SRP``
    it bound the verifier to, and the client's ``PASSWORD_CLAIM_SECRET_BLOCK``,
    ``TIMESTAMP`` (used exactly as received) and ``PASSWORD_CLAIM_SIGNATURE``.
    Freshness of the timestamp and single use of the secret block are the
    caller's job. Raises ``ProofMismatch`` when the signature does not match or
    either Base64 value is malformed.
    """
    key = session_key(challenge, verifier_hex)
    secret_block = _strict_b64(secret_block_b64, "PASSWORD_CLAIM_SECRET_BLOCK")
    received = _strict_b64(signature_b64, "PASSWORD_CLAIM_SIGNATURE")
    expected = claim_signature(key, pool_name, user_id_for_srp, secret_block, timestamp)
    if not hmac.compare_digest(expected, received):
        raise ProofMismatch("SRP claim signature does not match")
