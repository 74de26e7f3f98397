"""Import a pool from the JSON the AWS CLI prints, and export a pool in the apply format.

``import_pool`` takes the output of ``aws cognito-idp describe-user-pool`` and of
``describe-user-pool-client`` (one per client), turns it into a pools-as-code document and
applies it, so an import gets the same validation, idempotence and change report as
``apply``. ``export_pool`` goes the other way, from a stored pool to a document that
``apply`` accepts; exporting a pool and applying the result to an empty store gives a pool
whose DescribeUserPool matches, dates aside.

DescribeUserPool lists every schema attribute; CreateUserPool's ``Schema`` takes only what
differs from the standard attributes, and custom attributes without their ``custom:`` (or
``dev:custom:``) prefix. Members that no create operation sets (``Domain``,
``CustomDomain``, ``ClientSecretArn``, ...) are left out, each with a note.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from poolgate.devx.apply import apply_document
from poolgate.devx.reader import input_shape
from poolgate.devx.spec import FORMAT_VERSION, VERIFIER_STATUSES, ApplyError
from poolgate.pools import defaults, schema
from poolgate.pools.model import UserPool
from poolgate.pools.service import Page
from poolgate.services import Services
from poolgate.srp import pool_name_from_pool_id
from poolgate.users.model import User

__all__ = ["client_entry", "export_pool", "import_pool", "pool_entry", "schema_entries"]

# UserPoolType members that report state or are computed; never carried over.
COMPUTED_POOL_MEMBERS = frozenset(
    {"Id", "Name", "Arn", "CreationDate", "LastModifiedDate", "EstimatedNumberOfUsers", "Status"}
)
# UserPoolClientType members that the client entry carries under its own keys, or that are dates.
COMPUTED_CLIENT_MEMBERS = frozenset(
    {"UserPoolId", "ClientId", "ClientName", "ClientSecret", "CreationDate", "LastModifiedDate"}
)
_PAGE = 60
_STANDARD: Mapping[str, Mapping[str, Any]] = {a["Name"]: a for a in schema.STANDARD_ATTRIBUTES}


def import_pool(
    services: Services,
    describe_pool_json: str | bytes | Mapping[str, Any],
    client_jsons: Sequence[str | bytes | Mapping[str, Any]] = (),
    *,
    keep_ids: bool = True,
    source: str = "describe-user-pool.json",
) -> list[str]:
    """Create (or bring up to date) the pool and clients that the AWS CLI JSON describes.

    Each argument is the JSON text or its parsed form, with or without the ``UserPool`` /
    ``UserPoolClient`` wrapper. With ``keep_ids`` the pool and clients keep their ids and
    secrets, so front-end configs keep working; without it they get new ids and are matched
    by name on a later import. Returns ``! note`` lines for what could not be carried over,
    then the change lines. Raises ApplyError, having changed nothing, when the input or the
    configuration is invalid.
    """
    described = _load(describe_pool_json, "UserPool", source)
    entry, notes = pool_entry(described)
    clients: list[dict[str, Any]] = []
    for index, raw in enumerate(client_jsons):
        client = _load(raw, "UserPoolClient", f"client JSON #{index + 1}")
        owner = client.get("UserPoolId")
        if owner is not None and described.get("Id") is not None and owner != described["Id"]:
            raise ApplyError([f"client JSON #{index + 1}: client of pool {owner}, not of {described['Id']}"])
        client_fields, more = client_entry(client)
        notes.extend(more)
        if not keep_ids:
            client_fields.pop("ClientId", None)
        clients.append(client_fields)
    if not keep_ids:
        entry.pop("Id", None)
    if clients:
        entry["clients"] = clients
    lines = apply_document(services, {"version": FORMAT_VERSION, "pools": [entry]}, source)
    return [f"! {note}" for note in notes] + lines


def export_pool(
    services: Services, pool_id: str, *, include_secrets: bool = False, include_users: bool = True
) -> dict[str, Any]:
    """The pool, its clients, groups and (unless ``include_users`` is false) users as an
    apply document, ready for ``yaml.safe_dump``. ``notes`` says what the file does not hold.

    Without ``include_secrets`` client secrets become ``GenerateSecret: true`` and users
    carry no password; with it the secrets, each user's ``Sub``, ``Status`` and SRP
    ``PasswordVerifier`` are included. Raises ResourceNotFoundException for an unknown pool.
    """
    pool = services.pools.get_pool(pool_id)
    entry, notes = pool_entry(services.pools.describe_pool(pool_id))
    clients = [
        _exported_client(services, pool_id, client_id, include_secrets, notes)
        for client_id in _client_ids(services, pool_id)
    ]
    if clients:
        entry["clients"] = clients
    groups = [_exported_group(group) for group in _pages(lambda t: services.groups.list(pool_id, _PAGE, t))]
    if groups:
        entry["groups"] = groups
    if include_users:
        users = [
            _exported_user(services, pool, user, include_secrets)
            for user in _pages(
                lambda t: services.admin_users.list(pool_id, filter_text=None, limit=_PAGE, token=t)
            )
        ]
        if users:
            entry["users"] = users
            notes.extend(_user_notes(pool_id, users, include_secrets))
    return {"version": FORMAT_VERSION, "notes": notes, "pools": [entry]}


# -- DescribeUserPool(Client) documents -> apply entries -----------------------------------------


def pool_entry(described: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A pool entry of the apply format from a ``UserPoolType`` document, and notes on the
    members that could not be carried over."""
    members = input_shape("CreateUserPool").members
    entry: dict[str, Any] = {}
    if described.get("Id"):
        entry["Id"] = described["Id"]
    entry["PoolName"] = described.get("Name")
    notes: list[str] = []
    for key, value in described.items():
        if key in COMPUTED_POOL_MEMBERS:
            continue
        if key == "SchemaAttributes":
            entries, more = schema_entries(value)
            if entries:
                entry["Schema"] = entries
            notes.extend(more)
        elif key in members and key != "PoolName":
            entry[key] = copy.deepcopy(value)
        else:
            notes.append(f"{key} is left out: CreateUserPool cannot set it")
    return entry, notes


def schema_entries(attributes: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """CreateUserPool ``Schema`` entries that rebuild ``SchemaAttributes``: standard attributes
    only where they differ from their default, custom ones without their prefix."""
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    for attribute in attributes:
        name = str(attribute.get("Name"))
        if name in _STANDARD:
            if dict(attribute) == dict(_STANDARD[name]):
                continue
            if name == "sub" or name in schema.VERIFICATION_ATTRIBUTES:
                notes.append(f"schema attribute {name} is left out: Cognito fixes its definition")
                continue
            entries.append(copy.deepcopy(dict(attribute)))
        elif schema.is_custom(name):
            developer = name.startswith(schema.DEVELOPER_PREFIX)
            bare = name.removeprefix(schema.DEVELOPER_PREFIX).removeprefix(schema.CUSTOM_PREFIX)
            entry = {k: copy.deepcopy(v) for k, v in attribute.items() if k not in ("Name", "Required")}
            entry = {
                "Name": bare,
                **entry,
                "DeveloperOnlyAttribute": bool(attribute.get("DeveloperOnlyAttribute", developer)),
            }
            entries.append(entry)
        else:
            notes.append(f"schema attribute {name} is left out: Cognito maintains it (federated sign-in)")
    return entries, notes


def client_entry(described: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A client entry of the apply format from a ``UserPoolClientType`` document (its secret
    included when the document has one), and notes on what was left out."""
    members = input_shape("CreateUserPoolClient").members
    entry: dict[str, Any] = {"ClientId": described.get("ClientId"), "ClientName": described.get("ClientName")}
    if described.get("ClientSecret"):
        entry["ClientSecret"] = described["ClientSecret"]
    notes: list[str] = []
    for key, value in described.items():
        if key in COMPUTED_CLIENT_MEMBERS:
            continue
        if key in members:
            entry[key] = copy.deepcopy(value)
        else:
            notes.append(f"client {entry['ClientId']}: {key} is left out: CreateUserPoolClient cannot set it")
    return entry, notes


# -- export helpers ------------------------------------------------------------------------------


def _exported_client(
    services: Services, pool_id: str, client_id: str, include_secrets: bool, notes: list[str]
) -> dict[str, Any]:
    entry, more = client_entry(defaults.describe_client(services.pools.get_client(pool_id, client_id)))
    notes.extend(more)
    if "ClientSecret" in entry and not include_secrets:
        del entry["ClientSecret"]
        entry = {
            **{k: v for k, v in entry.items() if k in ("ClientId", "ClientName")},
            "GenerateSecret": True,
            **{k: v for k, v in entry.items() if k not in ("ClientId", "ClientName")},
        }
    return entry


def _exported_group(group: Any) -> dict[str, Any]:
    optional = (
        ("Description", group.description),
        ("RoleArn", group.role_arn),
        ("Precedence", group.precedence),
    )
    return {"GroupName": group.name, **{key: value for key, value in optional if value is not None}}


def _exported_user(services: Services, pool: UserPool, user: User, include_secrets: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"Username": _sign_in_name(pool, user)}
    attrs = {k: v for k, v in user.attributes.items() if k != "sub"}
    if attrs:
        entry["Attributes"] = attrs
    if not user.enabled:
        entry["Enabled"] = False
    groups = [
        g.name for g in _pages(lambda t: services.groups.groups_for_user(pool.id, user.username, _PAGE, t))
    ]
    if groups:
        entry["Groups"] = groups
    if include_secrets and user.password is not None and user.status.value in VERIFIER_STATUSES:
        entry["Sub"] = user.sub
        entry["Status"] = user.status.value
        entry["PasswordVerifier"] = {
            "Salt": user.password.salt,
            "Verifier": user.password.verifier,
            "PoolId": pool.id,
        }
    return entry


def _sign_in_name(pool: UserPool, user: User) -> str:
    """The name AdminCreateUser takes for this user: in a UsernameAttributes pool the internal
    username is the ``sub``, and the user is created by e-mail or phone number."""
    if pool.username_attributes:
        for kind in ("email", "phone_number"):
            if kind in pool.username_attributes and user.attributes.get(kind):
                return user.attributes[kind]
    return user.username


def _user_notes(pool_id: str, users: Sequence[Mapping[str, Any]], include_secrets: bool) -> list[str]:
    name = pool_name_from_pool_id(pool_id)
    without = sum(1 for u in users if "PasswordVerifier" not in u)
    notes: list[str] = []
    if include_secrets:
        notes.append(
            "This file holds client secrets and SRP password verifiers: keep it private. A verifier is bound "
            f"to the pool id's name part ({name!r}), so it only works in a pool with the Id {pool_id} (or "
            f"another region's {name}); apply refuses verifiers for any other pool."
        )
    if without:
        notes.append(
            f"{without} user(s) carry no password: apply creates them as FORCE_CHANGE_PASSWORD with a random "
            "temporary password. Give them Password or TemporaryPassword, or export with secrets and keep "
            f"the pool Id {pool_id}."
        )
    notes.append("Not exported: MFA settings, devices and password history of users.")
    return notes


def _client_ids(services: Services, pool_id: str) -> list[str]:
    return [c.client_id for c in _pages(lambda t: services.pools.list_clients(pool_id, _PAGE, t))]


def _pages(fetch: Callable[[str | None], Page]) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_token
        if not token:
            return


def _load(raw: str | bytes | Mapping[str, Any], wrapper: str, source: str) -> Mapping[str, Any]:
    """A describe document from JSON text or a parsed dict, unwrapped from ``wrapper``."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApplyError([f"{source}:{exc.lineno}: not valid JSON: {exc.msg}"]) from None
    if not isinstance(raw, Mapping):
        raise ApplyError([f"{source}: expected a JSON object with {wrapper!r}"])
    inner = raw.get(wrapper, raw)
    if not isinstance(inner, Mapping):
        raise ApplyError([f"{source}: {wrapper} must be a JSON object"])
    return inner
