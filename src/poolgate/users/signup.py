"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp.

Trigger points [spec triggers.md §4]: PreSignUp_SignUp, CustomMessage_SignUp and
CustomMessage_ResendCode before the write phase; PostConfirmation_ConfirmSignUp after the
commit of ConfirmSignUp, AdminConfirmSignUp and a SignUp that PreSignUp auto-confirmed.
A call runs in phases: a read-only transaction that raises every error it can, the
triggers, one write transaction that re-checks what may have changed, then delivery and
the "post" trigger. A failing PostConfirmation leaves the user confirmed and its error is
returned (spec §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

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
from poolgate.triggers.api import Caller, PreSignUpResult
from poolgate.users import attributes, codes, rules
from poolgate.users.common import (
    Outgoing,
    TriggerContext,
    UserDeps,
    check_free,
    limit_code_requests,
    limit_requests,
    make_password,
    new_sub,
    release_aliases,
    reload_user,
    save_user,
    send_code,
    stand_in_delivery,
    store_new_user,
)
from poolgate.users.lookup import find_user, require_user
from poolgate.users.messages import Draft, draft_code_message
from poolgate.users.model import User, UserStatus
from poolgate.users.simulated import CODE_ATTEMPTS_SCOPE, hides_existence

SIGN_UP = "SIGN_UP"
RESEND_DISABLED_MESSAGE = "Cannot resend codes. Auto verification not turned on."
# PreSignUp's auto-verify flags need the attribute they verify [spec triggers.md §6.1; the
# wording is Poolgate's].
AUTO_VERIFY_MISSING_MESSAGE = "Cannot auto verify {name}: the user has no {name} attribute."


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


def auto_verified(attrs: Mapping[str, str], verdict: PreSignUpResult) -> tuple[dict[str, str], list[str]]:
    """The attributes after PreSignUp's autoVerifyEmail / autoVerifyPhone, and the names it
    verified. InvalidParameterException when a flag names an attribute the user lacks."""
    result = dict(attrs)
    verified: list[str] = []
    for name, flag in (("email", verdict.auto_verify_email), ("phone_number", verdict.auto_verify_phone)):
        if not flag:
            continue
        if not result.get(name):
            raise InvalidParameterException(AUTO_VERIFY_MISSING_MESSAGE.format(name=name))
        result[f"{name}_verified"] = "true"
        verified.append(name)
    return result, verified


def confirmation_attributes(pool: UserPool) -> list[str]:
    """The attributes the pool sends confirmation codes to (AutoVerifiedAttributes), e-mail
    first."""
    auto = pool.config.get("AutoVerifiedAttributes") or ()
    return [attribute for attribute in ("email", "phone_number") if attribute in auto]


def confirmation_attribute(pool: UserPool, user: User) -> str | None:
    """Where a confirmation code goes: the first of e-mail and phone that the pool
    auto-verifies and the user has."""
    for attribute in confirmation_attributes(pool):
        if user.attributes.get(attribute):
            return attribute
    return None


class SignUpService:
    """Sign-up and confirmation."""

    def __init__(self, deps: UserDeps) -> None:
        self.deps = deps

    def sign_up(
        self,
        client_id: str,
        username: str,
        password: str,
        request: Mapping[str, Any],
        context: TriggerContext | None = None,
    ) -> SignUpResult:
        """SignUp: creates an UNCONFIRMED user and sends a code to an auto-verified attribute,
        or, when PreSignUp auto-confirms, a CONFIRMED user and no code. Raises the schema,
        password-policy and uniqueness errors before PreSignUp runs, the triggers' errors
        (nothing is stored then), and PostConfirmation's error after the user is stored."""
        context = context or TriggerContext()
        caller = context.for_client(client_id)
        with self.deps.store.transaction(readonly=True) as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            sub = new_sub()
            given = attributes.validate_attributes(
                pool,
                request.get("UserAttributes") or [],
                context="sign_up",
                write_attributes=client.config.get("WriteAttributes"),
            )
            internal, attrs = attributes.resolve_sign_up_username(pool, username, given, sub=sub)
            verifier = make_password(pool, internal, password, operation="SignUp")
            compromised = self.deps.screen(uow, pool, client_id, password, "SIGN_UP")
            check_free(uow, pool, internal, attrs, admin=False)
        verdict = self.deps.triggers.pre_sign_up(
            pool,
            source="SignUp",
            username=internal,
            attributes=attrs,
            validation_data=context.validation_data,
            client_metadata=context.client_metadata,
            caller=caller,
        )
        attrs, verified = auto_verified(attrs, verdict)
        now = self.deps.clock.now()
        status = UserStatus.CONFIRMED if verdict.auto_confirm else UserStatus.UNCONFIRMED
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
            password_set_at=now,
        )
        draft = None
        if not verdict.auto_confirm:
            draft = self._draft_confirmation(pool, user, "SignUp", context, caller)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client_and_pool(uow, client_id)
            # The alias of an auto-verified e-mail or phone moves to the new user (spec §6.1).
            movable = [name for name in verified if name in pool.alias_attributes]
            if movable:
                release_aliases(uow, pool, user, movable)
            store_new_user(uow, pool, user, admin=False)
            delivery = None
            if draft is not None:
                delivery = send_code(
                    self.deps, uow, outgoing, pool, user, draft, purpose=SIGN_UP, ttl=rules.SIGN_UP_CODE_TTL
                )
        outgoing.deliver(self.deps.sender)
        self.deps.on_sign_up(
            pool,
            client,
            user,
            request,
            source_ip=context.source_ip,
            user_agent=context.user_agent,
            compromised=compromised,
        )
        if verdict.auto_confirm:
            self.deps.triggers.post_confirmation(
                pool,
                source="ConfirmSignUp",
                user=user,
                client_metadata=context.client_metadata,
                caller=caller,
            )
        return SignUpResult(user, delivery)

    def _draft_confirmation(
        self, pool: UserPool, user: User, source: str, context: TriggerContext, caller: Caller
    ) -> Draft | None:
        attribute = confirmation_attribute(pool, user)
        if attribute is None:
            return None
        return draft_code_message(
            self.deps.triggers,
            pool,
            user,
            attribute=attribute,
            source=source,
            caller=caller,
            client_metadata=context.client_metadata,
        )

    def confirm(
        self,
        client_id: str,
        username: str,
        code: str,
        request: Mapping[str, Any],
        context: TriggerContext | None = None,
    ) -> None:
        """ConfirmSignUp: checks the code, confirms the user and verifies the attribute the
        code went to; then runs PostConfirmation_ConfirmSignUp. When the client hides
        existence, a name that is no user gets the CodeMismatchException of a wrong code
        (:meth:`_unknown_code_attempt`)."""
        context = context or TriggerContext()
        with codes.checking(self.deps.store) as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            found = find_user(uow, pool, username)
            if found is None and hides_existence(client):
                self._unknown_code_attempt(uow, pool, username, code)
            user = require_user(uow, pool, username) if found is None else found
            if user.status is UserStatus.CONFIRMED:
                raise NotAuthorizedException(rules.already_confirmed_message(user.status.value))
            codes.consume(
                uow,
                self.deps.hasher,
                pool_id=pool.id,
                sub=user.sub,
                purpose=SIGN_UP,
                code=code,
                now=self.deps.clock.now(),
            )
            confirmed = self._confirm(
                uow, pool, user, verify=True, force_alias=bool(request.get("ForceAliasCreation"))
            )
        self.deps.triggers.post_confirmation(
            pool,
            source="ConfirmSignUp",
            user=confirmed,
            client_metadata=context.client_metadata,
            caller=context.for_client(client_id),
        )

    def _unknown_code_attempt(self, uow: UnitOfWork, pool: UserPool, username: str, code: str) -> NoReturn:
        """For a name that is no user, what ``codes.consume`` does with a real user's pending
        code, in the same transaction: the attempt counted and tested against the limit in one
        atomic step (LimitExceededException past it), the code hashed, then CodeMismatchException
        [Developer Guide, "Managing user existence error responses": ConfirmSignUp answers
        CodeMismatchException when the code does not match]. ``codes.checking`` commits the count."""
        self.deps.simulation.read_user()
        key = self.deps.simulation.counter_key(pool, username, SIGN_UP)
        now = self.deps.clock.now()
        counted = uow.counters.increment(CODE_ATTEMPTS_SCOPE, key, now=now, window=rules.SIGN_UP_CODE_TTL)
        if counted > rules.MAX_CODE_ATTEMPTS:
            raise LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
        self.deps.hasher(pool.id, "", SIGN_UP, code)
        raise CodeMismatchException(rules.CODE_MISMATCH_MESSAGE)

    def _confirm(
        self, uow: UnitOfWork, pool: UserPool, user: User, *, verify: bool, force_alias: bool
    ) -> User:
        attrs = dict(user.attributes)
        if verify:
            attribute = confirmation_attribute(pool, user)
            if attribute is not None:
                attrs[f"{attribute}_verified"] = "true"
        confirmed = replace(
            user, status=UserStatus.CONFIRMED, attributes=attrs, updated_at=self.deps.clock.now()
        )
        if force_alias:
            release_aliases(uow, pool, confirmed)
        save_user(uow, pool, confirmed)
        return confirmed

    def admin_confirm(self, pool_id: str, username: str, context: TriggerContext | None = None) -> None:
        """AdminConfirmSignUp: only an UNCONFIRMED user can be confirmed; then
        PostConfirmation_ConfirmSignUp runs with the call's ClientMetadata."""
        context = context or TriggerContext()
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            if user.status is not UserStatus.UNCONFIRMED:
                raise NotAuthorizedException(rules.already_confirmed_message(user.status.value))
            confirmed = self._confirm(uow, pool, user, verify=False, force_alias=False)
        self.deps.triggers.post_confirmation(
            pool,
            source="ConfirmSignUp",
            user=confirmed,
            client_metadata=context.client_metadata,
            caller=context.caller,
        )

    def resend(
        self, client_id: str, username: str, request: Mapping[str, Any], context: TriggerContext | None = None
    ) -> dict[str, str]:
        """ResendConfirmationCode: a new code for an unconfirmed user, rate-limited per user;
        the text may come from CustomMessage_ResendCode. When the client hides existence, a
        name that is no user and a disabled user get a simulated delivery after the same
        request limit (``users/simulated.py``); a confirmed user still gets "User is already
        confirmed." (AWS's answer, docs/security.md item 4)."""
        context = context or TriggerContext()
        caller = context.for_client(client_id)
        with self.deps.store.transaction(readonly=True) as uow:
            client, pool = client_and_pool(uow, client_id)
            check_secret_hash(client, username, request.get("SecretHash"))
            user = find_user(uow, pool, username)
            simulate = hides_existence(client) and (user is None or not user.enabled)
            if simulate and user is None:
                self.deps.simulation.read_user()
            if simulate:
                self._check_simulated_resend(uow, pool, username, counting=False)
            else:
                user = require_user(uow, pool, username) if user is None else user
                self._check_resendable(uow, pool, user, counting=False)
        if simulate:
            return self._simulated_resend(client_id, pool, username)
        assert user is not None
        draft = self._draft_confirmation(pool, user, "ResendCode", context, caller)
        if draft is None:
            raise InvalidParameterException(RESEND_DISABLED_MESSAGE)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            client_and_pool(uow, client_id)
            user = reload_user(uow, pool, user)
            self._check_resendable(uow, pool, user, counting=True)
            delivery = send_code(
                self.deps, uow, outgoing, pool, user, draft, purpose=SIGN_UP, ttl=rules.SIGN_UP_CODE_TTL
            )
        outgoing.deliver(self.deps.sender)
        return delivery

    def _check_resendable(self, uow: UnitOfWork, pool: UserPool, user: User, *, counting: bool) -> None:
        """The user must still be unconfirmed and under the request limit. The read phase
        only looks at the counter; the write phase counts this request."""
        if user.status is UserStatus.CONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        limit_code_requests(self.deps, uow, pool, user, counting=counting)
        if confirmation_attribute(pool, user) is None:
            raise InvalidParameterException(RESEND_DISABLED_MESSAGE)

    def _check_simulated_resend(
        self, uow: UnitOfWork, pool: UserPool, username: str, *, counting: bool
    ) -> None:
        """:meth:`_check_resendable` for a simulated resend: the request limit under the name's
        key, and a pool that sends confirmation codes at all."""
        limit_requests(
            self.deps, uow, self.deps.simulation.counter_key(pool, username, SIGN_UP), counting=counting
        )
        if not confirmation_attributes(pool):
            raise InvalidParameterException(RESEND_DISABLED_MESSAGE)

    def _simulated_resend(self, client_id: str, pool: UserPool, username: str) -> dict[str, str]:
        """The write phase of a simulated resend: the request counted under the name's key and
        what a real delivery writes (``stand_in_delivery``); then CodeDeliveryDetails shaped
        like a real one."""
        details = self.deps.simulation.delivery(pool, username, confirmation_attributes(pool))

        def checks(uow: UnitOfWork) -> None:
            client_and_pool(uow, client_id)
            self._check_simulated_resend(uow, pool, username, counting=True)

        stand_in_delivery(
            self.deps,
            pool,
            username,
            checks=checks,
            purpose=SIGN_UP,
            ttl=rules.SIGN_UP_CODE_TTL,
            channel=details["DeliveryMedium"],
        )
        return details
