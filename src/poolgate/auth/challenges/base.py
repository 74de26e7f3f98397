"""The contract every challenge responder fulfils, and what responders share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Protocol

from poolgate.auth import messages
from poolgate.auth.context import StepContext
from poolgate.auth.existence import unknown_user_error
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, ChallengeName, Outcome
from poolgate.errors import NotAuthorizedException
from poolgate.users.lookup import find_user
from poolgate.users.model import User


class Responder(Protocol):
    """Answers one ChallengeName.

    The engine has already found the session in a read phase (by ``Session``, or by
    SECRET_BLOCK for PASSWORD_VERIFIER), checked it belongs to the pool and client, is
    unexpired and waits for ``name``, and checked ``USERNAME`` and ``SECRET_HASH``. ``ctx`` is
    between phases: ``respond`` opens its own, takes the session again under lock in its write
    phase (``Sessions.lock``: a concurrent answer may have spent it), checks the rest of the
    ``ChallengeResponses``, spends the session when the answer is final, runs its triggers
    outside any transaction, and reports an outcome. Raising inside a write phase leaves the
    session as it was (for example after a rejected new password).
    """

    name: ClassVar[ChallengeName]

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        """Check the answer in ``responses`` against the session."""
        ...


def session_user(ctx: StepContext, session: AuthSession, username: str) -> User:
    """The user a (non-simulated) session belongs to, provided ``USERNAME`` designates the same
    user (internal username, alias or sign-in attribute); ``ctx`` is bound to a phase.

    Raises NotAuthorizedException ``Invalid session for the user.`` for a session of another
    user [decision], and the unknown-user error if the user was deleted meanwhile.
    """
    if session.sub is None:
        raise NotAuthorizedException(messages.INVALID_SESSION)
    user = ctx.uow.users.get(ctx.pool.id, session.sub)
    if user is None:
        raise unknown_user_error(ctx.client)
    if username != user.username:
        named = find_user(ctx.uow, ctx.pool, username)
        if named is None or named.sub != user.sub:
            raise NotAuthorizedException(messages.INVALID_SESSION)
    return user
