"""The failed sign-in lockout (auth-flows.md section 10): pure functions of a
``LoginAttempts`` record and the time, and the two steps that read and write the record
(:func:`refuse_if_locked`, :func:`count_failure`).

- After ``FAILURES_BEFORE_LOCK`` (5) failed password checks the user is locked for 1 s; each
  further failure doubles the lock: ``2 ** (n - 5)`` seconds after the n-th failure, capped at
  ``MAX_LOCK_SECONDS`` (15 minutes).
- A sign-in attempted during a lock is refused with ``Password attempts exceeded`` without
  checking the password; it neither counts as a failure nor extends the lock.
- The record resets after ``IDLE_RESET_SECONDS`` (15 minutes) without any attempt. Attempts
  refused by a lock count as attempts here: they move ``last_failure_at`` (which therefore
  means "last failed or refused attempt") [decision: the docs say "without any sign-in
  attempt"]. A successful password check resets the record.

Applies to the password checks of USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and SRP
PASSWORD_VERIFIER, and to ChangePassword's ``PreviousPassword`` (one record per user: a guess
through either counts for both). The callers read the record under a row lock and commit
every change before they raise (the engine's ``state.Rejected``; ``SelfService.change_password``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from poolgate.store.base import LoginAttemptRepo, LoginAttempts

FAILURES_BEFORE_LOCK: Final = 5
FIRST_LOCK_SECONDS: Final = 1.0
MAX_LOCK_SECONDS: Final = 900.0
IDLE_RESET_SECONDS: Final = 900.0


def current(record: LoginAttempts, now: float) -> LoginAttempts:
    """The record as it stands at ``now``: a zero record once 15 minutes passed without attempts."""
    idle = record.last_failure_at is not None and now - record.last_failure_at >= IDLE_RESET_SECONDS
    if idle and not is_locked(record, now):
        return LoginAttempts()
    return record


def is_locked(record: LoginAttempts, now: float) -> bool:
    """True while a lock runs (the record should have gone through :func:`current`)."""
    return record.locked_until is not None and now < record.locked_until


def lock_seconds(failures: int) -> float:
    """How long the ``failures``-th consecutive failure locks the user (0 before the fifth)."""
    if failures < FAILURES_BEFORE_LOCK:
        return 0.0
    exponent = failures - FAILURES_BEFORE_LOCK
    # 2 ** 10 already exceeds the cap; stop there instead of building huge numbers.
    return min(FIRST_LOCK_SECONDS * 2.0 ** min(exponent, 10), MAX_LOCK_SECONDS)


def after_failure(record: LoginAttempts, now: float) -> LoginAttempts:
    """The record after a failed password check at ``now`` (``record`` already current)."""
    failures = record.failures + 1
    seconds = lock_seconds(failures)
    return LoginAttempts(
        failures=failures,
        last_failure_at=now,
        locked_until=now + seconds if seconds else None,
    )


def after_refused(record: LoginAttempts, now: float) -> LoginAttempts:
    """The record after an attempt refused because of a running lock: only the time moves."""
    return replace(record, last_failure_at=now)


def refuse_if_locked(repo: LoginAttemptRepo, pool_id: str, sub: str, now: float) -> bool:
    """Lock the user's record for this write transaction; True, after noting the refused
    attempt, while a lock runs (the caller refuses without checking the password)."""
    record = current(repo.get(pool_id, sub, for_update=True), now)
    if not is_locked(record, now):
        return False
    repo.save(pool_id, sub, after_refused(record, now))
    return True


def count_failure(repo: LoginAttemptRepo, pool_id: str, sub: str, now: float) -> None:
    """Count a failed password check of the user (record locked by :func:`refuse_if_locked`
    earlier in the same transaction)."""
    record = current(repo.get(pool_id, sub, for_update=True), now)
    repo.save(pool_id, sub, after_failure(record, now))
