"""CUSTOM_AUTH (auth-flows.md section 4.5): the first round of a sign-in driven by the
DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse triggers.

A pool without all three gets Cognito's answer, InvalidParameterException ``Custom auth lambda
trigger is not configured for the user pool.`` (the text public apps match on).

Order: USERNAME (and, with ``CHALLENGE_NAME=SRP_A``, SRP_A) -> SECRET_HASH -> user lookup (read
phase) -> account checks -> PreAuthentication, only for a flow that starts with SRP_A [spec
decision: AWS support said it does not run for custom auth] -> DefineAuthChallenge with
``session`` ``[]`` or ``[SRP_A]`` -> the round's decision (``custom``). Custom auth has no
lockout of its own; the PASSWORD_VERIFIER step of an SRP_A start is a password check and counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import account, custom, messages
from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import hides_existence, unknown_user_error
from poolgate.auth.flows.base import Gate
from poolgate.auth.flows.user_srp import simulated_session, srp_challenge
from poolgate.auth.hooks import pre_authentication
from poolgate.auth.state import AuthFlow, AuthSession, CustomState, Outcome
from poolgate.errors import InvalidParameterException
from poolgate.users.lookup import find_user

CUSTOM_TRIGGERS: Final = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")


class CustomAuth:
    """CUSTOM_AUTH."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.CUSTOM_AUTH,)
    gate: ClassVar[Gate] = Gate(initiate=True, admin=True, allow="ALLOW_CUSTOM_AUTH", legacy_always=True)

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> str:
        if not all(ctx.triggers.configured(ctx.pool, trigger) for trigger in CUSTOM_TRIGGERS):
            raise InvalidParameterException(messages.CUSTOM_AUTH_NOT_CONFIGURED)
        username = required(parameters, "USERNAME")
        _srp_a(parameters)
        return username

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        username = parameters["USERNAME"]
        srp_a = _srp_a(parameters)
        device_key = parameters.get("DEVICE_KEY")
        with ctx.reading() as phase:
            user = find_user(phase.uow, ctx.pool, username)
        if user is None:
            if not hides_existence(ctx.client):
                raise unknown_user_error(ctx.client)
            session = simulated_session(ctx, flow, username, device_key)
        else:
            # Checked again under lock when an SRP challenge is issued, and when tokens are.
            account.check_before_password(user, ctx.client, needs_password=srp_a is not None)
            session = ctx.session_for(flow, user, device_key)
        state = CustomState(typed_username=username)
        if srp_a is not None:
            pre_authentication(ctx, username, user)
            state = state.appended(custom.SRP_A, True)
        session = replace(session, custom=state)

        def password_verifier(current: AuthSession) -> Outcome:
            assert srp_a is not None  # define_round offers this only after SRP_A
            return srp_challenge(ctx, current, srp_a, typed_username=username)

        return custom.define_round(
            ctx, session, user, password_verifier=password_verifier if srp_a is not None else None
        )


def _srp_a(parameters: Mapping[str, str]) -> str | None:
    """SRP_A when the flow starts with password verification (``CHALLENGE_NAME=SRP_A``)."""
    name = parameters.get("CHALLENGE_NAME")
    if not name:
        return None
    if name != custom.SRP_A:
        raise InvalidParameterException(f"Invalid CHALLENGE_NAME {name}: only SRP_A can start CUSTOM_AUTH")
    return required(parameters, "SRP_A")
