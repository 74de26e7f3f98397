"""The rounds of a CUSTOM_AUTH sign-in (auth-flows.md section 4.5, triggers.md sections
6.5-6.7): DefineAuthChallenge looks at the ``session`` array and decides, CreateAuthChallenge
makes the next CUSTOM_CHALLENGE.

A round runs between phases: the triggers with no transaction open, then one write phase that
stores the session waiting for the next challenge (a new ``Session`` handle every round; the
answered one was spent before the triggers ran). What DefineAuthChallenge may answer:

- ``failAuthentication`` -> NotAuthorizedException ``Incorrect username or password.``;
- ``issueTokens`` -> tokens, directly (no forced password change or MFA step follows);
- ``challengeName`` ``CUSTOM_CHALLENGE`` -> CreateAuthChallenge, then the challenge with
  ``publicChallengeParameters`` and ``USERNAME``; the private parameters and the challenge
  metadata stay in the stored session;
- ``challengeName`` ``PASSWORD_VERIFIER``, only right after the ``SRP_A`` entry of a flow
  started with ``CHALLENGE_NAME=SRP_A`` -> the SRP challenge of USER_SRP_AUTH;
- anything else (both flags, neither flag nor a name, another name) ->
  InvalidLambdaResponseException [spec decision; the message is the only observed text].

An unknown user (existence hidden) goes through the same rounds with ``userNotFound: true``;
tokens are never issued to one: ``issueTokens`` fails like a wrong answer.

ClientMetadata: the challenge triggers get only a RespondToAuthChallenge call's
(``StepContext.respond_client_metadata``), so ``{}`` in the InitiateAuth round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Final

from poolgate.auth import messages, threat
from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Complete, CustomState, Outcome
from poolgate.errors import InvalidLambdaResponseException, NotAuthorizedException
from poolgate.triggers.api import DefineResult
from poolgate.users.model import User

INVALID_OUTPUT: Final = "Invalid lambda function output : Invalid JSON"
"""InvalidLambdaResponseException for a DefineAuthChallenge answer that decides nothing usable."""

SRP_A: Final = "SRP_A"
"""The ``session`` array name of the SRP_A a CUSTOM_AUTH flow may start with."""

PasswordVerifierIssuer = Callable[[AuthSession], Outcome]
"""Issues the PASSWORD_VERIFIER challenge for a session (the SRP_A of the first round)."""


def state_of(session: AuthSession) -> CustomState:
    """The custom-auth state of a CUSTOM_AUTH session."""
    if session.custom is None:
        raise NotAuthorizedException(messages.INVALID_SESSION)
    return session.custom


def trigger_username(session: AuthSession, user: User | None) -> str:
    """The triggers' ``userName``: the internal username, or what was typed for no user."""
    return user.username if user is not None else state_of(session).typed_username


def after_step(
    ctx: StepContext, session: AuthSession, user: User | None, step: ChallengeName, result: bool
) -> Outcome:
    """A step of the custom flow (PASSWORD_VERIFIER) passed or failed: threat protection
    rates it (``threat.custom_password_step``; may raise the blocked error), then it is
    recorded in the ``session`` array and DefineAuthChallenge decides what follows."""
    if step is ChallengeName.PASSWORD_VERIFIER:
        session = threat.custom_password_step(ctx, session, user, result)
    recorded = replace(session, custom=state_of(session).appended(step.value, result))
    return define_round(ctx, recorded, user)


def define_round(
    ctx: StepContext,
    session: AuthSession,
    user: User | None,
    *,
    password_verifier: PasswordVerifierIssuer | None = None,
) -> Outcome:
    """Ask DefineAuthChallenge about ``session``'s array and act on the answer (module doc).
    ``password_verifier`` is given only in the first round of a flow that sent SRP_A."""
    state = state_of(session)
    decision = ctx.triggers.define_auth_challenge(
        ctx.pool,
        username=trigger_username(session, user),
        user=user,
        session=state.history,
        client_metadata=ctx.respond_client_metadata,
        user_not_found=user is None,
        caller=ctx.caller,
    )
    _check_decision(decision)
    if decision.fail_authentication or (decision.issue_tokens and user is None):
        threat.custom_failed(ctx, session, user)
        raise NotAuthorizedException(messages.INCORRECT_CREDENTIALS)
    if decision.issue_tokens:
        assert user is not None
        # Threat protection rates the sign-in now unless its password step did (BLOCK raises).
        return Complete(threat.before_custom_tokens(ctx, session, user), user)
    if decision.challenge_name == ChallengeName.PASSWORD_VERIFIER.value:
        after_srp_a = bool(state.history) and state.history[-1].challenge_name == SRP_A
        if password_verifier is None or not after_srp_a:
            raise InvalidLambdaResponseException(INVALID_OUTPUT)
        return password_verifier(session)
    if decision.challenge_name == ChallengeName.CUSTOM_CHALLENGE.value:
        return custom_challenge(ctx, session, user)
    raise InvalidLambdaResponseException(INVALID_OUTPUT)


def _check_decision(decision: DefineResult) -> None:
    if decision.fail_authentication and decision.issue_tokens:
        raise InvalidLambdaResponseException(INVALID_OUTPUT)
    if not decision.fail_authentication and not decision.issue_tokens and not decision.challenge_name:
        raise InvalidLambdaResponseException(INVALID_OUTPUT)


def custom_challenge(ctx: StepContext, session: AuthSession, user: User | None) -> Challenge:
    """CreateAuthChallenge for the next CUSTOM_CHALLENGE, then a write phase that stores the
    session waiting for its answer."""
    state = state_of(session)
    created = ctx.triggers.create_auth_challenge(
        ctx.pool,
        username=trigger_username(session, user),
        user=user,
        challenge_name=ChallengeName.CUSTOM_CHALLENGE.value,
        session=state.history,
        client_metadata=ctx.respond_client_metadata,
        user_not_found=user is None,
        caller=ctx.caller,
    )
    pending = replace(
        session,
        custom=replace(
            state,
            private_parameters=dict(created.private_parameters),
            challenge_metadata=created.challenge_metadata,
        ),
    )
    with ctx.writing() as phase:
        issued = phase.sessions.issue(
            phase.uow, pending, client=ctx.client, now=ctx.now, challenge=ChallengeName.CUSTOM_CHALLENGE
        )
    parameters = {**created.public_parameters, "USERNAME": session.username}
    return Challenge(ChallengeName.CUSTOM_CHALLENGE, parameters, issued.handle)
