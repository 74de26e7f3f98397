"""PASSWORD_VERIFIER: the client's SRP proof (auth-flows.md section 4.1, srp.md section 6.3).

Checks, in order: the three claim values are present -> the SECRET_BLOCK is the one issued for
this session -> TIMESTAMP parses (else InvalidParameterException, session kept) -> one write
phase: the session taken under lock and spent (single use from here on) -> ``USERNAME`` equals
``USER_ID_FOR_SRP`` -> the user read again -> lockout and account checks -> TIMESTAMP within 5
minutes and the claim signature (``first_factor``). A simulated session (unknown user,
existence hidden) does the same arithmetic against its stand-in verifier and fails with the
generic error. A wrong proof reports ``Failed``: in a CUSTOM_AUTH sign-in it becomes a
``false`` PASSWORD_VERIFIER entry for DefineAuthChallenge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import ClassVar, Final

from poolgate.auth import messages
from poolgate.auth.challenges.base import ChallengeType, by_secret_block
from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import unknown_user_error
from poolgate.auth.first_factor import password_step
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, ChallengeName, Failed, Outcome, Rejected, SrpState
from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.srp import (
    InvalidTimestamp,
    ProofMismatch,
    SrpError,
    check_timestamp,
    parse_timestamp,
    pool_name_from_pool_id,
    verify_claim,
)


class PasswordVerifier:
    """PASSWORD_VERIFIER."""

    name: ClassVar[ChallengeName] = ChallengeName.PASSWORD_VERIFIER

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        session = loaded.session
        signature = required(responses, "PASSWORD_CLAIM_SIGNATURE")
        block = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
        timestamp = required(responses, "TIMESTAMP")
        if ctx.sessions.session_of_block(block) != loaded.id or session.srp is None:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        try:
            parse_timestamp(timestamp)
        except InvalidTimestamp:
            raise InvalidParameterException(messages.TIMESTAMP_INVALID) from None
        with ctx.writing() as phase:
            return self._check(
                phase, phase.sessions.lock(phase.uow, loaded), responses, block, timestamp, signature
            )

    def _check(
        self,
        ctx: StepContext,
        loaded: LoadedSession,
        responses: Mapping[str, str],
        block: str,
        timestamp: str,
        signature: str,
    ) -> Outcome:
        session = loaded.session
        assert session.srp is not None  # the same row as in the read phase
        ctx.sessions.spend(ctx.uow, loaded)
        generic = NotAuthorizedException(messages.INCORRECT_CREDENTIALS)
        if responses.get("USERNAME") != session.username:
            return Rejected(generic)
        claim = _Claim(ctx, session, session.srp, block, timestamp, signature)
        if session.sub is None:
            with contextlib.suppress(SrpError):
                claim.verifier(session.srp.simulated_verifier)()
            return Failed(session, None, self.name, generic)
        user = ctx.uow.users.get(ctx.pool.id, session.sub)
        if user is None:
            return Rejected(unknown_user_error(ctx.client))
        stored = user.password
        # The device is the one this answer names: every client repeats its DEVICE_KEY here,
        # and the JS SDK answers again without it after "Device does not exist." (the phase
        # rolled back, so the session is still there), whatever InitiateAuth carried.
        progressed = replace(session, device_key=responses.get("DEVICE_KEY") or None, metadata=ctx.metadata)
        return password_step(
            ctx,
            user,
            progressed,
            ChallengeName.PASSWORD_VERIFIER,
            claim.verifier(None if stored is None else stored.verifier),
        )


class _Claim:
    """The client's claim, checkable against a verifier."""

    def __init__(
        self,
        ctx: StepContext,
        session: AuthSession,
        srp: SrpState,
        block: str,
        timestamp: str,
        signature: str,
    ) -> None:
        self._now = ctx.now
        self._pool_name = pool_name_from_pool_id(ctx.pool.id)
        self._user_id = session.username
        self._srp = srp
        self._block = block
        self._timestamp = timestamp
        self._signature = signature

    def verifier(self, verifier_hex: str | None) -> Callable[[], None]:
        """A check that raises ``StaleTimestamp`` or ``ProofMismatch`` (also for no verifier)."""

        def verify() -> None:
            check_timestamp(self._timestamp, now=self._now)
            if verifier_hex is None:
                raise ProofMismatch("no verifier to check the claim against")
            verify_claim(
                self._srp.challenge(),
                verifier_hex=verifier_hex,
                pool_name=self._pool_name,
                user_id_for_srp=self._user_id,
                secret_block_b64=self._block,
                timestamp=self._timestamp,
                signature_b64=self._signature,
            )

        return verify


CHALLENGE: Final = ChallengeType(PasswordVerifier(), locate=by_secret_block)
