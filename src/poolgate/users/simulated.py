"""PreventUserExistenceErrors in the confirmation and recovery operations: ForgotPassword,
ResendConfirmationCode and ConfirmSignUp (the sign-in flows are decided in
``auth/existence.py``). docs/security.md "4. PreventUserExistenceErrors per operation" has
each decision and its evidence.

With ``ENABLED`` a name that designates nobody (and, where AWS says so, a disabled user or one
without a verified contact) gets what a real user gets, as far as AWS's documented answer
allows [Developer Guide, "Managing user existence error responses"]:

- ForgotPassword and ResendConfirmationCode: ``CodeDeliveryDetails`` for a simulated delivery,
  shaped like a real one (:meth:`Simulation.delivery`), after the same request limit and the
  same kind of write transaction as a real delivery;
- ConfirmSignUp: the ``CodeMismatchException`` of a wrong code, after the same kind of
  write transaction that counts a real user's wrong code, and the same attempt limit.

Simulated values come from HMAC-SHA256 under a master-key subkey over the pool id and the
name as the pool folds it, so they are stable for a (pool, name) pair and case variants in a
case-insensitive pool look alike; the counters are keyed by such a MAC too, so the names
people try are not stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from poolgate.pools.model import AppClient, UserPool
from poolgate.users.attributes import fold
from poolgate.users.model import PasswordVerifier, User, UserStatus
from poolgate.users.views import code_delivery

ENABLED: Final = "ENABLED"

# The counters of simulated code requests and of wrong codes for names that are no user.
# Requests share the scope of real users' requests (``common.limit_code_requests``) with a key
# no ``pool/sub`` pair can take.
REQUESTS_SCOPE: Final = "code-requests"
CODE_ATTEMPTS_SCOPE: Final = "unknown-code-attempts"

# First letters of the mail domains a simulated e-mail destination names, weighted roughly by
# how common the providers are (gmail, outlook/hotmail, yahoo, icloud, aol, ...) [decision].
_DOMAIN_INITIALS: Final = "ggggggggoohhyyiamcpw"
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def hides_existence(client: AppClient) -> bool:
    """True when the client has ``PreventUserExistenceErrors=ENABLED``."""
    return client.config.get("PreventUserExistenceErrors") == ENABLED


def email_shaped(name: str) -> bool:
    """True for a name with something on both sides of an ``@``."""
    local, at, domain = name.rpartition("@")
    return bool(at and local and domain)


def phone_shaped(name: str) -> bool:
    """True for an E.164-looking name (``+`` and digits)."""
    return len(name) > 5 and name.startswith("+") and name[1:].isdigit()


# A stand-in stored password verifier: what reading a real user decrypts and parses (a salt and
# a 3072-bit verifier in hex, as users/model.py's PasswordVerifier is stored).
_STAND_IN_VERIFIER: Final = json.dumps({"salt": "0" * 32, "verifier": "0" * 768}).encode()
_STAND_IN_NONCE: Final = b"\x00" * 12
_STAND_IN_ATTRIBUTES: Final = json.dumps(
    {
        "sub": "00000000-0000-4000-8000-000000000000",
        "email": "stand-in@example.com",
        "email_verified": "true",
    }
).encode()


class Simulation:
    """The stable stand-in answers for names that are no user of a pool."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._aead = AESGCM(hmac.new(key, b"stand-in user", hashlib.sha256).digest())
        self._stored = self._aead.encrypt(_STAND_IN_NONCE, _STAND_IN_VERIFIER, b"stand-in")

    def read_user(self) -> User:
        """What reading a real user costs beyond its query: the stored password verifier
        decrypted (AES-GCM under the master key) and parsed, the attributes and settings parsed,
        the :class:`User` built. Called where a real request reads its user, so that the answer
        for a name that is no user takes as long. The stand-in is thrown away."""
        verifier = json.loads(self._aead.decrypt(_STAND_IN_NONCE, self._stored, b"stand-in"))
        attributes = {str(k): str(v) for k, v in json.loads(_STAND_IN_ATTRIBUTES).items()}
        return User(
            "",
            "",
            attributes["sub"],
            UserStatus("CONFIRMED"),
            True,
            attributes,
            0.0,
            0.0,
            password=PasswordVerifier(verifier["salt"], verifier["verifier"]),
            settings=json.loads(b"{}"),
        )

    def delivery(self, pool: UserPool, name: str, attributes: Sequence[str]) -> dict[str, str]:
        """The CodeDeliveryDetails of a simulated delivery for ``name``.

        ``attributes`` are where a real code could go, most preferred first (the pool's
        recovery or verification settings). The medium follows the input's format when the pool
        could deliver to it (an address typed as the name: that address; a phone number: that
        number), else the first of ``attributes`` with a destination derived from the name: an
        e-mail masked ``n***@g***`` (the name's first letter, a common provider's initial) or a
        phone masked ``+*******1234`` (four stable digits) [AWS: "determined by the input
        username format and verification settings of the user pool"].
        """
        if email_shaped(name) and "email" in attributes:
            return code_delivery("EMAIL", name, "email")
        if phone_shaped(name) and "phone_number" in attributes:
            return code_delivery("SMS", name, "phone_number")
        attribute = attributes[0] if attributes else "email"
        mac = self._mac(b"destination", pool, name)
        if attribute == "email":
            first = name[:1].lower()
            local = first if first.isascii() and first.isalnum() else _LETTERS[mac[0] % len(_LETTERS)]
            domain = _DOMAIN_INITIALS[mac[1] % len(_DOMAIN_INITIALS)]
            return code_delivery("EMAIL", f"{local}@{domain}", "email")
        digits = int.from_bytes(mac[2:6], "big") % 10_000
        return code_delivery("SMS", f"+1555555{digits:04d}", "phone_number")

    def sub(self, pool: UserPool, name: str) -> str:
        """A stable stand-in ``sub`` for ``name`` (a UUID no user has: reading it finds nobody)."""
        raw = bytearray(self._mac(b"sub", pool, name)[:16])
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(raw)))

    def counter_key(self, pool: UserPool, name: str, purpose: str) -> str:
        """The key under which requests or wrong codes for the unknown ``name`` are counted."""
        return f"{pool.id}/unknown:{self._mac(purpose.encode(), pool, name)[:16].hex()}"

    def _mac(self, label: bytes, pool: UserPool, name: str) -> bytes:
        message = label + b"\x00" + pool.id.encode() + b"\x00" + fold(pool, name).encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()
