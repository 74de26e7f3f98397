"""The pools-as-code file: its schema, read from YAML nodes so that every problem names a line.

The file is read with ``yaml.compose`` and walked node by node. Members that are AWS request
members (a pool entry holds CreateUserPool members, a client entry CreateUserPoolClient
members, a group entry CreateGroup members) are typed by walking botocore's shapes next to
the nodes, then checked with the model validator of :mod:`poolgate.protocol.validate`; its
Coral paths (``policies.passwordPolicy.minimumLength``) are mapped back to the node they
came from. Every problem is collected, and :class:`ApplyError` reports them all at once as
``poolgate.yaml:12: pools[0].clients[1].ExplicitAuthFlows: <message>``.

Rules that need the store (is this id taken, can this member still change) live in
:mod:`poolgate.devx.apply`; the ones here need only the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from poolgate.devx import reader
from poolgate.devx.reader import BAD, Reader, Where, input_shape
from poolgate.errors import InvalidParameterException
from poolgate.pools.service import check_client_id, check_pool_id

__all__ = [
    "ApplyError",
    "ClientSpec",
    "Document",
    "GroupSpec",
    "PoolSpec",
    "UserSpec",
    "VerifierSpec",
    "Where",
    "parse_data",
    "parse_text",
]

FORMAT_VERSION = 1

# Statuses a user exported with its password verifier may carry.
VERIFIER_STATUSES = ("CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED", "UNCONFIRMED")

VERIFIER_FIELDS = ("Salt", "Verifier", "PoolId")

_HEX = re.compile(r"[0-9a-fA-F]+")


class ApplyError(Exception):
    """A file, an import or an apply that cannot go ahead; nothing was changed unless the
    message says what was. ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class VerifierSpec:
    """An SRP verifier carried over from an export, and the pool id it was made for."""

    salt: str
    verifier: str
    pool_id: str


@dataclass(frozen=True, slots=True)
class UserSpec:
    """One declared user. ``fields`` locates each member that was given."""

    username: str
    attributes: Mapping[str, str]
    password: str | None
    temporary_password: str | None
    enabled: bool | None
    groups: tuple[str, ...] | None
    sub: str | None
    status: str | None
    verifier: VerifierSpec | None
    where: Where
    fields: Mapping[str, Where]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One declared group: ``fields`` holds the CreateGroup members given besides GroupName."""

    name: str
    fields: Mapping[str, Any]
    where: Where
    locations: Mapping[str, Where]


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """One declared app client. ``request`` holds its CreateUserPoolClient members except
    UserPoolId, ClientName, GenerateSecret and ClientSecret."""

    client_id: str | None
    name: str
    secret: str | None
    generate_secret: bool
    request: Mapping[str, Any]
    where: Where
    fields: Mapping[str, Where]


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One declared pool. ``request`` holds its CreateUserPool members except PoolName."""

    pool_id: str | None
    name: str
    request: Mapping[str, Any]
    clients: tuple[ClientSpec, ...]
    groups: tuple[GroupSpec, ...]
    users: tuple[UserSpec, ...]
    where: Where
    fields: Mapping[str, Where]


@dataclass(frozen=True, slots=True)
class Document:
    """A whole file: its pools, in file order."""

    source: str
    pools: tuple[PoolSpec, ...]


def parse_text(text: str, source: str) -> Document:
    """Read a YAML file; raises ApplyError listing every problem with its line and field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Where(source, mark.line + 1 if mark is not None else None, "")
        raise ApplyError([where.problem(f"not valid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise ApplyError([f"{source}: not valid YAML: {exc}"]) from None
    if node is None:
        raise ApplyError([f"{source}: the file is empty; expected a mapping with 'pools'"])
    return _document(Reader(source), node)


def parse_data(data: Mapping[str, Any], source: str) -> Document:
    """Read a document built in memory (an import or an export); errors carry no lines."""
    return _document(Reader(source), reader.represent(data))


def _document(r: Reader, node: yaml.Node) -> Document:
    items = r.entries(node, "")
    pools: list[PoolSpec] = []
    if items is not None:
        for key, (key_node, value) in items.items():
            if key == "version":
                if r.scalar(value, "integer", key) not in (FORMAT_VERSION, BAD):
                    r.fail(value, key, f"this Poolgate reads version {FORMAT_VERSION} files")
            elif key == "notes":
                continue
            elif key == "pools":
                for index, item in r.sequence(value, key):
                    pool = _pool(r, item, f"pools[{index}]")
                    if pool is not None:
                        pools.append(pool)
            else:
                r.unknown(key_node, key, key, ("version", "pools", "notes"))
        if "pools" not in items:
            r.fail(node, "", "missing 'pools' (a list of user pools)")
    _check_duplicates(r, pools)
    if r.problems:
        raise ApplyError(r.problems)
    return Document(r.source, tuple(pools))


def _pool(r: Reader, node: yaml.Node, path: str) -> PoolSpec | None:
    shape = input_shape("CreateUserPool")
    sink: dict[str, Where] = {}
    request, fields, extra = r.members(
        node, path, shape, extra=("Id", "clients", "groups", "users"), sink=sink
    )
    if request is None:
        return None
    where = r.where(node, path)
    pool_id = _fixed_id(r, extra.get("Id"), f"{path}.Id", check_pool_id)
    r.check_model("CreateUserPool", request, sink, where)
    clients = [
        c
        for i, n in _items(r, extra.get("clients"), f"{path}.clients")
        if (c := _client(r, n, f"{path}.clients[{i}]")) is not None
    ]
    groups = [
        g
        for i, n in _items(r, extra.get("groups"), f"{path}.groups")
        if (g := _group(r, n, f"{path}.groups[{i}]")) is not None
    ]
    users = [
        u
        for i, n in _items(r, extra.get("users"), f"{path}.users")
        if (u := _user(r, n, f"{path}.users[{i}]")) is not None
    ]
    name = request.pop("PoolName", None)
    if not isinstance(name, str):
        return None
    return PoolSpec(pool_id, name, request, tuple(clients), tuple(groups), tuple(users), where, fields)


def _client(r: Reader, node: yaml.Node, path: str) -> ClientSpec | None:
    shape = input_shape("CreateUserPoolClient")
    sink: dict[str, Where] = {}
    request, fields, extra = r.members(
        node, path, shape, extra=("ClientId",), sink=sink, hidden=("UserPoolId",)
    )
    if request is None:
        return None
    where = r.where(node, path)
    client_id = _fixed_id(r, extra.get("ClientId"), f"{path}.ClientId", check_client_id)
    r.check_model("CreateUserPoolClient", {"UserPoolId": reader.PLACEHOLDER_POOL_ID, **request}, sink, where)
    name = request.pop("ClientName", None)
    secret = request.pop("ClientSecret", None)
    generate = bool(request.pop("GenerateSecret", False))
    if not isinstance(name, str):
        return None
    return ClientSpec(client_id, name, secret, generate, request, where, fields)


def _group(r: Reader, node: yaml.Node, path: str) -> GroupSpec | None:
    shape = input_shape("CreateGroup")
    sink: dict[str, Where] = {}
    request, fields, _ = r.members(node, path, shape, extra=(), sink=sink, hidden=("UserPoolId",))
    if request is None:
        return None
    where = r.where(node, path)
    r.check_model("CreateGroup", {"UserPoolId": reader.PLACEHOLDER_POOL_ID, **request}, sink, where)
    name = request.pop("GroupName", None)
    if not isinstance(name, str):
        return None
    return GroupSpec(name, request, where, fields)


def _user(r: Reader, node: yaml.Node, path: str) -> UserSpec | None:
    items = r.entries(node, path)
    if items is None:
        return None
    where = r.where(node, path)
    fields = {key: r.where(key_node, f"{path}.{key}") for key, (key_node, _) in items.items()}
    values: dict[str, Any] = {}
    for key, (key_node, value) in items.items():
        kind = reader.USER_FIELDS.get(key)
        if kind is None:
            r.unknown(key_node, f"{path}.{key}", key, tuple(reader.USER_FIELDS))
            continue
        got = r.typed(value, kind, f"{path}.{key}")
        if got is not BAD:
            values[key] = got
    if "Username" not in items:
        r.fail(node, path, "missing 'Username'")
        return None
    username = values.get("Username")
    if not isinstance(username, str):
        return None
    _check_user_model(r, values, items, path, where)
    given = set(values)
    if {"Password", "TemporaryPassword"} <= given:
        r.fail(node, path, "give either Password (a CONFIRMED user) or TemporaryPassword, not both")
    verifier = _verifier(
        r, items.get("PasswordVerifier"), values.get("PasswordVerifier"), f"{path}.PasswordVerifier"
    )
    if "PasswordVerifier" in items:
        if given & {"Password", "TemporaryPassword"}:
            r.fail(node, path, "PasswordVerifier cannot be combined with Password or TemporaryPassword")
    else:
        for key in ("Sub", "Status"):
            if key in items:
                r.fail(items[key][1], f"{path}.{key}", f"{key} is kept only together with PasswordVerifier")
    status = values.get("Status")
    if status is not None and status not in VERIFIER_STATUSES:
        r.fail(items["Status"][1], f"{path}.Status", f"expected one of {', '.join(VERIFIER_STATUSES)}")
    groups = values.get("Groups")
    return UserSpec(
        username=username,
        attributes=dict(values.get("Attributes") or {}),
        password=values.get("Password"),
        temporary_password=values.get("TemporaryPassword"),
        enabled=values.get("Enabled"),
        groups=tuple(groups) if groups is not None else None,
        sub=values.get("Sub"),
        status=status,
        verifier=verifier,
        where=where,
        fields=fields,
    )


def _check_user_model(
    r: Reader,
    values: Mapping[str, Any],
    items: Mapping[str, tuple[yaml.Node, yaml.Node]],
    path: str,
    where: Where,
) -> None:
    """Check the user's members against AdminCreateUser, AdminSetUserPassword and
    AdminAddUserToGroup, whose shapes say what a username, a password or a group name is."""
    base = {"UserPoolId": reader.PLACEHOLDER_POOL_ID, "Username": values["Username"]}
    sink = {"username": r.where(items["Username"][0], f"{path}.Username")}
    attributes = values.get("Attributes") or {}
    create: dict[str, Any] = {
        **base,
        "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
    }
    if "Attributes" in items:
        attribute_nodes = r.entries(items["Attributes"][1], f"{path}.Attributes") or {}
        for index, (name, (key, _)) in enumerate(attribute_nodes.items(), start=1):
            sink[f"userAttributes.{index}.member"] = r.where(key, f"{path}.Attributes.{name}")
    if "TemporaryPassword" in values:
        create["TemporaryPassword"] = values["TemporaryPassword"]
        sink["temporaryPassword"] = r.where(items["TemporaryPassword"][0], f"{path}.TemporaryPassword")
    r.check_model("AdminCreateUser", create, sink, where)
    if "Password" in values:
        sink["password"] = r.where(items["Password"][0], f"{path}.Password")
        r.check_model(
            "AdminSetUserPassword", {**base, "Password": values["Password"], "Permanent": True}, sink, where
        )
    group_nodes = items["Groups"][1].value if "Groups" in items else []
    for index, group in enumerate(values.get("Groups") or ()):
        group_sink = {**sink, "groupName": r.where(group_nodes[index], f"{path}.Groups[{index}]")}
        r.check_model("AdminAddUserToGroup", {**base, "GroupName": group}, group_sink, where)


def _verifier(
    r: Reader, pair: tuple[yaml.Node, yaml.Node] | None, value: Any, path: str
) -> VerifierSpec | None:
    if pair is None or not isinstance(value, Mapping):
        return None
    node = pair[1]
    for key in value:
        if key not in VERIFIER_FIELDS:
            r.fail(
                node, f"{path}.{key}", f"unknown field {key!r}; expected one of: {', '.join(VERIFIER_FIELDS)}"
            )
    missing = [key for key in VERIFIER_FIELDS if key not in value]
    if missing:
        r.fail(node, path, f"missing {', '.join(missing)}")
        return None
    for key in ("Salt", "Verifier"):
        if not _HEX.fullmatch(value[key]):
            r.fail(node, f"{path}.{key}", "expected hexadecimal digits")
    try:
        check_pool_id(value["PoolId"])
    except InvalidParameterException as exc:
        r.fail(node, f"{path}.PoolId", exc.message)
    return VerifierSpec(value["Salt"], value["Verifier"], value["PoolId"])


def _fixed_id(
    r: Reader, pair: tuple[yaml.Node, yaml.Node] | None, path: str, check: Callable[[str], None]
) -> str | None:
    if pair is None:
        return None
    value = r.scalar(pair[1], "string", path)
    if value is BAD:
        return None
    try:
        check(value)
    except InvalidParameterException as exc:
        r.fail(pair[1], path, exc.message)
        return None
    return str(value)


def _items(r: Reader, pair: tuple[yaml.Node, yaml.Node] | None, path: str) -> list[tuple[int, yaml.Node]]:
    return [] if pair is None else list(r.sequence(pair[1], path))


def _check_duplicates(r: Reader, pools: Sequence[PoolSpec]) -> None:
    """Ids and names that would designate the same thing twice."""
    seen: dict[tuple[str, ...], Where] = {}

    def once(key: tuple[str, ...], where: Where, what: str) -> None:
        if key in seen:
            first = seen[key]
            r.problems.append(where.problem(f"{what} is declared twice (first at {first})"))
        else:
            seen[key] = where

    for pool in pools:
        pool_key = pool.pool_id or pool.name
        if pool.pool_id is not None:
            once(("pool id", pool.pool_id), pool.fields.get("Id", pool.where), f"pool id {pool.pool_id}")
        else:
            once(("pool name", pool.name), pool.fields.get("PoolName", pool.where), f"pool {pool.name!r}")
        for client in pool.clients:
            if client.client_id is not None:
                once(
                    ("client id", client.client_id),
                    client.fields.get("ClientId", client.where),
                    f"client id {client.client_id}",
                )
            else:
                once(
                    ("client name", pool_key, client.name),
                    client.fields.get("ClientName", client.where),
                    f"client {client.name!r}",
                )
        for group in pool.groups:
            once(
                ("group", pool_key, group.name),
                group.locations.get("GroupName", group.where),
                f"group {group.name!r}",
            )
        for user in pool.users:
            once(
                ("user", pool_key, user.username),
                user.fields.get("Username", user.where),
                f"user {user.username!r}",
            )
