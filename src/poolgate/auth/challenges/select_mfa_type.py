"""SELECT_MFA_TYPE (auth-flows.md section 5): the user has several usable MFA factors and
prefers none, so the caller picks one.

Issued with ``MFAS_CAN_CHOOSE`` (a JSON array: ``SMS_MFA``, ``SOFTWARE_TOKEN_MFA``,
``EMAIL_OTP``, the names Amplify maps to SMS, TOTP and EMAIL) and ``USER_ID_FOR_SRP``.
Answered with ``ANSWER``: ``SMS_MFA``, ``SOFTWARE_TOKEN_MFA``, or ``EMAIL_OTP`` / ``EMAIL_MFA``
(the model doc's name for it). The choice is checked against the user as stored now: a name
that is no MFA method is InvalidParameterException; a method the user cannot use is
SoftwareTokenMFANotFoundException (TOTP) or MFAMethodNotFoundException; both leave the session
usable. A good answer spends the session and issues the chosen challenge with a new one (an SMS
or e-mail code is sent then).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth.challenges import software_token_mfa
from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.challenges.email_otp import EMAIL_OTP
from poolgate.auth.challenges.sms_mfa import SMS_MFA, CodeChallenge
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome
from poolgate.errors import (
    InvalidParameterException,
    MFAMethodNotFoundException,
    SoftwareTokenMFANotFoundException,
)
from poolgate.mfa import messages, selection
from poolgate.mfa import model as mfa_model
from poolgate.users.model import User

ANSWERS: Final[Mapping[str, str]] = {
    "SMS_MFA": mfa_model.SMS_MFA,
    "SOFTWARE_TOKEN_MFA": mfa_model.SOFTWARE_TOKEN_MFA,
    "EMAIL_OTP": mfa_model.EMAIL_OTP,
    "EMAIL_MFA": mfa_model.EMAIL_OTP,
}
_CODE_CHALLENGES: Final[Mapping[str, CodeChallenge]] = {
    mfa_model.SMS_MFA: SMS_MFA,
    mfa_model.EMAIL_OTP: EMAIL_OTP,
}


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Store the session as waiting for SELECT_MFA_TYPE (``ctx`` bound to a write phase) and
    build the challenge."""
    issued = ctx.sessions.issue(
        ctx.uow, session, client=ctx.client, now=ctx.now, challenge=ChallengeName.SELECT_MFA_TYPE
    )
    parameters = {
        "MFAS_CAN_CHOOSE": json.dumps(list(selection.choices(user, ctx.pool)), separators=(",", ":")),
        "USER_ID_FOR_SRP": user.username,
    }
    return Challenge(ChallengeName.SELECT_MFA_TYPE, parameters, issued.handle)


class SelectMfaType:
    """SELECT_MFA_TYPE."""

    name: ClassVar[ChallengeName] = ChallengeName.SELECT_MFA_TYPE

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        factor = ANSWERS.get(required(responses, "ANSWER"))
        if factor is None:
            raise InvalidParameterException(messages.INVALID_MFA_ANSWER)
        with ctx.reading() as phase:
            user = session_user(phase, loaded.session, responses.get("USERNAME", ""))
        if factor not in selection.choices(user, ctx.pool):
            if factor == mfa_model.SOFTWARE_TOKEN_MFA:
                raise SoftwareTokenMFANotFoundException(messages.TOTP_NOT_FOUND)
            raise MFAMethodNotFoundException(messages.method_not_available(factor))
        progressed = replace(
            loaded.session,
            device_key=responses.get("DEVICE_KEY") or loaded.session.device_key,
            metadata=ctx.metadata,
        ).passed(self.name, now=ctx.now)
        code_challenge = _CODE_CHALLENGES.get(factor)
        if code_challenge is not None:
            return code_challenge.issue(ctx, progressed, user, replacing=loaded)
        with ctx.writing() as phase:
            phase.sessions.spend(phase.uow, phase.sessions.lock(phase.uow, loaded))
            return software_token_mfa.issue(phase, progressed, user)


CHALLENGE: Final = ChallengeType(SelectMfaType(), issue=issue)
