"""The MFA_SETUP session path of AssociateSoftwareToken and VerifySoftwareToken
(mfa-devices-security.md section 3.2, auth-flows.md section 5).

A sign-in waiting for MFA_SETUP enrols a TOTP token with its ``Session`` instead of an access
token: the session must wait for MFA_SETUP. AssociateSoftwareToken stores a pending secret and
answers with a new Session (the old one is spent); VerifySoftwareToken checks the code, makes
the secret the user's verified token and answers with a new Session that records the
verification (a passed ``SOFTWARE_TOKEN_MFA`` step), which RespondToAuthChallenge MFA_SETUP
(``challenges.mfa_setup``) then accepts. Each call is one transaction, except that a wrong code
is counted on the session in a transaction that commits before the error is raised.

``MfaService`` (``poolgate.mfa.service``) reaches this class through its ``SetupSessions``
protocol, so the mfa package never imports auth.
"""

from __future__ import annotations

from dataclasses import replace

from poolgate.auth.messages import INVALID_SESSION
from poolgate.auth.sessions import LoadedSession, Sessions
from poolgate.auth.state import ChallengeName
from poolgate.clock import Clock
from poolgate.errors import CognitoError, EnableSoftwareTokenMFAException, NotAuthorizedException
from poolgate.mfa import codes, software_token
from poolgate.mfa.deps import MfaDeps
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import Store, UnitOfWork
from poolgate.users.model import User


class MfaSetupSessions:
    """TOTP enrolment inside a sign-in session waiting for MFA_SETUP. ``deps`` seals secrets;
    ``sessions`` finds, spends and issues the sign-in sessions."""

    def __init__(self, store: Store, clock: Clock, deps: MfaDeps, sessions: Sessions) -> None:
        self._store = store
        self._clock = clock
        self._deps = deps
        self._sessions = sessions

    def associate(self, handle: str) -> tuple[str, str]:
        """AssociateSoftwareToken with ``Session``: a new pending secret (Base32) for the
        session's user and the new Session. Raises the session errors and
        SoftwareTokenMFANotFoundException when the pool does not offer TOTP."""
        now = self._clock.now()
        with self._store.transaction() as uow:
            loaded, pool, client, user = self._open(uow, handle)
            software_token.check_on_pool(pool)
            secret, updated = software_token.associate(self._deps, user, now=now)
            uow.users.update(updated)
            return secret, self._reissue(uow, loaded, client, now, passed=None)

    def verify(self, handle: str, code: str, device_name: str | None) -> str:
        """VerifySoftwareToken with ``Session``: the pending secret becomes the user's token when
        ``code`` is right; returns the new Session. A wrong code raises
        EnableSoftwareTokenMFAException after counting it on the session, which ends after the
        third."""
        now = self._clock.now()
        failure: CognitoError | None = None
        with self._store.transaction() as uow:
            loaded, _, client, user = self._open(uow, handle)
            try:
                updated = software_token.verify_enrolment(
                    self._deps, user, code, now=now, device_name=device_name
                )
            except EnableSoftwareTokenMFAException as exc:
                codes.count_wrong_answer(uow, loaded.id)
                failure = exc
            else:
                uow.users.update(updated)
                return self._reissue(uow, loaded, client, now, passed=ChallengeName.SOFTWARE_TOKEN_MFA)
        # The wrong answer was counted in the transaction that has just committed.
        assert failure is not None
        raise failure

    def _open(self, uow: UnitOfWork, handle: str) -> tuple[LoadedSession, UserPool, AppClient, User]:
        """The MFA_SETUP session behind ``handle``, locked, with its pool, client and user
        (locked too)."""
        found = self._sessions.find(uow, handle)
        state = found.session
        pool = uow.pools.get(state.user_pool_id)
        client = uow.clients.get(state.client_id)
        if pool is None or client is None or state.sub is None:
            raise NotAuthorizedException(INVALID_SESSION)
        Sessions.check_usable(
            found,
            pool_id=pool.id,
            client_id=client.client_id,
            challenge=ChallengeName.MFA_SETUP,
            now=self._clock.now(),
        )
        loaded = self._sessions.lock(uow, found)
        user = software_token.lock_user(uow, pool.id, state.sub)
        if user is None:
            raise NotAuthorizedException(INVALID_SESSION)
        return loaded, pool, client, user

    def _reissue(
        self,
        uow: UnitOfWork,
        loaded: LoadedSession,
        client: AppClient,
        now: float,
        *,
        passed: ChallengeName | None,
    ) -> str:
        """Spend the session and issue its successor, still waiting for MFA_SETUP (with
        ``passed`` recorded as a passed step); return the new handle."""
        self._sessions.spend(uow, loaded)
        session = loaded.session
        if passed is not None and passed not in session.steps:
            session = replace(session, steps=(*session.steps, passed))
        issued = self._sessions.issue(uow, session, client=client, now=now, challenge=ChallengeName.MFA_SETUP)
        return issued.handle
