"""User attributes, usernames and aliases: the checks SignUp, AdminCreateUser and the
attribute-update operations apply, the uniqueness keys, and destination masking.

Pure functions over a :class:`UserPool`; facts and evidence in ``docs/management.md``
sections 9–11 and 15. Errors are ``poolgate.errors`` classes with Cognito's messages.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.pools import schema
from poolgate.pools.model import UserPool
from poolgate.users import rules

CONTEXTS: frozenset[str] = frozenset({"sign_up", "admin_create", "admin_update", "user_update"})

# The contexts in which the caller is an app client rather than an administrator.
_CLIENT_CONTEXTS = frozenset({"sign_up", "user_update"})
_CREATE_CONTEXTS = frozenset({"sign_up", "admin_create"})
_UPDATE_CONTEXTS = frozenset({"admin_update", "user_update"})

# One "@", something on both sides, no whitespace [decision; AWS does not publish its rule].
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+")
# E.164: "+", a country code that does not start with 0, at most 15 digits in all.
PHONE_PATTERN = re.compile(r"\+[1-9][0-9]{1,14}")

_BOOLEAN_VALUES = frozenset({"true", "false"})


def validate_attributes(
    pool: UserPool,
    attrs: Sequence[Mapping[str, str]] | Mapping[str, str],
    *,
    context: str,
    write_attributes: Collection[str] | None = None,
) -> dict[str, str]:
    """Check attributes sent to SignUp, AdminCreateUser, AdminUpdateUserAttributes or
    UpdateUserAttributes (``context`` ``sign_up``, ``admin_create``, ``admin_update``,
    ``user_update``) and return them as a name→value dict in request order.

    ``attrs`` is a list of ``{"Name", "Value"}`` items or a mapping. ``write_attributes``
    is the app client's ``WriteAttributes`` (client contexts only; None means all).
    Raises NotAuthorizedException for attributes the caller may not write and
    InvalidParameterException for every schema rule of docs/management.md section 11;
    on create contexts also for missing required attributes.
    """
    if context not in CONTEXTS:
        raise ValueError(f"unknown attribute context {context!r}")
    values = _as_dict(attrs)
    entries = _schema_entries(pool)
    result: dict[str, str] = {}
    for name, value in values.items():
        entry = _writable_entry(
            entries,
            name,
            context=context,
            write_attributes=write_attributes,
            unknown=rules.SCHEMA_PREFIX + f"Type for attribute {{{name}}} could not be determined",
        )
        result[name] = _checked_value(entry, value)
    if (
        context == "sign_up"
        and "preferred_username" in pool.alias_attributes
        and "preferred_username" in result
    ):
        raise InvalidParameterException(
            "preferred_username cannot be set during sign-up when it is an alias attribute."
        )
    if context in _CREATE_CONTEXTS:
        check_required(pool, result)
    else:
        required = schema.required_names(entries.values())
        blanked = [name for name in entries if name in required and result.get(name) == ""]
        _raise_required(blanked)
    return result


def check_deletable(
    pool: UserPool,
    names: Sequence[str],
    *,
    context: str,
    write_attributes: Collection[str] | None = None,
) -> list[str]:
    """Check the names sent to DeleteUserAttributes (``context`` ``user_update``) or
    AdminDeleteUserAttributes (``admin_update``) and return them without repeats, in
    request order.

    Deleting is an update: each name passes the rules 1–6 of docs/management.md section 11
    in the same order as in :func:`validate_attributes` (client write permission,
    verification flags and developer-only attributes for clients, ``sub``, immutable
    attributes), except that a name not in the schema gets Cognito's
    ``Invalid user attributes: user.<name>: Attribute does not exist in the schema.``.
    Then no required attribute may be deleted (rule 9, the message of a blanked one).
    """
    if context not in _UPDATE_CONTEXTS:
        raise ValueError(f"attributes are deleted in an update context, not {context!r}")
    entries = _schema_entries(pool)
    result: list[str] = []
    for name in names:
        _writable_entry(
            entries,
            name,
            context=context,
            write_attributes=write_attributes,
            unknown=rules.attribute_not_in_schema_message(name),
        )
        if name not in result:
            result.append(name)
    required = schema.required_names(entries.values())
    _raise_required([name for name in entries if name in required and name in result])
    return result


def check_required(pool: UserPool, attrs: Mapping[str, str]) -> None:
    """Raise InvalidParameterException listing, in schema order, every required attribute
    of the pool that ``attrs`` lacks or leaves empty (``sub`` excluded)."""
    entries = _schema_entries(pool)
    required = schema.required_names(entries.values())
    _raise_required([name for name in entries if name in required and not attrs.get(name)])


def fold(pool: UserPool, value: str) -> str:
    """``value`` as the pool compares usernames and e-mail / preferred_username aliases:
    lower-cased when ``UsernameConfiguration.CaseSensitive`` is false, unchanged otherwise."""
    return value if pool.username_case_sensitive else value.lower()


def username_keys(pool: UserPool, username: str, attrs: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``(kind, key)`` pairs that must be unique in the pool for a user with this
    internal ``username`` and these attributes (docs/management.md section 10).

    Always ``("username", …)``; e-mail and phone named in UsernameAttributes whether
    verified or not; with AliasAttributes the verified e-mail and phone and any
    ``preferred_username``.
    """
    keys = [("username", fold(pool, username))]
    if pool.username_attributes:
        for kind in ("email", "phone_number"):
            if kind in pool.username_attributes and attrs.get(kind):
                keys.append((kind, fold(pool, attrs[kind])))
        return keys
    for kind in ("email", "phone_number"):
        if kind in pool.alias_attributes and attrs.get(kind) and attrs.get(f"{kind}_verified") == "true":
            keys.append((kind, fold(pool, attrs[kind])))
    if "preferred_username" in pool.alias_attributes and attrs.get("preferred_username"):
        keys.append(("preferred_username", fold(pool, attrs["preferred_username"])))
    return keys


def resolve_sign_up_username(
    pool: UserPool, username: str, attrs: Mapping[str, str], *, sub: str
) -> tuple[str, dict[str, str]]:
    """The internal username and the attributes of a user created by SignUp or
    AdminCreateUser with ``Username`` = ``username``.

    In a UsernameAttributes pool the username must be an e-mail or phone number (as the
    pool allows); the internal username is then ``sub`` and the value is copied into the
    ``email`` or ``phone_number`` attribute. In an AliasAttributes pool a username of
    e-mail (phone) form is refused when e-mail (phone) is an alias. Raises
    InvalidParameterException with Cognito's texts.
    """
    result = dict(attrs)
    is_email = EMAIL_PATTERN.fullmatch(username) is not None
    is_phone = PHONE_PATTERN.fullmatch(username) is not None
    allowed = set(pool.username_attributes)
    if allowed:
        if "email" in allowed and is_email:
            result["email"] = username
            return sub, result
        if "phone_number" in allowed and is_phone:
            result["phone_number"] = username
            return sub, result
        if allowed == {"email"}:
            raise InvalidParameterException("Username should be an email.")
        if allowed == {"phone_number"}:
            raise InvalidParameterException("Username should be a phone number.")
        raise InvalidParameterException("Username should be either an email or a phone number.")
    if "email" in pool.alias_attributes and is_email:
        raise InvalidParameterException(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if "phone_number" in pool.alias_attributes and is_phone:
        raise InvalidParameterException(
            "Username cannot be of phone number format, since user pool is configured for phone number alias."
        )
    return username, result


def mask_destination(channel: str, value: str) -> str:
    """``value`` as CodeDeliveryDetails shows it: ``a***@e***`` for e-mail (``channel``
    ``EMAIL``), ``+`` and the last four digits for a phone (``SMS``)."""
    if channel == "EMAIL":
        local, at, domain = value.partition("@")
        if at and local and domain:
            return f"{local[0]}***@{domain[0]}***"
    elif len(value) > 5 and value.startswith("+"):
        return "+" + "*" * (len(value) - 5) + value[-4:]
    return f"{value[:1]}***"


def _writable_entry(
    entries: Mapping[str, Mapping[str, Any]],
    name: str,
    *,
    context: str,
    write_attributes: Collection[str] | None,
    unknown: str,
) -> Mapping[str, Any]:
    """The schema entry of ``name`` once the caller of ``context`` may write it (rules 1–6 of
    docs/management.md section 11); ``unknown`` is the message for a name not in the schema."""
    client = context in _CLIENT_CONTEXTS
    if client and write_attributes is not None and name not in write_attributes:
        raise NotAuthorizedException(rules.UNAUTHORIZED_ATTRIBUTE_MESSAGE)
    if client and (name in schema.VERIFICATION_ATTRIBUTES or name.startswith(schema.DEVELOPER_PREFIX)):
        raise NotAuthorizedException(rules.UNAUTHORIZED_ATTRIBUTE_MESSAGE)
    if name == "sub":
        raise InvalidParameterException(rules.SCHEMA_PREFIX + "sub: Attribute cannot be modified")
    entry = entries.get(name)
    if entry is None:
        raise InvalidParameterException(unknown)
    if context not in _CREATE_CONTEXTS and not entry.get("Mutable", True):
        raise InvalidParameterException("Attribute cannot be updated")
    return entry


def _as_dict(attrs: Sequence[Mapping[str, str]] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(attrs, Mapping):
        return {str(k): str(v) for k, v in attrs.items()}
    # Repeated names: the last value wins [decision].
    return {str(item["Name"]): str(item.get("Value") or "") for item in attrs}


def _schema_entries(pool: UserPool) -> dict[str, Mapping[str, Any]]:
    attributes = pool.config.get("SchemaAttributes") or schema.STANDARD_ATTRIBUTES
    return {str(a["Name"]): a for a in attributes}


def _raise_required(missing: Sequence[str]) -> None:
    if missing:
        raise InvalidParameterException(
            rules.SCHEMA_PREFIX + "".join(f"{name}: The attribute is required\n" for name in missing)
        )


def _checked_value(entry: Mapping[str, Any], value: str) -> str:
    """``value`` checked against one schema entry, normalised (booleans lower-cased)."""
    name = str(entry["Name"])
    data_type = entry.get("AttributeDataType")
    if data_type == "Boolean":
        if value.lower() not in _BOOLEAN_VALUES:
            raise InvalidParameterException(rules.SCHEMA_PREFIX + f"{name}: Boolean expected")
        return value.lower()
    if data_type == "Number":
        _check_number(name, value, entry.get("NumberAttributeConstraints") or {})
        return value
    if data_type == "String":
        _check_length(name, value, entry.get("StringAttributeConstraints") or {})
    if value and name == "email" and EMAIL_PATTERN.fullmatch(value) is None:
        raise InvalidParameterException("Invalid email address format.")
    if value and name == "phone_number" and PHONE_PATTERN.fullmatch(value) is None:
        raise InvalidParameterException("Invalid phone number format.")
    return value


def _check_length(name: str, value: str, constraints: Mapping[str, str]) -> None:
    low = int(constraints.get("MinLength") or 0)
    high = int(constraints.get("MaxLength") or schema.MAX_STRING_LENGTH)
    if len(value) < low:
        raise InvalidParameterException(
            rules.SCHEMA_PREFIX + f"{name}: String must be no shorter than {low} characters"
        )
    if len(value) > high:
        raise InvalidParameterException(
            rules.SCHEMA_PREFIX + f"{name}: String must be no longer than {high} characters"
        )


def _check_number(name: str, value: str, constraints: Mapping[str, str]) -> None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise InvalidParameterException(rules.SCHEMA_PREFIX + f"{name}: Number expected")
    low, high = constraints.get("MinValue"), constraints.get("MaxValue")
    if low is not None and number < Decimal(low):
        raise InvalidParameterException(rules.SCHEMA_PREFIX + f"{name}: Number must be no less than {low}")
    if high is not None and number > Decimal(high):
        raise InvalidParameterException(
            rules.SCHEMA_PREFIX + f"{name}: Number must be no greater than {high}"
        )
