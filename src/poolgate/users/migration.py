"""Users created from a UserMigration trigger's answer [spec triggers.md §6.9].

``migrated_user`` turns a :class:`MigrationResult` into a :class:`User` without touching the
store (so a caller can build it between its read phase and its write phase), and
``store_migrated_user`` inserts it. ForgotPassword uses both for
``UserMigration_ForgotPassword``; they do not depend on the operation, so the sign-in path
(``UserMigration_Authentication``) can use them too.

Decisions where the documentation is silent:

* The answer's ``userAttributes`` are checked against the pool's schema like
  AdminCreateUser's (InvalidParameterException); ``sub``, ``username`` and ``cognito:*``
  keys in it are ignored, since Cognito assigns those.
* The internal username is what the user typed, except where AdminCreateUser would make it
  the ``sub`` (UsernameAttributes pools) and where the typed name is an e-mail or phone
  number that the pool uses as an alias (such a username is not allowed there); the user is
  then found through the alias.
* ``finalUserStatus`` other than ``CONFIRMED`` or ``RESET_REQUIRED`` is an
  InvalidLambdaResponseException, and so is ``enableSMSMFA`` without a ``phone_number``.
* The pool's password policy is not applied to a migrated password (documented).
"""

from __future__ import annotations

from dataclasses import dataclass

from poolgate.errors import InvalidLambdaResponseException, InvalidParameterException
from poolgate.pools.model import UserPool
from poolgate.srp import make_verifier, pool_name_from_pool_id
from poolgate.store.base import UnitOfWork
from poolgate.triggers.api import MigrationResult
from poolgate.users import attributes
from poolgate.users.common import new_sub, release_aliases, store_new_user
from poolgate.users.model import PasswordVerifier, User, UserStatus

FINAL_STATUSES = {"CONFIRMED": UserStatus.CONFIRMED, "RESET_REQUIRED": UserStatus.RESET_REQUIRED}
# What Cognito keeps for a user whose SMS MFA was switched on by the migration.
SMS_MFA_SETTINGS = {
    "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
    "UserMFASettingList": ["SMS_MFA"],
    "PreferredMfaSetting": "SMS_MFA",
}


@dataclass(frozen=True, slots=True)
class Migrated:
    """A user built from a UserMigration answer, not stored yet."""

    user: User
    force_alias_creation: bool


def migrated_user(
    pool: UserPool, typed_name: str, result: MigrationResult, *, now: float, password: str | None = None
) -> Migrated:
    """The user that ``result`` describes for the sign-in name ``typed_name``; with
    ``password`` (the sign-in path), its verifier is stored without a policy check."""
    given = {
        name: value
        for name, value in result.attributes.items()
        if name not in ("sub", "username") and not name.startswith("cognito:")
    }
    checked = attributes.validate_attributes(pool, given, context="admin_create")
    sub = new_sub()
    try:
        internal, attrs = attributes.resolve_sign_up_username(pool, typed_name, checked, sub=sub)
    except InvalidParameterException:
        if pool.username_attributes:
            raise
        internal, attrs = sub, checked
    status = FINAL_STATUSES.get(result.final_status or "RESET_REQUIRED")
    if status is None:
        raise InvalidLambdaResponseException(
            f"Invalid lambda function output : finalUserStatus {result.final_status} is not supported"
        )
    settings: dict[str, object] = {}
    if result.enable_sms_mfa:
        if not attrs.get("phone_number"):
            raise InvalidLambdaResponseException(
                "Invalid lambda function output : enableSMSMFA requires a phone_number attribute"
            )
        settings.update(SMS_MFA_SETTINGS)
    verifier = None
    if password is not None:
        salt, value = make_verifier(pool_name_from_pool_id(pool.id), internal, password)
        verifier = PasswordVerifier(salt, value)
    user = User(
        pool.id,
        internal,
        sub,
        status,
        True,
        {"sub": sub, **attrs},
        now,
        now,
        password=verifier,
        password_set_at=now if verifier else None,
        settings=settings,
    )
    return Migrated(user, result.force_alias_creation)


def store_migrated_user(uow: UnitOfWork, pool: UserPool, migrated: Migrated) -> None:
    """Insert the migrated user, first taking over its aliases when the answer asked for
    ``forceAliasCreation``; UsernameExistsException / AliasExistsException otherwise."""
    if migrated.force_alias_creation:
        release_aliases(uow, pool, migrated.user)
    store_new_user(uow, pool, migrated.user, admin=True)
