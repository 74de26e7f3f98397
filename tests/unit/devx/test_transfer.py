"""Import from the AWS CLI's describe output, export in the apply format, and round trips."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from tests.unit.devx._support import DATES, FIXTURES, state, without
from tests.unit.devx.test_apply import FILE, POOL

from poolgate.devx import ApplyError, apply_document, apply_text, export_pool, import_pool
from poolgate.devx.transfer import schema_entries
from poolgate.pools import defaults
from poolgate.services import Services
from poolgate.srp import check_password, pool_name_from_pool_id

POOL_JSON = (FIXTURES / "describe-user-pool.json").read_text()
CLIENT_JSON = (FIXTURES / "describe-user-pool-client.json").read_text()
AWS_POOL: dict[str, Any] = json.loads(POOL_JSON)["UserPool"]
AWS_CLIENT: dict[str, Any] = json.loads(CLIENT_JSON)["UserPoolClient"]
# What an import cannot reproduce: the ids (the ARN holds AWS's account id), dates, and the
# user count of the original pool.
NOT_COMPARED = ("Id", "Arn", *DATES, "EstimatedNumberOfUsers")
PUBLIC_CLIENT = {
    "UserPoolId": AWS_POOL["Id"],
    "ClientName": "spa",
    "ClientId": "5kq9qsb8ruqa0ovagdd06u2ab1",
    "RefreshTokenValidity": 30,
    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
    "AllowedOAuthFlowsUserPoolClient": False,
    "TokenValidityUnits": {},
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
}


def described_client(services: Services, pool_id: str, client_id: str) -> dict[str, Any]:
    return defaults.describe_client(services.pools.get_client(pool_id, client_id))


def users_of(services: Services, pool_id: str) -> list[tuple[Any, ...]]:
    found = services.admin_users.list(pool_id, filter_text=None, limit=60, token=None).items
    return sorted(
        (
            u.username,
            u.sub,
            u.status,
            u.enabled,
            dict(u.attributes),
            u.password,
            [g.name for g in services.groups.groups_for_user(pool_id, u.username, None, None).items],
        )
        for u in found
    )


def groups_of(services: Services, pool_id: str) -> list[tuple[Any, ...]]:
    return [
        (g.name, g.description, g.role_arn, g.precedence)
        for g in services.groups.list(pool_id, 60, None).items
    ]


# -- import --------------------------------------------------------------------------------------


def test_import_reproduces_describe_user_pool_field_for_field(services: Services) -> None:
    lines = import_pool(services, POOL_JSON, [CLIENT_JSON, {"UserPoolClient": PUBLIC_CLIENT}])
    assert lines == [
        "+ pool us-west-2_EXAMPLE (MyUserPool)",
        "+ client 38fjsnc484p94kpqsnet7mpld0 (MyApp) in pool us-west-2_EXAMPLE",
        "+ client 5kq9qsb8ruqa0ovagdd06u2ab1 (spa) in pool us-west-2_EXAMPLE",
    ]
    pool = services.pools.describe_pool(AWS_POOL["Id"])
    assert pool["Id"] == AWS_POOL["Id"]
    assert without(pool, *NOT_COMPARED) == without(AWS_POOL, *NOT_COMPARED)
    assert without(described_client(services, AWS_POOL["Id"], AWS_CLIENT["ClientId"]), *DATES) == without(
        AWS_CLIENT, *DATES
    )
    assert described_client(services, AWS_POOL["Id"], PUBLIC_CLIENT["ClientId"]) == {
        **PUBLIC_CLIENT,
        **{d: described_client(services, AWS_POOL["Id"], PUBLIC_CLIENT["ClientId"])[d] for d in DATES},
    }


def test_importing_again_changes_nothing(services: Services) -> None:
    import_pool(services, POOL_JSON, [CLIENT_JSON])
    before = state(services)
    assert import_pool(services, POOL_JSON, [CLIENT_JSON]) == ["= nothing to change"]
    assert state(services) == before


def test_import_with_new_ids(services: Services) -> None:
    lines = import_pool(services, json.loads(POOL_JSON), [json.loads(CLIENT_JSON)], keep_ids=False)
    pool_id = lines[0].split()[2]
    assert pool_id.startswith("us-east-1_") and pool_id != AWS_POOL["Id"]
    client_id = lines[1].split()[2]
    assert client_id != AWS_CLIENT["ClientId"]
    assert without(services.pools.describe_pool(pool_id), *NOT_COMPARED) == without(AWS_POOL, *NOT_COMPARED)
    copied = described_client(services, pool_id, client_id)
    assert without(copied, *DATES, "ClientId", "UserPoolId") == without(
        AWS_CLIENT, *DATES, "ClientId", "UserPoolId"
    )
    # Without ids the pool and client are found again by name.
    assert import_pool(services, POOL_JSON, [CLIENT_JSON], keep_ids=False) == ["= nothing to change"]


def test_members_no_create_operation_sets_are_left_out_with_a_note(services: Services) -> None:
    pool = {
        **AWS_POOL,
        "Domain": "my-domain",
        "CustomDomain": "auth.example.com",
        "SchemaAttributes": [
            *AWS_POOL["SchemaAttributes"],
            {
                "Name": "identities",
                "AttributeDataType": "String",
                "DeveloperOnlyAttribute": False,
                "Mutable": True,
                "Required": False,
                "StringAttributeConstraints": {},
            },
        ],
    }
    client = {**AWS_CLIENT, "ClientSecretArn": "arn:aws:secretsmanager:us-west-2:123456789012:secret:x"}
    lines = import_pool(services, {"UserPool": pool}, [client])
    assert lines[:4] == [
        "! schema attribute identities is left out: Cognito maintains it (federated sign-in)",
        "! Domain is left out: CreateUserPool cannot set it",
        "! CustomDomain is left out: CreateUserPool cannot set it",
        f"! client {AWS_CLIENT['ClientId']}: ClientSecretArn is left out: CreateUserPoolClient cannot set it",
    ]
    assert lines[4].startswith("+ pool ")


def test_import_errors(services: Services) -> None:
    with pytest.raises(ApplyError, match=r"^describe-user-pool.json:2: not valid JSON"):
        import_pool(services, '{\n  "UserPool": nope\n}')
    other = {**AWS_CLIENT, "UserPoolId": "us-west-2_Other"}
    with pytest.raises(ApplyError, match="client of pool us-west-2_Other, not of us-west-2_EXAMPLE"):
        import_pool(services, POOL_JSON, [other])
    broken = {**AWS_POOL, "MfaConfiguration": "SOMETIMES"}
    with pytest.raises(
        ApplyError, match=r"^describe-user-pool.json: pools\[0\].MfaConfiguration: Value 'SOMETIMES'"
    ):
        import_pool(services, broken)
    assert state(services) == {}


def test_schema_entries_keep_only_what_differs_from_the_standard_attributes() -> None:
    entries, notes = schema_entries(AWS_POOL["SchemaAttributes"])
    assert [e["Name"] for e in entries] == ["email", "tenant", "plan_level", "legacy_id"]
    assert entries[3]["DeveloperOnlyAttribute"] is True
    assert notes == []


# -- export ---------------------------------------------------------------------------------------


def test_export_with_secrets_then_apply_elsewhere_gives_the_same_pool(
    services: Services, fresh_services: Callable[[], Services]
) -> None:
    apply_text(services, FILE)
    exported = export_pool(services, POOL, include_secrets=True)
    text = yaml.safe_dump(exported, sort_keys=False, allow_unicode=True)
    copy = fresh_services()
    lines = apply_text(copy, text, "export.yaml")
    assert lines[0] == f"+ pool {POOL} (apply)"
    assert without(copy.pools.describe_pool(POOL), *DATES) == without(
        services.pools.describe_pool(POOL), *DATES
    )
    for client_id in ("web0client0id", "backend0client0id"):
        assert without(described_client(copy, POOL, client_id), *DATES) == without(
            described_client(services, POOL, client_id), *DATES
        )
    assert groups_of(copy, POOL) == groups_of(services, POOL)
    assert users_of(copy, POOL) == users_of(services, POOL)
    alice = copy.admin_users.get(POOL, "alice")
    assert alice.password is not None
    check_password(
        pool_name_from_pool_id(POOL),
        alice.username,
        "Correct-Horse-1",
        alice.password.salt,
        alice.password.verifier,
    )
    # Both stores now match the file, and exporting the copy gives the same file.
    assert apply_text(copy, text) == ["= nothing to change"]
    assert apply_text(services, text) == ["= nothing to change"]
    assert export_pool(copy, POOL, include_secrets=True) == exported


def test_export_without_secrets(services: Services, fresh_services: Callable[[], Services]) -> None:
    apply_text(services, FILE)
    exported = export_pool(services, POOL)
    (pool,) = exported["pools"]
    backend = next(c for c in pool["clients"] if c["ClientName"] == "backend")
    assert "ClientSecret" not in backend and backend["GenerateSecret"] is True
    assert all("PasswordVerifier" not in u and "Sub" not in u for u in pool["users"])
    assert any("carry no password" in note for note in exported["notes"])
    assert "Correct-Horse-1" not in json.dumps(exported)
    copy = fresh_services()
    apply_text(copy, yaml.safe_dump(exported))
    assert without(copy.pools.describe_pool(POOL), *DATES) == without(
        services.pools.describe_pool(POOL), *DATES
    )
    new_backend = copy.pools.get_client(POOL, "backend0client0id")
    assert (
        new_backend.client_secret
        and new_backend.client_secret != services.pools.get_client(POOL, "backend0client0id").client_secret
    )
    assert copy.admin_users.get(POOL, "alice").status.value == "FORCE_CHANGE_PASSWORD"
    assert export_pool(services, POOL, include_users=False)["pools"][0].get("users") is None


def test_verifiers_only_move_with_their_pool_id(
    services: Services, fresh_services: Callable[[], Services]
) -> None:
    apply_text(services, FILE)
    text = yaml.safe_dump(export_pool(services, POOL, include_secrets=True), sort_keys=False)
    moved = text.replace(f"- Id: {POOL}", "- Id: us-east-1_Elsewhere1")
    copy = fresh_services()
    with pytest.raises(ApplyError) as caught:
        apply_text(copy, moved, "export.yaml")
    assert len(caught.value.problems) == 2
    problem = caught.value.problems[0]
    assert (
        ".PasswordVerifier: this verifier was made for pool us-east-1_Apply1 and cannot work in pool "
        in problem
    )
    assert "bound to the pool id's name part ('Apply1')" in problem
    assert state(copy) == {}
    # Another region with the same name part is fine.
    assert (
        apply_text(copy, text.replace(f"- Id: {POOL}", "- Id: eu-west-1_Apply1"))[0]
        == "+ pool eu-west-1_Apply1 (apply)"
    )


def test_users_of_an_email_username_pool_keep_their_sub_and_password(
    services: Services, fresh_services: Callable[[], Services]
) -> None:
    import_pool(services, POOL_JSON, [CLIENT_JSON])
    pool_id = AWS_POOL["Id"]
    document = export_pool(services, pool_id)
    document["pools"][0]["users"] = [
        {
            "Username": "carol@example.com",
            "Attributes": {"email": "carol@example.com"},
            "Password": "Carols-Secret-9",
        }
    ]
    assert apply_document(services, document) == [f"+ user carol@example.com in pool {pool_id} (CONFIRMED)"]
    carol = services.admin_users.get(pool_id, "carol@example.com")
    assert carol.username == carol.sub
    copy = fresh_services()
    apply_text(copy, yaml.safe_dump(export_pool(services, pool_id, include_secrets=True)))
    copied = copy.admin_users.get(pool_id, "carol@example.com")
    assert (copied.sub, copied.username, copied.password) == (carol.sub, carol.username, carol.password)
    assert copied.password is not None
    check_password(
        pool_name_from_pool_id(pool_id),
        copied.username,
        "Carols-Secret-9",
        copied.password.salt,
        copied.password.verifier,
    )
