"""The password policy of a pool (``Policies.PasswordPolicy``) and temporary passwords.

Facts and evidence: ``docs/management.md`` section 17. ``check_password`` raises
InvalidPasswordException with the first violated rule; the message prefix depends on the
operation, as AWS's does.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from poolgate.errors import InvalidPasswordException

SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
"""The special characters the Developer Guide lists for ``RequireSymbols``. A space also
counts as a symbol (same page), but the API's password pattern ``[\\S]+`` never lets one
through."""

# Symbols used in generated passwords: no quotes, backslash, backtick or ``<>&``, so a
# temporary password survives HTML e-mail, SMS and shell copy-paste [decision].
TEMPORARY_SYMBOLS = "!#$%*+-.=?@^_~"

# Generated passwords are at least this long, longer when the policy demands [decision].
TEMPORARY_PASSWORD_LENGTH = 12

# MinimumLength when a policy lacks it (the pool default, docs/management.md section 1).
DEFAULT_MINIMUM_LENGTH = 8

SIGN_UP_PREFIX = "Password did not conform with policy: "
ADMIN_PREFIX = "Password did not conform with password policy: "
CHANGE_PREFIX = "Password does not conform to policy: "

_PREFIXES: Mapping[str, str] = {
    "SignUp": SIGN_UP_PREFIX,
    "AdminCreateUser": ADMIN_PREFIX,
    "AdminSetUserPassword": ADMIN_PREFIX,
    "ChangePassword": CHANGE_PREFIX,
    "ConfirmForgotPassword": CHANGE_PREFIX,
    "RespondToAuthChallenge": CHANGE_PREFIX,
    "AdminRespondToAuthChallenge": CHANGE_PREFIX,
}

_UPPER = frozenset(string.ascii_uppercase)
_LOWER = frozenset(string.ascii_lowercase)
_DIGITS = frozenset(string.digits)
_SYMBOL_SET = frozenset(SYMBOLS + " ")


def message_prefix(operation: str) -> str:
    """The InvalidPasswordException prefix AWS uses for ``operation`` (SignUp's for others)."""
    return _PREFIXES.get(operation, SIGN_UP_PREFIX)


def check_password(policy: Mapping[str, Any], password: str, *, operation: str = "SignUp") -> None:
    """Check ``password`` against a ``PasswordPolicyType`` mapping.

    Raises InvalidPasswordException naming the first rule broken, in the order length,
    uppercase, lowercase, numbers, symbols. ``operation`` selects the message prefix.
    Only Basic Latin letters and digits count for the character-class rules.
    """
    reason = _first_violation(policy, password)
    if reason is not None:
        raise InvalidPasswordException(message_prefix(operation) + reason)


def generate_temporary_password(policy: Mapping[str, Any]) -> str:
    """A random password that satisfies ``policy`` (and every other policy of the same
    length): at least one character of each class, the rest from all of them."""
    length = max(int(policy.get("MinimumLength") or DEFAULT_MINIMUM_LENGTH), TEMPORARY_PASSWORD_LENGTH)
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, TEMPORARY_SYMBOLS)
    alphabet = "".join(classes)
    characters = [secrets.choice(c) for c in classes]
    characters += [secrets.choice(alphabet) for _ in range(length - len(classes))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def _first_violation(policy: Mapping[str, Any], password: str) -> str | None:
    minimum = int(policy.get("MinimumLength") or DEFAULT_MINIMUM_LENGTH)
    if len(password) < minimum:
        return "Password not long enough"
    present = set(password)
    rules = (
        ("RequireUppercase", _UPPER, "Password must have uppercase characters"),
        ("RequireLowercase", _LOWER, "Password must have lowercase characters"),
        ("RequireNumbers", _DIGITS, "Password must have numeric characters"),
        ("RequireSymbols", _SYMBOL_SET, "Password must have symbol characters"),
    )
    for member, allowed, reason in rules:
        if policy.get(member) and not present & allowed:
            return reason
    return None
