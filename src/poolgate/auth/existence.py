"""PreventUserExistenceErrors: the one place that decides how an unknown user is answered
(auth-flows.md section 9, STYLE.md section 4).

- ``LEGACY`` (the default): ``UserNotFoundException`` ``User does not exist.``
- ``ENABLED``: the same ``NotAuthorizedException`` ``Incorrect username or password.`` as a wrong
  password. Password flows check the submitted password against a simulated verifier first, so
  the call costs what a real check costs. USER_SRP_AUTH answers a simulated PASSWORD_VERIFIER
  (one modular exponentiation, like a real one) whose ``SALT`` and ``USER_ID_FOR_SRP`` are stable
  for the (pool, username) pair, and fails the answer with the generic error.
- ``ENABLED`` also defers two account errors until the password is proven: a disabled user and
  one in RESET_REQUIRED get the generic error for a wrong password and their specific error
  only for the right one (section 7 "the generic message wins"; section 9 decision).

Simulated values come from HMAC-SHA256 under a master-key subkey over the pool id and the
username as the pool folds it, so case variants in a case-insensitive pool look alike.

The operations outside sign-in that hide existence (ForgotPassword, ResendConfirmationCode,
ConfirmSignUp) decide in ``users/simulated.py``, the users package's counterpart of this module.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Final

from poolgate.auth import messages
from poolgate.errors import CognitoError, NotAuthorizedException, UserNotFoundException
from poolgate.pools.model import AppClient, UserPool
from poolgate.srp import ProofMismatch, check_password, pad_hex, pool_name_from_pool_id
from poolgate.srp.math import N_BYTES, N
from poolgate.store.base import UnitOfWork
from poolgate.users.attributes import fold

ENABLED: Final = "ENABLED"


def hides_existence(client: AppClient) -> bool:
    """True when the client has ``PreventUserExistenceErrors=ENABLED``."""
    return client.config.get("PreventUserExistenceErrors") == ENABLED


def unknown_user_error(client: AppClient) -> CognitoError:
    """The error for a user that does not exist (or vanished during the sign-in)."""
    if hides_existence(client):
        return NotAuthorizedException(messages.INCORRECT_CREDENTIALS)
    return UserNotFoundException(messages.USER_NOT_FOUND)


def defers_account_errors(client: AppClient) -> bool:
    """True when "disabled" and "reset required" must wait until the password is proven."""
    return hides_existence(client)


@dataclass(frozen=True, slots=True)
class SimulatedUser:
    """The stand-in for an unknown user: ``USER_ID_FOR_SRP`` and a verifier no password opens."""

    user_id_for_srp: str
    salt_hex: str
    verifier_hex: str


class Simulator:
    """Builds the stable stand-ins for unknown users."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def user(self, pool: UserPool, name: str) -> SimulatedUser:
        """The stand-in for ``name`` in ``pool``.

        ``USER_ID_FOR_SRP`` has the shape a real one would have for that input: a UUID in pools
        whose usernames are e-mail or phone (real ones are the ``sub``) and for inputs shaped
        like an alias (AWS's documented answer: "internal user id in UUID format"; a real one
        names the username, which looks alike when usernames are UUIDs, docs/security.md item
        4); otherwise the name as the pool folds it (lower-cased in a case-insensitive pool),
        which is what a real username sign-in returns for a user created in lower case
        [decision; the docs speak only of a UUID].
        """
        folded = fold(pool, name)
        salt = int.from_bytes(self._mac(b"salt", pool.id, folded)[:16], "big") or 1
        verifier = self._verifier(pool.id, folded)
        if pool.username_attributes or _alias_shaped(pool, name):
            raw = bytearray(self._mac(b"user-id", pool.id, folded)[:16])
            raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
            user_id = str(uuid.UUID(bytes=bytes(raw)))
        else:
            user_id = folded
        return SimulatedUser(user_id, pad_hex(salt), pad_hex(verifier))

    def sub(self, pool: UserPool, name: str) -> str:
        """A stable stand-in ``sub`` for ``name``: a UUID no user has, so reading the records
        of a real user under it (the lockout record) finds nobody, at the same cost."""
        raw = bytearray(self._mac(b"sub", pool.id, fold(pool, name))[:16])
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(raw)))

    def burn_password_check(self, pool: UserPool, name: str, password: str) -> None:
        """Spend the time of a real password check against the stand-in; returns normally."""
        stand_in = self.user(pool, name)
        try:
            check_password(
                pool_name_from_pool_id(pool.id),
                stand_in.user_id_for_srp,
                password,
                stand_in.salt_hex,
                stand_in.verifier_hex,
            )
        except ProofMismatch:
            return

    def attempt_key(self, pool: UserPool, name: str) -> str:
        """The key under which failed attempts for the unknown ``name`` are counted (a MAC, so
        the names people try are not stored)."""
        return self._mac(b"attempts", pool.id, fold(pool, name)).hex()

    def _mac(self, label: bytes, pool_id: str, folded: str) -> bytes:
        message = label + b"\x00" + pool_id.encode() + b"\x00" + folded.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _verifier(self, pool_id: str, folded: str) -> int:
        # A value below N from the MAC, without an exponentiation, so that a simulated
        # challenge costs one modexp (for B) exactly like a real one.
        seed = self._mac(b"verifier", pool_id, folded)
        value = int.from_bytes(hashlib.shake_256(seed).digest(N_BYTES), "big") % N
        return value or 1


def _alias_shaped(pool: UserPool, name: str) -> bool:
    aliases = pool.alias_attributes
    return ("email" in aliases and "@" in name) or ("phone_number" in aliases and name.startswith("+"))


# The ``counters`` scope of failed sign-ins for names that are no user (see
# :func:`record_unknown_attempt`), and how long a count lasts: the lockout's idle reset.
UNKNOWN_ATTEMPTS_SCOPE: Final = "unknown-user-sign-ins"
UNKNOWN_ATTEMPTS_WINDOW: Final = 900.0


def record_unknown_attempt(
    uow: UnitOfWork, simulator: Simulator, pool: UserPool, name: str, now: float
) -> None:
    """Count a failed password sign-in for a name that is no user of ``pool``.

    A wrong password for a real user writes its lockout record and commits; without a write
    here the same answer for an unknown name came back measurably sooner (hardening suite 7:
    about 25% at the median), which tells the two apart. The count itself is kept for the
    same 15 minutes as a lockout record and purged with the other counters. The count is read
    first, as a real user's lockout record is read before its failure is written."""
    key = simulator.attempt_key(pool, name)
    uow.counters.get(UNKNOWN_ATTEMPTS_SCOPE, key, now=now)
    uow.counters.increment(UNKNOWN_ATTEMPTS_SCOPE, key, now=now, window=UNKNOWN_ATTEMPTS_WINDOW)
