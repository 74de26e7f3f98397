"""USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and its legacy name ADMIN_NO_SRP_AUTH
(auth-flows.md section 4.2): the plain password is checked against the stored SRP verifier.

Order: USERNAME, PASSWORD -> SECRET_HASH -> user lookup (read phase) -> UserMigration for an
unknown user (the only flows that can migrate: they see the password) -> PreAuthentication ->
write phase: the user read again, lockout and account checks -> password -> account checks that
wait for the password -> pipeline. When the pool has neither UserMigration nor
PreAuthentication, the read phase is skipped and the write phase looks the user up itself.

An unknown user that UserMigration does not know either gets ``NotAuthorizedException``
``Incorrect username or password.`` whatever the existence setting (triggers.md section 6.9,
observed for an empty migration answer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import ClassVar

from poolgate.auth import messages
from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import hides_existence, record_unknown_attempt, unknown_user_error
from poolgate.auth.first_factor import password_step
from poolgate.auth.flows.base import Gate
from poolgate.auth.hooks import migrate_user, pre_authentication
from poolgate.auth.state import AuthFlow, ChallengeName, Outcome, Passed
from poolgate.errors import NotAuthorizedException
from poolgate.security.config import security_mode
from poolgate.security.risk import SecurityMode
from poolgate.srp import ProofMismatch, check_password, pool_name_from_pool_id
from poolgate.users.lookup import find_user
from poolgate.users.model import User


class _PasswordFlow:
    """The shared body of the plain-password flows."""

    flows: ClassVar[tuple[AuthFlow, ...]] = ()

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> str:
        username = required(parameters, "USERNAME")
        required(parameters, "PASSWORD")
        return username

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        username = parameters["USERNAME"]
        password = parameters["PASSWORD"]
        triggers = ctx.triggers
        if not (
            triggers.configured(ctx.pool, "UserMigration")
            or triggers.configured(ctx.pool, "PreAuthentication")
        ):
            # No trigger needs the user before the password step: look it up in the step's own
            # write phase and save a transaction (the common case, and the benchmarked one).
            found = self._step(
                ctx,
                flow,
                parameters,
                password,
                lambda phase: find_user(phase.uow, ctx.pool, username),
                unknown=username,
            )
            if found is None:
                raise unknown_user_error(ctx.client)
            return _screened(ctx, found, password)
        with ctx.reading() as phase:
            user = find_user(phase.uow, ctx.pool, username)
        migrating = user is None and triggers.configured(ctx.pool, "UserMigration")
        if user is None and migrating:
            user = migrate_user(ctx, username, password)
        pre_authentication(ctx, username, user)
        if user is None:
            with ctx.writing() as phase:
                _unknown_user_attempt(phase, username, password)
            if migrating:
                raise NotAuthorizedException(messages.INCORRECT_CREDENTIALS)
            raise unknown_user_error(ctx.client)
        sub = user.sub
        outcome = self._step(
            ctx, flow, parameters, password, lambda phase: phase.uow.users.get(ctx.pool.id, sub)
        )
        if outcome is None:
            # Deleted since the read phase.
            raise unknown_user_error(ctx.client)
        return _screened(ctx, outcome, password)

    @staticmethod
    def _step(
        ctx: StepContext,
        flow: AuthFlow,
        parameters: Mapping[str, str],
        password: str,
        load: Callable[[StepContext], User | None],
        *,
        unknown: str | None = None,
    ) -> Outcome | None:
        """The password step in a write phase, for the user ``load`` reads in it. None when
        there is no such user; then, given the ``unknown`` name typed, the phase spends what a
        failed attempt of a real user costs (``_unknown_user_attempt``)."""
        with ctx.writing() as phase:
            current = load(phase)
            if current is None:
                if unknown is not None:
                    _unknown_user_attempt(phase, unknown, password)
                return None
            session = phase.session_for(flow, current, parameters.get("DEVICE_KEY"))
            return password_step(
                phase, current, session, ChallengeName.PASSWORD, _verifier(ctx, current, password)
            )


def _unknown_user_attempt(phase: StepContext, username: str, password: str) -> None:
    """In a write phase: what a wrong password costs a real user, for a name that is none: the
    password checked against the name's stand-in verifier and, when the client hides user
    existence, the failure counted (``existence.record_unknown_attempt``)."""
    phase.simulator.burn_password_check(phase.pool, username, password)
    if hides_existence(phase.client):
        record_unknown_attempt(phase.uow, phase.simulator, phase.pool, username, phase.now)


def _screened(ctx: StepContext, outcome: Outcome, password: str) -> Outcome:
    """A passed password checked against the compromised list (threat protection, SIGN_IN) in
    a read phase of its own; a hit is carried on the session for ``auth.threat`` to record and,
    when the configuration says BLOCK, refuse."""
    if ctx.threat is None or not isinstance(outcome, Passed) or security_mode(ctx.pool) is SecurityMode.OFF:
        return outcome
    with ctx.reading() as phase:
        hit = ctx.threat.screen_password(phase.uow, ctx.pool, ctx.client.client_id, password, "SIGN_IN")
    return Passed(replace(outcome.session, risk_compromised=True), outcome.user) if hit else outcome


def _verifier(ctx: StepContext, user: User, password: str) -> Callable[[], None]:
    """The check of ``password`` against ``user``'s stored verifier."""
    pool_name = pool_name_from_pool_id(ctx.pool.id)
    stored = user.password

    def verify() -> None:
        if stored is None:
            raise ProofMismatch("the user has no password")
        check_password(pool_name, user.username, password, stored.salt, stored.verifier)

    return verify


class UserPasswordAuth(_PasswordFlow):
    """USER_PASSWORD_AUTH, for InitiateAuth."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.USER_PASSWORD_AUTH,)
    gate: ClassVar[Gate] = Gate(
        initiate=True, admin=False, allow="ALLOW_USER_PASSWORD_AUTH", legacy="USER_PASSWORD_AUTH"
    )


class AdminUserPasswordAuth(_PasswordFlow):
    """ADMIN_USER_PASSWORD_AUTH and ADMIN_NO_SRP_AUTH, for AdminInitiateAuth."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH)
    gate: ClassVar[Gate] = Gate(
        initiate=False, admin=True, allow="ALLOW_ADMIN_USER_PASSWORD_AUTH", legacy="ADMIN_NO_SRP_AUTH"
    )
