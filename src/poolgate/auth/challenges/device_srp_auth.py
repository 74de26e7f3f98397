"""DEVICE_SRP_AUTH (auth-flows.md section 5, srp.md section 8.2): the first round of device SRP.

Issued by the engine with empty ChallengeParameters once ``next_challenge`` decides that the
sign-in's confirmed device must prove itself (``auth.devices.needs_device_srp``); :func:`issue`
records the session on the device row, so that pycognito, which answers without ``Session``,
can be matched to it (``auth.devices.find_pending_step``).

The answer carries ``DEVICE_KEY`` and a fresh ``SRP_A``. Order: DEVICE_KEY, SRP_A present ->
write phase: the session taken under lock -> ``USERNAME`` designates its user and ``DEVICE_KEY``
is its device (else ``Invalid session for the user.``, session kept) -> the session spent ->
the device still a confirmed device of the user (else ResourceNotFoundException) -> B from the
device verifier -> a new session waiting for DEVICE_PASSWORD_VERIFIER, with ``SALT``,
``SRP_B``, ``SECRET_BLOCK``, ``USERNAME`` and ``DEVICE_KEY``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import messages
from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.context import StepContext, required
from poolgate.auth.devices import find_pending_step, usable_device
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome, Rejected, SrpState
from poolgate.devices.policy import DEVICE_NOT_FOUND
from poolgate.errors import NotAuthorizedException, ResourceNotFoundException
from poolgate.srp import InvalidSrpA, start
from poolgate.users.model import User


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Store the session as waiting for DEVICE_SRP_AUTH (``ctx`` bound to a write phase), note it
    on the device row, and build the challenge (no parameters: the client knows what to send)."""
    issued = ctx.sessions.issue(
        ctx.uow, session, client=ctx.client, now=ctx.now, challenge=ChallengeName.DEVICE_SRP_AUTH
    )
    assert session.device_key is not None  # needs_device_srp chose this step
    device = usable_device(ctx, user, session.device_key, lock=True)
    if device is not None:
        ctx.uow.devices.update(replace(device, pending_session=issued.id))
    return Challenge(ChallengeName.DEVICE_SRP_AUTH, {}, issued.handle)


class DeviceSrpAuth:
    """DEVICE_SRP_AUTH."""

    name: ClassVar[ChallengeName] = ChallengeName.DEVICE_SRP_AUTH

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        device_key = required(responses, "DEVICE_KEY")
        srp_a = required(responses, "SRP_A")
        with ctx.writing() as phase:
            current = phase.sessions.lock(phase.uow, loaded)
            session = current.session
            user = session_user(phase, session, responses["USERNAME"])
            if device_key != session.device_key:
                raise NotAuthorizedException(messages.INVALID_SESSION)
            phase.sessions.spend(phase.uow, current)
            device = usable_device(phase, user, device_key, lock=True)
            if device is None or device.verifier is None or device.salt is None:
                # Forgotten since the password step.
                return Rejected(ResourceNotFoundException(DEVICE_NOT_FOUND))
            try:
                server = start(device.verifier, srp_a)
            except InvalidSrpA:
                return Rejected(NotAuthorizedException(messages.INCORRECT_CREDENTIALS))
            srp = SrpState(b=server.b, B_hex=server.B_hex, A_hex=server.A_hex)
            issued = phase.sessions.issue(
                phase.uow,
                replace(session, srp=srp, metadata=ctx.metadata),
                client=ctx.client,
                now=ctx.now,
                challenge=ChallengeName.DEVICE_PASSWORD_VERIFIER,
                secret_block=True,
            )
            phase.uow.devices.update(replace(device, pending_session=None))
        assert issued.secret_block is not None
        parameters = {
            "SALT": device.salt,
            "SRP_B": srp.B_hex,
            "SECRET_BLOCK": issued.secret_block,
            "USERNAME": session.username,
            "DEVICE_KEY": device_key,
        }
        return Challenge(ChallengeName.DEVICE_PASSWORD_VERIFIER, parameters, issued.handle)


CHALLENGE: Final = ChallengeType(DeviceSrpAuth(), issue=issue, locate=find_pending_step)
