"""Reading pools-as-code files: every problem names its line and field, and nothing is applied."""

from __future__ import annotations

import textwrap

import pytest
from tests.unit.devx._support import state

from poolgate.devx import ApplyError, apply_text
from poolgate.devx.spec import parse_data, parse_text
from poolgate.services import Services

BASE = textwrap.dedent(
    """\
    version: 1
    pools:
      - Id: us-east-1_Base1
        PoolName: base
        MfaConfiguration: OFF
        clients:
          - ClientId: base0client0id
            ClientName: web
            ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
          - ClientName: admin
            ExplicitAuthFlows: [ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
        groups:
          - GroupName: admins
            Precedence: 1
        users:
          - Username: alice
            Password: Correct-Horse-1
            Groups: [admins]
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(ApplyError) as caught:
        parse_text(text, "poolgate.yaml")
    return list(caught.value.problems)


def test_the_base_file_is_valid() -> None:
    document = parse_text(BASE, "poolgate.yaml")
    (pool,) = document.pools
    assert (pool.pool_id, pool.name, pool.request) == ("us-east-1_Base1", "base", {"MfaConfiguration": "OFF"})
    assert [c.client_id for c in pool.clients] == ["base0client0id", None]
    assert pool.groups[0].fields == {"Precedence": 1}
    assert pool.users[0].groups == ("admins",)


def test_unquoted_yaml_booleans_stay_strings_where_the_model_wants_a_string() -> None:
    # YAML 1.1 reads an unquoted OFF as false; the model says MfaConfiguration is a string.
    (pool,) = parse_text(BASE, "poolgate.yaml").pools
    assert pool.request["MfaConfiguration"] == "OFF"


def test_unknown_field_names_line_and_path_and_suggests() -> None:
    text = BASE.replace(
        "        ExplicitAuthFlows: [ALLOW_USER_SRP", "        ExplicitAuthFlow: [ALLOW_USER_SRP"
    )
    assert problems(text) == [
        (
            "poolgate.yaml:9: pools[0].clients[0].ExplicitAuthFlow: unknown field 'ExplicitAuthFlow'; "
            "did you mean 'ExplicitAuthFlows'?"
        )
    ]


def test_wrong_type() -> None:
    text = BASE.replace("Precedence: 1", "Precedence: first")
    assert problems(text) == [
        "poolgate.yaml:14: pools[0].groups[0].Precedence: expected a whole number, got 'first'"
    ]


def test_bad_enum_reported_through_the_model_validator() -> None:
    text = BASE.replace("[ALLOW_ADMIN_USER_PASSWORD_AUTH,", "[ALLOW_ADMIN_PASSWORD,")
    (problem,) = problems(text)
    assert problem.startswith(
        "poolgate.yaml:11: pools[0].clients[1].ExplicitAuthFlows: Value '[ALLOW_ADMIN_PASSWORD, "
        "ALLOW_REFRESH_TOKEN_AUTH]' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must satisfy enum value set: ["
    )


def test_nested_constraint_points_at_the_nested_line() -> None:
    text = BASE.replace(
        "    MfaConfiguration: OFF\n", "    Policies:\n      PasswordPolicy:\n        MinimumLength: 500\n"
    )
    (problem,) = problems(text)
    assert problem.startswith(
        "poolgate.yaml:7: pools[0].Policies.PasswordPolicy.MinimumLength: Value '500' failed"
    )


def test_duplicate_ids_names_and_keys() -> None:
    text = BASE + (
        "  - Id: us-east-1_Base1\n"
        "    PoolName: again\n"
        "    PoolName: twice\n"
        "    clients:\n"
        "      - ClientId: base0client0id\n"
        "        ClientName: copy\n"
    )
    assert problems(text) == [
        "poolgate.yaml:21: pools[1].PoolName: duplicate key (first at line 20)",
        (
            "poolgate.yaml:19: pools[1].Id: pool id us-east-1_Base1 is declared twice "
            "(first at poolgate.yaml:3: pools[0].Id)"
        ),
        (
            "poolgate.yaml:23: pools[1].clients[0].ClientId: client id base0client0id is declared twice "
            "(first at poolgate.yaml:7: pools[0].clients[0].ClientId)"
        ),
    ]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        BASE.replace("Precedence: 1", "Precedence: [1]")
        .replace("Username: alice", "Username: alice\n        Colour: blue")
        .replace("Id: us-east-1_Base1", "Id: not-a-pool-id")
    )
    found = problems(text)
    assert [p.split(": ")[0] + ": " + p.split(": ")[1] for p in found] == [
        "poolgate.yaml:3: pools[0].Id",
        "poolgate.yaml:14: pools[0].groups[0].Precedence",
        "poolgate.yaml:17: pools[0].users[0].Colour",
    ]


def test_user_rules() -> None:
    text = BASE.replace(
        "Password: Correct-Horse-1", "Password: Correct-Horse-1\n        TemporaryPassword: Other-Pass-2"
    )
    assert problems(text) == [
        (
            "poolgate.yaml:16: pools[0].users[0]: "
            "give either Password (a CONFIRMED user) or TemporaryPassword, not both"
        )
    ]
    text = BASE.replace("Password: Correct-Horse-1", "Sub: 1234")
    assert problems(text) == [
        "poolgate.yaml:17: pools[0].users[0].Sub: Sub is kept only together with PasswordVerifier"
    ]


def test_password_constraint_never_prints_the_password() -> None:
    text = BASE.replace("Password: Correct-Horse-1", "Password: has spaces in it")
    (problem,) = problems(text)
    assert problem.startswith(
        "poolgate.yaml:17: pools[0].users[0].Password: Value failed to satisfy constraint"
    )
    assert "spaces" not in problem


def test_yaml_syntax_errors_name_the_line() -> None:
    (problem,) = problems("pools:\n  - PoolName: [unclosed\n")
    assert problem.startswith("poolgate.yaml:3: not valid YAML:")
    assert problems("") == ["poolgate.yaml: the file is empty; expected a mapping with 'pools'"]
    assert problems("version: 2\npools: []\n") == [
        "poolgate.yaml:1: version: this Poolgate reads version 1 files"
    ]


def test_missing_required_members() -> None:
    assert problems("pools:\n  - Id: us-east-1_X1\n") == [
        "poolgate.yaml:2: pools[0]: Value null failed to satisfy constraint: Member must not be null"
    ]


def test_documents_built_in_memory_are_checked_the_same_way_without_lines() -> None:
    with pytest.raises(ApplyError) as caught:
        parse_data({"pools": [{"PoolName": "x", "MfaConfiguration": "SOMETIMES"}]}, "import.json")
    (problem,) = caught.value.problems
    assert problem.startswith("import.json: pools[0].MfaConfiguration: Value 'SOMETIMES' failed")


def test_an_invalid_file_changes_nothing(services: Services) -> None:
    apply_text(services, BASE)
    before = state(services)
    text = BASE.replace("Precedence: 1", "Precedence: 2").replace(
        "[ALLOW_ADMIN_USER_PASSWORD_AUTH,", "[NOPE,"
    )
    with pytest.raises(ApplyError):
        apply_text(services, text)
    assert state(services) == before
