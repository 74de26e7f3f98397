"""The client half of USER_SRP_AUTH (shared/spec/srp.md sections 3-5), kept cheap with gmpy2.

The hashing, HKDF and claim-signature pieces are the ones ``poolgate.srp.math``
already implements for the server; only the client formula is written here:

    S = (B - k * g^x) ^ (a + u * x) mod N

Two shortcuts keep the generator's core free for sending requests, and both
are benchmark-only: ``a`` is 256 random bits instead of the 1,024 the SDKs
draw, and a fixed ring of ``(a, A)`` pairs is computed before the clock starts
and reused round-robin. The server still draws a fresh ``b`` per sign-in, so
every exchange it verifies is a new one.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass

import gmpy2

from poolgate.srp.math import K_MULTIPLIER, G, N, claim_signature, compute_u, compute_x, derive_key
from poolgate.srp.timestamp import timestamp_now

_N = gmpy2.mpz(N)
_G = gmpy2.mpz(G)
_K = gmpy2.mpz(K_MULTIPLIER)
CLIENT_SECRET_BITS = 256


@dataclass(frozen=True, slots=True)
class Ephemeral:
    a: int
    A_hex: str


def new_ephemeral() -> Ephemeral:
    """A client secret ``a`` and its public ``A = g^a mod N`` (lowercase hex, unpadded, as clients send it)."""
    while True:
        a = gmpy2.mpz(secrets.randbits(CLIENT_SECRET_BITS))
        big_a = gmpy2.powmod(_G, a, _N)
        if a and big_a % _N:
            return Ephemeral(int(a), format(int(big_a), "x"))


class SrpClient:
    """Answers PASSWORD_VERIFIER challenges for one user pool."""

    def __init__(self, pool_id: str, ring_size: int = 64) -> None:
        self.pool_name = pool_id.partition("_")[2]
        self._ring = [new_ephemeral() for _ in range(ring_size)]
        self._next = 0
        # g^x depends only on the user's salt and password, so it is worked out once per user.
        self._x_cache: dict[tuple[str, str, str], tuple[gmpy2.mpz, gmpy2.mpz]] = {}

    def ephemeral(self) -> Ephemeral:
        eph = self._ring[self._next]
        self._next = (self._next + 1) % len(self._ring)
        return eph

    def _x_and_kgx(self, salt_hex: str, user_id: str, password: str) -> tuple[gmpy2.mpz, gmpy2.mpz]:
        key = (salt_hex, user_id, password)
        cached = self._x_cache.get(key)
        if cached is None:
            if len(self._x_cache) >= 4096:
                # moto sends a new random SALT every time, which would make this cache grow without end.
                self._x_cache.clear()
            x = gmpy2.mpz(compute_x(int(salt_hex, 16), self.pool_name, user_id, password))
            cached = (x, _K * gmpy2.powmod(_G, x, _N) % _N)
            self._x_cache[key] = cached
        return cached

    def respond(
        self,
        eph: Ephemeral,
        challenge: dict[str, str],
        password: str,
        *,
        now: float | None = None,
        username: str | None = None,
    ) -> dict[str, str]:
        """Build the PASSWORD_VERIFIER ``ChallengeResponses`` for a challenge's parameters.

        ``USERNAME`` is ``USER_ID_FOR_SRP``, as the SDKs send it, unless ``username`` is given.
        """
        user_id = challenge["USER_ID_FOR_SRP"]
        big_b = int(challenge["SRP_B"], 16)
        if big_b % N == 0:
            raise ValueError("server sent B = 0 mod N")
        big_a = int(eph.A_hex, 16)
        u = compute_u(big_a, big_b)
        x, kgx = self._x_and_kgx(challenge["SALT"], user_id, password)
        base = (gmpy2.mpz(big_b) - kgx) % _N
        premaster = gmpy2.powmod(base, gmpy2.mpz(eph.a) + u * x, _N)
        key = derive_key(int(premaster), u)
        secret_block = challenge["SECRET_BLOCK"]
        try:
            block_bytes = base64.b64decode(secret_block, validate=True)
        except (binascii.Error, ValueError):
            # moto hands out a UUID here and never checks the signature; sign its UTF-8 bytes.
            block_bytes = secret_block.encode()
        timestamp = timestamp_now(time.time() if now is None else now)
        signature = claim_signature(key, self.pool_name, user_id, block_bytes, timestamp)
        return {
            "USERNAME": username or user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
            "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(signature).decode(),
            "TIMESTAMP": timestamp,
        }
