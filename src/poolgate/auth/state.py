"""Domain values of the sign-in engine: flows, challenge names, the server-side ``AuthSession``,
and the outcomes a flow or challenge responder reports.

A step ends in exactly one outcome (STYLE.md section 3):

- ``Challenge``: the caller must answer ``name`` with the ``Session`` handle ``session``;
- ``Authenticated``: tokens were issued;
- ``Passed``: a step succeeded and the engine decides what comes next
  (``engine.next_challenge``, or DefineAuthChallenge in a CUSTOM_AUTH sign-in);
- ``Failed``: a password proof was wrong. The call fails with ``error``, except in CUSTOM_AUTH,
  where the failure becomes a ``false`` entry of the session array and DefineAuthChallenge
  decides;
- ``Complete``: DefineAuthChallenge said ``issueTokens``: tokens follow, without the table;
- ``Issued``: the step's own write phase also stored the token session (``hooks.finish_in_phase``,
  when nothing has to run between the step and the tokens); the engine signs them;
- ``Rejected``: the call fails with ``error``.

Steps write in their own short write transactions (``context.StepContext.writing``), so what a
failing step wrote (a counted failed password, a spent session) has committed by the time the
engine raises a ``Failed`` or ``Rejected`` error. An error raised inside a write phase rolls
that phase back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from poolgate.auth.ports import PendingTokens
from poolgate.devices.model import Device
from poolgate.errors import CognitoError
from poolgate.srp import ServerChallenge
from poolgate.tokens.model import IssuedTokens
from poolgate.triggers.api import ChallengeResult
from poolgate.users.model import User


class AuthFlow(StrEnum):
    """``AuthFlowType`` of the model."""

    USER_SRP_AUTH = "USER_SRP_AUTH"
    REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"
    REFRESH_TOKEN = "REFRESH_TOKEN"
    CUSTOM_AUTH = "CUSTOM_AUTH"
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"
    USER_AUTH = "USER_AUTH"


class ChallengeName(StrEnum):
    """``ChallengeNameType`` of the model. ``PASSWORD`` also names the step a password flow
    passes, so that ``AuthSession.steps`` uses one vocabulary."""

    SMS_MFA = "SMS_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
    MFA_SETUP = "MFA_SETUP"
    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
    CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
    SELECT_CHALLENGE = "SELECT_CHALLENGE"
    DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
    DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
    SMS_OTP = "SMS_OTP"
    PASSWORD = "PASSWORD"
    WEB_AUTHN = "WEB_AUTHN"
    PASSWORD_SRP = "PASSWORD_SRP"


@dataclass(frozen=True, slots=True)
class RequestMetadata:
    """What a caller sent besides its parameters: ``ClientMetadata``, ``AnalyticsMetadata`` and
    ``ContextData`` (admin operations) or ``UserContextData`` (public ones). Shapes were checked
    by the protocol layer.

    ``ClientMetadata`` goes to the triggers of the call that carried it and is never stored
    (the model doc of every ClientMetadata member): :meth:`to_state` leaves it out, so a
    session keeps only the analytics and context data, for risk checks. ``source_ip`` and
    ``user_agent`` describe the connection of this call (threat protection reads them); they
    are not kept either, since every call brings its own.
    """

    client_metadata: Mapping[str, str] = field(default_factory=dict)
    analytics_metadata: Mapping[str, str] | None = None
    context_data: Mapping[str, Any] | None = None
    source_ip: str | None = None
    user_agent: str | None = None

    def to_state(self) -> dict[str, Any]:
        """A JSON document of the metadata a session may keep (no ClientMetadata)."""
        return {
            "analytics_metadata": None if self.analytics_metadata is None else dict(self.analytics_metadata),
            "context_data": None if self.context_data is None else dict(self.context_data),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> RequestMetadata:
        """The inverse of :meth:`to_state` (with an empty ClientMetadata)."""
        return cls(
            analytics_metadata=state.get("analytics_metadata"),
            context_data=state.get("context_data"),
        )


@dataclass(frozen=True, slots=True)
class SrpState:
    """The server half of a pending SRP exchange (srp.md section 6.2).

    ``b`` is the server's secret exponent; ``simulated_verifier`` is set only for the fake
    exchange given to an unknown user (``existence``), whose verifier is not stored anywhere.
    """

    b: int = field(repr=False)
    B_hex: str
    A_hex: str
    simulated_verifier: str | None = field(default=None, repr=False)

    def challenge(self) -> ServerChallenge:
        """The ``ServerChallenge`` that ``poolgate.srp.verify_claim`` takes."""
        return ServerChallenge(b=self.b, B_hex=self.B_hex, A_hex=self.A_hex)


@dataclass(frozen=True, slots=True)
class CustomState:
    """What a CUSTOM_AUTH sign-in carries between rounds (auth-flows.md section 4.5).

    ``history`` is the ``session`` array the challenge triggers see; ``private_parameters``
    and ``challenge_metadata`` come from the CreateAuthChallenge answer of the pending
    CUSTOM_CHALLENGE and are kept server-side only (VerifyAuthChallengeResponse gets the
    former, the next history entry the latter). ``typed_username`` is the name the caller
    signed in with: the triggers' ``userName`` when no such user exists (``userNotFound``).
    """

    typed_username: str
    history: tuple[ChallengeResult, ...] = ()
    private_parameters: Mapping[str, str] = field(default_factory=dict, repr=False)
    challenge_metadata: str | None = None

    def appended(self, name: str, result: bool, metadata: str | None = None) -> CustomState:
        """This state with one more history entry and no pending challenge."""
        entry = ChallengeResult(challenge_name=name, challenge_result=result, challenge_metadata=metadata)
        return replace(self, history=(*self.history, entry), private_parameters={}, challenge_metadata=None)


@dataclass(frozen=True, slots=True)
class AuthSession:
    """The state of one sign-in between two calls.

    ``sub`` is None only for the simulated session of an unknown user. ``username`` is the
    internal username, which is also ``USER_ID_FOR_SRP``. ``challenge`` is the challenge the
    session waits for, ``steps`` the steps passed so far (``PASSWORD``, ``PASSWORD_VERIFIER``,
    ``NEW_PASSWORD_REQUIRED``, ...), and ``auth_time`` the time the password step passed (the
    ``auth_time`` claim of the tokens). ``admin`` says an Admin* operation began the sign-in.
    ``custom`` is set for CUSTOM_AUTH sign-ins. ``device_key`` is the device the caller named;
    once the password step has passed it names a confirmed device of the user (or is None), and
    ``device_remembered`` says whether that device is remembered (``auth.devices``).
    For a session not stored yet (a password flow that passed its first step in one call),
    ``issued_at`` and ``expires_at`` are the time of the step. Threat protection
    (``auth.threat``) sets ``risk_event`` (the auth event id, also the tokens' ``event_id``),
    ``risk_mfa`` (the MFA action it applies: ``MFA_IF_CONFIGURED`` or ``MFA_REQUIRED``) and
    ``risk_compromised`` (the password was found in the compromised list).
    """

    user_pool_id: str
    client_id: str
    sub: str | None
    username: str
    flow: AuthFlow
    challenge: ChallengeName | None
    issued_at: float
    expires_at: float
    admin: bool = False
    steps: tuple[ChallengeName, ...] = ()
    auth_time: float | None = None
    attempts: int = 0
    srp: SrpState | None = None
    device_key: str | None = None
    device_remembered: bool = False
    metadata: RequestMetadata = field(default_factory=RequestMetadata)
    custom: CustomState | None = None
    risk_event: str | None = None
    risk_mfa: str | None = None
    risk_compromised: bool = False

    @property
    def simulated(self) -> bool:
        """True for the fake session given to an unknown user (PreventUserExistenceErrors)."""
        return self.sub is None

    def passed(self, step: ChallengeName, *, now: float, password: bool = False) -> AuthSession:
        """This session with ``step`` passed and nothing pending; ``password`` marks the step
        that proved the password, whose time becomes ``auth_time``."""
        return replace(
            self,
            steps=(*self.steps, step),
            challenge=None,
            srp=None,
            auth_time=now if password else self.auth_time,
        )


@dataclass(frozen=True, slots=True)
class Challenge:
    """The caller must answer ``name``; ``session`` is the ``Session`` handle to send back."""

    name: ChallengeName
    parameters: Mapping[str, str]
    session: str


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The sign-in is complete."""

    tokens: IssuedTokens
    new_device_metadata: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Passed:
    """A step succeeded for ``user``; ``session`` records it. The engine decides what is next."""

    session: AuthSession
    user: User


@dataclass(frozen=True, slots=True)
class Failed:
    """The password proof of ``step`` was wrong (``user`` None for a simulated session). The
    failure has been counted and committed; ``error`` is what the caller gets unless the
    sign-in is CUSTOM_AUTH."""

    session: AuthSession
    user: User | None
    step: ChallengeName
    error: CognitoError


@dataclass(frozen=True, slots=True)
class Complete:
    """DefineAuthChallenge said ``issueTokens`` for ``user``: tokens follow directly."""

    session: AuthSession
    user: User


@dataclass(frozen=True, slots=True)
class Issued:
    """The passed step's write phase stored the token session too; ``tokens`` are signed once
    it has committed. ``device`` is the device handed out with them, if any."""

    session: AuthSession
    user: User
    tokens: PendingTokens
    device: Device | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The call fails with ``error``; what the step wrote has committed."""

    error: CognitoError


StepResult = Challenge | Authenticated
"""What a successful call returns."""

Outcome = Challenge | Authenticated | Passed | Failed | Complete | Issued | Rejected
"""What a flow or challenge responder reports to the engine."""
