"""What every flow and challenge responder gets: the pool and client of the call, the time, the
caller, the engine's collaborators, and the transactions of its phases; plus parameter helpers.

A call runs in phases (the rule of ``poolgate.triggers.api``): read what is needed in a
read-only transaction (:meth:`StepContext.reading`), run the triggers with no transaction open,
then write in a short write transaction (:meth:`StepContext.writing`) that re-reads whatever
the checks depend on. The context a phase yields is *bound* to its unit of work (``ctx.uow``);
asking a bound context for ``triggers`` raises, so a trigger can never run inside a
transaction, where on SQLite it would hold the database's write lock for its whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

from poolgate.auth import messages
from poolgate.auth.existence import Simulator
from poolgate.auth.ports import TokenIssuer
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import AuthFlow, AuthSession, Outcome, Passed, RequestMetadata
from poolgate.errors import InvalidParameterException
from poolgate.mfa.deps import MfaDeps
from poolgate.pools.model import AppClient, UserPool
from poolgate.security.service import ThreatProtection
from poolgate.store.base import Store, UnitOfWork
from poolgate.triggers.api import Caller, Triggers
from poolgate.users.model import User


@dataclass(frozen=True, slots=True)
class StepContext:
    """One call's view of the world. ``now`` is read once per call from the injected clock;
    ``admin`` is True for AdminInitiateAuth / AdminRespondToAuthChallenge, ``responding`` for
    the two RespondToAuthChallenge operations. ``bound`` is the unit of work of the phase this
    context belongs to (None between phases). ``mfa`` seals TOTP secrets and sends MFA codes
    (None only in contexts built by hand for tests). ``threat`` is threat protection
    (``auth.threat``; None where it is not wired, as in most unit tests). ``in_phase`` is the
    engine's :meth:`settle_in_phase` (None in contexts built by hand)."""

    store: Store
    pool: UserPool
    client: AppClient
    now: float
    admin: bool
    responding: bool
    metadata: RequestMetadata
    caller: Caller
    sessions: Sessions
    simulator: Simulator
    tokens: TokenIssuer
    trigger_points: Triggers
    bound: UnitOfWork | None = None
    mfa: MfaDeps | None = None
    threat: ThreatProtection | None = None
    in_phase: Callable[[StepContext, Passed], Outcome] | None = None

    # -- phases --------------------------------------------------------------------------------

    @property
    def uow(self) -> UnitOfWork:
        """The unit of work of the current phase; RuntimeError outside a phase."""
        if self.bound is None:
            raise RuntimeError("no transaction is open: use ctx.reading() or ctx.writing()")
        return self.bound

    @contextmanager
    def reading(self) -> Iterator[StepContext]:
        """A read-only transaction; yields this context bound to it."""
        self._no_phase()
        with self.store.transaction(readonly=True) as uow:
            yield replace(self, bound=uow)

    @contextmanager
    def writing(self) -> Iterator[StepContext]:
        """A write transaction that commits when the block ends normally and rolls back when it
        raises; yields this context bound to it."""
        self._no_phase()
        with self.store.transaction() as uow:
            yield replace(self, bound=uow)

    def settle_in_phase(self, passed: Passed) -> Outcome:
        """A step passed in this write phase: what the engine can make of it without leaving
        the phase (``Issued`` when the tokens can be prepared here), else ``passed`` itself."""
        if self.bound is None:
            raise RuntimeError("settle_in_phase belongs inside a write phase")
        return passed if self.in_phase is None else self.in_phase(self, passed)

    def _no_phase(self) -> None:
        if self.bound is not None:
            raise RuntimeError("phases do not nest: a transaction is already open")

    # -- triggers --------------------------------------------------------------------------------

    @property
    def triggers(self) -> Triggers:
        """The trigger points, for use between phases only (RuntimeError inside one)."""
        if self.bound is not None:
            raise RuntimeError("a trigger may not run inside a transaction")
        return self.trigger_points

    @property
    def validation_data(self) -> Mapping[str, str] | None:
        """``validationData`` of PreAuthentication and UserMigration: the ClientMetadata of an
        InitiateAuth / AdminInitiateAuth call (triggers.md section 5)."""
        if self.responding:
            return None
        return dict(self.metadata.client_metadata)

    @property
    def respond_client_metadata(self) -> Mapping[str, str] | None:
        """``clientMetadata`` of PostAuthentication, PreTokenGeneration and the challenge
        triggers: only a Respond* call's ClientMetadata reaches them (triggers.md section 5),
        so None (sent as ``{}``) during InitiateAuth."""
        if not self.responding:
            return None
        return dict(self.metadata.client_metadata)

    # -- sessions --------------------------------------------------------------------------------

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
