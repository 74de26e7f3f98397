"""One-time codes (sign-up confirmation, password reset, attribute verification).

A code is six random digits. Only a keyed hash is stored: HMAC-SHA256 under a subkey of
the master key, bound to the pool, the user and the purpose, so a database dump does not
reveal pending codes and a code cannot be replayed for another purpose. Codes are
single-use, expire, and count attempts in the database (shared by every process), testing
the limit and counting in one atomic step.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from poolgate.errors import CodeMismatchException, ExpiredCodeException, LimitExceededException
from poolgate.store.base import Store, UnitOfWork
from poolgate.users import rules
from poolgate.users.model import StoredCode

# The code length, the attempt limit and the messages are decided in users/rules.py.
CODE_DIGITS = rules.CODE_LENGTH


class CodeHasher(Protocol):
    """Turns (pool, sub, purpose, code) into the value stored for it."""

    def __call__(self, pool_id: str, sub: str, purpose: str, code: str) -> str: ...


class HmacCodeHasher:
    """The production :class:`CodeHasher`: HMAC-SHA256 under a 32-byte key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, pool_id: str, sub: str, purpose: str, code: str) -> str:
        msg = f"{pool_id}\x1f{sub}\x1f{purpose}\x1f{code}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def issue(
    uow: UnitOfWork, hasher: CodeHasher, *, pool_id: str, sub: str, purpose: str, now: float, ttl: float
) -> str:
    """Store a new code for (user, purpose), replacing any pending one; return it in clear."""
    code = new_code()
    uow.codes.put(StoredCode(pool_id, sub, purpose, hasher(pool_id, sub, purpose, code), now, now + ttl, 0))
    return code


def consume(
    uow: UnitOfWork, hasher: CodeHasher, *, pool_id: str, sub: str, purpose: str, code: str, now: float
) -> None:
    """Check and use up a code.

    Raises ExpiredCodeException (none pending, or expired), LimitExceededException (the
    ``MAX_CODE_ATTEMPTS`` attempts are spent) or CodeMismatchException (wrong code). The
    attempt is counted before the code is compared, in one atomic step with the limit test
    (``CodeRepo.count_attempt``), so parallel guesses (threads or processes) get at most
    ``MAX_CODE_ATTEMPTS`` comparisons. A wrong code's count must survive the error: run this
    in :func:`checking`, which commits it. A right code is deleted, count and all.
    """
    stored = uow.codes.count_attempt(pool_id, sub, purpose, now=now, limit=rules.MAX_CODE_ATTEMPTS)
    if stored is None:
        pending = uow.codes.get(pool_id, sub, purpose)
        if pending is None or pending.expires_at <= now:
            raise ExpiredCodeException(rules.CODE_EXPIRED_MESSAGE)
        raise LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
    expected = hasher(pool_id, sub, purpose, code)
    if not hmac.compare_digest(expected, stored.code_hash):
        raise CodeMismatchException(rules.CODE_MISMATCH_MESSAGE)
    uow.codes.delete(pool_id, sub, purpose)


@contextmanager
def checking(store: Store) -> Iterator[UnitOfWork]:
    """A write transaction that checks a code with :func:`consume`: it commits when a
    CodeMismatchException ends it (keeping the counted attempt), then re-raises it; any other
    error rolls it back as usual. Write nothing before the check that a wrong code must not
    keep."""
    mismatch: CodeMismatchException | None = None
    with store.transaction() as uow:
        try:
            yield uow
        except CodeMismatchException as exc:
            mismatch = exc
    if mismatch is not None:
        raise mismatch
