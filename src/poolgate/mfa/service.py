"""``MfaService``: the MFA operations outside the sign-in engine.

SetUserPoolMfaConfig / GetUserPoolMfaConfig (pool), SetUserMFAPreference /
AdminSetUserMFAPreference (user), AssociateSoftwareToken / VerifySoftwareToken (TOTP
enrolment, by access token or, during MFA_SETUP, by the sign-in's ``Session``). Each call is
one transaction, except that a wrong code given with a Session is counted on that session in a
transaction that commits before the error is raised. No trigger runs here.

The Session path (mfa-devices-security.md section 3.2, auth-flows.md section 5): the session
must wait for MFA_SETUP. AssociateSoftwareToken stores a pending secret and answers with a
new Session (the old one is spent); VerifySoftwareToken checks the code, makes the secret the
user's verified token and answers with a new Session that records the verification (a passed
``SOFTWARE_TOKEN_MFA`` step), which RespondToAuthChallenge MFA_SETUP then accepts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Protocol

from poolgate.auth.messages import INVALID_SESSION
from poolgate.auth.sessions import LoadedSession, Sessions
from poolgate.auth.state import ChallengeName
from poolgate.clock import Clock
from poolgate.errors import (
    CognitoError,
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    NotAuthorizedException,
    SoftwareTokenMFANotFoundException,
    UserNotFoundException,
)
from poolgate.mfa import codes, messages, pool_config, software_token, user_settings
from poolgate.mfa.deps import MfaDeps
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import require_pool
from poolgate.store.base import Store, UnitOfWork
from poolgate.tokens.model import AccessContext
from poolgate.users import rules
from poolgate.users.lookup import require_user
from poolgate.users.model import User

SUCCESS = "SUCCESS"


class AccessTokenVerifier(Protocol):
    """The part of the TokenService this service needs."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        """The token's context, or the Cognito error for a bad, expired or revoked token."""
        ...


class MfaService:
    """The MFA operations. ``deps`` seals secrets and hashes codes; ``tokens`` checks access
    tokens; ``sessions`` finds, spends and issues the sign-in sessions of MFA_SETUP."""

    def __init__(
        self, store: Store, clock: Clock, deps: MfaDeps, tokens: AccessTokenVerifier, sessions: Sessions
    ) -> None:
        self._store = store
        self._clock = clock
        self._deps = deps
        self._tokens = tokens
        self._sessions = sessions

    # -- pool configuration ----------------------------------------------------------------------

    def set_pool_config(self, pool_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """SetUserPoolMfaConfig (``request`` without ``UserPoolId``); returns the response.
        Raises ResourceNotFoundException and the InvalidParameterException of
        ``pool_config.apply_set_config``."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            config = pool_config.apply_set_config(pool.config, request)
            uow.pools.update(replace(pool, config=config, updated_at=self._clock.now()))
        return pool_config.describe(config)

    def get_pool_config(self, pool_id: str) -> dict[str, Any]:
        """GetUserPoolMfaConfig; ResourceNotFoundException for an unknown pool."""
        with self._store.transaction(readonly=True) as uow:
            return pool_config.describe(require_pool(uow, pool_id).config)

    # -- user preferences ------------------------------------------------------------------------

    def set_preference(self, access_token: str, request: Mapping[str, Any]) -> None:
        """SetUserMFAPreference for the holder of ``access_token``; raises the token errors and
        the InvalidParameterException of ``user_settings.apply_preferences``."""
        with self._store.transaction() as uow:
            _, user = self._holder(uow, access_token)
            self._save_preferences(uow, user, request)

    def admin_set_preference(self, pool_id: str, username: str, request: Mapping[str, Any]) -> None:
        """AdminSetUserMFAPreference; ResourceNotFoundException, UserNotFoundException and the
        errors of :meth:`set_preference`."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            self._save_preferences(uow, require_user(uow, pool, username), request)

    def _save_preferences(self, uow: UnitOfWork, user: User, request: Mapping[str, Any]) -> None:
        settings = user_settings.apply_preferences(user, request)
        uow.users.update(replace(user, settings=settings, updated_at=self._clock.now()))

    # -- software token --------------------------------------------------------------------------

    def associate_software_token(
        self, *, access_token: str | None, session: str | None
    ) -> tuple[str, str | None]:
        """AssociateSoftwareToken: a new pending secret (Base32) for the token's holder or the
        session's user, and the new Session when one was given.

        Raises InvalidParameterException unless exactly one of the two is given, the token or
        session errors (a deleted user's token: NotAuthorizedException ``User does not
        exist.``), and SoftwareTokenMFANotFoundException ``Software Token MFA has not been
        enabled by the userPool``.
        """
        now = self._clock.now()
        with self._store.transaction() as uow:
            if access_token is not None and session is None:
                # The model declares no UserNotFoundException for AssociateSoftwareToken: the
                # token of a deleted user is not authorised to act any more.
                with _user_gone_is_not_authorized():
                    pool, holder = self._holder(uow, access_token)
                    _check_totp_on_pool(pool)
                    user = _locked(uow, holder)
                secret, updated = software_token.associate(self._deps, user, now=now)
                uow.users.update(updated)
                return secret, None
            loaded, pool, client, user = self._setup_session(uow, session, access_token)
            _check_totp_on_pool(pool)
            secret, updated = software_token.associate(self._deps, user, now=now)
            uow.users.update(updated)
            return secret, self._reissue(uow, loaded, client, now, passed=None)

    def verify_software_token(
        self, *, access_token: str | None, session: str | None, code: str, device_name: str | None
    ) -> str | None:
        """VerifySoftwareToken: the pending secret becomes the user's token when ``code`` is
        right (always ``Status: SUCCESS``; a wrong code raises, as Amplify needs). Returns the
        new Session when one was given.

        Raises the errors of :meth:`associate_software_token`,
        SoftwareTokenMFANotFoundException before any association, and
        EnableSoftwareTokenMFAException ``Code mismatch and fail enable Software Token MFA`` (on
        the Session path also counted on the session, which ends after the third).
        """
        now = self._clock.now()
        failure: CognitoError | None = None
        with self._store.transaction() as uow:
            if access_token is not None and session is None:
                _, holder = self._holder(uow, access_token)
                user = _locked(uow, holder)
                uow.users.update(
                    software_token.verify_enrolment(self._deps, user, code, now=now, device_name=device_name)
                )
                return None
            loaded, _, client, user = self._setup_session(uow, session, access_token)
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

    # -- helpers ---------------------------------------------------------------------------------

    def _holder(self, uow: UnitOfWork, access_token: str) -> tuple[UserPool, User]:
        context = self._tokens.verify_access_token(uow, access_token)
        pool = require_pool(uow, context.user_pool_id)
        user = uow.users.get(pool.id, context.sub)
        if user is None:
            raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
        return pool, user

    def _setup_session(
        self, uow: UnitOfWork, handle: str | None, access_token: str | None
    ) -> tuple[LoadedSession, UserPool, AppClient, User]:
        """The MFA_SETUP session behind ``handle``, locked, with its pool, client and user
        (locked too)."""
        if handle is None or access_token is not None:
            raise InvalidParameterException(messages.TOKEN_OR_SESSION)
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


@contextmanager
def _user_gone_is_not_authorized() -> Iterator[None]:
    """UserNotFoundException raised inside becomes NotAuthorizedException with the same message,
    for the operations whose error list in the model lacks UserNotFoundException
    (AssociateSoftwareToken) [decision: the token's holder no longer exists, so the token no
    longer authorises anything; NotAuthorizedException is the declared code for that]."""
    try:
        yield
    except UserNotFoundException as exc:
        raise NotAuthorizedException(exc.message) from None


def _check_totp_on_pool(pool: UserPool) -> None:
    if not pool_config.pool_mfa(pool).totp:
        raise SoftwareTokenMFANotFoundException(messages.TOTP_DISABLED_ON_POOL)


def _locked(uow: UnitOfWork, user: User) -> User:
    locked = software_token.lock_user(uow, user.user_pool_id, user.sub)
    if locked is None:
        raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
    return locked
