"""Planning the declared users of one pool: creation, attributes, passwords, the enabled
flag and group membership.

Users are created through AdminCreateUser (with MessageAction SUPPRESS) and changed through
the admin operations, except users carrying an exported ``PasswordVerifier``: those are
written to the store as they were exported (same ``sub``, status and verifier), because no
operation takes a verifier. A verifier only works in a pool whose id has the same name part
(the SRP "pool name", see ``srp.pool_name_from_pool_id``), so one bound elsewhere is refused
with that explanation instead of imported as a password nobody could ever use.

Declared users are seed data, so their creation and changes run no Lambda triggers: a
PreSignUp or CustomMessage function would otherwise alter what the file declares (and may not
be running yet when ``serve --config`` applies the file).

Passwords are compared, never re-set needlessly: ``Password`` is set only when it does not
already match the stored verifier or the user is not yet CONFIRMED; ``TemporaryPassword``
only while the user still has to change it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from poolgate.devx.reader import Where
from poolgate.devx.spec import PoolSpec, UserSpec, VerifierSpec
from poolgate.devx.steps import Plan, PoolRef, show
from poolgate.errors import CognitoError, UsernameExistsException, UserNotFoundException
from poolgate.passwords import check_password
from poolgate.pools.model import UserPool
from poolgate.pools.service import require_pool
from poolgate.services import Services
from poolgate.srp import ProofMismatch, pool_name_from_pool_id
from poolgate.srp import check_password as srp_check_password
from poolgate.store.base import DuplicateError, UnitOfWork
from poolgate.triggers.api import NoTriggers
from poolgate.users import attributes
from poolgate.users.admin import AdminUserService
from poolgate.users.lookup import find_user
from poolgate.users.model import PasswordVerifier, User, UserStatus

_PAGE = 60


def plan_users(
    services: Services,
    uow: UnitOfWork | None,
    plan: Plan,
    spec: PoolSpec,
    ref: PoolRef,
    pool: UserPool,
    groups: set[str],
) -> None:
    """Plan ``spec.users`` for ``pool`` as it will be configured; ``uow`` reads the stored
    pool (None for a pool that does not exist yet); ``groups`` names the pool's groups."""
    claimed: dict[tuple[str, str], str] = {}
    for user in spec.users:
        for index, group in enumerate(user.groups or ()):
            if group not in groups:
                where = user.fields.get("Groups", user.where)
                plan.problems.append(
                    Where(where.source, where.line, f"{where.path}[{index}]").problem(
                        f"group {group!r} is neither declared in this pool nor stored in it"
                    )
                )
        current = find_user(uow, pool, user.username) if uow is not None else None
        if uow is None or current is None:
            _plan_new_user(services, uow, plan, user, ref, pool, claimed)
        else:
            _plan_user_update(services, uow, plan, user, ref, pool, current)


def _admin(services: Services) -> AdminUserService:
    """The services' admin user operations, with no Lambda triggers."""
    return AdminUserService(
        replace(services.admin_users.deps, triggers=NoTriggers()), services.admin_users.tokens
    )


def _problem(plan: Plan, user: UserSpec, key: str, message: str) -> None:
    plan.problems.append(user.fields.get(key, user.where).problem(message))


def _policy(pool: UserPool) -> Mapping[str, Any]:
    policies: Mapping[str, Any] = pool.config.get("Policies") or {}
    return policies.get("PasswordPolicy") or {}


def _checked(plan: Plan, user: UserSpec, key: str, check: Callable[[], Any]) -> Any:
    """Run a core check; report its error at ``key`` and return None on failure."""
    try:
        return check()
    except CognitoError as exc:
        _problem(plan, user, key, exc.message)
        return None


def _check_policy(
    plan: Plan, user: UserSpec, pool: UserPool, key: str, password: str, operation: str
) -> None:
    """Check a declared password against the pool's policy, worded as ``operation`` would."""
    _checked(plan, user, key, lambda: check_password(_policy(pool), password, operation=operation))


# -- new users ---------------------------------------------------------------------------------


def _plan_new_user(
    services: Services,
    uow: UnitOfWork | None,
    plan: Plan,
    user: UserSpec,
    ref: PoolRef,
    pool: UserPool,
    claimed: dict[tuple[str, str], str],
) -> None:
    given = _checked(
        plan,
        user,
        "Attributes",
        lambda: attributes.validate_attributes(pool, user.attributes, context="admin_create"),
    )
    if given is None:
        return
    sub = user.sub or str(uuid.uuid4())
    resolved = _checked(
        plan,
        user,
        "Username",
        lambda: attributes.resolve_sign_up_username(pool, user.username, given, sub=sub),
    )
    if resolved is None:
        return
    internal, attrs = resolved
    if user.password is not None:
        _check_policy(plan, user, pool, "Password", user.password, "AdminSetUserPassword")
    if user.temporary_password is not None:
        _check_policy(plan, user, pool, "TemporaryPassword", user.temporary_password, "AdminCreateUser")
    for kind, key in attributes.username_keys(pool, internal, attrs):
        holder = claimed.setdefault((kind, key), user.username)
        if holder != user.username:
            _problem(plan, user, "Username", f"user {holder!r} in this file has the same {kind} ({key})")
        elif uow is not None and (other := uow.users.find(pool.id, kind, key)) is not None:
            _problem(plan, user, "Username", f"stored user {other.username!r} already has the {kind} {key}")
    if user.verifier is not None:
        if not _verifier_fits(plan, user, user.verifier, ref):
            return
        if uow is not None and uow.users.get(pool.id, sub) is not None:
            _problem(plan, user, "Sub", f"pool {ref} already has a user with sub {sub}")
        _plan_insert(services, plan, user, user.verifier, ref, internal, {"sub": sub, **attrs}, sub)
        return
    request: dict[str, Any] = {
        "UserAttributes": [{"Name": name, "Value": value} for name, value in given.items()],
        "MessageAction": "SUPPRESS",
    }
    if user.temporary_password is not None:
        request["TemporaryPassword"] = user.temporary_password

    def create() -> None:
        pool_id = ref.require()
        _admin(services).create(pool_id, user.username, request)
        if user.password is not None:
            _admin(services).set_password(pool_id, user.username, user.password, True)
        _finish_new_user(services, pool_id, user)

    status = "CONFIRMED" if user.password is not None else "FORCE_CHANGE_PASSWORD"
    plan.add(create, lambda: _new_user_lines(user, ref, status))


def _plan_insert(
    services: Services,
    plan: Plan,
    user: UserSpec,
    verifier: VerifierSpec,
    ref: PoolRef,
    internal: str,
    attrs: Mapping[str, str],
    sub: str,
) -> None:
    status = UserStatus(user.status or "CONFIRMED")

    def insert() -> None:
        pool_id = ref.require()
        now = services.clock.now()
        stored = User(
            pool_id,
            internal,
            sub,
            status,
            True,
            dict(attrs),
            now,
            now,
            password=PasswordVerifier(verifier.salt, verifier.verifier),
            password_set_at=now,
        )
        with services.store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            try:
                uow.users.add(stored, attributes.username_keys(pool, internal, stored.attributes))
            except DuplicateError:
                raise UsernameExistsException("User account already exists") from None
        _finish_new_user(services, pool_id, user)

    plan.add(insert, lambda: _new_user_lines(user, ref, f"{status.value}, password verifier kept"))


def _finish_new_user(services: Services, pool_id: str, user: UserSpec) -> None:
    if user.enabled is False:
        _admin(services).set_enabled(pool_id, user.username, False)
    for group in user.groups or ():
        services.groups.add_user(pool_id, group, user.username)


def _new_user_lines(user: UserSpec, ref: PoolRef, status: str) -> list[str]:
    disabled = ", disabled" if user.enabled is False else ""
    lines = [f"+ user {user.username} in pool {ref} ({status}{disabled})"]
    lines += [f"+ user {user.username} in group {group} (pool {ref})" for group in user.groups or ()]
    return lines


# -- existing users ----------------------------------------------------------------------------


def _plan_user_update(
    services: Services,
    uow: UnitOfWork,
    plan: Plan,
    user: UserSpec,
    ref: PoolRef,
    pool: UserPool,
    current: User,
) -> None:
    name, pool_id = user.username, pool.id
    if user.sub is not None and user.sub != current.sub:
        _problem(plan, user, "Sub", f"stored user {name!r} has the sub {current.sub}")
    _plan_attributes(services, plan, user, ref, pool, current)
    _plan_password(services, plan, user, ref, pool, current)
    if user.enabled is not None and user.enabled != current.enabled:
        enabled = user.enabled
        plan.add(
            lambda: _admin(services).set_enabled(pool_id, name, enabled),
            lambda: [f"~ user {name} in pool {ref}: enabled {show(current.enabled)} → {show(enabled)}"],
        )
    if user.groups is None:
        return
    stored = _groups_of(uow, pool_id, current.sub)
    for group in user.groups:
        if group not in stored:
            _plan_membership(services, plan, ref, name, group, add=True)
    for group in stored:
        if group not in user.groups:
            _plan_membership(services, plan, ref, name, group, add=False)


def _plan_membership(
    services: Services, plan: Plan, ref: PoolRef, name: str, group: str, *, add: bool
) -> None:
    pool_id = ref.require()
    if add:
        plan.add(
            lambda: services.groups.add_user(pool_id, group, name),
            lambda: [f"+ user {name} in group {group} (pool {ref})"],
        )
    else:
        plan.add(
            lambda: services.groups.remove_user(pool_id, group, name),
            lambda: [f"- user {name} from group {group} (pool {ref})"],
        )


def _plan_attributes(
    services: Services, plan: Plan, user: UserSpec, ref: PoolRef, pool: UserPool, current: User
) -> None:
    differing = {k: v for k, v in user.attributes.items() if current.attributes.get(k) != v}
    if not differing:
        return
    checked = _checked(
        plan,
        user,
        "Attributes",
        lambda: attributes.validate_attributes(pool, differing, context="admin_update"),
    )
    changes = {k: v for k, v in (checked or {}).items() if current.attributes.get(k) != v}
    if not changes:
        return
    name = user.username
    plan.add(
        lambda: _admin(services).update_attributes(
            pool.id, name, [{"Name": k, "Value": v} for k, v in changes.items()]
        ),
        lambda: [
            f"~ user {name} in pool {ref}: {k} {show(current.attributes.get(k))} → {show(v)}"
            for k, v in changes.items()
        ],
    )


def _plan_password(
    services: Services, plan: Plan, user: UserSpec, ref: PoolRef, pool: UserPool, current: User
) -> None:
    name, pool_id = user.username, pool.id
    if user.password is not None:
        password = user.password
        _check_policy(plan, user, pool, "Password", password, "AdminSetUserPassword")
        if _matches(pool_id, current, password) and current.status is UserStatus.CONFIRMED:
            return
        size = int(_policy(pool).get("PasswordHistorySize") or 0)
        previous = ((current.password,) if current.password else ()) + current.password_history
        if any(_matches(pool_id, replace(current, password=old), password) for old in previous[:size]):
            _problem(
                plan,
                user,
                "Password",
                "this password was used recently (PasswordHistorySize); choose another",
            )
        plan.add(
            lambda: _admin(services).set_password(pool_id, name, password, True),
            lambda: [f"~ user {name} in pool {ref}: password set (CONFIRMED)"],
        )
    elif user.temporary_password is not None:
        temporary = user.temporary_password
        _check_policy(plan, user, pool, "TemporaryPassword", temporary, "AdminCreateUser")
        if current.status is UserStatus.FORCE_CHANGE_PASSWORD and not _matches(pool_id, current, temporary):
            plan.add(
                lambda: _admin(services).set_password(pool_id, name, temporary, False),
                lambda: [f"~ user {name} in pool {ref}: temporary password set (FORCE_CHANGE_PASSWORD)"],
            )
    elif user.verifier is not None and _verifier_fits(plan, user, user.verifier, ref):
        wanted = PasswordVerifier(user.verifier.salt, user.verifier.verifier)
        status = UserStatus(user.status) if user.status else current.status
        if current.password != wanted or current.status is not status:
            plan.add(
                lambda: _store_verifier(services, pool_id, current.sub, wanted, status),
                lambda: [f"~ user {name} in pool {ref}: password verifier set ({status.value})"],
            )


def _matches(pool_id: str, user: User, password: str) -> bool:
    if user.password is None:
        return False
    try:
        srp_check_password(
            pool_name_from_pool_id(pool_id),
            user.username,
            password,
            user.password.salt,
            user.password.verifier,
        )
    except (ProofMismatch, ValueError):
        return False
    return True


def _verifier_fits(plan: Plan, user: UserSpec, verifier: VerifierSpec, ref: PoolRef) -> bool:
    """A verifier works only where the pool id's name part is the one it was made with."""
    made_for = pool_name_from_pool_id(verifier.pool_id)
    if ref.id is not None and pool_name_from_pool_id(ref.id) == made_for:
        return True
    target = f"pool {ref.id}" if ref.id is not None else "a pool without a fixed Id"
    _problem(
        plan,
        user,
        "PasswordVerifier",
        f"this verifier was made for pool {verifier.pool_id} and cannot work in {target}: SRP verifiers are "
        f"bound to the pool id's name part ({made_for!r}). Keep the pool's Id, or drop PasswordVerifier "
        "(and Sub, Status) to create the user with a new temporary password",
    )
    return False


def _store_verifier(
    services: Services, pool_id: str, sub: str, verifier: PasswordVerifier, status: UserStatus
) -> None:
    with services.store.transaction() as uow:
        stored = uow.users.get(pool_id, sub)
        if stored is None:
            raise UserNotFoundException("User does not exist.")
        now = services.clock.now()
        uow.users.update(
            replace(stored, password=verifier, password_set_at=now, status=status, updated_at=now)
        )


def _groups_of(uow: UnitOfWork, pool_id: str, sub: str) -> list[str]:
    names: list[str] = []
    while True:
        page = [
            g.name
            for g in uow.groups.groups_of(pool_id, sub, limit=_PAGE, after=names[-1] if names else None)
        ]
        names.extend(page)
        if len(page) < _PAGE:
            return names
