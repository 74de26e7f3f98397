"""SOFTWARE_TOKEN_MFA (auth-flows.md section 5, mfa-devices-security.md section 3.3): the
current code of the user's authenticator app, answered with ``SOFTWARE_TOKEN_MFA_CODE``.

Issued with ``{}`` as ChallengeParameters (``FRIENDLY_DEVICE_NAME`` added when the token was
verified with one). Answering takes the session and the user under lock in one write phase and
checks the code with ``mfa.software_token.verify_sign_in``: RFC 6238, the step before or after
the current one accepted, and a time step never accepted twice, so a replayed code (also the one
VerifySoftwareToken just accepted) fails with ExpiredCodeException ``Your software token has
already been used once.``, as in Cognito (``mfa.messages.TOKEN_REUSED``). A wrong or replayed
code is counted on the session, which stays usable until the third wrong answer ends it. A
right code records its time step on the user, spends the session and passes the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import messages
from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.challenges.sms_mfa import mfa_deps
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome, Passed, Rejected
from poolgate.errors import CodeMismatchException, ExpiredCodeException, NotAuthorizedException
from poolgate.mfa import codes, software_token, user_settings
from poolgate.users.model import User


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Store the session as waiting for SOFTWARE_TOKEN_MFA (``ctx`` bound to a write phase)
    and build the challenge."""
    issued = ctx.sessions.issue(
        ctx.uow, session, client=ctx.client, now=ctx.now, challenge=ChallengeName.SOFTWARE_TOKEN_MFA
    )
    parameters: dict[str, str] = {}
    device_name = user_settings.read(user).totp.device_name
    if device_name:
        parameters["FRIENDLY_DEVICE_NAME"] = device_name
    return Challenge(ChallengeName.SOFTWARE_TOKEN_MFA, parameters, issued.handle)


class SoftwareTokenMfa:
    """SOFTWARE_TOKEN_MFA."""

    name: ClassVar[ChallengeName] = ChallengeName.SOFTWARE_TOKEN_MFA

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        code = required(responses, "SOFTWARE_TOKEN_MFA_CODE")
        deps = mfa_deps(ctx)
        with ctx.writing() as phase:
            current = phase.sessions.lock(phase.uow, loaded)
            named = session_user(phase, current.session, responses.get("USERNAME", ""))
            user = software_token.lock_user(phase.uow, ctx.pool.id, named.sub)
            if user is None:
                raise NotAuthorizedException(messages.INVALID_SESSION)
            try:
                updated = software_token.verify_sign_in(deps, user, code, now=ctx.now)
            except (CodeMismatchException, ExpiredCodeException) as exc:
                codes.count_wrong_answer(phase.uow, current.id)
                return Rejected(exc)
            phase.uow.users.update(updated)
            phase.sessions.spend(phase.uow, current)
            progressed = replace(
                current.session,
                device_key=responses.get("DEVICE_KEY") or current.session.device_key,
                metadata=ctx.metadata,
            )
            return Passed(progressed.passed(self.name, now=ctx.now), updated)


CHALLENGE: Final = ChallengeType(SoftwareTokenMfa(), issue=issue)
