"""``MfaService``: the MFA operations outside the sign-in engine.

SetUserPoolMfaConfig / GetUserPoolMfaConfig (pool), SetUserMFAPreference /
AdminSetUserMFAPreference (user), AssociateSoftwareToken / VerifySoftwareToken (TOTP
enrolment, by access token or, during MFA_SETUP, by the sign-in's ``Session``). Each call is
one transaction, except that a wrong code given with a Session is counted on that session in a
transaction that commits before the error is raised. No trigger runs here.

The Session path (during MFA_SETUP) belongs to the sign-in: ``poolgate.auth.mfa_setup``
implements it, and this service reaches it through the ``SetupSessions`` protocol, so the mfa
package does not import auth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Protocol

from poolgate.clock import Clock
from poolgate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from poolgate.mfa import messages, pool_config, software_token, user_settings
from poolgate.mfa.deps import MfaDeps
from poolgate.pools.model import UserPool
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


class SetupSessions(Protocol):
    """AssociateSoftwareToken and VerifySoftwareToken given the ``Session`` of a sign-in waiting
    for MFA_SETUP (``poolgate.auth.mfa_setup.MfaSetupSessions``). Each call is its own
    transaction."""

    def associate(self, handle: str) -> tuple[str, str]:
        """A new pending secret (Base32) for the session's user, and the new Session."""
        ...

    def verify(self, handle: str, code: str, device_name: str | None) -> str:
        """Verify the pending secret with ``code``; the new Session."""
        ...


class MfaService:
    """The MFA operations. ``deps`` seals secrets and hashes codes; ``tokens`` checks access
    tokens; ``setup`` runs the enrolment calls made with an MFA_SETUP sign-in's Session."""

    def __init__(
        self, store: Store, clock: Clock, deps: MfaDeps, tokens: AccessTokenVerifier, setup: SetupSessions
    ) -> None:
        self._store = store
        self._clock = clock
        self._deps = deps
        self._tokens = tokens
        self._setup = setup

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
        if access_token is not None and session is None:
            now = self._clock.now()
            with self._store.transaction() as uow:
                # The model declares no UserNotFoundException for AssociateSoftwareToken: the
                # token of a deleted user is not authorised to act any more.
                with _user_gone_is_not_authorized():
                    pool, holder = self._holder(uow, access_token)
                    software_token.check_on_pool(pool)
                    user = _locked(uow, holder)
                secret, updated = software_token.associate(self._deps, user, now=now)
                uow.users.update(updated)
                return secret, None
        return self._setup.associate(_session_only(session, access_token))

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
        if access_token is not None and session is None:
            now = self._clock.now()
            with self._store.transaction() as uow:
                _, holder = self._holder(uow, access_token)
                user = _locked(uow, holder)
                uow.users.update(
                    software_token.verify_enrolment(self._deps, user, code, now=now, device_name=device_name)
                )
            return None
        return self._setup.verify(_session_only(session, access_token), code, device_name)

    # -- helpers ---------------------------------------------------------------------------------

    def _holder(self, uow: UnitOfWork, access_token: str) -> tuple[UserPool, User]:
        context = self._tokens.verify_access_token(uow, access_token)
        pool = require_pool(uow, context.user_pool_id)
        user = uow.users.get(pool.id, context.sub)
        if user is None:
            raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
        return pool, user


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


def _session_only(session: str | None, access_token: str | None) -> str:
    """``session`` when it was given without an access token; InvalidParameterException
    otherwise (exactly one of the two is required)."""
    if session is None or access_token is not None:
        raise InvalidParameterException(messages.TOKEN_OR_SESSION)
    return session


def _locked(uow: UnitOfWork, user: User) -> User:
    locked = software_token.lock_user(uow, user.user_pool_id, user.sub)
    if locked is None:
        raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
    return locked
