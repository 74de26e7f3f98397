"""CUSTOM_CHALLENGE (auth-flows.md section 4.5 steps 5 and 6): the answer to a challenge that
CreateAuthChallenge made.

Order: ``ANSWER`` -> the session's user (read phase; ``USERNAME`` must designate it) -> a write
phase that takes the session under lock and spends it, so each session is answered once and a
replayed or concurrent answer gets NotAuthorizedException ``Invalid session for the user.``
without reaching the triggers -> VerifyAuthChallengeResponse with the private parameters kept
in the session -> the result joins the ``session`` array with the challenge metadata ->
DefineAuthChallenge (``custom.define_round``), whose next challenge comes with a new Session.
Since the session is spent first, a trigger that then fails ends the sign-in: the caller starts
again with InitiateAuth [decision: one verification per session beats a retry].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import custom, messages
from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import ChallengeName, Outcome
from poolgate.errors import NotAuthorizedException
from poolgate.users.attributes import fold
from poolgate.users.model import User


class CustomChallenge:
    """CUSTOM_CHALLENGE."""

    name: ClassVar[ChallengeName] = ChallengeName.CUSTOM_CHALLENGE

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        answer = required(responses, "ANSWER")
        session = loaded.session
        state = custom.state_of(session)
        username = responses.get("USERNAME", "")
        user: User | None = None
        if session.sub is not None:
            with ctx.reading() as phase:
                user = session_user(phase, session, username)
        elif fold(ctx.pool, username) not in {
            fold(ctx.pool, session.username),
            fold(ctx.pool, state.typed_username),
        }:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        with ctx.writing() as phase:
            phase.sessions.spend(phase.uow, phase.sessions.lock(phase.uow, loaded))
        correct = ctx.triggers.verify_auth_challenge(
            ctx.pool,
            username=custom.trigger_username(session, user),
            user=user,
            private_parameters=state.private_parameters,
            answer=answer,
            client_metadata=ctx.respond_client_metadata,
            user_not_found=user is None,
            caller=ctx.caller,
        )
        progressed = replace(
            session,
            custom=state.appended(self.name.value, correct, state.challenge_metadata),
            device_key=responses.get("DEVICE_KEY") or session.device_key,
            metadata=ctx.metadata,
        )
        return custom.define_round(ctx, progressed, user)


CHALLENGE: Final = ChallengeType(CustomChallenge())
