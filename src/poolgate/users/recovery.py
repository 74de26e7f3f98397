"""Password recovery: ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from poolgate.errors import (
    CodeMismatchException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    UserNotFoundException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.pools.service import require_pool
from poolgate.store.base import UnitOfWork
from poolgate.users import codes, rules
from poolgate.users.attributes import mask_destination
from poolgate.users.common import Outgoing, UserDeps, send_code, verified_contact, with_new_password
from poolgate.users.lookup import find_user, require_user
from poolgate.users.model import User, UserStatus
from poolgate.users.signup import client_and_pool

FORGOT_PASSWORD = "FORGOT_PASSWORD"
NO_CONTACT_MESSAGE = "Cannot reset password for the user as there is no registered/verified email or phone_number"
DISABLED_MESSAGE = "User is disabled."


def hides_existence(client: AppClient) -> bool:
    """PreventUserExistenceErrors=ENABLED on the client."""
    return client.config.get("PreventUserExistenceErrors") == "ENABLED"


class RecoveryService:
    """Password reset by code; every method is one transaction (plus delivery after it)."""

    def __init__(self, deps: UserDeps) -> None:
        self.deps = deps

    def forgot_password(self, client_id: str, username: str, request: Mapping[str, Any]) -> dict[str, str]:
        """ForgotPassword: a reset code to the user's verified e-mail or phone."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            user = find_user(uow, pool, username)
            if user is None:
                if hides_existence(client):
                    return _simulated_delivery(username)
                raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
            if not user.enabled:
                raise NotAuthorizedException(DISABLED_MESSAGE)
            delivery = self._send_reset_code(uow, outgoing, pool, user)
            if delivery is None:
                raise InvalidParameterException(NO_CONTACT_MESSAGE)
        outgoing.deliver(self.deps.sender)
        return delivery

    def _send_reset_code(self, uow: UnitOfWork, outgoing: Outgoing, pool: UserPool, user: User) -> dict[str, str] | None:
        attribute = verified_contact(pool, user)
        if attribute is None:
            return None
        count = uow.counters.increment(
            "code-requests", f"{pool.id}/{user.sub}", now=self.deps.clock.now(), window=rules.RESEND_WINDOW
        )
        if count > rules.RESEND_LIMIT:
            raise LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
        # Trigger point: CustomMessage (CustomMessage_ForgotPassword).
        return send_code(
            self.deps, uow, outgoing, pool, user, purpose=FORGOT_PASSWORD, attribute=attribute,
            ttl=rules.FORGOT_PASSWORD_CODE_TTL, forgot_password=True,
        )

    def confirm_forgot_password(
        self, client_id: str, username: str, code: str, password: str, request: Mapping[str, Any]
    ) -> None:
        """ConfirmForgotPassword: checks the code and sets the new password."""
        target: User | None = None
        try:
            with self.deps.store.transaction() as uow:
                client, pool = client_and_pool(uow, client_id)
                check_secret_hash(client, username, request.get("SecretHash"))
                user = find_user(uow, pool, username)
                if user is None or (not user.enabled and hides_existence(client)):
                    if hides_existence(client):
                        raise CodeMismatchException(rules.CODE_MISMATCH_MESSAGE)
                    raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
                if not user.enabled:
                    raise NotAuthorizedException(DISABLED_MESSAGE)
                target = user
                now = self.deps.clock.now()
                codes.consume(
                    uow, self.deps.hasher, pool_id=pool.id, sub=user.sub, purpose=FORGOT_PASSWORD, code=code, now=now
                )
                status = UserStatus.CONFIRMED if user.status is not UserStatus.UNCONFIRMED else user.status
                updated = with_new_password(
                    pool, user, password, operation="ConfirmForgotPassword", now=now, status=status
                )
                uow.users.update(updated)
                # Trigger point: PostConfirmation (PostConfirmation_ConfirmForgotPassword).
        except CodeMismatchException:
            if target is not None:
                with self.deps.store.transaction() as uow:
                    uow.codes.record_failure(target.user_pool_id, target.sub, FORGOT_PASSWORD)
            raise

    def admin_reset_password(self, pool_id: str, username: str) -> None:
        """AdminResetUserPassword: the user must reset (RESET_REQUIRED); a reset code goes to a
        verified contact when there is one."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            if not user.enabled:
                raise NotAuthorizedException(DISABLED_MESSAGE)
            updated = replace(user, status=UserStatus.RESET_REQUIRED, updated_at=self.deps.clock.now())
            uow.users.update(updated)
            self._send_reset_code(uow, outgoing, pool, updated)
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
