"""One responder per ChallengeName (STYLE.md section 3), looked up by name.

Challenges without a responder yet (USER_AUTH's) are never issued by this engine,
so a session can never wait for them; answering one is an invalid challenge name.
"""

from __future__ import annotations

from collections.abc import Mapping

from poolgate.auth.challenges.base import Responder
from poolgate.auth.challenges.custom_challenge import CustomChallenge
from poolgate.auth.challenges.device_password_verifier import DevicePasswordVerifier
from poolgate.auth.challenges.device_srp_auth import DeviceSrpAuth
from poolgate.auth.challenges.email_otp import EmailOtp
from poolgate.auth.challenges.mfa_setup import MfaSetup
from poolgate.auth.challenges.new_password_required import NewPasswordRequired
from poolgate.auth.challenges.password_verifier import PasswordVerifier
from poolgate.auth.challenges.select_mfa_type import SelectMfaType
from poolgate.auth.challenges.sms_mfa import SmsMfa
from poolgate.auth.challenges.software_token_mfa import SoftwareTokenMfa
from poolgate.auth.state import ChallengeName

RESPONDERS: Mapping[ChallengeName, Responder] = {
    responder.name: responder
    for responder in (
        PasswordVerifier(),
        NewPasswordRequired(),
        CustomChallenge(),
        DeviceSrpAuth(),
        DevicePasswordVerifier(),
    )
} | {
    responder.name: responder
    for responder in (SmsMfa(), EmailOtp(), SoftwareTokenMfa(), MfaSetup(), SelectMfaType())
}
"""The challenges this engine can take answers for."""

__all__ = ["RESPONDERS", "Responder"]
