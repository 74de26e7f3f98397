"""Device SRP (remembered devices): verifier configs and the device claim (srp.md section 8).

The arithmetic is the user SRP arithmetic with ``poolName`` replaced by the
device group key, ``USER_ID_FOR_SRP`` by the device key and the password by the
device password. The exchange itself uses ``server.start`` with the device
verifier, then ``verify_device_claim``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from poolgate.srp.errors import InvalidDeviceVerifierConfig
from poolgate.srp.math import N, pad_hex
from poolgate.srp.server import ServerChallenge, verify_claim
from poolgate.srp.verifier import derive_verifier

# A client salt is 16 random bytes plus perhaps a sign byte; a verifier is below N
# (384 bytes) plus perhaps a sign byte. Anything much longer is refused before parsing.
MAX_SALT_BYTES: Final[int] = 64
MAX_VERIFIER_BYTES: Final[int] = 385


def make_device_verifier(
    device_group_key: str, device_key: str, device_password: str, *, salt: int | None = None
) -> tuple[str, str]:
    """Return ``(salt_hex, verifier_hex)`` for a device, as a client computes them at ConfirmDevice.

    The server normally receives these from the client (see
    ``parse_device_verifier_config``); this is for tests and test clients.
    """
    return derive_verifier(device_group_key, device_key, device_password, salt=salt)


def encode_device_verifier_config(salt_hex: str, verifier_hex: str) -> tuple[str, str]:
    """Return ``(Salt, PasswordVerifier)`` Base64 values of a ``DeviceSecretVerifierConfig``.

    Each is the standard Base64 of the bytes its padHex form spells.
    """
    salt_b64 = base64.b64encode(bytes.fromhex(pad_hex(int(salt_hex, 16)))).decode("ascii")
    verifier_b64 = base64.b64encode(bytes.fromhex(pad_hex(int(verifier_hex, 16)))).decode("ascii")
    return salt_b64, verifier_b64


def _decode(text: str, what: str, max_bytes: int) -> int:
    # Base64 needs 4 characters per 3 bytes; refuse oversized input before decoding it.
    if len(text) > (max_bytes + 2) // 3 * 4:
        raise InvalidDeviceVerifierConfig(f"{what} is too long")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise InvalidDeviceVerifierConfig(f"{what} is not valid Base64") from exc
    return int.from_bytes(raw, "big")


def parse_device_verifier_config(*, password_verifier_b64: str, salt_b64: str) -> tuple[str, str]:
    """Decode a client's ``DeviceSecretVerifierConfig`` into canonical ``(salt_hex, verifier_hex)``.

    The salt is re-emitted as canonical padHex, which is what must later be sent
    as the device ``SALT`` (srp.md sections 2 and 8.1). Raises
    ``InvalidDeviceVerifierConfig`` when either value is not Base64, too long,
    the salt is zero, or the verifier is not in [2, N).
    """
    salt = _decode(salt_b64, "Salt", MAX_SALT_BYTES)
    verifier = _decode(password_verifier_b64, "PasswordVerifier", MAX_VERIFIER_BYTES)
    if salt == 0:
        raise InvalidDeviceVerifierConfig("Salt is zero")
    # A verifier of 0 or 1 would let anyone who knows it compute the session key.
    if not 1 < verifier < N:
        raise InvalidDeviceVerifierConfig("PasswordVerifier is out of range")
    return pad_hex(salt), pad_hex(verifier)


def verify_device_claim(
    challenge: ServerChallenge,
    *,
    verifier_hex: str,
    device_group_key: str,
    device_key: str,
    secret_block_b64: str,
    timestamp: str,
    signature_b64: str,
) -> None:
    """Verify a ``DEVICE_PASSWORD_VERIFIER`` claim; raise ``ProofMismatch`` on mismatch.

    ``challenge`` comes from ``server.start`` called with the device verifier.
    The signed message is device group key || device key || secret block || TIMESTAMP.
    """
    verify_claim(
        challenge,
        verifier_hex=verifier_hex,
        pool_name=device_group_key,
        user_id_for_srp=device_key,
        secret_block_b64=secret_block_b64,
        timestamp=timestamp,
        signature_b64=signature_b64,
    )
