"""The contract every challenge fulfils: its ``Responder``, and the ``ChallengeType`` a
challenge module declares (``CHALLENGE``) and ``challenges.CHALLENGES`` registers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from poolgate.auth import messages
from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import unknown_user_error
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome
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


Issuer = Callable[[StepContext, AuthSession, User], Challenge]
"""Stores ``session`` as waiting for the challenge and builds the ``Challenge`` for ``user``."""

Locator = Callable[[StepContext, Mapping[str, str]], LoadedSession]
"""Finds the session of an answer that carries no ``Session`` (``ctx`` bound to a read phase)."""


@dataclass(frozen=True, slots=True)
class ChallengeType:
    """Everything the engine knows about one challenge, declared by its module as ``CHALLENGE``.

    - ``responder`` checks an answer; its ``name`` is the challenge's ``ChallengeName``;
    - ``issue`` builds the challenge when ``engine.next_challenge`` chooses it after a passed
      step (None for a challenge only a flow or another challenge issues);
    - ``in_write_phase``: True when the engine opens a write phase and ``issue`` runs inside
      it; False when ``issue`` opens its own phases (a delivered code runs
      CustomMessage_Authentication before its write phase and is sent after the commit);
    - ``locate`` finds the session of an answer without ``Session`` (pycognito sends none on
      some steps); None means ``Session`` is required.
    """

    responder: Responder
    issue: Issuer | None = None
    in_write_phase: bool = True
    locate: Locator | None = None

    @property
    def name(self) -> ChallengeName:
        """The ``ChallengeName`` the challenge answers to."""
        return self.responder.name


def by_secret_block(ctx: StepContext, responses: Mapping[str, str]) -> LoadedSession:
    """A ``Locator``: the session named by ``PASSWORD_CLAIM_SECRET_BLOCK`` (pycognito answers the
    password verifier steps without ``Session``; the block it echoes names the session)."""
    block = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    return ctx.sessions.find_by_secret_block(ctx.uow, block)


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
