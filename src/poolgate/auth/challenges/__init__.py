"""One responder per ChallengeName (STYLE.md section 3), looked up by name.

Challenges without a responder yet (MFA, devices, USER_AUTH) are never issued by this engine,
so a session can never wait for them; answering one is an invalid challenge name.
"""

from __future__ import annotations

from collections.abc import Mapping

from poolgate.auth.challenges.base import Responder
from poolgate.auth.challenges.custom_challenge import CustomChallenge
from poolgate.auth.challenges.new_password_required import NewPasswordRequired
from poolgate.auth.challenges.password_verifier import PasswordVerifier
from poolgate.auth.state import ChallengeName

RESPONDERS: Mapping[ChallengeName, Responder] = {
    responder.name: responder for responder in (PasswordVerifier(), NewPasswordRequired(), CustomChallenge())
}
"""The challenges this engine can take answers for."""

__all__ = ["RESPONDERS", "Responder"]
