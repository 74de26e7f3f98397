"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp.

Trigger points (PreSignUp, PostConfirmation, CustomMessage) are named in comments where
the Lambda-trigger work will hook in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from poolgate.errors import (
    CodeMismatchException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.pools.service import require_client, require_pool
from poolgate.store.base import UnitOfWork
from poolgate.users import attributes, codes, rules
from poolgate.users.common import (
    Outgoing,
    UserDeps,
    make_password,
    new_sub,
    release_aliases,
    save_user,
    send_code,
    store_new_user,
)
from poolgate.users.lookup import require_user
from poolgate.users.model import User, UserStatus

SIGN_UP = "SIGN_UP"


@dataclass(frozen=True, slots=True)
class SignUpResult:
    user: User
    delivery: Mapping[str, str] | None


def client_and_pool(uow: UnitOfWork, client_id: str) -> tuple[AppClient, UserPool]:
    """The app client named by a public operation, and its pool."""
    client = require_client(uow, None, client_id)
    pool = uow.pools.get(client.user_pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
    return client, pool


class SignUpService:
    """Sign-up and confirmation; every method is one transaction (plus delivery after it)."""

    def __init__(self, deps: UserDeps) -> None:
        self.deps = deps

    def sign_up(self, client_id: str, username: str, password: str, request: Mapping[str, Any]) -> SignUpResult:
        """SignUp: creates an UNCONFIRMED user and sends a code to an auto-verified attribute."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            now = self.deps.clock.now()
            sub = new_sub()
            given = attributes.validate_attributes(
                pool,
                request.get("UserAttributes") or [],
                context="sign_up",
                write_attributes=client.config.get("WriteAttributes"),
            )
            internal, attrs = attributes.resolve_sign_up_username(pool, username, given, sub=sub)
            verifier = make_password(pool, internal, password, operation="SignUp")
            # Trigger point: PreSignUp (may auto-confirm and auto-verify).
            user = User(
                pool.id, internal, sub, UserStatus.UNCONFIRMED, True, {"sub": sub, **attrs}, now, now,
                password=verifier, password_set_at=now,
            )
            store_new_user(uow, pool, user, admin=False)
            delivery = self._send_confirmation(uow, outgoing, pool, user)
        outgoing.deliver(self.deps.sender)
        return SignUpResult(user, delivery)

    def _send_confirmation(
        self, uow: UnitOfWork, outgoing: Outgoing, pool: UserPool, user: User
    ) -> dict[str, str] | None:
        auto = pool.config.get("AutoVerifiedAttributes") or ()
        for attribute in ("email", "phone_number"):
            if attribute in auto and user.attributes.get(attribute):
                # Trigger point: CustomMessage (CustomMessage_SignUp / _ResendCode).
                return send_code(
                    self.deps, uow, outgoing, pool, user, purpose=SIGN_UP, attribute=attribute,
                    ttl=rules.SIGN_UP_CODE_TTL,
                )
        return None

    def confirm(self, client_id: str, username: str, code: str, request: Mapping[str, Any]) -> None:
        """ConfirmSignUp: checks the code, confirms the user and verifies the attribute the
        code went to."""
        target: User | None = None
        try:
            with self.deps.store.transaction() as uow:
                client, pool = client_and_pool(uow, client_id)
                check_secret_hash(client, username, request.get("SecretHash"))
                user = require_user(uow, pool, username)
                if user.status is UserStatus.CONFIRMED:
                    raise NotAuthorizedException(rules.already_confirmed_message(user.status.value))
                target = user
                codes.consume(
                    uow, self.deps.hasher, pool_id=pool.id, sub=user.sub, purpose=SIGN_UP, code=code,
                    now=self.deps.clock.now(),
                )
                self._confirm(uow, pool, user, verify=True, force_alias=bool(request.get("ForceAliasCreation")))
        except CodeMismatchException:
            if target is not None:
                self._count_failure(target.user_pool_id, target.sub)
            raise

    def _count_failure(self, pool_id: str, sub: str) -> None:
        with self.deps.store.transaction() as uow:
            uow.codes.record_failure(pool_id, sub, SIGN_UP)

    def _confirm(self, uow: UnitOfWork, pool: UserPool, user: User, *, verify: bool, force_alias: bool) -> None:
        attrs = dict(user.attributes)
        if verify:
            auto = pool.config.get("AutoVerifiedAttributes") or ()
            for attribute in ("email", "phone_number"):
                if attribute in auto and attrs.get(attribute):
                    attrs[f"{attribute}_verified"] = "true"
                    break
        confirmed = replace(user, status=UserStatus.CONFIRMED, attributes=attrs, updated_at=self.deps.clock.now())
        if force_alias:
            release_aliases(uow, pool, confirmed)
        save_user(uow, pool, confirmed)
        # Trigger point: PostConfirmation (PostConfirmation_ConfirmSignUp).

    def admin_confirm(self, pool_id: str, username: str) -> None:
        """AdminConfirmSignUp: only an UNCONFIRMED user can be confirmed."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            if user.status is not UserStatus.UNCONFIRMED:
                raise NotAuthorizedException(rules.already_confirmed_message(user.status.value))
            self._confirm(uow, pool, user, verify=False, force_alias=False)

    def resend(self, client_id: str, username: str, request: Mapping[str, Any]) -> dict[str, str]:
        """ResendConfirmationCode: a new code for an unconfirmed user, rate-limited per user."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            user = require_user(uow, pool, username)
            if user.status is UserStatus.CONFIRMED:
                raise InvalidParameterException("User is already confirmed.")
            self._limit_resend(uow, pool, user)
            delivery = self._send_confirmation(uow, outgoing, pool, user)
            if delivery is None:
                raise InvalidParameterException(
                    "Cannot resend codes. Auto verification not turned on."
                )
        outgoing.deliver(self.deps.sender)
        return delivery

    def _limit_resend(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        count = uow.counters.increment(
            "code-requests", f"{pool.id}/{user.sub}", now=self.deps.clock.now(), window=rules.RESEND_WINDOW
        )
        if count > rules.RESEND_LIMIT:
            raise LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
