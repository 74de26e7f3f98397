"""DEVICE_PASSWORD_VERIFIER (srp.md section 8.2): the device's SRP proof.

The arithmetic is PASSWORD_VERIFIER's with the DeviceGroupKey for the pool name, the
DeviceKey for ``USER_ID_FOR_SRP`` and the device password for the password
(``poolgate.srp.verify_device_claim``). Checks, in order: the three claim values and
``DEVICE_KEY`` present -> the SECRET_BLOCK is the one issued for this session (pycognito sends no
``Session``: the block names it) -> TIMESTAMP parses -> write phase: the session taken under lock
-> ``USERNAME`` designates its user and ``DEVICE_KEY`` is its device (else ``Invalid session for
the user.``, session kept) -> the session spent -> the device still confirmed -> TIMESTAMP
within 5 minutes and the claim signature.

A wrong proof is refused with ``Incorrect username or password.`` [inferred] and is not
counted by the password lockout: it says nothing about the user's password. On success the
device's last-authenticated time is updated and the engine goes on (``next_challenge``: tokens,
PreTokenGeneration source ``TokenGeneration_AuthenticateDevice``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import messages
from poolgate.auth.challenges.base import ChallengeType, by_secret_block, session_user
from poolgate.auth.context import StepContext, required
from poolgate.auth.devices import usable_device
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import ChallengeName, Outcome, Passed, Rejected
from poolgate.devices.policy import DEVICE_NOT_FOUND
from poolgate.errors import InvalidParameterException, NotAuthorizedException, ResourceNotFoundException
from poolgate.srp import InvalidTimestamp, SrpError, check_timestamp, parse_timestamp, verify_device_claim


class DevicePasswordVerifier:
    """DEVICE_PASSWORD_VERIFIER."""

    name: ClassVar[ChallengeName] = ChallengeName.DEVICE_PASSWORD_VERIFIER

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        signature = required(responses, "PASSWORD_CLAIM_SIGNATURE")
        block = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
        timestamp = required(responses, "TIMESTAMP")
        device_key = required(responses, "DEVICE_KEY")
        if ctx.sessions.session_of_block(block) != loaded.id or loaded.session.srp is None:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        try:
            parse_timestamp(timestamp)
        except InvalidTimestamp:
            raise InvalidParameterException(messages.TIMESTAMP_INVALID) from None
        with ctx.writing() as phase:
            current = phase.sessions.lock(phase.uow, loaded)
            session = current.session
            user = session_user(phase, session, responses["USERNAME"])
            if device_key != session.device_key or session.srp is None:
                raise NotAuthorizedException(messages.INVALID_SESSION)
            phase.sessions.spend(phase.uow, current)
            device = usable_device(phase, user, device_key, lock=True)
            if device is None or device.verifier is None:
                return Rejected(ResourceNotFoundException(DEVICE_NOT_FOUND))
            try:
                check_timestamp(timestamp, now=ctx.now)
                verify_device_claim(
                    session.srp.challenge(),
                    verifier_hex=device.verifier,
                    device_group_key=device.group_key,
                    device_key=device_key,
                    secret_block_b64=block,
                    timestamp=timestamp,
                    signature_b64=signature,
                )
            except SrpError:
                return Rejected(NotAuthorizedException(messages.INCORRECT_CREDENTIALS))
            phase.uow.devices.update(replace(device, last_authenticated_at=ctx.now))
        passed = session.passed(ChallengeName.DEVICE_PASSWORD_VERIFIER, now=ctx.now)
        return Passed(replace(passed, device_remembered=device.remembered), user)


CHALLENGE: Final = ChallengeType(DevicePasswordVerifier(), locate=by_secret_block)
