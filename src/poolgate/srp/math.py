"""Group constants, padHex, and the hash and key-derivation helpers (srp.md sections 1-5).

Everything here is a pure function of its arguments. Integers cross the module
boundary as plain ``int`` (a ``gmpy2.mpz`` is accepted wherever an ``int`` is);
gmpy2 is used inside for the 3072-bit arithmetic.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

import gmpy2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The 3072-bit MODP prime of RFC 3526 group 15, as used by both Cognito clients.
_N_HEX: Final = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)

N: Final[int] = int(_N_HEX, 16)
"""The group modulus."""

G: Final[int] = 2
"""The group generator."""

N_BYTES: Final[int] = (N.bit_length() + 7) // 8
"""Length of N in bytes (384); values below N are compared at this fixed width."""

# The mpz forms are what the arithmetic uses; the int forms above are the public constants.
N_MPZ: Final = gmpy2.mpz(N)
G_MPZ: Final = gmpy2.mpz(G)

_HKDF_INFO: Final = b"Caldera Derived Key"
_HEX_DIGITS_NEEDING_SIGN_BYTE: Final = frozenset("89abcdef")


def pad_hex(value: int) -> str:
    """Return Cognito's padHex form of a non-negative integer (srp.md section 2).

    The result is lowercase hex of even length, with a leading ``00`` byte added
    when the top bit would otherwise be set. Raises ``ValueError`` for negatives.
    """
    if value < 0:
        raise ValueError("pad_hex is only defined for non-negative integers")
    digits = format(value, "x")
    if len(digits) % 2:
        digits = "0" + digits
    if digits[0] in _HEX_DIGITS_NEEDING_SIGN_BYTE:
        digits = "00" + digits
    return digits


def hex_hash(hex_digits: str) -> str:
    """Return the 64-digit lowercase hex SHA-256 of the bytes that ``hex_digits`` spells."""
    return hashlib.sha256(bytes.fromhex(hex_digits)).hexdigest()


def _text_hash(text: str) -> str:
    """Return the hex SHA-256 of ``text`` as UTF-8.

    Lone surrogates (which no client can send, since both encode strictly) are
    passed through rather than raising, so a malformed password fails as a
    mismatch instead of crashing the request.
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


K_MULTIPLIER: Final[int] = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)
"""The SRP-6a multiplier k = H(padHex(N) || padHex(g))."""

K_MPZ: Final = gmpy2.mpz(K_MULTIPLIER)


def compute_x(salt: int, pool_name: str, user_id_for_srp: str, password: str) -> int:
    """Return the private value x = H(padHex(salt) || H_hex(poolName + userId + ":" + password)).

    For device SRP pass the device group key as ``pool_name``, the device key as
    ``user_id_for_srp`` and the device password as ``password`` (srp.md section 8).
    """
    inner = _text_hash(f"{pool_name}{user_id_for_srp}:{password}")
    return int(hex_hash(pad_hex(salt) + inner), 16)


def compute_verifier(x: int) -> int:
    """Return v = g^x mod N, using GMP's side-channel-resistant exponentiation."""
    return int(gmpy2.powmod_sec(G_MPZ, gmpy2.mpz(x), N_MPZ))


def compute_u(big_a: int, big_b: int) -> int:
    """Return the scrambling parameter u = H(padHex(A) || padHex(B)) as an integer."""
    return int(hex_hash(pad_hex(big_a) + pad_hex(big_b)), 16)


def derive_key(premaster_secret: int, u: int) -> bytes:
    """Return the 16-byte claim key: HKDF-SHA256(ikm=padHex(S), salt=padHex(u), info="Caldera Derived Key")."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=16,
        salt=bytes.fromhex(pad_hex(u)),
        info=_HKDF_INFO,
    )
    return hkdf.derive(bytes.fromhex(pad_hex(premaster_secret)))


def claim_signature(
    key: bytes, pool_name: str, user_id_for_srp: str, secret_block: bytes, timestamp: str
) -> bytes:
    """Return the raw 32-byte HMAC-SHA256 claim over poolName || userId || secret block || TIMESTAMP.

    The caller Base64-encodes it to get ``PASSWORD_CLAIM_SIGNATURE``. For device
    SRP pass the device group key and device key, as for ``compute_x``.
    """
    message = b"".join(
        (
            pool_name.encode("utf-8", "surrogatepass"),
            user_id_for_srp.encode("utf-8", "surrogatepass"),
            secret_block,
            timestamp.encode("utf-8", "surrogatepass"),
        )
    )
    return hmac.digest(key, message, "sha256")


def to_fixed_bytes(value: int) -> bytes:
    """Return a value below N as exactly ``N_BYTES`` big-endian bytes, for constant-time comparison."""
    return int(value).to_bytes(N_BYTES, "big")
