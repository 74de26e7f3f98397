"""The error messages of MFA, worded as Cognito words them where a source exists
(mfa-devices-security.md sections 3 and 4, auth-flows.md section 5); the rest say [decision]."""

from __future__ import annotations

from typing import Final

INVALID_CODE: Final = "Invalid code or auth state for the user."
"""CodeMismatchException for a wrong SMS, e-mail or TOTP code at sign-in [observed for SMS_MFA]."""

CODE_EXPIRED: Final = "Invalid code provided, please request a code again."
"""ExpiredCodeException for an SMS or e-mail code past its lifetime [observed for sign-up codes]."""

TOKEN_REUSED: Final = "Your software token has already been used once."
"""ExpiredCodeException for a TOTP code whose time step was already accepted [observed:
aws-amplify/amplify-swift's MFASignInTests against Cognito wait 30 s after verifyTOTPSetup, "otherwise
will get RespondToAuthChallengeOutputError.expiredCodeException - Your software token has already
been used once."]."""

ENABLE_MISMATCH: Final = "Code mismatch and fail enable Software Token MFA"
"""EnableSoftwareTokenMFAException: VerifySoftwareToken with a wrong code [observed]."""

TOTP_DISABLED_ON_POOL: Final = "Software Token MFA has not been enabled by the userPool"
"""SoftwareTokenMFANotFoundException: AssociateSoftwareToken on a pool without TOTP [docs]."""

TOTP_NOT_FOUND: Final = "Software Token MFA does not exist for the user."
"""SoftwareTokenMFANotFoundException: a TOTP answer from a user without a token [observed]."""

NOT_ASSOCIATED: Final = "No software token is associated with the user; call AssociateSoftwareToken first."
"""SoftwareTokenMFANotFoundException: VerifySoftwareToken before AssociateSoftwareToken [decision]."""

TOKEN_OR_SESSION: Final = "Exactly one of AccessToken and Session must be given."
"""InvalidParameterException [decision]."""

SETUP_NOT_VERIFIED: Final = (
    "The software token of this session has not been verified; call VerifySoftwareToken first."
)
"""InvalidParameterException: MFA_SETUP answered with a Session that VerifySoftwareToken did not
return [decision]; the session stays usable."""

INVALID_MFA_ANSWER: Final = (
    "Invalid ANSWER: expected SMS_MFA, EMAIL_OTP (or EMAIL_MFA) or SOFTWARE_TOKEN_MFA."
)
"""InvalidParameterException: SELECT_MFA_TYPE with an answer that names no MFA method [decision]."""


def method_not_available(name: str) -> str:
    """MFAMethodNotFoundException: SELECT_MFA_TYPE chose a method the user cannot use [decision]."""
    return f"The MFA method {name} is not available for this user."
