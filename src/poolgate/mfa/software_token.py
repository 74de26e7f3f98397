"""Software-token (TOTP) MFA for one user: association, verification of the enrolment, and
the code check at sign-in (mfa-devices-security.md section 3).

Functions of a ``User`` value that return the updated user; the callers read the user in a
write phase (under :func:`lock_user`) and save what comes back. Secrets are sealed by
``MfaDeps.seeds`` before they reach ``User.settings``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from poolgate.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    SoftwareTokenMFANotFoundException,
)
from poolgate.mfa import messages, pool_config, user_settings
from poolgate.mfa.deps import MfaDeps
from poolgate.mfa.model import SOFTWARE_TOKEN_MFA
from poolgate.mfa.seeds import SeedError
from poolgate.mfa.totp import CodeReused, InvalidCode, Totp, new_secret, to_base32
from poolgate.mfa.user_settings import TotpRecord
from poolgate.pools.model import UserPool
from poolgate.store.base import UnitOfWork
from poolgate.users.model import User

log = logging.getLogger("poolgate.mfa")


def lock_user(uow: UnitOfWork, pool_id: str, sub: str) -> User | None:
    """The user read under a per-user lock for the rest of the write phase (the lockout row's
    lock, the one every password check takes), so two concurrent answers cannot both accept
    the same TOTP time step."""
    uow.login_attempts.get(pool_id, sub, for_update=True)
    return uow.users.get(pool_id, sub)


def check_on_pool(pool: UserPool) -> None:
    """SoftwareTokenMFANotFoundException ``Software Token MFA has not been enabled by the
    userPool`` unless ``pool`` offers TOTP (AssociateSoftwareToken checks it)."""
    if not pool_config.pool_mfa(pool).totp:
        raise SoftwareTokenMFANotFoundException(messages.TOTP_DISABLED_ON_POOL)


def associate(deps: MfaDeps, user: User, *, now: float) -> tuple[str, User]:
    """A new pending secret for ``user`` (replacing any earlier pending one; a verified token
    stays until the new one is verified). Returns the secret in Base32 and the updated user."""
    secret = new_secret()
    record = user_settings.read(user).totp
    record = replace(record, pending=deps.seeds.seal(user.user_pool_id, user.sub, secret))
    return to_base32(secret), _with_record(user, record, now)


def verify_enrolment(deps: MfaDeps, user: User, code: str, *, now: float, device_name: str | None) -> User:
    """VerifySoftwareToken: the pending secret becomes the user's verified token when ``code``
    is its current code. Enabling the factor is left to the caller.

    Raises SoftwareTokenMFANotFoundException without a pending secret (or with one that does
    not open, see :func:`_open`), and EnableSoftwareTokenMFAException ``Code mismatch and fail enable Software Token MFA`` for a
    wrong code.
    """
    record = user_settings.read(user).totp
    if record.pending is None:
        raise SoftwareTokenMFANotFoundException(messages.NOT_ASSOCIATED)
    totp = Totp(_open(deps, user, record.pending, kind="pending", message=messages.NOT_ASSOCIATED))
    try:
        step = totp.verify(code, now)
    except InvalidCode:
        raise EnableSoftwareTokenMFAException(messages.ENABLE_MISMATCH) from None
    verified = TotpRecord(
        secret=record.pending, pending=None, last_step=step, device_name=device_name or None
    )
    return _with_record(user, verified, now)


def verify_sign_in(deps: MfaDeps, user: User, code: str, *, now: float) -> User:
    """The SOFTWARE_TOKEN_MFA answer: ``code`` must be a current code of the verified token,
    of a later time step than the last accepted one. Returns the user with that step recorded.

    Raises SoftwareTokenMFANotFoundException ``Software Token MFA does not exist for the
    user.`` without a verified token (or with one that does not open, see :func:`_open`),
    CodeMismatchException ``Invalid code or auth state for the user.`` for a wrong code, and
    ExpiredCodeException ``Your software token has already been used once.`` for a right code
    whose time step was already accepted (at sign-in or by VerifySoftwareToken), as Cognito
    answers it (see ``messages.TOKEN_REUSED``).
    """
    record = user_settings.read(user).totp
    if record.secret is None:
        raise SoftwareTokenMFANotFoundException(messages.TOTP_NOT_FOUND)
    totp = Totp(_open(deps, user, record.secret, kind="verified", message=messages.TOTP_NOT_FOUND))
    try:
        step = totp.verify(code, now, last_used_step=record.last_step)
    except CodeReused:
        raise ExpiredCodeException(messages.TOKEN_REUSED) from None
    except InvalidCode:
        raise CodeMismatchException(messages.INVALID_CODE) from None
    # A sign-in is not a change of the user: UserLastModifiedDate stays.
    return replace(user, settings=user_settings.with_totp(user.settings, replace(record, last_step=step)))


def enable_preferred(user: User, *, now: float) -> User:
    """``user`` with TOTP enabled and preferred (the end of MFA_SETUP)."""
    state = user_settings.read(user)
    enabled = (*state.enabled, SOFTWARE_TOKEN_MFA)
    settings = user_settings.with_state(user.settings, enabled, SOFTWARE_TOKEN_MFA)
    return replace(user, settings=settings, updated_at=now)


def _open(deps: MfaDeps, user: User, sealed: str, *, kind: str, message: str) -> bytes:
    """The secret ``sealed`` holds. One that does not open (altered, copied from another user,
    or sealed under another master key, e.g. in an export imported with a different key) is
    logged for the operator and answered as if the user had no such token:
    SoftwareTokenMFANotFoundException with ``message``, never a server error. The user can
    recover by associating a new token (or an administrator by turning TOTP off for them)."""
    try:
        return deps.seeds.open(user.user_pool_id, user.sub, sealed)
    except SeedError as exc:
        log.error(
            "the %s TOTP secret of user %s in pool %s cannot be opened (%s); answering "
            "SoftwareTokenMFANotFoundException",
            kind,
            user.sub,
            user.user_pool_id,
            exc,
        )
        raise SoftwareTokenMFANotFoundException(message) from None


def _with_record(user: User, record: TotpRecord, now: float) -> User:
    return replace(user, settings=user_settings.with_totp(user.settings, record), updated_at=now)
