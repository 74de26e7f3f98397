"""Apply a pools-as-code document: plan every change against the store, then make them.

Planning reads the store in one read-only transaction and runs the checks the services
would run (``pools.defaults`` for pools and clients, ``users.attributes`` and
``passwords`` for users), so a file with any problem changes nothing and reports every
problem at once. Only what differs becomes a step: a pool whose DescribeUserPool document
would not change is not touched, and a second run of the same file reports
``= nothing to change``. Steps then go through the services, one transaction each.

Pools are found by ``Id`` when the file gives one, else by ``PoolName``; clients by
``ClientId``, else by ``ClientName`` within their pool. Nothing is ever deleted: pools,
clients, groups and users that the file does not mention are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from poolgate.devx import users as user_plans
from poolgate.devx.reader import PLACEHOLDER_POOL_ID
from poolgate.devx.sealed import is_sealed, open_sealed, passphrase_from_env
from poolgate.devx.spec import ApplyError, ClientSpec, Document, GroupSpec, PoolSpec, parse_data, parse_text
from poolgate.devx.steps import NOTHING_TO_CHANGE, Plan, PoolRef, diff
from poolgate.errors import CognitoError
from poolgate.pools import defaults
from poolgate.pools.model import AppClient, UserPool
from poolgate.services import Services
from poolgate.store.base import UnitOfWork

__all__ = ["apply_document", "apply_file", "apply_spec", "apply_text", "plan_document", "run_plan"]

# Stored members that UpdateUserPool cannot change, and the file member that sets each.
IMMUTABLE: Mapping[str, str] = {
    "SchemaAttributes": "Schema",
    "UsernameAttributes": "UsernameAttributes",
    "AliasAttributes": "AliasAttributes",
    "UsernameConfiguration": "UsernameConfiguration",
}
_PAGE = 60


def apply_file(services: Services, path: str | Path, *, dry_run: bool = False) -> list[str]:
    """Apply the YAML file at ``path``; returns the change lines (``= nothing to change`` when
    the store already matches). Raises ApplyError, having changed nothing, when the file or
    any declared change is invalid. ``dry_run`` plans and reports without changing anything."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ApplyError([f"{file}: cannot read the file: {exc.strerror}"]) from None
    if is_sealed(text):
        text = open_sealed(text, passphrase_from_env(), str(path))
    return apply_text(services, text, str(path), dry_run=dry_run)


def apply_text(
    services: Services, text: str, source: str = "poolgate.yaml", *, dry_run: bool = False
) -> list[str]:
    """Apply YAML text; ``source`` names it in error messages."""
    return apply_spec(services, parse_text(text, source), dry_run=dry_run)


def apply_document(
    services: Services, data: Mapping[str, Any], source: str = "document", *, dry_run: bool = False
) -> list[str]:
    """Apply a document built in memory (the dict ``export_pool`` returns, say)."""
    return apply_spec(services, parse_data(data, source), dry_run=dry_run)


def apply_spec(services: Services, document: Document, *, dry_run: bool = False) -> list[str]:
    """Plan ``document``, refuse it with every problem found, or run its steps."""
    plan = plan_document(services, document)
    if plan.problems:
        raise ApplyError(plan.problems)
    return run_plan(plan, document.source, dry_run=dry_run)


def plan_document(services: Services, document: Document) -> Plan:
    """The steps that would bring the store to ``document``, and the problems found."""
    plan = Plan()
    with services.store.transaction(readonly=True) as uow:
        stored = _all_pools(uow)
        for spec in document.pools:
            _plan_pool(services, uow, plan, spec, stored)
    return plan


def run_plan(plan: Plan, source: str, *, dry_run: bool = False) -> list[str]:
    """Run the steps in order and return their lines. A step that fails even so (a Lambda
    trigger refusing a user, a concurrent change) stops the run; the ApplyError then lists
    what had been changed before it."""
    lines: list[str] = []
    for step in plan.steps:
        if not dry_run:
            try:
                step.run()
            except CognitoError as exc:
                failed = "; ".join(step.lines())
                done = lines or ["(nothing)"]
                raise ApplyError(
                    [f"{source}: stopped at {failed}: {exc.message}", "changed before it:", *done]
                ) from exc
        lines.extend(step.lines())
    return lines or [NOTHING_TO_CHANGE]


# -- pools -------------------------------------------------------------------------------------


def _plan_pool(
    services: Services, uow: UnitOfWork, plan: Plan, spec: PoolSpec, stored: Sequence[UserPool]
) -> None:
    found, current = _find_pool(plan, spec, stored)
    if not found:
        return
    try:
        built = defaults.build_pool_config(spec.request)
    except CognitoError as exc:
        plan.blame(spec.where, spec.fields, exc.message)
        return
    if current is None:
        ref = PoolRef(spec.pool_id, spec.name)
        pool = UserPool(spec.pool_id or PLACEHOLDER_POOL_ID, spec.name, 0.0, 0.0, built)

        def create() -> None:
            ref.id = services.pools.create_pool(spec.name, spec.request, pool_id=spec.pool_id).id

        plan.add(create, lambda: [f"+ pool {ref.id or '(new id)'} ({spec.name})"])
    else:
        ref = PoolRef(current.id, current.name)
        pool = _plan_pool_update(services, plan, spec, current, built)
    # A new pool has nothing stored yet; the store is still asked about client ids, which
    # are unique across pools.
    existing = current is not None
    _plan_clients(services, uow, existing, plan, spec, ref, pool)
    groups = _plan_groups(services, uow if existing else None, plan, spec, ref)
    user_plans.plan_users(services, uow if existing else None, plan, spec, ref, pool, groups)


def _find_pool(plan: Plan, spec: PoolSpec, stored: Sequence[UserPool]) -> tuple[bool, UserPool | None]:
    if spec.pool_id is not None:
        return True, next((p for p in stored if p.id == spec.pool_id), None)
    named = [p for p in stored if p.name == spec.name]
    if len(named) > 1:
        ids = ", ".join(p.id for p in named)
        where = spec.fields.get("PoolName", spec.where)
        plan.problems.append(
            where.problem(f"{len(named)} pools are named {spec.name!r} ({ids}); give the pool's Id")
        )
        return False, None
    return True, named[0] if named else None


def _plan_pool_update(
    services: Services, plan: Plan, spec: PoolSpec, current: UserPool, built: Mapping[str, Any]
) -> UserPool:
    if current.name != spec.name:
        where = spec.fields.get("PoolName", spec.where)
        plan.problems.append(
            where.problem(f"pool {current.id} is named {current.name!r}, and a pool cannot be renamed")
        )
    for member, given in IMMUTABLE.items():
        if built.get(member) != current.config.get(member):
            where = spec.fields.get(given, spec.where)
            plan.problems.append(
                where.problem(
                    f"{given} cannot change on an existing pool ({current.id}"
                    f"{_schema_hint(current, built) if member == 'SchemaAttributes' else ''})"
                )
            )
    request = {k: v for k, v in spec.request.items() if k not in IMMUTABLE.values()}
    try:
        config = defaults.update_pool_config(current.config, request)
    except CognitoError as exc:
        plan.blame(spec.where, spec.fields, exc.message)
        return current
    changes = diff(current.config, config)
    if changes:
        plan.add(
            lambda: _ignore(services.pools.update_pool(current.id, request)),
            lambda: [f"~ pool {current.id}: {change}" for change in changes],
        )
    return replace(current, config=config)


def _schema_hint(current: UserPool, built: Mapping[str, Any]) -> str:
    old = {a["Name"]: a for a in current.config.get("SchemaAttributes") or ()}
    new = {a["Name"]: a for a in built.get("SchemaAttributes") or ()}
    names = [n for n in [*old, *(n for n in new if n not in old)] if old.get(n) != new.get(n)]
    return f"; attributes that differ: {', '.join(names)}" if names else ""


# -- clients -----------------------------------------------------------------------------------


def _plan_clients(
    services: Services,
    uow: UnitOfWork,
    existing: bool,
    plan: Plan,
    spec: PoolSpec,
    ref: PoolRef,
    pool: UserPool,
) -> None:
    stored = _all_clients(uow, pool.id) if existing else []
    for client in spec.clients:
        found, current = _find_client(uow, existing, plan, client, ref, stored)
        if not found:
            continue
        if current is None:
            _plan_new_client(services, plan, client, ref, pool)
        else:
            _plan_client_update(services, plan, client, ref, pool, current)


def _find_client(
    uow: UnitOfWork, existing: bool, plan: Plan, client: ClientSpec, ref: PoolRef, stored: Sequence[AppClient]
) -> tuple[bool, AppClient | None]:
    if client.client_id is not None:
        taken = uow.clients.get(client.client_id)
        if taken is None:
            return True, None
        if existing and taken.user_pool_id == ref.id:
            return True, taken
        where = client.fields.get("ClientId", client.where)
        plan.problems.append(
            where.problem(f"client id {client.client_id} is taken by pool {taken.user_pool_id}")
        )
        return False, None
    named = [c for c in stored if c.client_name == client.name]
    if len(named) > 1:
        ids = ", ".join(c.client_id for c in named)
        where = client.fields.get("ClientName", client.where)
        plan.problems.append(
            where.problem(
                f"pool {ref} has {len(named)} clients named {client.name!r} ({ids}); give the ClientId"
            )
        )
        return False, None
    return True, named[0] if named else None


def _plan_new_client(
    services: Services, plan: Plan, client: ClientSpec, ref: PoolRef, pool: UserPool
) -> None:
    if client.generate_secret and client.secret is not None:
        where = client.fields.get("ClientSecret", client.where)
        plan.problems.append(where.problem("give either GenerateSecret: true or a ClientSecret, not both"))
        return
    has_secret = client.generate_secret or client.secret is not None
    try:
        defaults.build_client_config(client.request, pool, has_secret=has_secret)
    except CognitoError as exc:
        plan.blame(client.where, client.fields, exc.message)
        return
    made: list[str] = []

    def create() -> None:
        created = services.pools.create_client(
            ref.require(),
            client.name,
            client.request,
            generate_secret=client.generate_secret,
            secret=client.secret,
            client_id=client.client_id,
        )
        made.append(created.client_id)

    def lines() -> list[str]:
        client_id = made[0] if made else client.client_id or "(new)"
        return [f"+ client {client_id} ({client.name}) in pool {ref}"]

    plan.add(create, lines)


def _plan_client_update(
    services: Services, plan: Plan, client: ClientSpec, ref: PoolRef, pool: UserPool, current: AppClient
) -> None:
    problem = _secret_problem(client, current)
    if problem is not None:
        plan.problems.append(client.fields.get("ClientSecret", client.where).problem(problem))
    has_secret = current.client_secret is not None
    try:
        config = defaults.update_client_config(current.config, client.request, pool, has_secret=has_secret)
    except CognitoError as exc:
        plan.blame(client.where, client.fields, exc.message)
        return
    changes = diff(
        {"ClientName": current.client_name, **current.config}, {"ClientName": client.name, **config}
    )
    if changes:
        plan.add(
            lambda: _ignore(
                services.pools.update_client(ref.require(), current.client_id, client.name, client.request)
            ),
            lambda: [f"~ client {current.client_id}: {change}" for change in changes],
        )


def _secret_problem(client: ClientSpec, current: AppClient) -> str | None:
    """Why the declared secret cannot describe ``current``, whose secret cannot change."""
    stored = current.client_secret
    if client.secret is not None and stored is not None and client.secret != stored:
        return f"client {current.client_id} has a different ClientSecret, and a secret cannot be changed"
    if (client.secret is not None or client.generate_secret) and stored is None:
        return f"client {current.client_id} has no secret, and one cannot be added to an existing client"
    if client.secret is None and not client.generate_secret and stored is not None:
        return f"client {current.client_id} has a secret: declare GenerateSecret: true or its ClientSecret"
    return None


# -- groups ------------------------------------------------------------------------------------


def _plan_groups(
    services: Services, uow: UnitOfWork | None, plan: Plan, spec: PoolSpec, ref: PoolRef
) -> set[str]:
    """Plan the declared groups; returns every group name the pool will have."""
    known = {group.name for group in spec.groups}
    if uow is not None:
        known |= {group.name for group in _all_groups(uow, ref.require())}
    for group in spec.groups:
        _plan_group(services, uow, plan, group, ref)
    return known


def _plan_group(
    services: Services, uow: UnitOfWork | None, plan: Plan, group: GroupSpec, ref: PoolRef
) -> None:
    current = uow.groups.get(ref.require(), group.name) if uow is not None else None
    if current is None:
        plan.add(
            lambda: _ignore(services.groups.create(ref.require(), group.name, group.fields)),
            lambda: [f"+ group {group.name} in pool {ref}"],
        )
        return
    old = {"Description": current.description, "RoleArn": current.role_arn, "Precedence": current.precedence}
    changes = diff(old, {**old, **group.fields})
    if changes:
        plan.add(
            lambda: _ignore(services.groups.update(ref.require(), group.name, group.fields)),
            lambda: [f"~ group {group.name} in pool {ref}: {change}" for change in changes],
        )


# -- reading the store -------------------------------------------------------------------------


def _all_pools(uow: UnitOfWork) -> list[UserPool]:
    pools: list[UserPool] = []
    while True:
        page = list(uow.pools.list(_PAGE, pools[-1].id if pools else None))
        pools.extend(page)
        if len(page) < _PAGE:
            return pools


def _all_clients(uow: UnitOfWork, pool_id: str) -> list[AppClient]:
    clients: list[AppClient] = []
    while True:
        page = list(uow.clients.list(pool_id, _PAGE, clients[-1].client_id if clients else None))
        clients.extend(page)
        if len(page) < _PAGE:
            return clients


def _all_groups(uow: UnitOfWork, pool_id: str) -> list[Any]:
    groups: list[Any] = []
    while True:
        page = list(uow.groups.list(pool_id, limit=_PAGE, after=groups[-1].name if groups else None))
        groups.extend(page)
        if len(page) < _PAGE:
            return groups


def _ignore(_: object) -> None:
    """Steps report through their lines; the service's return value is not needed."""
