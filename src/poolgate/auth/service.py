"""``AuthService``: the four sign-in operations, one transaction each.

A step that fails after writing something that must stay (a counted failed password, a spent
session) reports ``Rejected``; the service lets the transaction commit and raises the error
afterwards. Any error raised inside the transaction rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from poolgate.auth.engine import Engine
from poolgate.auth.existence import Simulator
from poolgate.auth.ports import TokenIssuer
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import Rejected, RequestMetadata, StepResult
from poolgate.clock import Clock
from poolgate.security.crypto import MasterKey
from poolgate.store.base import Store, UnitOfWork
from poolgate.triggers.api import NoTriggers, Triggers


class AuthService:
    """InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge.

    ``tokens`` issues and refreshes tokens (``poolgate.tokens.service.TokenService``);
    ``master_key`` keys the SECRET_BLOCK and the stand-ins for unknown users. Every method
    returns a ``Challenge`` or ``Authenticated`` and raises ``CognitoError`` subclasses:
    ResourceNotFoundException (pool or client), InvalidParameterException (flow, parameters,
    challenge name), NotAuthorizedException (credentials, SECRET_HASH, session, lockout,
    disabled), UserNotFoundException, UserNotConfirmedException,
    PasswordResetRequiredException, InvalidPasswordException,
    PasswordHistoryPolicyViolationException, AliasExistsException.
    """

    def __init__(
        self, store: Store, clock: Clock, tokens: TokenIssuer, master_key: MasterKey, *, triggers: Triggers | None = None
    ) -> None:
        self._store = store
        self._triggers: Triggers = triggers or NoTriggers()
        self._engine = Engine(
            clock, tokens, Sessions(master_key), Simulator(master_key.derive("auth: simulated users"))
        )

    def initiate_auth(
        self,
        client_id: str,
        auth_flow: str,
        parameters: Mapping[str, str],
        *,
        metadata: RequestMetadata | None = None,
    ) -> StepResult:
        """InitiateAuth: ``parameters`` is ``AuthParameters``; the pool comes from the client."""
        return self._run(
            lambda uow: self._engine.initiate(
                uow, pool_id=None, client_id=client_id, auth_flow=auth_flow, parameters=parameters,
                metadata=metadata or RequestMetadata(),
            )
        )

    def admin_initiate_auth(
        self,
        pool_id: str,
        client_id: str,
        auth_flow: str,
        parameters: Mapping[str, str],
        *,
        metadata: RequestMetadata | None = None,
    ) -> StepResult:
        """AdminInitiateAuth: the client must belong to ``pool_id``."""
        return self._run(
            lambda uow: self._engine.initiate(
                uow, pool_id=pool_id, client_id=client_id, auth_flow=auth_flow, parameters=parameters,
                metadata=metadata or RequestMetadata(),
            )
        )

    def respond_to_auth_challenge(
        self,
        client_id: str,
        challenge_name: str,
        responses: Mapping[str, str],
        *,
        session: str | None,
        metadata: RequestMetadata | None = None,
    ) -> StepResult:
        """RespondToAuthChallenge: ``responses`` is ``ChallengeResponses``; ``session`` may be
        None only for PASSWORD_VERIFIER."""
        return self._run(
            lambda uow: self._engine.respond(
                uow, pool_id=None, client_id=client_id, challenge_name=challenge_name, responses=responses,
                session=session, metadata=metadata or RequestMetadata(),
            )
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
    ) -> StepResult:
        """AdminRespondToAuthChallenge: as :meth:`respond_to_auth_challenge`, for ``pool_id``."""
        return self._run(
            lambda uow: self._engine.respond(
                uow, pool_id=pool_id, client_id=client_id, challenge_name=challenge_name, responses=responses,
                session=session, metadata=metadata or RequestMetadata(),
            )
        )

    def _run(self, step: Callable[[UnitOfWork], StepResult | Rejected]) -> StepResult:
        with self._store.transaction() as uow:
            outcome = step(uow)
        # Outside the block: the transaction has committed what a rejected step wrote.
        if isinstance(outcome, Rejected):
            raise outcome.error
        return outcome
