"""SMS_MFA (auth-flows.md section 5, mfa-devices-security.md section 4): a six-digit code sent
by SMS when the challenge is issued, answered with ``SMS_MFA_CODE``.

:class:`CodeChallenge` is the shared body of the two delivered-code challenges (EMAIL_OTP in
``email_otp`` is the other):

- issuing runs CustomMessage (``CustomMessage_Authentication``) with no transaction open,
  then one write phase stores the session, the code (bound to that session) and the outbox
  row, and the message is delivered after the commit. ChallengeParameters are
  ``CODE_DELIVERY_DELIVERY_MEDIUM`` and the masked ``CODE_DELIVERY_DESTINATION``;
- answering takes the session under lock, checks ``USERNAME``, then the code: a wrong code is
  counted on the session and raises CodeMismatchException ``Invalid code or auth state for the
  user.`` with the session still usable, up to the third wrong answer, which ends it; an
  expired code raises ExpiredCodeException and ends the session; a right one spends the
  session and passes the step (a ``DEVICE_KEY`` sent with it is kept for the device step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome, Passed, Rejected
from poolgate.errors import CodeMismatchException, ExpiredCodeException
from poolgate.mfa import codes
from poolgate.mfa.deps import MfaDeps
from poolgate.users.attributes import mask_destination
from poolgate.users.model import User


def mfa_deps(ctx: StepContext) -> MfaDeps:
    """The MFA collaborators the engine put in the context."""
    if ctx.mfa is None:
        raise RuntimeError("the auth engine was built without MFA collaborators")
    return ctx.mfa


class CodeChallenge:
    """A challenge answered with a code that Poolgate delivered."""

    name: ClassVar[ChallengeName]
    response_key: ClassVar[str]

    def issue(
        self, ctx: StepContext, session: AuthSession, user: User, *, replacing: LoadedSession | None = None
    ) -> Challenge:
        """Send a code to ``user`` and store ``session`` as waiting for it; ``replacing`` is a
        session to spend in the same write phase (SELECT_MFA_TYPE's). ``ctx`` is between
        phases. Raises the trigger's errors, and CodeDeliveryFailureException when delivery
        fails after the commit."""
        deps = mfa_deps(ctx)
        draft = codes.draft(
            ctx.triggers,
            ctx.pool,
            user,
            self.name.value,
            client_metadata=ctx.respond_client_metadata,
            caller=ctx.caller,
        )
        with ctx.writing() as phase:
            if replacing is not None:
                phase.sessions.spend(phase.uow, phase.sessions.lock(phase.uow, replacing))
            issued = phase.sessions.issue(
                phase.uow, session, client=ctx.client, now=ctx.now, challenge=self.name
            )
            ttl = min(codes.CODE_TTL, issued.session.expires_at - ctx.now)
            message = codes.send(phase.uow, deps, user, draft, session_id=issued.id, now=ctx.now, ttl=ttl)
        deps.sender.deliver(message)
        parameters = {
            "CODE_DELIVERY_DELIVERY_MEDIUM": draft.channel,
            "CODE_DELIVERY_DESTINATION": mask_destination(draft.channel, draft.destination),
        }
        return Challenge(self.name, parameters, issued.handle)

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        code = required(responses, self.response_key)
        deps = mfa_deps(ctx)
        with ctx.writing() as phase:
            current = phase.sessions.lock(phase.uow, loaded)
            user = session_user(phase, current.session, responses.get("USERNAME", ""))
            try:
                codes.check(phase.uow, deps, user, session_id=current.id, code=code, now=ctx.now)
            except CodeMismatchException as exc:
                if codes.count_wrong_answer(phase.uow, current.id):
                    codes.discard(phase.uow, user, current.id)
                return Rejected(exc)
            except ExpiredCodeException as exc:
                phase.sessions.spend(phase.uow, current)
                return Rejected(exc)
            phase.sessions.spend(phase.uow, current)
            progressed = replace(
                current.session,
                device_key=responses.get("DEVICE_KEY") or current.session.device_key,
                metadata=ctx.metadata,
            )
            return Passed(progressed.passed(self.name, now=ctx.now), user)


class SmsMfa(CodeChallenge):
    """SMS_MFA."""

    name: ClassVar[ChallengeName] = ChallengeName.SMS_MFA
    response_key: ClassVar[str] = "SMS_MFA_CODE"


SMS_MFA = SmsMfa()


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Issue SMS_MFA (``ctx`` between phases: the engine's phased issuer)."""
    return SMS_MFA.issue(ctx, session, user)


CHALLENGE: Final = ChallengeType(SMS_MFA, issue=issue, in_write_phase=False)
