"""The user-pool attribute schema: standard attributes and the rules for ``Schema`` entries.

Pure functions over the ``SchemaAttributeType`` dicts DescribeUserPool returns. The facts
and their evidence are in ``docs/management.md`` section 3.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from poolgate.errors import InvalidParameterException, LimitExceededException

CUSTOM_PREFIX = "custom:"
DEVELOPER_PREFIX = "dev:"

# The most custom attributes one pool may hold (developer guide quotas page).
MAX_CUSTOM_ATTRIBUTES = 50

# The longest MaxLength a string attribute may declare (developer guide: 2048 characters).
MAX_STRING_LENGTH = 2048


def _string(
    name: str,
    minimum: int = 0,
    maximum: int = MAX_STRING_LENGTH,
    *,
    required: bool = False,
    mutable: bool = True,
) -> dict[str, Any]:
    return {
        "Name": name,
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": mutable,
        "Required": required,
        "StringAttributeConstraints": {"MinLength": str(minimum), "MaxLength": str(maximum)},
    }


def _boolean(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
    }


# The standard attributes in the order AWS lists them (aws-cli create-user-pool example,
# API Reference DescribeUserPool sample).
STANDARD_ATTRIBUTES: tuple[Mapping[str, Any], ...] = (
    _string("sub", 1, required=True, mutable=False),
    _string("name"),
    _string("given_name"),
    _string("family_name"),
    _string("middle_name"),
    _string("nickname"),
    _string("preferred_username"),
    _string("profile"),
    _string("picture"),
    _string("website"),
    _string("email"),
    _boolean("email_verified"),
    _string("gender"),
    _string("birthdate", 10, 10),
    _string("zoneinfo"),
    _string("locale"),
    _string("phone_number"),
    _boolean("phone_number_verified"),
    _string("address"),
    {
        "Name": "updated_at",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "NumberAttributeConstraints": {"MinValue": "0"},
    },
)

STANDARD_NAMES: frozenset[str] = frozenset(a["Name"] for a in STANDARD_ATTRIBUTES)

# Attributes Cognito maintains itself: given in ``Schema`` they become custom attributes
# (aws/aws-cdk#14175), and app clients may read but not write them.
VERIFICATION_ATTRIBUTES: frozenset[str] = frozenset({"email_verified", "phone_number_verified"})

_CONSTRAINT_KEYS = {"String": "StringAttributeConstraints", "Number": "NumberAttributeConstraints"}


def default_schema() -> list[dict[str, Any]]:
    """A fresh copy of the standard attributes, as a pool created without ``Schema`` holds them."""
    return [copy.deepcopy(dict(a)) for a in STANDARD_ATTRIBUTES]


def build_schema(entries: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Turn CreateUserPool ``Schema`` entries into the pool's ``SchemaAttributes``.

    Standard attributes given in ``entries`` replace their default in place; every other
    entry becomes a custom attribute appended in request order. Raises
    InvalidParameterException for a rule the model cannot express.
    """
    attributes = default_schema()
    positions = {a["Name"]: i for i, a in enumerate(attributes)}
    seen: set[str] = set()
    customs: list[dict[str, Any]] = []
    for entry in entries or ():
        name = entry.get("Name")
        if not name:
            raise InvalidParameterException("Schema attribute name cannot be empty.")
        if name in seen:
            raise InvalidParameterException(f"Duplicate schema attribute name: {name}")
        seen.add(name)
        if name in STANDARD_NAMES and name not in VERIFICATION_ATTRIBUTES:
            index = positions[name]
            attributes[index] = _override_standard(attributes[index], entry)
        else:
            customs.append(custom_attribute(entry))
    if len(customs) > MAX_CUSTOM_ATTRIBUTES:
        raise LimitExceededException(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )
    return attributes + customs


def add_custom_attributes(
    existing: Sequence[Mapping[str, Any]], entries: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Apply AddCustomAttributes: append custom attributes to an existing schema.

    Raises InvalidParameterException when a name is already in use and
    LimitExceededException past the custom-attribute quota.
    """
    attributes = [copy.deepcopy(dict(a)) for a in existing]
    taken = {a["Name"] for a in attributes}
    for entry in entries:
        added = custom_attribute(entry)
        if added["Name"] in taken or _alternate_name(added["Name"]) in taken:
            raise InvalidParameterException(f"Existing attribute already has name {added['Name']}.")
        taken.add(added["Name"])
        attributes.append(added)
    if sum(1 for a in attributes if is_custom(a["Name"])) > MAX_CUSTOM_ATTRIBUTES:
        raise LimitExceededException(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )
    return attributes


def custom_attribute(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One custom (or developer-only) attribute as DescribeUserPool lists it."""
    name = str(entry.get("Name") or "")
    if not name:
        raise InvalidParameterException("Schema attribute name cannot be empty.")
    data_type = entry.get("AttributeDataType")
    if data_type not in ("String", "Number", "DateTime", "Boolean"):
        raise InvalidParameterException(
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
        )
    if entry.get("Required"):
        raise InvalidParameterException("Required custom attributes are not supported currently.")
    developer_only = bool(entry.get("DeveloperOnlyAttribute", False))
    prefix = DEVELOPER_PREFIX + CUSTOM_PREFIX if developer_only else CUSTOM_PREFIX
    attribute: dict[str, Any] = {
        "Name": prefix + name,
        "AttributeDataType": data_type,
        "DeveloperOnlyAttribute": developer_only,
        # Omitted booleans become false, as for every boolean Cognito fills in.
        "Mutable": bool(entry.get("Mutable", False)),
        "Required": False,
    }
    key = _CONSTRAINT_KEYS.get(data_type)
    if key is not None:
        constraints = {k: str(v) for k, v in dict(entry.get(key) or {}).items()}
        _check_constraints(attribute["Name"], key, constraints)
        attribute[key] = constraints
    return attribute


def _override_standard(default: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    name = default["Name"]
    data_type = entry.get("AttributeDataType")
    if (data_type is not None and data_type != default["AttributeDataType"]) or entry.get(
        "DeveloperOnlyAttribute"
    ):
        raise InvalidParameterException(
            "You can not change AttributeDataType or set developerOnlyAttribute for standard schema "
            f"attribute {name}"
        )
    attribute = copy.deepcopy(dict(default))
    attribute["Mutable"] = bool(entry.get("Mutable", False))
    attribute["Required"] = bool(entry.get("Required", False))
    key = _CONSTRAINT_KEYS.get(default["AttributeDataType"])
    if key is not None and entry.get(key):
        merged = dict(attribute[key])
        merged.update({k: str(v) for k, v in dict(entry[key]).items()})
        _check_constraints(name, key, merged)
        attribute[key] = merged
    if name == "sub" and attribute != default:
        raise InvalidParameterException("The standard attribute sub cannot be changed.")
    return attribute


def _check_constraints(name: str, key: str, constraints: Mapping[str, str]) -> None:
    if key == "StringAttributeConstraints":
        low, high = _integer(name, constraints.get("MinLength")), _integer(name, constraints.get("MaxLength"))
        if high is not None and high > MAX_STRING_LENGTH:
            raise InvalidParameterException(
                f"MaxLength of attribute {name} must be less than or equal to {MAX_STRING_LENGTH}."
            )
        if low is not None and high is not None and low > high:
            raise InvalidParameterException(
                f"MinLength of attribute {name} must not be greater than MaxLength."
            )
        return
    low_value, high_value = (
        _number(name, constraints.get("MinValue")),
        _number(name, constraints.get("MaxValue")),
    )
    if low_value is not None and high_value is not None and low_value > high_value:
        raise InvalidParameterException(f"MinValue of attribute {name} must not be greater than MaxValue.")


def _integer(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidParameterException(f"Invalid length constraint {value!r} for attribute {name}.")
    return int(value)


def _number(name: str, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidParameterException(f"Invalid value constraint {value!r} for attribute {name}.") from None


def _alternate_name(name: str) -> str:
    # ``custom:x`` and ``dev:custom:x`` name the same attribute slot.
    if name.startswith(DEVELOPER_PREFIX):
        return name[len(DEVELOPER_PREFIX) :]
    return DEVELOPER_PREFIX + name


def is_custom(name: str) -> bool:
    """True for ``custom:`` and ``dev:custom:`` attribute names."""
    return name.startswith((CUSTOM_PREFIX, DEVELOPER_PREFIX))


def attribute_names(schema: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every attribute name the schema declares."""
    return {str(a["Name"]) for a in schema}


def required_names(schema: Iterable[Mapping[str, Any]]) -> set[str]:
    """Names of the attributes a user must have (``sub`` excluded: Cognito sets it)."""
    return {str(a["Name"]) for a in schema if a.get("Required") and a["Name"] != "sub"}


def find_attribute(schema: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The schema entry for ``name``, or None."""
    for attribute in schema:
        if attribute["Name"] == name:
            return attribute
    return None
