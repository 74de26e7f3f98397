"""``AuthService``: the four sign-in operations.

Each call runs in phases (``context``): read-only transactions for what the checks and the
triggers need, the triggers with no transaction open, and short write transactions for the
lockout record, the password check, sessions and tokens. A step that fails after writing
something that must stay (a counted failed password, a spent session) commits its write phase
before the error is raised; an error raised inside a write phase rolls that phase back.
"""

from __future__ import annotations

from collections.abc import Mapping

from poolgate.auth.engine import Collaborators, Engine
from poolgate.auth.existence import Simulator
from poolgate.auth.ports import TokenIssuer
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import RequestMetadata, StepResult
from poolgate.clock import Clock
from poolgate.delivery.outbox import OutboxSender
from poolgate.mfa.deps import MfaDeps, mfa_deps
from poolgate.security.crypto import MasterKey
from poolgate.security.service import ThreatProtection
from poolgate.store.base import ConfigSnapshots, Store
from poolgate.triggers.api import Caller, NoTriggers, Triggers


class AuthService:
    """InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge.

    ``tokens`` issues and refreshes tokens (``poolgate.tokens.service.TokenService``);
    ``master_key`` keys the SECRET_BLOCK and the stand-ins for unknown users; ``triggers`` runs
    the pool's Lambda triggers. Every method takes the request's ``metadata`` (ClientMetadata,
    AnalyticsMetadata, ContextData) and ``caller`` (the triggers' ``callerContext``; default:
    the app client and an unknown SDK); ``snapshots`` lets calls take their pool and client from
    the store's cache (``store.base.ConfigSnapshots``; the SQL store is one), returns a ``Challenge`` or ``Authenticated`` and raises
    ``CognitoError`` subclasses: ResourceNotFoundException (pool or client),
    InvalidParameterException (flow, parameters, challenge name), NotAuthorizedException
    (credentials, SECRET_HASH, session, lockout, disabled), UserNotFoundException,
    UserNotConfirmedException, PasswordResetRequiredException, InvalidPasswordException,
    PasswordHistoryPolicyViolationException, AliasExistsException, and the trigger errors
    UserLambdaValidationException, UnexpectedLambdaException and
    InvalidLambdaResponseException. ``mfa`` seals TOTP secrets and delivers MFA codes (default:
    keys derived from ``master_key``, codes recorded in the outbox only); MFA answers add
    CodeMismatchException, ExpiredCodeException, MFAMethodNotFoundException and
    SoftwareTokenMFANotFoundException, and issuing an SMS or e-mail code
    CodeDeliveryFailureException.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        tokens: TokenIssuer,
        master_key: MasterKey,
        *,
        triggers: Triggers | None = None,
        mfa: MfaDeps | None = None,
        threat: ThreatProtection | None = None,
        snapshots: ConfigSnapshots | None = None,
    ) -> None:
        self._engine = Engine(
            Collaborators(
                store=store,
                clock=clock,
                tokens=tokens,
                sessions=Sessions(master_key),
                simulator=Simulator(master_key.derive("auth: simulated users")),
                triggers=triggers or NoTriggers(),
                mfa=mfa or mfa_deps(master_key, OutboxSender(store, clock)),
                threat=threat,
                snapshots=snapshots,
            )
        )

    def initiate_auth(
        self,
        client_id: str,
        auth_flow: str,
        parameters: Mapping[str, str],
        *,
        metadata: RequestMetadata | None = None,
        caller: Caller | None = None,
    ) -> StepResult:
        """InitiateAuth: ``parameters`` is ``AuthParameters``; the pool comes from the client."""
        return self._engine.initiate(
            pool_id=None,
            client_id=client_id,
            auth_flow=auth_flow,
            parameters=parameters,
            metadata=metadata or RequestMetadata(),
            caller=caller,
        )

    def admin_initiate_auth(
        self,
        pool_id: str,
        client_id: str,
        auth_flow: str,
        parameters: Mapping[str, str],
        *,
        metadata: RequestMetadata | None = None,
        caller: Caller | None = None,
    ) -> StepResult:
        """AdminInitiateAuth: the client must belong to ``pool_id``."""
        return self._engine.initiate(
            pool_id=pool_id,
            client_id=client_id,
            auth_flow=auth_flow,
            parameters=parameters,
            metadata=metadata or RequestMetadata(),
            caller=caller,
        )

    def respond_to_auth_challenge(
        self,
        client_id: str,
        challenge_name: str,
        responses: Mapping[str, str],
        *,
        session: str | None,
        metadata: RequestMetadata | None = None,
        caller: Caller | None = None,
    ) -> StepResult:
        """RespondToAuthChallenge: ``responses`` is ``ChallengeResponses``; ``session`` may be
        None only for PASSWORD_VERIFIER."""
        return self._engine.respond(
            pool_id=None,
            client_id=client_id,
            challenge_name=challenge_name,
            responses=responses,
            session=session,
            metadata=metadata or RequestMetadata(),
            caller=caller,
        )

    def admin_respond_to_auth_challenge(
        self,
        pool_id: str,
        client_id: str,
        challenge_name: str,
        responses: Mapping[str, str],
        *,
        session: str | None,
        metadata: RequestMetadata | None = None,
        caller: Caller | None = None,
    ) -> StepResult:
        """AdminRespondToAuthChallenge: as :meth:`respond_to_auth_challenge`, for ``pool_id``."""
        return self._engine.respond(
            pool_id=pool_id,
            client_id=client_id,
            challenge_name=challenge_name,
            responses=responses,
            session=session,
            metadata=metadata or RequestMetadata(),
            caller=caller,
        )
