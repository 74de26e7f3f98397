"""The ListUsers ``Filter`` string: parsing, and the page size.

Grammar (docs/management.md section 12): ``<attribute> <op> "<value>"`` with op ``=``
(exact) or ``^=`` (prefix), optional whitespace around the op, ``\\"`` and ``\\\\`` as
escapes inside the quotes. Which users a parsed filter selects, and how case is compared,
is the store's business (``store/sql/user_search.py``).
"""

from __future__ import annotations

import re

from poolgate.errors import InvalidParameterException
from poolgate.users import rules
from poolgate.users.model import UserFilter

SEARCHABLE_ATTRIBUTES: tuple[str, ...] = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)
"""The attributes the model's ListUsers documentation allows in a filter."""

_TERM = re.compile(r'\s*([\w:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse_filter(text: str | None) -> UserFilter | None:
    """The filter of a ListUsers request, or None when ``text`` is absent or empty.

    Raises InvalidParameterException ``Error while parsing filter.`` for anything that is
    not one term, and ``Invalid search attribute: <name>`` for a term on an attribute
    that is not searchable (custom attributes included).
    """
    if not text:
        return None
    match = _TERM.fullmatch(text)
    if match is None:
        raise InvalidParameterException(rules.FILTER_PARSE_MESSAGE)
    attribute, op, raw = match.groups()
    if attribute not in SEARCHABLE_ATTRIBUTES:
        raise InvalidParameterException(f"Invalid search attribute: {attribute}")
    return UserFilter(attribute, op, _ESCAPE.sub(r"\1", raw))


def page_size(limit: int | None) -> int:
    """The number of users one ListUsers page holds: ``Limit``, or 60 when it is absent or 0."""
    if not limit:
        return rules.LIST_USERS_DEFAULT_LIMIT
    return min(limit, rules.LIST_USERS_MAX_LIMIT)
