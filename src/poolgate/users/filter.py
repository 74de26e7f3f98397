"""The ListUsers ``Filter`` string: parsing, and the reference matching semantics.

Grammar (docs/management.md section 12): ``<attribute> <op> "<value>"`` with op ``=``
(exact) or ``^=`` (prefix), optional whitespace around the op, ``\\"`` and ``\\\\`` as
escapes inside the quotes. The SQL store must select exactly the users ``matches``
accepts; its contract tests use this module as the oracle.
"""

from __future__ import annotations

import re

from poolgate.errors import InvalidParameterException
from poolgate.users import rules
from poolgate.users.model import User, UserFilter

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

# Attributes compared without regard to case: the model marks only username and status
# case-sensitive, and an emulator checked against AWS that ``email`` ignores case
# (docs/management.md section 12). ``username``, ``sub`` and ``status`` match exactly.
CASE_INSENSITIVE_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
    }
)

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


def matches(user: User, flt: UserFilter) -> bool:
    """True when ``user`` satisfies ``flt``.

    ``username``, ``sub`` and ``status`` (``Enabled``/``Disabled``) compare exactly; the
    other searchable attributes, ``cognito:user_status`` included, compare after
    ``str.lower`` on both sides. A user without the attribute never matches.
    """
    actual = _value_of(user, flt.attribute)
    if actual is None:
        return False
    wanted = flt.value
    if flt.attribute in CASE_INSENSITIVE_ATTRIBUTES:
        actual, wanted = actual.lower(), wanted.lower()
    if flt.op == "^=":
        return actual.startswith(wanted)
    return actual == wanted


def page_size(limit: int | None) -> int:
    """The number of users one ListUsers page holds: ``Limit``, or 60 when it is absent or 0."""
    if not limit:
        return rules.LIST_USERS_DEFAULT_LIMIT
    return min(limit, rules.LIST_USERS_MAX_LIMIT)


def _value_of(user: User, attribute: str) -> str | None:
    if attribute == "username":
        return user.username
    if attribute == "sub":
        return user.sub
    if attribute == "cognito:user_status":
        return user.status.value
    if attribute == "status":
        return "Enabled" if user.enabled else "Disabled"
    return user.attributes.get(attribute)
