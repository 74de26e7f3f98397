"""The attribute-schema rules of docs/management.md section 3."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.errors import InvalidParameterException, LimitExceededException
from poolgate.pools import schema

# The names and types AWS lists for a pool created with only PoolName (aws-cli example).
OBSERVED_STANDARD = [
    ("sub", "String"),
    ("name", "String"),
    ("given_name", "String"),
    ("family_name", "String"),
    ("middle_name", "String"),
    ("nickname", "String"),
    ("preferred_username", "String"),
    ("profile", "String"),
    ("picture", "String"),
    ("website", "String"),
    ("email", "String"),
    ("email_verified", "Boolean"),
    ("gender", "String"),
    ("birthdate", "String"),
    ("zoneinfo", "String"),
    ("locale", "String"),
    ("phone_number", "String"),
    ("phone_number_verified", "Boolean"),
    ("address", "String"),
    ("updated_at", "Number"),
]


def by_name(attributes: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = schema.find_attribute(attributes, name)
    assert found is not None, name
    return dict(found)


def test_default_schema_lists_the_standard_attributes_in_aws_order() -> None:
    attributes = schema.default_schema()
    assert [(a["Name"], a["AttributeDataType"]) for a in attributes] == OBSERVED_STANDARD
    assert all(a["DeveloperOnlyAttribute"] is False for a in attributes)
    sub = by_name(attributes, "sub")
    assert (sub["Mutable"], sub["Required"]) == (False, True)
    assert sub["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "2048"}
    assert by_name(attributes, "birthdate")["StringAttributeConstraints"] == {
        "MinLength": "10",
        "MaxLength": "10",
    }
    assert by_name(attributes, "updated_at")["NumberAttributeConstraints"] == {"MinValue": "0"}
    assert "StringAttributeConstraints" not in by_name(attributes, "email_verified")
    others = [a for a in attributes if a["Name"] != "sub"]
    assert all(a["Mutable"] is True and a["Required"] is False for a in others)


def test_default_schema_is_a_fresh_copy() -> None:
    first = schema.default_schema()
    first[1]["Mutable"] = False
    assert schema.default_schema()[1]["Mutable"] is True


def test_standard_attribute_override_replaces_in_place_with_false_defaults() -> None:
    attributes = schema.build_schema([{"Name": "email", "Required": True}])
    email = by_name(attributes, "email")
    assert email["Required"] is True
    # Omitted booleans become false, so email turns immutable.
    assert email["Mutable"] is False
    assert [a["Name"] for a in attributes] == [n for n, _ in OBSERVED_STANDARD]


def test_standard_string_constraints_merge_over_the_defaults() -> None:
    attributes = schema.build_schema(
        [
            {
                "Name": "given_name",
                "AttributeDataType": "String",
                "Mutable": True,
                "StringAttributeConstraints": {"MaxLength": "255"},
            }
        ]
    )
    assert by_name(attributes, "given_name")["StringAttributeConstraints"] == {
        "MinLength": "0",
        "MaxLength": "255",
    }


@pytest.mark.parametrize(
    "entry",
    [
        {"Name": "family_name", "AttributeDataType": "Number"},
        {"Name": "family_name", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
    ],
)
def test_standard_attribute_type_and_developer_flag_cannot_change(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException) as error:
        schema.build_schema([entry])
    assert error.value.message == (
        "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute family_name"
    )


def test_sub_may_be_restated_but_not_changed() -> None:
    same = {
        "Name": "sub",
        "AttributeDataType": "String",
        "Mutable": False,
        "Required": True,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
    }
    assert by_name(schema.build_schema([same]), "sub") == by_name(schema.default_schema(), "sub")
    with pytest.raises(InvalidParameterException):
        schema.build_schema([{**same, "Mutable": True}])


def test_verification_attributes_given_in_schema_become_custom() -> None:
    attributes = schema.build_schema([{"Name": "email_verified", "AttributeDataType": "Boolean"}])
    assert attributes[-1]["Name"] == "custom:email_verified"
    assert by_name(attributes, "email_verified")["Name"] == "email_verified"


def test_custom_attributes_are_prefixed_and_appended_in_request_order() -> None:
    attributes = schema.build_schema(
        [
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
            {
                "Name": "level",
                "AttributeDataType": "Number",
                "DeveloperOnlyAttribute": True,
                "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "99"},
            },
            {"Name": "vip", "AttributeDataType": "Boolean"},
            {
                "Name": "joined",
                "AttributeDataType": "DateTime",
                "StringAttributeConstraints": {"MaxLength": "9"},
            },
        ]
    )
    tail = attributes[len(OBSERVED_STANDARD) :]
    assert tail == [
        {
            "Name": "custom:tenant",
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
            "StringAttributeConstraints": {},
        },
        {
            "Name": "dev:custom:level",
            "AttributeDataType": "Number",
            "DeveloperOnlyAttribute": True,
            "Mutable": False,
            "Required": False,
            "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "99"},
        },
        {
            "Name": "custom:vip",
            "AttributeDataType": "Boolean",
            "DeveloperOnlyAttribute": False,
            "Mutable": False,
            "Required": False,
        },
        {
            "Name": "custom:joined",
            "AttributeDataType": "DateTime",
            "DeveloperOnlyAttribute": False,
            "Mutable": False,
            "Required": False,
        },
    ]


def test_custom_attribute_needs_a_data_type() -> None:
    with pytest.raises(InvalidParameterException) as error:
        schema.build_schema([{"Name": "tenant"}])
    assert error.value.message.startswith("Invalid AttributeDataType input")


def test_required_custom_attributes_are_rejected() -> None:
    with pytest.raises(InvalidParameterException) as error:
        schema.build_schema([{"Name": "tenant", "AttributeDataType": "String", "Required": True}])
    assert error.value.message == "Required custom attributes are not supported currently."


@pytest.mark.parametrize(
    "entry",
    [
        {
            "Name": "a",
            "AttributeDataType": "String",
            "StringAttributeConstraints": {"MinLength": "5", "MaxLength": "4"},
        },
        {"Name": "a", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "2049"}},
        {"Name": "a", "AttributeDataType": "String", "StringAttributeConstraints": {"MinLength": "-1"}},
        {
            "Name": "a",
            "AttributeDataType": "Number",
            "NumberAttributeConstraints": {"MinValue": "3", "MaxValue": "2"},
        },
        {"Name": "a", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "x"}},
        {"Name": "given_name", "StringAttributeConstraints": {"MinLength": "3000"}},
    ],
)
def test_broken_constraints_are_rejected(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException):
        schema.build_schema([entry])


def test_number_constraints_accept_decimals_and_negatives() -> None:
    attributes = schema.build_schema(
        [
            {
                "Name": "t",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "-2.5", "MaxValue": "10"},
            }
        ]
    )
    assert attributes[-1]["NumberAttributeConstraints"] == {"MinValue": "-2.5", "MaxValue": "10"}


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(InvalidParameterException):
        schema.build_schema([{"Name": "x", "AttributeDataType": "String"}] * 2)
    with pytest.raises(InvalidParameterException):
        schema.build_schema([{"Name": ""}])


def test_more_than_fifty_custom_attributes_exceed_the_quota() -> None:
    entries = [{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(51)]
    with pytest.raises(LimitExceededException):
        schema.build_schema(entries)
    assert len(schema.build_schema(entries[:50])) == len(OBSERVED_STANDARD) + 50


def test_add_custom_attributes_appends_and_checks_names_and_quota() -> None:
    base = schema.build_schema([{"Name": "x", "AttributeDataType": "String"}])
    added = schema.add_custom_attributes(base, [{"Name": "y", "AttributeDataType": "Number"}])
    assert [a["Name"] for a in added[-2:]] == ["custom:x", "custom:y"]
    assert base[-1]["Name"] == "custom:x" and len(base) == len(added) - 1
    with pytest.raises(InvalidParameterException):
        schema.add_custom_attributes(
            base, [{"Name": "x", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}]
        )
    full = schema.build_schema([{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(50)])
    with pytest.raises(LimitExceededException):
        schema.add_custom_attributes(full, [{"Name": "one_more", "AttributeDataType": "String"}])


def test_name_helpers() -> None:
    attributes = schema.build_schema(
        [{"Name": "email", "Required": True, "Mutable": True}, {"Name": "t", "AttributeDataType": "String"}]
    )
    assert schema.required_names(attributes) == {"email"}
    assert {"sub", "custom:t", "email_verified"} <= schema.attribute_names(attributes)
    assert schema.is_custom("custom:t") and schema.is_custom("dev:custom:t") and not schema.is_custom("email")
    assert schema.find_attribute(attributes, "nope") is None
