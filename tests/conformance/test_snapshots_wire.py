"""The responses boto3 receives match the snapshots pinned by the unit tests of
``poolgate.pools.defaults`` (same requests, same stored files): what is documented in
docs/management.md is what goes over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.snapshot import assert_output_shape, assert_snapshot
from tests.unit.pools import test_client_defaults as client_cases
from tests.unit.pools import test_pool_defaults as pool_cases

# The unit snapshots describe a pool named "demo" and a client named "web".
POOL_NAME = "demo"
CLIENT_NAME = "web"


def _as_unit_snapshot(pool: dict[str, Any]) -> dict[str, Any]:
    return {**pool, "Name": POOL_NAME}


@pytest.fixture
def client_pool(cognito: Any) -> Iterator[str]:
    schema = client_cases.POOL.config["SchemaAttributes"]
    custom = [
        {k: v for k, v in attr.items() if k != "Name"} | {"Name": attr["Name"].split(":")[-1]}
        for attr in schema
        if attr["Name"].startswith(("custom:", "dev:custom:"))
    ]
    request_schema = [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        *custom,
    ]
    pool_id = cognito.create_user_pool(PoolName=POOL_NAME, Schema=request_schema)["UserPool"]["Id"]
    yield pool_id
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_minimal_pool(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName=POOL_NAME)["UserPool"]
    try:
        described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
        assert_output_shape(described, "UserPoolType")
        assert_snapshot(described, "pool_minimal")
        assert_snapshot(pool, "pool_minimal")
    finally:
        cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_full_pool(cognito: Any) -> None:
    pool = cognito.create_user_pool(**pool_cases.FULL_REQUEST)["UserPool"]
    try:
        described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
        assert_snapshot(_as_unit_snapshot(described), "pool_full")
    finally:
        cognito.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="INACTIVE")
        cognito.delete_user_pool(UserPoolId=pool["Id"])


def test_minimal_and_full_client(cognito: Any, client_pool: str) -> None:
    minimal = cognito.create_user_pool_client(UserPoolId=client_pool, ClientName=CLIENT_NAME)[
        "UserPoolClient"
    ]
    assert_snapshot(minimal, "client_minimal")
    full = cognito.create_user_pool_client(
        UserPoolId=client_pool, ClientName=CLIENT_NAME, GenerateSecret=True, **client_cases.FULL_REQUEST
    )["UserPoolClient"]
    assert_snapshot(full, "client_full")
    updated = cognito.update_user_pool_client(
        UserPoolId=client_pool, ClientId=full["ClientId"], ClientName=CLIENT_NAME, RefreshTokenValidity=7
    )["UserPoolClient"]
    assert updated["ClientSecret"] == full["ClientSecret"]
    assert_snapshot(updated, "client_after_update")
