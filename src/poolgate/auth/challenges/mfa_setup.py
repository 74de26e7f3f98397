"""MFA_SETUP (auth-flows.md section 5, mfa-devices-security.md sections 2 and 3.2): the pool
requires MFA and the user has no usable factor, so the user enrols one before tokens.

Issued with ``MFAS_CAN_SETUP`` (a JSON array of the pool's factors the user could set up,
``mfa.selection.can_set_up``). The TOTP enrolment happens outside the engine, with the
session: AssociateSoftwareToken(Session) -> VerifySoftwareToken(Session) (``auth.mfa_setup``),
each answering with a new Session that still waits for MFA_SETUP; the second one records the
verification as a passed ``SOFTWARE_TOKEN_MFA`` step.

The answer (``USERNAME`` only) must come with that last Session: then TOTP becomes the user's
enabled and preferred factor, the session is spent and the sign-in goes on (to tokens, as the
verification satisfied MFA). With a session whose token was not verified the answer is
refused with InvalidParameterException and the session stays usable [decision].
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.context import StepContext
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome, Passed
from poolgate.errors import InvalidParameterException
from poolgate.mfa import messages, selection, software_token
from poolgate.users.model import User


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Store the session as waiting for MFA_SETUP (``ctx`` bound to a write phase) and build
    the challenge."""
    issued = ctx.sessions.issue(
        ctx.uow, session, client=ctx.client, now=ctx.now, challenge=ChallengeName.MFA_SETUP
    )
    can_set_up = json.dumps(list(selection.can_set_up(ctx.pool)), separators=(",", ":"))
    return Challenge(ChallengeName.MFA_SETUP, {"MFAS_CAN_SETUP": can_set_up}, issued.handle)


class MfaSetup:
    """MFA_SETUP."""

    name: ClassVar[ChallengeName] = ChallengeName.MFA_SETUP

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        if ChallengeName.SOFTWARE_TOKEN_MFA not in loaded.session.steps:
            raise InvalidParameterException(messages.SETUP_NOT_VERIFIED)
        with ctx.writing() as phase:
            current = phase.sessions.lock(phase.uow, loaded)
            user = session_user(phase, current.session, responses.get("USERNAME", ""))
            enrolled = software_token.enable_preferred(user, now=ctx.now)
            phase.uow.users.update(enrolled)
            phase.sessions.spend(phase.uow, current)
            progressed = replace(
                current.session,
                device_key=responses.get("DEVICE_KEY") or current.session.device_key,
                metadata=ctx.metadata,
            )
            return Passed(progressed.passed(self.name, now=ctx.now), enrolled)


CHALLENGE: Final = ChallengeType(MfaSetup(), issue=issue)
