"""EMAIL_OTP as the e-mail MFA factor (auth-flows.md section 5, mfa-devices-security.md
section 4): a six-digit code e-mailed when the challenge is issued (the pool's
``EmailMfaConfiguration`` Message and Subject, or CustomMessage_Authentication's text),
answered with ``EMAIL_OTP_CODE``. Same rules as SMS_MFA (``sms_mfa.CodeChallenge``).

EMAIL_OTP as a first factor of USER_AUTH is not implemented (USER_AUTH is refused).
"""

from __future__ import annotations

from typing import ClassVar, Final

from poolgate.auth.challenges.base import ChallengeType
from poolgate.auth.challenges.sms_mfa import CodeChallenge
from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthSession, Challenge, ChallengeName
from poolgate.users.model import User


class EmailOtp(CodeChallenge):
    """EMAIL_OTP."""

    name: ClassVar[ChallengeName] = ChallengeName.EMAIL_OTP
    response_key: ClassVar[str] = "EMAIL_OTP_CODE"


EMAIL_OTP = EmailOtp()


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Issue EMAIL_OTP (``ctx`` between phases: the engine's phased issuer)."""
    return EMAIL_OTP.issue(ctx, session, user)


CHALLENGE: Final = ChallengeType(EMAIL_OTP, issue=issue, in_write_phase=False)
