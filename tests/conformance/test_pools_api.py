"""User pools and app clients through boto3 against a real server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def test_create_describe_pool(cognito: Any) -> None:
    created = cognito.create_user_pool(PoolName="app-users")["UserPool"]
    try:
        assert re.fullmatch(r"us-east-1_[0-9A-Za-z]{9}", created["Id"])
        assert created["Name"] == "app-users"
        assert created["Arn"].endswith(f":userpool/{created['Id']}")
        described = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
        assert described["Id"] == created["Id"]
        assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
        assert described["MfaConfiguration"] == "OFF"
        names = {a["Name"] for a in described["SchemaAttributes"]}
        assert {"sub", "email", "phone_number"} <= names
    finally:
        cognito.delete_user_pool(UserPoolId=created["Id"])


def test_update_pool_replaces_members(cognito: Any, pool_id: str) -> None:
    cognito.update_user_pool(
        UserPoolId=pool_id,
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": False}},
        MfaConfiguration="OFF",
    )
    policy = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 12
    assert policy["RequireSymbols"] is False
    cognito.update_user_pool(UserPoolId=pool_id)
    policy = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 8


def test_unknown_pool_is_resource_not_found(cognito: Any) -> None:
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId="us-east-1_NoSuchPoo")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_deletion_protection(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName="protected", DeletionProtection="ACTIVE")["UserPool"]
    with pytest.raises(ClientError) as exc:
        cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert error_of(exc)[0] == "InvalidParameterException"
    assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["DeletionProtection"] == "ACTIVE"
    cognito.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="INACTIVE")
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError):
        cognito.describe_user_pool(UserPoolId=pool["Id"])


def test_list_user_pools_paginates(cognito: Any) -> None:
    ids = {cognito.create_user_pool(PoolName=f"page-{i}")["UserPool"]["Id"] for i in range(5)}
    try:
        seen: list[str] = []
        kwargs: dict[str, Any] = {"MaxResults": 2}
        while True:
            page = cognito.list_user_pools(**kwargs)
            assert len(page["UserPools"]) <= 2
            seen.extend(p["Id"] for p in page["UserPools"])
            if "NextToken" not in page:
                break
            kwargs["NextToken"] = page["NextToken"]
        assert ids <= set(seen)
        assert len(seen) == len(set(seen))
        paginator = cognito.get_paginator("list_user_pools")
        via_paginator = [p["Id"] for page in paginator.paginate(MaxResults=3) for p in page["UserPools"]]
        assert ids <= set(via_paginator)
    finally:
        for pid in ids:
            cognito.delete_user_pool(UserPoolId=pid)


def test_client_crud(cognito: Any, pool_id: str) -> None:
    created = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=30,
        TokenValidityUnits={"AccessToken": "minutes"},
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    client_id = created["ClientId"]
    assert re.fullmatch(r"[a-z0-9]{26}", client_id)
    assert re.fullmatch(r"[a-z0-9]{52}", created["ClientSecret"])
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert described["ClientSecret"] == created["ClientSecret"]
    assert described["AccessTokenValidity"] == 30
    assert described["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert described["PreventUserExistenceErrors"] == "ENABLED"

    updated = cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ClientName="web2")[
        "UserPoolClient"
    ]
    assert updated["ClientName"] == "web2"
    assert updated["ClientSecret"] == created["ClientSecret"]
    listed = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    assert [c["ClientId"] for c in listed] == [client_id]
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_client_of_other_pool_is_not_found(cognito: Any, pool_id: str) -> None:
    other = cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    try:
        client_id = cognito.create_user_pool_client(UserPoolId=other, ClientName="c")["UserPoolClient"][
            "ClientId"
        ]
        with pytest.raises(ClientError) as exc:
            cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
        assert error_of(exc)[0] == "ResourceNotFoundException"
    finally:
        cognito.delete_user_pool(UserPoolId=other)


def test_deleting_pool_deletes_clients(cognito: Any) -> None:
    pid = cognito.create_user_pool(PoolName="cascade")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pid, ClientName="c")["UserPoolClient"]["ClientId"]
    cognito.delete_user_pool(UserPoolId=pid)
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool_client(UserPoolId=pid, ClientId=client_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_validation_error_from_server(cognito: Any) -> None:
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId="YOUR_USER_POOL_ID!")
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'YOUR_USER_POOL_ID!' at 'userPoolId'")
