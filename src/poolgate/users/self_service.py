"""Operations a signed-in user performs with an access token: GetUser, ChangePassword,
UpdateUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute,
DeleteUserAttributes, DeleteUser, GlobalSignOut (and AdminUserGlobalSignOut)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from poolgate.errors import (
    CognitoError,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    UserNotFoundException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import require_pool
from poolgate.security import lockout
from poolgate.srp import ProofMismatch, pool_name_from_pool_id
from poolgate.srp import check_password as srp_check_password
from poolgate.store.base import UnitOfWork
from poolgate.tokens.model import AccessContext
from poolgate.users import attributes, codes, rules
from poolgate.users.common import (
    VERIFIABLE,
    Outgoing,
    TriggerContext,
    UserDeps,
    save_user,
    send_code,
    with_new_password,
)
from poolgate.users.lookup import require_user
from poolgate.users.messages import Draft, draft_code_message
from poolgate.users.model import User, UserStatus

WRONG_PASSWORD_MESSAGE = "Incorrect username or password."
# Where a changed e-mail or phone waits for verification when the pool lists it in
# UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate.
PENDING = "pending_attributes"


class AccessTokenVerifier(Protocol):
    """The part of the TokenService this module needs."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        """The token's context, or the Cognito error for a bad, expired or revoked token."""

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        """Revoke every refresh token of the user and the access tokens issued before now."""


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """The verified holder of an access token."""

    pool: UserPool
    client: AppClient | None
    user: User


class SelfService:
    """Access-token operations; most are one transaction.

    UpdateUserAttributes and GetUserAttributeVerificationCode send codes whose text the
    CustomMessage trigger (``_UpdateUserAttribute``, ``_VerifyUserAttribute``) may replace:
    they check the token and the request in a read-only transaction, run the trigger, then
    check the token again and write in a new transaction.
    """

    def __init__(self, deps: UserDeps, tokens: AccessTokenVerifier) -> None:
        self.deps = deps
        self.tokens = tokens

    def _holder(self, uow: UnitOfWork, token: str) -> TokenHolder:
        context = self.tokens.verify_access_token(uow, token)
        pool = require_pool(uow, context.user_pool_id)
        user = context.user if context.user is not None else uow.users.get(pool.id, context.sub)
        if user is None:
            raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
        return TokenHolder(pool, uow.clients.get(context.client_id), user)

    def get_user(self, token: str) -> tuple[User, Sequence[str] | None]:
        """GetUser: the user and the attributes its app client may read (None: all)."""
        with self.deps.store.transaction(readonly=True) as uow:
            holder = self._holder(uow, token)
        readable = holder.client.config.get("ReadAttributes") if holder.client else None
        return holder.user, readable

    def change_password(self, token: str, previous: str | None, proposed: str) -> None:
        """ChangePassword: the previous password must match; the new one follows the policy.

        ``PreviousPassword`` is a password check like a sign-in's: it runs under the user's
        lockout record (``security.lockout``, locked for the transaction), a wrong one counts as a
        failed sign-in, and while a lock runs the call is refused with LimitExceededException
        ``Attempt limit exceeded, please try after some time.`` without checking, as Cognito
        answers ChangePassword then. Those writes are committed before the error is raised.
        """
        refused: CognitoError | None = None
        with self.deps.store.transaction() as uow:
            holder = self._holder(uow, token)
            if holder.user.password is None or previous is None:
                raise NotAuthorizedException(WRONG_PASSWORD_MESSAGE)
            checked = self._check_previous_password(uow, holder, previous)
            if isinstance(checked, CognitoError):
                refused = checked
            else:
                client_id = holder.client.client_id if holder.client else None
                self.deps.screen(uow, holder.pool, client_id, proposed, "PASSWORD_CHANGE")
                status = (
                    UserStatus.CONFIRMED
                    if checked.status is UserStatus.FORCE_CHANGE_PASSWORD
                    else checked.status
                )
                updated = with_new_password(
                    holder.pool,
                    checked,
                    proposed,
                    operation="ChangePassword",
                    now=self.deps.clock.now(),
                    status=status,
                )
                uow.users.update(updated)
        if refused is not None:
            raise refused

    def _check_previous_password(
        self, uow: UnitOfWork, holder: TokenHolder, previous: str
    ) -> User | CognitoError:
        """Check ``previous`` under the lockout. Returns the user as read under the record's
        lock when it matches (the record is then reset, as a successful sign-in resets it), else
        the error to raise once ``uow`` has committed what the lockout wrote."""
        pool, sub, now = holder.pool, holder.user.sub, self.deps.clock.now()
        repo = uow.login_attempts
        if lockout.refuse_if_locked(repo, pool.id, sub, now):
            return LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
        # Read again under the lock, so a password changed meanwhile by a parallel call is the
        # one checked (and replaced).
        user = uow.users.get(pool.id, sub)
        if user is None:
            raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
        if user.password is None:
            raise NotAuthorizedException(WRONG_PASSWORD_MESSAGE)
        try:
            srp_check_password(
                pool_name_from_pool_id(pool.id),
                user.username,
                previous,
                user.password.salt,
                user.password.verifier,
            )
        except ProofMismatch:
            lockout.count_failure(repo, pool.id, sub, now)
            return NotAuthorizedException(WRONG_PASSWORD_MESSAGE)
        repo.reset(pool.id, sub)
        return user

    def update_attributes(
        self, token: str, changes: Sequence[Mapping[str, str]], context: TriggerContext | None = None
    ) -> list[dict[str, str]]:
        """UpdateUserAttributes: returns the CodeDeliveryDetailsList of codes sent for a changed
        e-mail or phone the pool auto-verifies."""
        context = context or TriggerContext()
        with self.deps.store.transaction(readonly=True) as uow:
            holder = self._holder(uow, token)
            writable = holder.client.config.get("WriteAttributes") if holder.client else None
            given = attributes.validate_attributes(
                holder.pool, changes, context="user_update", write_attributes=writable
            )
        updated, to_verify = _apply_user_update(holder.pool, holder.user, given, self.deps.clock.now())
        drafts = {
            name: self._draft(holder, updated, name, "UpdateUserAttribute", context) for name in to_verify
        }
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            holder = self._holder(uow, token)
            # Apply the change to the user as stored now; codes go only where the trigger
            # has drafted a message.
            updated, to_verify = _apply_user_update(holder.pool, holder.user, given, self.deps.clock.now())
            save_user(uow, holder.pool, updated)
            deliveries = [
                send_code(
                    self.deps,
                    uow,
                    outgoing,
                    holder.pool,
                    updated,
                    drafts[name],
                    purpose=f"VERIFY_ATTRIBUTE:{name}",
                    ttl=rules.ATTRIBUTE_CODE_TTL,
                )
                for name in to_verify
                if name in drafts
            ]
        outgoing.deliver(self.deps.sender)
        return deliveries

    def _draft(
        self, holder: TokenHolder, user: User, name: str, source: str, context: TriggerContext
    ) -> Draft:
        """The verification message for ``name``, sent to a held-back new value if there is
        one."""
        pending = (user.settings.get(PENDING) or {}).get(name)
        return draft_code_message(
            self.deps.triggers,
            holder.pool,
            user,
            attribute=name,
            source=source,
            destination=pending,
            caller=context.for_client(holder.client.client_id if holder.client else None),
            client_metadata=context.client_metadata,
        )

    def get_verification_code(
        self, token: str, name: str, context: TriggerContext | None = None
    ) -> dict[str, str]:
        """GetUserAttributeVerificationCode for ``email`` or ``phone_number``."""
        context = context or TriggerContext()
        with self.deps.store.transaction(readonly=True) as uow:
            holder = self._verifiable(uow, token, name)
        draft = self._draft(holder, holder.user, name, "VerifyUserAttribute", context)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            holder = self._verifiable(uow, token, name)
            delivery = send_code(
                self.deps,
                uow,
                outgoing,
                holder.pool,
                holder.user,
                draft,
                purpose=f"VERIFY_ATTRIBUTE:{name}",
                ttl=rules.ATTRIBUTE_CODE_TTL,
            )
        outgoing.deliver(self.deps.sender)
        return delivery

    def _verifiable(self, uow: UnitOfWork, token: str, name: str) -> TokenHolder:
        holder = self._holder(uow, token)
        if name not in VERIFIABLE:
            raise InvalidParameterException(f"Invalid attribute name: {name}")
        has_value = holder.user.attributes.get(name) or (holder.user.settings.get(PENDING) or {}).get(name)
        if not has_value:
            raise InvalidParameterException(f"User does not have a value for the attribute: {name}")
        return holder

    def verify_attribute(self, token: str, name: str, code: str) -> None:
        """VerifyUserAttribute: marks the attribute verified (applying a held-back value)."""
        purpose = f"VERIFY_ATTRIBUTE:{name}"
        with codes.checking(self.deps.store) as uow:
            holder = self._holder(uow, token)
            if name not in VERIFIABLE:
                raise InvalidParameterException(f"Invalid attribute name: {name}")
            codes.consume(
                uow,
                self.deps.hasher,
                pool_id=holder.pool.id,
                sub=holder.user.sub,
                purpose=purpose,
                code=code,
                now=self.deps.clock.now(),
            )
            pending = dict(holder.user.settings.get(PENDING) or {})
            merged = dict(holder.user.attributes)
            if name in pending:
                merged[name] = pending.pop(name)
            merged[f"{name}_verified"] = "true"
            settings = {k: v for k, v in holder.user.settings.items() if k != PENDING}
            if pending:
                settings[PENDING] = pending
            save_user(
                uow,
                holder.pool,
                replace(holder.user, attributes=merged, settings=settings, updated_at=self.deps.clock.now()),
            )

    def delete_attributes(self, token: str, names: Sequence[str]) -> None:
        """DeleteUserAttributes: the checks of UpdateUserAttributes (the client's
        ``WriteAttributes``, verification flags, developer-only, ``sub``, immutable and unknown
        attributes), and required attributes cannot be deleted."""
        with self.deps.store.transaction() as uow:
            holder = self._holder(uow, token)
            writable = holder.client.config.get("WriteAttributes") if holder.client else None
            merged = dict(holder.user.attributes)
            for name in attributes.check_deletable(
                holder.pool, names, context="user_update", write_attributes=writable
            ):
                merged.pop(name, None)
                if name in VERIFIABLE:
                    merged.pop(f"{name}_verified", None)
            save_user(
                uow, holder.pool, replace(holder.user, attributes=merged, updated_at=self.deps.clock.now())
            )

    def delete_user(self, token: str) -> None:
        with self.deps.store.transaction() as uow:
            holder = self._holder(uow, token)
            uow.users.delete(holder.pool.id, holder.user.sub)

    def global_sign_out(self, token: str) -> None:
        with self.deps.store.transaction() as uow:
            holder = self._holder(uow, token)
            self.tokens.global_sign_out(uow, holder.pool, holder.user)

    def admin_global_sign_out(self, pool_id: str, username: str) -> None:
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            self.tokens.global_sign_out(uow, pool, require_user(uow, pool, username))


def _apply_user_update(
    pool: UserPool, user: User, given: Mapping[str, str], now: float
) -> tuple[User, list[str]]:
    """``user`` with the checked changes of UpdateUserAttributes applied, and the attributes
    to send a verification code for. A changed e-mail or phone the pool holds back until it
    is verified waits in ``settings[PENDING]``; otherwise it becomes unverified."""
    merged = dict(user.attributes)
    pending: dict[str, str] = dict(user.settings.get(PENDING) or {})
    auto = pool.config.get("AutoVerifiedAttributes") or ()
    held_back = (pool.config.get("UserAttributeUpdateSettings") or {}).get(
        "AttributesRequireVerificationBeforeUpdate"
    ) or ()
    to_verify: list[str] = []
    for name, value in given.items():
        changed = merged.get(name) != value
        if name in VERIFIABLE and changed:
            if name in auto:
                to_verify.append(name)
            if name in held_back and merged.get(name):
                pending[name] = value
                continue
            merged[f"{name}_verified"] = "false"
        merged[name] = value
    settings = {**user.settings, PENDING: pending} if pending else dict(user.settings)
    return replace(user, attributes=merged, settings=settings, updated_at=now), to_verify
