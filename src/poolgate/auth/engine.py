"""The sign-in state machine (diagram: ``engine.md``).

``next_challenge`` is a pure table: after a passed step it decides between a forced password
change, the MFA steps (``mfa.selection``), device SRP (``devices``) and tokens. ``Engine`` runs
one call in phases (``context``): read-only transactions, trigger calls with no transaction
open, and short write transactions that re-read what they check.

- ``initiate``: pool and client (from the store's per-epoch cache, checked by the call's first
  transaction, or read) -> the operation and the client allow the AuthFlow (the flow's ``Gate``)
  -> the flow's ``identify`` -> ``SECRET_HASH`` -> the flow's ``start``;
- ``respond``: pool and client (as for ``initiate``) -> ``USERNAME`` and ``SECRET_HASH`` -> the session (by
  ``Session``, or as the challenge's ``locate`` declares, e.g. by SECRET_BLOCK for
  PASSWORD_VERIFIER; read) -> its pool, client, expiry and challenge -> the responder;
- the outcome is settled: ``Passed`` continues through ``next_challenge`` (or, in CUSTOM_AUTH,
  through DefineAuthChallenge) to the next challenge or tokens; ``Complete`` goes to tokens;
  ``Failed`` and ``Rejected`` raise, except that a ``Failed`` password proof of CUSTOM_AUTH goes
  to DefineAuthChallenge as a ``false`` entry. Tokens come from ``hooks.finish``, or from
  ``hooks.finish_in_phase`` inside a password step's own write phase (``Issued``) when nothing
  has to run between the step and the tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from poolgate.auth import custom, messages, threat
from poolgate.auth.challenges import CHALLENGES
from poolgate.auth.context import StepContext, required
from poolgate.auth.devices import device_skips_mfa, needs_device_srp
from poolgate.auth.existence import Simulator
from poolgate.auth.flows import FLOWS
from poolgate.auth.gating import check_flow
from poolgate.auth.hooks import finish, finish_in_phase, signed
from poolgate.auth.ports import TokenIssuer
from poolgate.auth.sessions import LoadedSession, Sessions
from poolgate.auth.state import (
    Authenticated,
    AuthFlow,
    AuthSession,
    Challenge,
    ChallengeName,
    Complete,
    Failed,
    Issued,
    Outcome,
    Passed,
    Rejected,
    RequestMetadata,
    StepResult,
)
from poolgate.clock import Clock
from poolgate.errors import InvalidParameterException, ResourceNotFoundException
from poolgate.mfa.deps import MfaDeps
from poolgate.mfa.selection import MFA_STEPS, mfa_step
from poolgate.mfa.selection import mfa_required as mfa_owed
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.pools.service import require_client, require_pool
from poolgate.security.service import ThreatProtection
from poolgate.store.base import ConfigSnapshots, StaleConfig, Store
from poolgate.triggers.api import Caller, Triggers
from poolgate.users.model import User, UserStatus

# -- what comes after a passed step ----------------------------------------------------------


class _End(Enum):
    TOKENS = "TOKENS"


TOKENS: Final = _End.TOKENS
"""The last row's decision: no challenge is left, tokens are issued."""

NextStep = ChallengeName | Literal[_End.TOKENS]
"""What ``next_challenge`` can decide: the challenge to issue (a registered ``ChallengeType``
with an ``issue``), or ``TOKENS``."""


Condition = Callable[[AuthSession, User, UserPool, AppClient], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: when ``applies`` holds, the sign-in continues with ``then``."""

    name: str
    applies: Condition
    then: NextStep


def _must_change_password(session: AuthSession, user: User, pool: UserPool, client: AppClient) -> bool:
    return (
        user.status is UserStatus.FORCE_CHANGE_PASSWORD
        and ChallengeName.NEW_PASSWORD_REQUIRED not in session.steps
    )


def _always(session: AuthSession, user: User, pool: UserPool, client: AppClient) -> bool:
    return True


def mfa_required(session: AuthSession, user: User, pool: UserPool) -> bool:
    """True while the sign-in owes an MFA step (``mfa.selection.mfa_required``): the pool is ON,
    or OPTIONAL and the user has a usable factor, and no MFA step has passed yet. Every MFA row
    asks it first, so a condition that waives MFA belongs here: a remembered device does
    (``devices.device_skips_mfa``; device SRP, the row after the MFA rows, then proves it).
    Threat protection's MFA action (``threat.risk_mfa_step``) makes MFA owed whatever the pool
    and device say: the one place where a risky sign-in gets its MFA step."""
    if threat.risk_mfa_step(session, user, pool) is not None:
        return True
    return mfa_owed(session.steps, user, pool) and not device_skips_mfa(session, user, pool)


def _mfa_row(step: ChallengeName) -> Condition:
    """The condition of the MFA row for ``step``: MFA is owed and ``mfa.selection.mfa_step``
    (mfa-devices-security.md section 2's table) picks ``step``."""

    def applies(session: AuthSession, user: User, pool: UserPool, client: AppClient) -> bool:
        if not mfa_required(session, user, pool):
            return False
        return (threat.risk_mfa_step(session, user, pool) or mfa_step(user, pool)) == step.value

    return applies


RULES: Final[tuple[Rule, ...]] = (
    # auth-flows.md section 6, in order. Threat protection (step 2) blocks (auth.threat, when
    # the password step passes) or forces MFA (through mfa_required); it adds no challenge.
    Rule("temporary password must be replaced", _must_change_password, ChallengeName.NEW_PASSWORD_REQUIRED),
    Rule(
        "MFA owed, pool ON, no usable factor: set one up",
        _mfa_row(ChallengeName.MFA_SETUP),
        ChallengeName.MFA_SETUP,
    ),
    Rule(
        "MFA owed, several usable factors, none preferred: choose",
        _mfa_row(ChallengeName.SELECT_MFA_TYPE),
        ChallengeName.SELECT_MFA_TYPE,
    ),
    Rule("MFA owed, SMS is the user's factor", _mfa_row(ChallengeName.SMS_MFA), ChallengeName.SMS_MFA),
    Rule("MFA owed, e-mail is the user's factor", _mfa_row(ChallengeName.EMAIL_OTP), ChallengeName.EMAIL_OTP),
    Rule(
        "MFA owed, TOTP is the user's factor",
        _mfa_row(ChallengeName.SOFTWARE_TOKEN_MFA),
        ChallengeName.SOFTWARE_TOKEN_MFA,
    ),
    # The DEVICE row follows the MFA rows (auth.devices explains why); a remembered device that
    # replaces MFA is decided by auth.devices.device_skips_mfa, which mfa_required consults.
    Rule("DEVICE_KEY of a confirmed device, not yet proven", needs_device_srp, ChallengeName.DEVICE_SRP_AUTH),
    Rule("nothing left: issue tokens", _always, TOKENS),
)


def next_challenge(session: AuthSession, user: User, pool: UserPool, client: AppClient) -> NextStep:
    """What follows a passed step: the first row of ``RULES`` that applies. Pure."""
    for rule in RULES:
        if rule.applies(session, user, pool, client):
            return rule.then
    raise AssertionError("the last rule always applies")


def _check_rules() -> None:
    """Every challenge a row of ``RULES`` chooses is registered with an ``issue``."""
    for rule in RULES:
        if rule.then is not TOKENS and CHALLENGES[rule.then].issue is None:
            raise RuntimeError(f"{rule.then} is chosen by RULES but has no issuer")


_check_rules()

# The steps that prove the password; threat protection rates the attempt when one has an outcome.
_PASSWORD_STEPS: Final = frozenset({ChallengeName.PASSWORD, ChallengeName.PASSWORD_VERIFIER})

# -- the engine --------------------------------------------------------------------------------


def _check_secret_hash(ctx: StepContext, username: str | None, values: Mapping[str, str]) -> None:
    """The one SECRET_HASH check of a sign-in call: ``values`` (AuthParameters or
    ChallengeResponses) must carry the hash of ``username`` for a client with a secret. None
    means the flow's credential names the user (a refresh token, checked by the token
    service)."""
    if username is not None:
        check_secret_hash(ctx.client, username, values.get("SECRET_HASH"))


@dataclass(frozen=True, slots=True)
class Collaborators:
    """What the engine hands every call: the store, the clock and the services it uses."""

    store: Store
    clock: Clock
    tokens: TokenIssuer
    sessions: Sessions
    simulator: Simulator
    triggers: Triggers
    mfa: MfaDeps | None = None
    threat: ThreatProtection | None = None
    snapshots: ConfigSnapshots | None = None


class Engine:
    """Runs InitiateAuth / RespondToAuthChallenge (and their Admin forms), phase by phase.

    Returns a ``StepResult`` or raises a ``CognitoError``; what a failing step wrote has
    committed before the error is raised.
    """

    def __init__(self, collaborators: Collaborators) -> None:
        self._with = collaborators

    def initiate(
        self,
        *,
        pool_id: str | None,
        client_id: str,
        auth_flow: str,
        parameters: Mapping[str, str],
        metadata: RequestMetadata,
        caller: Caller | None,
    ) -> StepResult:
        """InitiateAuth (``pool_id`` None) or AdminInitiateAuth."""

        def run(ctx: StepContext) -> StepResult:
            if auth_flow not in AuthFlow.__members__:
                # The protocol layer checks the enum; a value a newer model adds is not ours yet.
                raise InvalidParameterException(messages.METHOD_NOT_SUPPORTED)
            flow = AuthFlow(auth_flow)
            check_flow(flow, admin=ctx.admin, client_config=ctx.client.config)
            served = FLOWS[flow]
            _check_secret_hash(ctx, served.identify(ctx, parameters), parameters)
            return self._settle(ctx, served.start(ctx, flow, parameters))

        return self._call(run, pool_id, client_id, metadata, caller, responding=False)

    def respond(
        self,
        *,
        pool_id: str | None,
        client_id: str,
        challenge_name: str,
        responses: Mapping[str, str],
        session: str | None,
        metadata: RequestMetadata,
        caller: Caller | None,
    ) -> StepResult:
        """RespondToAuthChallenge (``pool_id`` None) or AdminRespondToAuthChallenge."""

        def run(ctx: StepContext) -> StepResult:
            if challenge_name not in ChallengeName.__members__:
                raise InvalidParameterException(messages.INVALID_CHALLENGE_NAME)
            name = ChallengeName(challenge_name)
            _check_secret_hash(ctx, required(responses, "USERNAME"), responses)
            with ctx.reading() as phase:
                loaded = self._locate(phase, name, responses, session)
            Sessions.check_usable(
                loaded, pool_id=ctx.pool.id, client_id=ctx.client.client_id, challenge=name, now=ctx.now
            )
            challenge = CHALLENGES.get(name)
            if challenge is None:
                raise InvalidParameterException(messages.INVALID_CHALLENGE_NAME)
            outcome = challenge.responder.respond(ctx, loaded, responses)
            if isinstance(outcome, Rejected) and name.value in MFA_STEPS:
                threat.record_mfa(ctx, loaded.session, False)
            return self._settle(ctx, outcome)

        return self._call(run, pool_id, client_id, metadata, caller, responding=True)

    def _call(
        self,
        run: Callable[[StepContext], StepResult],
        pool_id: str | None,
        client_id: str,
        metadata: RequestMetadata,
        caller: Caller | None,
        *,
        responding: bool,
    ) -> StepResult:
        """``run`` with the call's context. The pool and client come from the store's cache
        when it has them (``store.base.ConfigSnapshots``), which saves a read transaction per
        call; the call's first transaction then checks that they are current, and on
        ``StaleConfig`` the call starts again with both read in a transaction. Nothing has
        been written or sent by then: every flow and responder opens a phase before it invokes
        a trigger (they only ask ``triggers.configured`` before), and an error raised before
        any transaction is checked against the epoch on its way out (``expecting``)."""
        snapshots = self._with.snapshots
        found = snapshots.snapshot(pool_id, client_id) if snapshots is not None else None
        if snapshots is not None and found is not None:
            ctx = self._new_context(
                found.pool, found.client, pool_id, metadata, caller, responding=responding
            )
            try:
                with snapshots.expecting(found):
                    return run(ctx)
            except StaleConfig:
                pass
        return run(self._context(pool_id, client_id, metadata, caller, responding=responding))

    def _context(
        self,
        pool_id: str | None,
        client_id: str,
        metadata: RequestMetadata,
        caller: Caller | None,
        *,
        responding: bool,
    ) -> StepContext:
        with self._with.store.transaction(readonly=True) as uow:
            if pool_id is not None:
                pool = require_pool(uow, pool_id)
                client = require_client(uow, pool_id, client_id)
            else:
                client = require_client(uow, None, client_id)
                found = uow.pools.get(client.user_pool_id)
                if found is None:
                    raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
                pool = found
        return self._new_context(pool, client, pool_id, metadata, caller, responding=responding)

    def _new_context(
        self,
        pool: UserPool,
        client: AppClient,
        pool_id: str | None,
        metadata: RequestMetadata,
        caller: Caller | None,
        *,
        responding: bool,
    ) -> StepContext:
        return StepContext(
            store=self._with.store,
            pool=pool,
            client=client,
            now=self._with.clock.now(),
            admin=pool_id is not None,
            responding=responding,
            metadata=metadata,
            caller=caller or Caller(client_id=client.client_id),
            sessions=self._with.sessions,
            simulator=self._with.simulator,
            tokens=self._with.tokens,
            trigger_points=self._with.triggers,
            mfa=self._with.mfa,
            threat=self._with.threat,
            in_phase=self._settle_in_phase,
        )

    def _locate(
        self, ctx: StepContext, name: ChallengeName, responses: Mapping[str, str], handle: str | None
    ) -> LoadedSession:
        """The answer's session: by ``Session``, else as the challenge declares (``locate``)."""
        if handle:
            return ctx.sessions.find(ctx.uow, handle)
        challenge = CHALLENGES.get(name)
        if challenge is not None and challenge.locate is not None:
            return challenge.locate(ctx, responses)
        raise InvalidParameterException(messages.missing_parameter("Session"))

    @staticmethod
    def _settle_in_phase(phase: StepContext, passed: Passed) -> Outcome:
        """Inside the write phase of a password step that passed (``StepContext.settle_in_phase``):
        when tokens come next and nothing has to run before them (no CUSTOM_AUTH round, no
        threat rating, no PostAuthentication or PreTokenGeneration), their token session is
        stored in this phase (``hooks.finish_in_phase``), which saves a write transaction.
        Otherwise ``passed`` goes on to ``_settle`` as usual."""
        session = passed.session
        if session.custom is not None or session.risk_event is not None or threat.rates_sign_ins(phase):
            return passed
        if next_challenge(session, passed.user, phase.pool, phase.client) is not TOKENS:
            return passed
        issued = finish_in_phase(phase, session, passed.user)
        return passed if issued is None else issued

    def _settle(self, ctx: StepContext, outcome: Outcome) -> StepResult:
        while True:
            if isinstance(outcome, (Challenge, Authenticated)):
                return outcome
            if isinstance(outcome, Issued):
                threat.finished(ctx, outcome.session, passed=True)
                return signed(outcome)
            if isinstance(outcome, Complete):
                return self._tokens(ctx, outcome.session, outcome.user)
            if isinstance(outcome, Failed):
                if outcome.session.custom is None:
                    if outcome.step in _PASSWORD_STEPS:
                        threat.after_password_failure(ctx, outcome.session, outcome.user)
                    raise outcome.error
                outcome = custom.after_step(ctx, outcome.session, outcome.user, outcome.step, False)
            elif isinstance(outcome, Passed):
                if outcome.session.custom is not None:
                    step = outcome.session.steps[-1]
                    outcome = custom.after_step(ctx, outcome.session, outcome.user, step, True)
                else:
                    return self._advance(ctx, self._rated(ctx, outcome))
            else:
                raise outcome.error

    @staticmethod
    def _rated(ctx: StepContext, passed: Passed) -> Passed:
        """Threat protection's view of the step just passed (``auth.threat``): a password
        step is rated (which may block or force MFA), an MFA step recorded."""
        last = passed.session.steps[-1] if passed.session.steps else None
        if last in _PASSWORD_STEPS:
            return threat.after_password(ctx, passed)
        if last is not None and last.value in MFA_STEPS:
            threat.record_mfa(ctx, passed.session, True)
        return passed

    @staticmethod
    def _tokens(ctx: StepContext, session: AuthSession, user: User) -> Authenticated:
        """``hooks.finish``, then the attempt's auth event is marked Pass (Fail if it raised)."""
        try:
            result = finish(ctx, session, user)
        except Exception:
            threat.finished(ctx, session, passed=False)
            raise
        threat.finished(ctx, session, passed=True)
        return result

    def _advance(self, ctx: StepContext, passed: Passed) -> StepResult:
        step = next_challenge(passed.session, passed.user, ctx.pool, ctx.client)
        if step is TOKENS:
            return self._tokens(ctx, passed.session, passed.user)
        challenge = CHALLENGES[step]
        assert challenge.issue is not None  # _check_rules
        if not challenge.in_write_phase:
            return challenge.issue(ctx, passed.session, passed.user)
        with ctx.writing() as phase:
            return challenge.issue(phase, passed.session, passed.user)
