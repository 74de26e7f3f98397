"""USER_SRP_AUTH (auth-flows.md section 4.1, srp.md section 6.2): answer SRP_A with a
PASSWORD_VERIFIER challenge. The password outcome is decided by the PASSWORD_VERIFIER
responder (``challenges/password_verifier.py``).

Order: USERNAME, SRP_A -> SECRET_HASH -> user lookup (read phase) -> PreAuthentication -> write
phase: the user read again, lockout and account checks -> B. An unknown user gets a simulated
challenge when the client hides existence (``existence``). CUSTOM_AUTH starting with SRP_A
issues its PASSWORD_VERIFIER through :func:`srp_challenge` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from poolgate.auth import messages
from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import hides_existence, unknown_user_error
from poolgate.auth.first_factor import checks_before_password
from poolgate.auth.flows.base import Gate
from poolgate.auth.hooks import pre_authentication
from poolgate.auth.sessions import IssuedSession
from poolgate.auth.state import AuthFlow, AuthSession, Challenge, ChallengeName, Outcome, SrpState
from poolgate.errors import NotAuthorizedException
from poolgate.srp import InvalidSrpA, start
from poolgate.users.lookup import find_user
from poolgate.users.model import User


class UserSrpAuth:
    """USER_SRP_AUTH."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.USER_SRP_AUTH,)
    gate: ClassVar[Gate] = Gate(
        initiate=True,
        admin=True,
        allow="ALLOW_USER_SRP_AUTH",
        legacy_always=True,
        legacy_off=frozenset({"CUSTOM_AUTH_FLOW_ONLY"}),
    )

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> str:
        username = required(parameters, "USERNAME")
        required(parameters, "SRP_A")
        return username

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        username = parameters["USERNAME"]
        srp_a = parameters["SRP_A"]
        device_key = parameters.get("DEVICE_KEY")
        if not ctx.triggers.configured(ctx.pool, "PreAuthentication"):
            # No trigger needs the user first: one write phase looks it up and answers.
            with ctx.writing() as phase:
                found = find_user(phase.uow, ctx.pool, username)
                if found is None and not hides_existence(ctx.client):
                    raise unknown_user_error(ctx.client)
                if found is None:
                    session = simulated_session(ctx, flow, username, device_key)
                else:
                    session = ctx.session_for(flow, found, device_key)
                return _answer(phase, session, srp_a, typed_username=username, user=found)
        with ctx.reading() as phase:
            user = find_user(phase.uow, ctx.pool, username)
        if user is None and not hides_existence(ctx.client):
            raise unknown_user_error(ctx.client)
        pre_authentication(ctx, username, user)
        if user is None:
            session = simulated_session(ctx, flow, username, device_key)
        else:
            session = ctx.session_for(flow, user, device_key)
        return srp_challenge(ctx, session, srp_a, typed_username=username)


def simulated_session(
    ctx: StepContext, flow: AuthFlow, typed_username: str, device_key: str | None
) -> AuthSession:
    """The session of an unknown user (existence hidden): no ``sub``, the stand-in's
    ``USER_ID_FOR_SRP`` as username."""
    stand_in = ctx.simulator.user(ctx.pool, typed_username)
    return ctx.new_session(flow, sub=None, username=stand_in.user_id_for_srp, device_key=device_key)


def srp_challenge(ctx: StepContext, session: AuthSession, srp_a: str, *, typed_username: str) -> Outcome:
    """The write phase that answers SRP_A for ``session``'s user: read the user again, apply the
    lockout and account checks, compute B and store the session waiting for PASSWORD_VERIFIER.
    A simulated session (``sub`` None) gets the stand-in's salt and verifier instead."""
    with ctx.writing() as phase:
        user = None if session.sub is None else phase.uow.users.get(ctx.pool.id, session.sub)
        if session.sub is not None and user is None:
            raise unknown_user_error(ctx.client)
        return _answer(phase, session, srp_a, typed_username=typed_username, user=user)


def _answer(
    phase: StepContext, session: AuthSession, srp_a: str, *, typed_username: str, user: User | None
) -> Outcome:
    """In a write phase: the lockout and account checks, B, and the stored session; ``user``
    as the phase read it (None for a simulated session)."""
    if user is None:
        # A real challenge first reads the user's lockout record (``checks_before_password``).
        phase.uow.login_attempts.get(
            phase.pool.id, phase.simulator.sub(phase.pool, typed_username), for_update=True
        )
        stand_in = phase.simulator.user(phase.pool, typed_username)
        srp = _server_half(stand_in.verifier_hex, srp_a, simulated=True)
        return password_verifier_challenge(phase, session, srp, salt_hex=stand_in.salt_hex)
    refused = checks_before_password(phase, user)
    if refused is not None:
        return refused
    assert user.password is not None  # checks_before_password refuses users without one
    srp = _server_half(user.password.verifier, srp_a)
    return password_verifier_challenge(phase, session, srp, salt_hex=user.password.salt)


def _server_half(verifier_hex: str, srp_a: str, *, simulated: bool = False) -> SrpState:
    try:
        server = start(verifier_hex, srp_a)
    except InvalidSrpA:
        raise NotAuthorizedException(messages.INCORRECT_CREDENTIALS) from None
    return SrpState(
        b=server.b,
        B_hex=server.B_hex,
        A_hex=server.A_hex,
        simulated_verifier=verifier_hex if simulated else None,
    )


def password_verifier_challenge(
    ctx: StepContext, session: AuthSession, srp: SrpState, *, salt_hex: str
) -> Challenge:
    """Store ``session`` with its SRP state (``ctx`` bound to a write phase) and return the
    PASSWORD_VERIFIER challenge: ``SALT``, ``SRP_B``, ``SECRET_BLOCK``, ``USERNAME`` and
    ``USER_ID_FOR_SRP`` (both the internal username)."""
    issued: IssuedSession = ctx.sessions.issue(
        ctx.uow,
        replace(session, srp=srp),
        client=ctx.client,
        now=ctx.now,
        challenge=ChallengeName.PASSWORD_VERIFIER,
        secret_block=True,
    )
    assert issued.secret_block is not None
    parameters = {
        "SALT": salt_hex,
        "SRP_B": srp.B_hex,
        "SECRET_BLOCK": issued.secret_block,
        "USERNAME": session.username,
        "USER_ID_FOR_SRP": session.username,
    }
    return Challenge(ChallengeName.PASSWORD_VERIFIER, parameters, issued.handle)
