"""Administrator user operations: AdminCreateUser, AdminGetUser, AdminDeleteUser,
AdminSetUserPassword, AdminEnable/DisableUser, AdminUpdate/DeleteUserAttributes, ListUsers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from poolgate.delivery import Channel, Message
from poolgate.errors import InvalidParameterException, UnsupportedUserStateException
from poolgate.passwords import generate_temporary_password
from poolgate.pools.model import UserPool
from poolgate.pools.service import Page, decode_token, encode_token, require_pool
from poolgate.store.base import UnitOfWork
from poolgate.users import attributes, rules
from poolgate.users import filter as user_filter
from poolgate.users.common import (
    VERIFIABLE,
    Outgoing,
    UserDeps,
    make_password,
    new_sub,
    password_policy,
    release_aliases,
    save_user,
    send_code,
    store_new_user,
    with_new_password,
)
from poolgate.users.lookup import require_user
from poolgate.users.model import User, UserStatus

# AdminCreateUser's DesiredDeliveryMediums when omitted [model: "The default value is SMS"].
DEFAULT_DELIVERY_MEDIUMS = ("SMS",)


class AdminUserService:
    """User management by an administrator (IAM-signed calls); one transaction per method."""

    def __init__(self, deps: UserDeps) -> None:
        self.deps = deps

    # -- create ------------------------------------------------------------------------------

    def create(self, pool_id: str, username: str, request: Mapping[str, Any]) -> User:
        """AdminCreateUser (including MessageAction RESEND)."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            if request.get("MessageAction") == "RESEND":
                user = self._resend_invitation(uow, pool, username, request, outgoing)
            else:
                user = self._create(uow, pool, username, request, outgoing)
        outgoing.deliver(self.deps.sender)
        return user

    def _create(
        self, uow: UnitOfWork, pool: UserPool, username: str, request: Mapping[str, Any], outgoing: Outgoing
    ) -> User:
        now = self.deps.clock.now()
        sub = new_sub()
        given = attributes.validate_attributes(pool, request.get("UserAttributes") or [], context="admin_create")
        internal, attrs = attributes.resolve_sign_up_username(pool, username, given, sub=sub)
        attrs = {"sub": sub, **attrs}
        temporary = request.get("TemporaryPassword") or generate_temporary_password(password_policy(pool))
        verifier = make_password(pool, internal, temporary, operation="AdminCreateUser")
        user = User(
            pool.id, internal, sub, UserStatus.FORCE_CHANGE_PASSWORD, True, attrs, now, now,
            password=verifier, password_set_at=now,
        )
        if request.get("ForceAliasCreation"):
            release_aliases(uow, pool, user)
        store_new_user(uow, pool, user, admin=True)
        if request.get("MessageAction") != "SUPPRESS":
            self._invite(uow, pool, user, username, temporary, request, outgoing)
        return user

    def _resend_invitation(
        self, uow: UnitOfWork, pool: UserPool, username: str, request: Mapping[str, Any], outgoing: Outgoing
    ) -> User:
        user = require_user(uow, pool, username)
        if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
            raise UnsupportedUserStateException("Resend not possible. User status is not FORCE_CHANGE_PASSWORD.")
        temporary = request.get("TemporaryPassword") or generate_temporary_password(password_policy(pool))
        now = self.deps.clock.now()
        user = replace(
            user,
            password=make_password(pool, user.username, temporary, operation="AdminCreateUser"),
            password_set_at=now,
            updated_at=now,
        )
        uow.users.update(user)
        self._invite(uow, pool, user, username, temporary, request, outgoing)
        return user

    def _invite(
        self,
        uow: UnitOfWork,
        pool: UserPool,
        user: User,
        sign_in_name: str,
        temporary: str,
        request: Mapping[str, Any],
        outgoing: Outgoing,
    ) -> None:
        mediums: Sequence[str] = request.get("DesiredDeliveryMediums") or DEFAULT_DELIVERY_MEDIUMS
        now = self.deps.clock.now()
        for medium in mediums:
            channel: Channel = "EMAIL" if medium == "EMAIL" else "SMS"
            attribute = "email" if channel == "EMAIL" else "phone_number"
            destination = user.attributes.get(attribute)
            if not destination:
                continue
            template = rules.invite_template(pool, channel)
            message = Message(
                user_pool_id=pool.id,
                username=user.username,
                channel=channel,
                destination=destination,
                purpose="ADMIN_CREATE_USER",
                subject=template.subject,
                body=rules.render_template(template.body, code=temporary, username=sign_in_name),
                code=temporary,
                expires_at=now + _temporary_password_ttl(pool),
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
        with self.deps.store.transaction() as uow:
            user = require_user(uow, require_pool(uow, pool_id), username)
            uow.users.update(replace(user, enabled=enabled, updated_at=self.deps.clock.now()))

    def set_password(self, pool_id: str, username: str, password: str, permanent: bool) -> None:
        """AdminSetUserPassword: permanent → CONFIRMED, else a new temporary password."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            status = UserStatus.CONFIRMED if permanent else UserStatus.FORCE_CHANGE_PASSWORD
            updated = with_new_password(
                pool, user, password, operation="AdminSetUserPassword", now=self.deps.clock.now(), status=status,
                history=permanent,
            )
            uow.users.update(updated)

    # -- attributes ---------------------------------------------------------------------------

    def update_attributes(self, pool_id: str, username: str, changes: Sequence[Mapping[str, str]]) -> None:
        """AdminUpdateUserAttributes; a changed e-mail or phone becomes unverified (unless the
        call sets ``*_verified``) and, when the pool auto-verifies it, a code is sent."""
        outgoing = Outgoing()
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            given = attributes.validate_attributes(pool, changes, context="admin_update")
            merged = dict(user.attributes)
            resend: list[str] = []
            for name, value in given.items():
                if name in VERIFIABLE and merged.get(name) != value and f"{name}_verified" not in given:
                    merged[f"{name}_verified"] = "false"
                    if name in (pool.config.get("AutoVerifiedAttributes") or ()):
                        resend.append(name)
                merged[name] = value
            updated = replace(user, attributes=merged, updated_at=self.deps.clock.now())
            save_user(uow, pool, updated)
            for name in resend:
                send_code(
                    self.deps, uow, outgoing, pool, updated, purpose=f"VERIFY_ATTRIBUTE:{name}", attribute=name,
                    ttl=rules.ATTRIBUTE_CODE_TTL,
                )
        outgoing.deliver(self.deps.sender)

    def delete_attributes(self, pool_id: str, username: str, names: Sequence[str]) -> None:
        """AdminDeleteUserAttributes; required attributes and ``sub`` cannot be deleted."""
        with self.deps.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            merged = dict(user.attributes)
            for name in names:
                if name == "sub":
                    raise InvalidParameterException(rules.SCHEMA_PREFIX + "sub: Attribute cannot be modified")
                merged.pop(name, None)
                if name in VERIFIABLE:
                    merged.pop(f"{name}_verified", None)
            attributes.check_required(pool, merged)
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


def _temporary_password_ttl(pool: UserPool) -> float:
    days = password_policy(pool).get("TemporaryPasswordValidityDays") or 7
    return float(days) * 86400.0
