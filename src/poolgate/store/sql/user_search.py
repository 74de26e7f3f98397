"""ListUsers filters as SQL: one indexed condition per filter term, never a full scan.

Where each filter attribute lives:

* ``username``, ``sub``: columns of ``users`` (``ix_users_pool_username`` and the
  primary key).
* ``cognito:user_status`` (the ``status`` column) and ``status`` (``Enabled`` or
  ``Disabled``, the ``enabled`` column): these have a handful of possible values, so
  the matching values are worked out here and the query uses ``IN``.
* ``email``, ``phone_number``, ``name``, ``given_name``, ``family_name`` and
  ``preferred_username``: rows of ``user_search``, written whenever a user is
  stored, in their searchable form.

Case: the ListUsers API reference
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html)
marks ``username`` and ``status`` case-sensitive and ``cognito:user_status``
case-insensitive, and says nothing for the other attributes. The developer guide is
quoted as saying "All searches are case-insensitive", and an emulator fixed after
comparing with AWS reports that ``email = "user@example.com"`` finds
``User@Example.com`` (ministackorg/ministack PR #1465). We have not checked this against
AWS ourselves. So ``username``, ``sub`` and ``status`` match exactly, and the other
attributes match case-insensitively: both the stored copy and the filter value are
lowered with Python's ``str.lower``, so no database collation or ``LIKE`` rule is
involved and SQLite and PostgreSQL give the same answers. Change
:data:`CASE_INSENSITIVE` to change that decision (stored rows are rewritten whenever a
user is updated; existing ones would need a re-index).

A prefix (``^=``) is a range ``prefix <= value < successor(prefix)`` on a column that
compares bytewise (the "C" collation on PostgreSQL, BINARY on SQLite), so ``%``, ``_``
and non-ASCII characters need no escaping and the index is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from poolgate.store.sql.tables import SEARCH_HEAD_CHARS, user_search, users
from poolgate.users.model import UserFilter, UserStatus

# Attributes kept in ``user_search``.
INDEXED_ATTRIBUTES: tuple[str, ...] = (
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
)

# Filter attributes matched without regard to case (see the module docstring).
CASE_INSENSITIVE: frozenset[str] = frozenset((*INDEXED_ATTRIBUTES, "cognito:user_status"))

FILTER_ATTRIBUTES: frozenset[str] = frozenset(
    (*INDEXED_ATTRIBUTES, "username", "sub", "cognito:user_status", "status")
)
FILTER_OPERATORS: frozenset[str] = frozenset(("=", "^="))

_ENABLED_VALUES = {"Enabled": True, "Disabled": False}
_LAST_CODE_POINT = 0x10FFFF


def searchable(attribute: str, value: str) -> str:
    """The form in which ``value`` is stored in, and compared against, the index."""
    return value.lower() if attribute in CASE_INSENSITIVE else value


def search_rows(pool_id: str, sub: str, attributes: Mapping[str, str]) -> list[dict[str, Any]]:
    """The ``user_search`` rows for a user with these attributes."""
    rows = []
    for attribute in INDEXED_ATTRIBUTES:
        value = attributes.get(attribute)
        if value is None:
            continue
        folded = searchable(attribute, value)
        rows.append(
            {
                "pool_id": pool_id,
                "sub": sub,
                "attribute": attribute,
                "value_head": folded[:SEARCH_HEAD_CHARS],
                "value": folded,
            }
        )
    return rows


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    None if there is no such string (the prefix is empty or made only of U+10FFFF), in
    which case ``value >= prefix`` alone selects the strings with that prefix.
    """
    stripped = prefix.rstrip(chr(_LAST_CODE_POINT))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        # Surrogates cannot be stored as UTF-8; the next storable code point is U+E000.
        following = 0xE000
    return stripped[:-1] + chr(following)


def _starts_with(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    condition = column >= prefix
    successor = prefix_successor(prefix)
    if successor is not None:
        condition = sa.and_(condition, column < successor)
    return condition


def _matches(stored: str, op: str, value: str) -> bool:
    return stored == value if op == "=" else stored.startswith(value)


def _compare(column: sa.ColumnElement[str], op: str, value: str) -> sa.ColumnElement[bool]:
    return column == value if op == "=" else _starts_with(column, value)


def _indexed_condition(attribute: str, op: str, value: str) -> sa.ColumnElement[bool]:
    s = user_search.c
    folded = searchable(attribute, value)
    head = folded[:SEARCH_HEAD_CHARS]
    if op == "=":
        return sa.and_(s.attribute == attribute, s.value_head == head, s.value == folded)
    if len(folded) <= SEARCH_HEAD_CHARS:
        return sa.and_(s.attribute == attribute, _starts_with(s.value_head, folded))
    # A prefix longer than the indexed head: the head must equal the prefix's start.
    return sa.and_(s.attribute == attribute, s.value_head == head, _starts_with(s.value, folded))


def apply_filter(query: sa.Select[Any], term: UserFilter) -> sa.Select[Any]:
    """Restrict a ``SELECT ... FROM users`` to the users matching ``term``.

    Raises ``ValueError`` for an attribute or operator ListUsers does not support (the
    core validates filters first, so this is a programming error).
    """
    attribute, op, value = term.attribute, term.op, term.value
    if attribute not in FILTER_ATTRIBUTES:
        raise ValueError(f"ListUsers cannot filter on {attribute!r}")
    if op not in FILTER_OPERATORS:
        raise ValueError(f"unknown ListUsers filter operator {op!r}")
    u = users.c
    if "\x00" in value:
        # No stored value can contain NUL (PostgreSQL text cannot hold it).
        return query.where(sa.false())
    if attribute == "username":
        return query.where(_compare(u.username, op, value))
    if attribute == "sub":
        return query.where(_compare(u.sub, op, value))
    if attribute == "cognito:user_status":
        wanted = searchable(attribute, value)
        statuses = [s.value for s in UserStatus if _matches(searchable(attribute, s.value), op, wanted)]
        return query.where(u.status.in_(statuses))
    if attribute == "status":
        flags = [flag for name, flag in _ENABLED_VALUES.items() if _matches(name, op, value)]
        return query.where(u.enabled.in_(flags))
    joined = query.join(user_search, sa.and_(user_search.c.pool_id == u.pool_id, user_search.c.sub == u.sub))
    return joined.where(_indexed_condition(attribute, op, value))
