"""Password recovery: ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword.

Each call reads and checks in a read-only transaction, runs its triggers, then writes in one
transaction that re-checks what may have changed (the user, the request limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from poolgate.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.pools.service import require_pool
from poolgate.store.base import UnitOfWork
from poolgate.triggers.api import Caller
from poolgate.users import codes, rules
from poolgate.users.attributes import mask_destination
from poolgate.users.common import (
    Outgoing,
    TriggerContext,
    UserDeps,
    limit_code_requests,
    reload_user,
    send_code,
    verified_contact,
    with_new_password,
)
from poolgate.users.lookup import find_user, require_user
from poolgate.users.messages import Draft, draft_code_message
from poolgate.users.migration import Migrated, migrated_user, store_migrated_user
from poolgate.users.model import User, UserStatus
from poolgate.users.signup import client_and_pool

FORGOT_PASSWORD = "FORGOT_PASSWORD"
NO_CONTACT_MESSAGE = "Cannot reset password for the user as there is no registered/verified email or phone_number"
DISABLED_MESSAGE = "User is disabled."


def hides_existence(client: AppClient) -> bool:
    """PreventUserExistenceErrors=ENABLED on the client."""
    return client.config.get("PreventUserExistenceErrors") == "ENABLED"


class RecoveryService:
    """Password reset by code.

    Trigger points [spec triggers.md §4]: UserMigration_ForgotPassword (ForgotPassword for an
    unknown user) and CustomMessage_ForgotPassword (ForgotPassword, AdminResetUserPassword)
    run between the read-only phase and the write transaction;
    PostConfirmation_ConfirmForgotPassword runs after ConfirmForgotPassword commits.
    """

    def __init__(self, deps: UserDeps) -> None:
        self.deps = deps

    def forgot_password(
        self, client_id: str, username: str, request: Mapping[str, Any], context: TriggerContext | None = None
    ) -> dict[str, str]:
        """ForgotPassword: a reset code to the user's verified e-mail or phone. An unknown
        user may be created by the UserMigration trigger first; without one, the answer is
        UserNotFoundException, or a simulated delivery when the client hides existence."""
        context = context or TriggerContext()
        caller = context.for_client(client_id)
        with self.deps.store.transaction(readonly=True) as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            user = find_user(uow, pool, username)
            if user is not None:
                attribute = self._check_resettable(uow, pool, user, counting=False)
        migrated: Migrated | None = None
        if user is None:
            result = self.deps.triggers.user_migration(
                pool, source="ForgotPassword", username=username, password=None, validation_data=None,
                client_metadata=context.client_metadata, caller=caller,
            )
            if result is None:
                if hides_existence(client):
                    return _simulated_delivery(username)
                raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
            migrated = migrated_user(pool, username, result, now=self.deps.clock.now())
            user = migrated.user
            found = verified_contact(pool, user)
            if found is None:
                raise InvalidParameterException(NO_CONTACT_MESSAGE)
            attribute = found
        draft = self._draft(pool, user, attribute, context, caller)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client_and_pool(uow, client_id)
            if migrated is None:
                user = reload_user(uow, pool, user)
            else:
                # A concurrent call may have migrated the same user meanwhile; then reset that one.
                existing = find_user(uow, pool, username)
                if existing is None:
                    store_migrated_user(uow, pool, migrated)
                else:
                    user = existing
            self._check_resettable(uow, pool, user, counting=True)
            delivery = send_code(
                self.deps, uow, outgoing, pool, user, draft, purpose=FORGOT_PASSWORD,
                ttl=rules.FORGOT_PASSWORD_CODE_TTL,
            )
        outgoing.deliver(self.deps.sender)
        return delivery

    def _check_resettable(self, uow: UnitOfWork, pool: UserPool, user: User, *, counting: bool) -> str:
        """The attribute a reset code for ``user`` goes to. Raises NotAuthorizedException for
        a disabled user, InvalidParameterException without a verified contact and
        LimitExceededException past the request limit (the read phase only looks at the
        counter; the write phase counts the request)."""
        if not user.enabled:
            raise NotAuthorizedException(DISABLED_MESSAGE)
        attribute = verified_contact(pool, user)
        if attribute is None:
            raise InvalidParameterException(NO_CONTACT_MESSAGE)
        self._limit(uow, pool, user, counting=counting)
        return attribute

    def _limit(self, uow: UnitOfWork, pool: UserPool, user: User, *, counting: bool) -> None:
        limit_code_requests(self.deps, uow, pool, user, counting=counting)

    def _draft(
        self, pool: UserPool, user: User, attribute: str, context: TriggerContext, caller: Caller
    ) -> Draft:
        return draft_code_message(
            self.deps.triggers, pool, user, attribute=attribute, source="ForgotPassword", caller=caller,
            client_metadata=context.client_metadata, forgot_password=True,
        )

    def confirm_forgot_password(
        self, client_id: str, username: str, code: str, password: str, request: Mapping[str, Any],
        context: TriggerContext | None = None,
    ) -> None:
        """ConfirmForgotPassword: checks the code and sets the new password; then
        PostConfirmation_ConfirmForgotPassword runs (its failure leaves the password set)."""
        context = context or TriggerContext()
        with codes.checking(self.deps.store) as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            user = find_user(uow, pool, username)
            if user is None or (not user.enabled and hides_existence(client)):
                if hides_existence(client):
                    raise CodeMismatchException(rules.CODE_MISMATCH_MESSAGE)
                raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
            if not user.enabled:
                raise NotAuthorizedException(DISABLED_MESSAGE)
            now = self.deps.clock.now()
            codes.consume(
                uow, self.deps.hasher, pool_id=pool.id, sub=user.sub, purpose=FORGOT_PASSWORD, code=code, now=now
            )
            status = UserStatus.CONFIRMED if user.status is not UserStatus.UNCONFIRMED else user.status
            updated = with_new_password(
                pool, user, password, operation="ConfirmForgotPassword", now=now, status=status
            )
            uow.users.update(updated)
        self.deps.triggers.post_confirmation(
            pool, source="ConfirmForgotPassword", user=updated, client_metadata=context.client_metadata,
            caller=context.for_client(client_id),
        )

    def admin_reset_password(
        self, pool_id: str, username: str, context: TriggerContext | None = None
    ) -> None:
        """AdminResetUserPassword: the user must reset (RESET_REQUIRED); a reset code goes to a
        verified contact when there is one, in words CustomMessage_ForgotPassword may choose."""
        context = context or TriggerContext()
        with self.deps.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            if not user.enabled:
                raise NotAuthorizedException(DISABLED_MESSAGE)
            attribute = verified_contact(pool, user)
            if attribute is not None:
                self._limit(uow, pool, user, counting=False)
        target = replace(user, status=UserStatus.RESET_REQUIRED)
        draft = None if attribute is None else self._draft(pool, target, attribute, context, context.caller)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            user = reload_user(uow, pool, user)
            if not user.enabled:
                raise NotAuthorizedException(DISABLED_MESSAGE)
            updated = replace(user, status=UserStatus.RESET_REQUIRED, updated_at=self.deps.clock.now())
            uow.users.update(updated)
            if draft is not None:
                self._limit(uow, pool, updated, counting=True)
                send_code(
                    self.deps, uow, outgoing, pool, updated, draft, purpose=FORGOT_PASSWORD,
                    ttl=rules.FORGOT_PASSWORD_CODE_TTL,
                )
        outgoing.deliver(self.deps.sender)


def _simulated_delivery(username: str) -> dict[str, str]:
    """What ForgotPassword answers for an unknown user when existence errors are hidden:
    a plausible masked destination derived from the name alone [decision]."""
    channel = "EMAIL" if "@" in username else "SMS"
    destination = username if channel == "EMAIL" else "+10000000000"
    return {
        "Destination": mask_destination(channel, destination),
        "DeliveryMedium": channel,
        "AttributeName": "email" if channel == "EMAIL" else "phone_number",
    }
