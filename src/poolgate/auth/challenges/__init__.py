"""The registry of challenges (STYLE.md section 3): one ``ChallengeType`` per ChallengeName.

Each module here declares its challenge in one object, ``CHALLENGE`` (``base.ChallengeType``:
its responder, how it is issued, whether in a write phase the engine opens, how its session is
found without ``Session``); the engine reads nothing else. Adding a challenge means adding a
module and one line to ``CHALLENGES`` below (and, if ``engine.next_challenge`` issues it, a
row to ``engine.RULES``).

Challenges without a module yet (USER_AUTH's) are never issued by this engine, so a session
can never wait for them; answering one is an invalid challenge name.
"""

from __future__ import annotations

from collections.abc import Mapping

from poolgate.auth.challenges import (
    custom_challenge,
    device_password_verifier,
    device_srp_auth,
    email_otp,
    mfa_setup,
    new_password_required,
    password_verifier,
    select_mfa_type,
    sms_mfa,
    software_token_mfa,
)
from poolgate.auth.challenges.base import ChallengeType, Responder
from poolgate.auth.state import ChallengeName


def _registry(*challenges: ChallengeType) -> Mapping[ChallengeName, ChallengeType]:
    table: dict[ChallengeName, ChallengeType] = {}
    for challenge in challenges:
        if challenge.name in table:
            raise RuntimeError(f"{challenge.name} is declared twice")
        table[challenge.name] = challenge
    return table


CHALLENGES: Mapping[ChallengeName, ChallengeType] = _registry(
    password_verifier.CHALLENGE,
    new_password_required.CHALLENGE,
    custom_challenge.CHALLENGE,
    device_srp_auth.CHALLENGE,
    device_password_verifier.CHALLENGE,
    sms_mfa.CHALLENGE,
    email_otp.CHALLENGE,
    software_token_mfa.CHALLENGE,
    mfa_setup.CHALLENGE,
    select_mfa_type.CHALLENGE,
)
"""The challenges this engine can issue and take answers for."""

__all__ = ["CHALLENGES", "ChallengeType", "Responder"]
