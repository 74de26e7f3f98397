"""What every flow and challenge responder gets: the open unit of work, the pool and client of
the call, the time, and the engine's collaborators; plus parameter helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from poolgate.auth import messages
from poolgate.auth.existence import Simulator
from poolgate.auth.ports import TokenIssuer
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import AuthFlow, AuthSession, RequestMetadata
from poolgate.errors import InvalidParameterException
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import UnitOfWork
from poolgate.users.model import User


@dataclass(frozen=True, slots=True)
class StepContext:
    """One call's view of the world. ``now`` is read once per call from the injected clock;
    ``admin`` is True for AdminInitiateAuth / AdminRespondToAuthChallenge."""

    uow: UnitOfWork
    pool: UserPool
    client: AppClient
    now: float
    admin: bool
    metadata: RequestMetadata
    sessions: Sessions
    simulator: Simulator
    tokens: TokenIssuer

    def new_session(
        self, flow: AuthFlow, *, sub: str | None, username: str, device_key: str | None = None
    ) -> AuthSession:
        """A fresh, not yet stored session of this call for the user ``sub``."""
        return AuthSession(
            user_pool_id=self.pool.id,
            client_id=self.client.client_id,
            sub=sub,
            username=username,
            flow=flow,
            challenge=None,
            issued_at=self.now,
            expires_at=self.now,
            admin=self.admin,
            device_key=device_key,
            metadata=self.metadata,
        )

    def session_for(self, flow: AuthFlow, user: User, device_key: str | None = None) -> AuthSession:
        """:meth:`new_session` for an existing user."""
        return self.new_session(flow, sub=user.sub, username=user.username, device_key=device_key)


def required(parameters: Mapping[str, str], name: str) -> str:
    """``parameters[name]``; InvalidParameterException ``Missing required parameter <name>``
    when it is absent or empty."""
    value = parameters.get(name)
    if not value:
        raise InvalidParameterException(messages.missing_parameter(name))
    return value
