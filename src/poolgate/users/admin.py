"""Administrator user operations: AdminCreateUser, AdminGetUser, AdminDeleteUser,
AdminSetUserPassword, AdminEnable/DisableUser, AdminUpdate/DeleteUserAttributes, ListUsers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from poolgate.delivery import Message
from poolgate.errors import UnsupportedUserStateException
from poolgate.passwords import generate_temporary_password
from poolgate.pools.model import UserPool
from poolgate.pools.service import Page, decode_token, encode_token, require_pool
from poolgate.store.base import UnitOfWork
from poolgate.users import attributes, rules
from poolgate.users import filter as user_filter
from poolgate.users.common import (
    VERIFIABLE,
    Outgoing,
    TriggerContext,
    UserDeps,
    check_free,
    make_password,
    new_sub,
    password_policy,
    release_aliases,
    reload_user,
    save_user,
    send_code,
    store_new_user,
    with_new_password,
)
from poolgate.users.lookup import require_user
from poolgate.users.messages import Draft, draft_code_message, draft_invitations
from poolgate.users.model import User, UserStatus

# AdminCreateUser's DesiredDeliveryMediums when omitted [model: "The default value is SMS"].
DEFAULT_DELIVERY_MEDIUMS = ("SMS",)


class TokenRevoker(Protocol):
    """The part of the TokenService AdminDisableUser needs."""

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        """Revoke every refresh token of the user and the access tokens issued before now."""


class AdminUserService:
    """User management by an administrator (IAM-signed calls).

    Trigger points [spec triggers.md §4]: PreSignUp_AdminCreateUser (its answer is ignored,
    spec §6.1), CustomMessage_AdminCreateUser for the invitation and
    CustomMessage_UpdateUserAttribute for AdminUpdateUserAttributes. They run between a
    read-only phase that raises every error it can and the write transaction; events carry
    ``CLIENT_ID_NOT_APPLICABLE`` as the client.
    """

    def __init__(self, deps: UserDeps, tokens: TokenRevoker) -> None:
        self.deps = deps
        self.tokens = tokens

    # -- create ------------------------------------------------------------------------------

    def create(
        self, pool_id: str, username: str, request: Mapping[str, Any], context: TriggerContext | None = None
    ) -> User:
        """AdminCreateUser (including MessageAction RESEND). Raises the schema, password and
        uniqueness errors before any trigger runs, and the triggers' errors with nothing
        stored."""
        context = context or TriggerContext()
        if request.get("MessageAction") == "RESEND":
            return self._resend_invitation(pool_id, username, request, context)
        force = bool(request.get("ForceAliasCreation"))
        with self.deps.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            sub = new_sub()
            given = attributes.validate_attributes(
                pool, request.get("UserAttributes") or [], context="admin_create"
            )
            internal, attrs = attributes.resolve_sign_up_username(pool, username, given, sub=sub)
            temporary = request.get("TemporaryPassword") or generate_temporary_password(password_policy(pool))
            verifier = make_password(pool, internal, temporary, operation="AdminCreateUser")
            check_free(uow, pool, internal, attrs, admin=True, movable=pool.alias_attributes if force else ())
        self.deps.triggers.pre_sign_up(
            pool,
            source="AdminCreateUser",
            username=internal,
            attributes=attrs,
            validation_data=context.validation_data,
            client_metadata=context.client_metadata,
            caller=context.caller,
        )
        now = self.deps.clock.now()
        user = User(
            pool.id,
            internal,
            sub,
            UserStatus.FORCE_CHANGE_PASSWORD,
            True,
            {"sub": sub, **attrs},
            now,
            now,
            password=verifier,
            password_set_at=now,
        )
        drafts = self._draft_invitations(pool, user, request, context)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            require_pool(uow, pool.id)
            if force:
                release_aliases(uow, pool, user)
            store_new_user(uow, pool, user, admin=True)
            self._invite(uow, pool, user, username, temporary, drafts, outgoing)
        outgoing.deliver(self.deps.sender)
        return user

    def _draft_invitations(
        self, pool: UserPool, user: User, request: Mapping[str, Any], context: TriggerContext
    ) -> list[Draft]:
        if request.get("MessageAction") == "SUPPRESS":
            return []
        mediums: Sequence[str] = request.get("DesiredDeliveryMediums") or DEFAULT_DELIVERY_MEDIUMS
        return draft_invitations(self.deps.triggers, pool, user, mediums, caller=context.caller)

    def _resend_invitation(
        self, pool_id: str, username: str, request: Mapping[str, Any], context: TriggerContext
    ) -> User:
        with self.deps.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            user = _resendable(require_user(uow, pool, username))
            temporary = request.get("TemporaryPassword") or generate_temporary_password(password_policy(pool))
            verifier = make_password(pool, user.username, temporary, operation="AdminCreateUser")
        drafts = self._draft_invitations(pool, user, request, context)
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            user = _resendable(reload_user(uow, pool, user))
            user = replace(user, password=verifier, password_set_at=now, updated_at=now)
            uow.users.update(user)
            self._invite(uow, pool, user, username, temporary, drafts, outgoing)
        outgoing.deliver(self.deps.sender)
        return user

    def _invite(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        user: User,
        sign_in_name: str,
        temporary: str,
        drafts: Sequence[Draft],
        outgoing: Outgoing,
    ) -> None:
        expires_at = self.deps.clock.now() + _temporary_password_ttl(pool)
        for draft in drafts:
            message = Message(
                user_pool_id=pool.id,
                username=user.username,
                channel=draft.channel,
                destination=draft.destination,
                purpose="ADMIN_CREATE_USER",
                subject=draft.rendered_subject(code=temporary, username=sign_in_name),
                body=draft.render(code=temporary, username=sign_in_name),
                code=temporary,
                expires_at=expires_at,
            )
            self.deps.sender.send_in(uow, message)
            outgoing.messages.append(message)

    # -- read, delete, enable ------------------------------------------------------------------

    def get(self, pool_id: str, username: str) -> User:
        with self.deps.store.transaction(readonly=True) as uow:
            return require_user(uow, require_pool(uow, pool_id), username)

    def delete(self, pool_id: str, username: str) -> None:
        with self.deps.store.transaction() as uow:
            user = require_user(uow, require_pool(uow, pool_id), username)
            uow.users.delete(pool_id, user.sub)

    def set_enabled(self, pool_id: str, username: str, enabled: bool) -> None:
        """AdminEnableUser / AdminDisableUser. Disabling also revokes all of the user's tokens
        as GlobalSignOut does, so that enabling the user again does not bring them back
        [docs: AdminDisableUser "Deactivates a user profile and revokes all access tokens for
        the user"; refresh tokens too, docs/security.md finding 5]."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = replace(
                require_user(uow, pool, username), enabled=enabled, updated_at=self.deps.clock.now()
            )
            uow.users.update(user)
            if not enabled:
                self.tokens.global_sign_out(uow, pool, user)

    def set_password(self, pool_id: str, username: str, password: str, permanent: bool) -> None:
        """AdminSetUserPassword: permanent → CONFIRMED, else a new temporary password."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            status = UserStatus.CONFIRMED if permanent else UserStatus.FORCE_CHANGE_PASSWORD
            updated = with_new_password(
                pool,
                user,
                password,
                operation="AdminSetUserPassword",
                now=self.deps.clock.now(),
                status=status,
                history=permanent,
            )
            uow.users.update(updated)

    # -- attributes ---------------------------------------------------------------------------

    def update_attributes(
        self,
        pool_id: str,
        username: str,
        changes: Sequence[Mapping[str, str]],
        context: TriggerContext | None = None,
    ) -> None:
        """AdminUpdateUserAttributes; a changed e-mail or phone becomes unverified (unless the
        call sets ``*_verified``) and, when the pool auto-verifies it, a code is sent, whose
        text CustomMessage_UpdateUserAttribute may replace."""
        context = context or TriggerContext()
        with self.deps.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            given = attributes.validate_attributes(pool, changes, context="admin_update")
        updated, resend = _apply_admin_update(pool, user, given, self.deps.clock.now())
        drafts = {
            name: draft_code_message(
                self.deps.triggers,
                pool,
                updated,
                attribute=name,
                source="UpdateUserAttribute",
                caller=context.caller,
                client_metadata=context.client_metadata,
            )
            for name in resend
        }
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            # Another call may have changed the user meanwhile: apply the change to what is
            # stored now, and send codes only for attributes the trigger has seen.
            fresh = reload_user(uow, pool, user)
            updated, resend = _apply_admin_update(pool, fresh, given, self.deps.clock.now())
            save_user(uow, pool, updated)
            for name in resend:
                if name in drafts:
                    send_code(
                        self.deps,
                        uow,
                        outgoing,
                        pool,
                        updated,
                        drafts[name],
                        purpose=f"VERIFY_ATTRIBUTE:{name}",
                        ttl=rules.ATTRIBUTE_CODE_TTL,
                    )
        outgoing.deliver(self.deps.sender)

    def delete_attributes(self, pool_id: str, username: str, names: Sequence[str]) -> None:
        """AdminDeleteUserAttributes: the checks of AdminUpdateUserAttributes (``sub``,
        immutable and unknown attributes; no client's ``WriteAttributes``), and required
        attributes cannot be deleted."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            merged = dict(user.attributes)
            for name in attributes.check_deletable(pool, names, context="admin_update"):
                merged.pop(name, None)
                if name in VERIFIABLE:
                    merged.pop(f"{name}_verified", None)
            save_user(uow, pool, replace(user, attributes=merged, updated_at=self.deps.clock.now()))

    # -- list ---------------------------------------------------------------------------------

    def list(self, pool_id: str, *, filter_text: str | None, limit: int | None, token: str | None) -> Page:
        """ListUsers: ``Filter`` parsed per docs/management.md, pages in sub order."""
        flt = user_filter.parse_filter(filter_text)
        size = user_filter.page_size(limit)
        with self.deps.store.transaction(readonly=True) as uow:
            require_pool(uow, pool_id)
            rows = list(uow.users.list(pool_id, limit=size + 1, after=decode_token(token), filter=flt))
        items = rows[:size]
        more = len(rows) > size
        return Page(items, encode_token(items[-1].sub) if more and items else None)


def _resendable(user: User) -> User:
    if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
        raise UnsupportedUserStateException("Resend not possible. User status is not FORCE_CHANGE_PASSWORD.")
    return user


def _apply_admin_update(
    pool: UserPool, user: User, given: Mapping[str, str], now: float
) -> tuple[User, list[str]]:
    """``user`` with the checked attribute changes applied, and the attributes that need a
    new verification code."""
    merged = dict(user.attributes)
    resend: list[str] = []
    for name, value in given.items():
        if name in VERIFIABLE and merged.get(name) != value and f"{name}_verified" not in given:
            merged[f"{name}_verified"] = "false"
            if name in (pool.config.get("AutoVerifiedAttributes") or ()):
                resend.append(name)
        merged[name] = value
    return replace(user, attributes=merged, updated_at=now), resend


def _temporary_password_ttl(pool: UserPool) -> float:
    days = password_policy(pool).get("TemporaryPasswordValidityDays") or 7
    return float(days) * 86400.0
