"""User status and account state on sign-in (auth-flows.md section 7).

Order in password flows: lockout -> disabled -> UNCONFIRMED -> RESET_REQUIRED -> password ->
temporary-password expiry -> the post-password pipeline. With PreventUserExistenceErrors
ENABLED, "disabled" and "reset required" move after the password (``existence``). SRP runs
the checks before the password when it issues B, and again when the proof arrives.
"""

from __future__ import annotations

from typing import Final

from poolgate.auth import existence, messages
from poolgate.errors import (
    CognitoError,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.common import password_policy
from poolgate.users.model import User, UserStatus

DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS: Final = 7

# Statuses that never sign in with a password: federated users and the legacy values
# [section 7: EXTERNAL_PROVIDER inferred, the rest a decision].
_NO_PASSWORD_SIGN_IN: Final = frozenset(
    {UserStatus.EXTERNAL_PROVIDER, UserStatus.ARCHIVED, UserStatus.COMPROMISED, UserStatus.UNKNOWN}
)


def check_before_password(user: User, client: AppClient, *, needs_password: bool = True) -> None:
    """Raise the account error that wins before the password is looked at. ``needs_password``
    False (CUSTOM_AUTH without SRP_A) lets a user without a password through."""
    deferred = existence.defers_account_errors(client)
    if not user.enabled and not deferred:
        raise NotAuthorizedException(messages.USER_DISABLED)
    if user.status is UserStatus.UNCONFIRMED:
        # Also with a wrong password: AWS confirmed this order is intended.
        raise UserNotConfirmedException(messages.USER_NOT_CONFIRMED)
    if user.status is UserStatus.RESET_REQUIRED and not deferred:
        raise PasswordResetRequiredException(messages.PASSWORD_RESET_REQUIRED)
    if user.status in _NO_PASSWORD_SIGN_IN or (needs_password and user.password is None):
        raise NotAuthorizedException(messages.INCORRECT_CREDENTIALS)


def check_at_issue(user: User) -> None:
    """Raise unless tokens may be issued to ``user`` as it stands in the token write phase: it
    may have been disabled, or had its password reset, since the step that authenticated it."""
    if not user.enabled:
        raise NotAuthorizedException(messages.USER_DISABLED)
    if user.status is UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException(messages.USER_NOT_CONFIRMED)
    if user.status is UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException(messages.PASSWORD_RESET_REQUIRED)
    if user.status in _NO_PASSWORD_SIGN_IN:
        raise NotAuthorizedException(messages.INCORRECT_CREDENTIALS)


def error_after_password(user: User, pool: UserPool, client: AppClient, now: float) -> CognitoError | None:
    """The account error that applies once the password is proven, if any."""
    if not user.enabled:
        return NotAuthorizedException(messages.USER_DISABLED)
    if user.status is UserStatus.RESET_REQUIRED:
        return PasswordResetRequiredException(messages.PASSWORD_RESET_REQUIRED)
    if temporary_password_expired(user, pool, now):
        return NotAuthorizedException(messages.ACCOUNT_EXPIRED)
    return None


def temporary_password_expired(user: User, pool: UserPool, now: float) -> bool:
    """True for a FORCE_CHANGE_PASSWORD user whose temporary password is older than the pool's
    ``TemporaryPasswordValidityDays`` (default 7)."""
    if user.status is not UserStatus.FORCE_CHANGE_PASSWORD or user.password_set_at is None:
        return False
    policy = password_policy(pool)
    days = policy.get("TemporaryPasswordValidityDays") or DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS
    return now - user.password_set_at > float(days) * 86400.0
