"""Applying pools-as-code files: create, idempotence, exact change reports, fixed ids, users."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tests.unit.devx._support import state

from poolgate.devx import ApplyError, apply_file, apply_text
from poolgate.pools import defaults
from poolgate.services import Services
from poolgate.srp import check_password, pool_name_from_pool_id
from poolgate.users.model import UserStatus

POOL = "us-east-1_Apply1"
SECRET = "s3cr3t0s3cr3t0s3cr3t0s3cr3t0"
FILE = textwrap.dedent(
    f"""\
    pools:
      - Id: {POOL}
        PoolName: apply
        Policies:
          PasswordPolicy: {{MinimumLength: 10, RequireSymbols: false}}
        Schema:
          - {{Name: tenant, AttributeDataType: String, Mutable: true}}
        LambdaConfig:
          PreSignUp: arn:aws:lambda:us-east-1:000000000000:function:pre-sign-up
        clients:
          - ClientId: web0client0id
            ClientName: web
            ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
            AccessTokenValidity: 60
            TokenValidityUnits: {{AccessToken: minutes}}
          - ClientId: backend0client0id
            ClientName: backend
            ClientSecret: {SECRET}
        groups:
          - GroupName: admins
            Precedence: 1
          - GroupName: readers
        users:
          - Username: alice
            Attributes: {{email: alice@example.com, email_verified: true, "custom:tenant": acme}}
            Password: Correct-Horse-1
            Groups: [admins]
          - Username: bob
            TemporaryPassword: Temporary-Pass-2
            Enabled: false
    """
)
CREATED = [
    f"+ pool {POOL} (apply)",
    f"+ client web0client0id (web) in pool {POOL}",
    f"+ client backend0client0id (backend) in pool {POOL}",
    f"+ group admins in pool {POOL}",
    f"+ group readers in pool {POOL}",
    f"+ user alice in pool {POOL} (CONFIRMED)",
    f"+ user alice in group admins (pool {POOL})",
    f"+ user bob in pool {POOL} (FORCE_CHANGE_PASSWORD, disabled)",
]


def password_matches(services: Services, username: str, password: str) -> bool:
    user = services.admin_users.get(POOL, username)
    assert user.password is not None
    try:
        check_password(
            pool_name_from_pool_id(POOL), user.username, password, user.password.salt, user.password.verifier
        )
    except Exception:  # noqa: BLE001 - any failure means the password does not match
        return False
    return True


def test_apply_creates_what_the_file_declares(services: Services) -> None:
    assert apply_text(services, FILE) == CREATED
    pool = services.pools.describe_pool(POOL)
    assert pool["Name"] == "apply"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert pool["LambdaConfig"] == {"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:pre-sign-up"}
    assert pool["SchemaAttributes"][-1]["Name"] == "custom:tenant"
    web = defaults.describe_client(services.pools.get_client(POOL, "web0client0id"))
    assert (web["AccessTokenValidity"], web["TokenValidityUnits"]) == (60, {"AccessToken": "minutes"})
    assert "ClientSecret" not in web
    backend = services.pools.get_client(POOL, "backend0client0id")
    assert backend.client_secret == SECRET
    alice = services.admin_users.get(POOL, "alice")
    assert alice.status is UserStatus.CONFIRMED
    assert alice.attributes["custom:tenant"] == "acme" and alice.attributes["email_verified"] == "true"
    assert password_matches(services, "alice", "Correct-Horse-1")
    assert [g.name for g in services.groups.groups_for_user(POOL, "alice", None, None).items] == ["admins"]
    bob = services.admin_users.get(POOL, "bob")
    assert (bob.status, bob.enabled) == (UserStatus.FORCE_CHANGE_PASSWORD, False)
    assert password_matches(services, "bob", "Temporary-Pass-2")
    # Seeding users runs no triggers, so the unreachable PreSignUp Lambda above did not matter.


def test_applying_twice_changes_nothing(services: Services) -> None:
    apply_text(services, FILE)
    before = state(services)
    assert apply_text(services, FILE) == ["= nothing to change"]
    assert state(services) == before


def test_a_changed_field_reports_exactly_that_change(services: Services) -> None:
    apply_text(services, FILE)
    changed = FILE.replace("AccessTokenValidity: 60", "AccessTokenValidity: 30")
    assert apply_text(services, changed) == ["~ client web0client0id: AccessTokenValidity 60 → 30"]
    assert services.pools.get_client(POOL, "web0client0id").config["AccessTokenValidity"] == 30
    changed = changed.replace("MinimumLength: 10", "MinimumLength: 12").replace(
        "Precedence: 1", "Precedence: 5"
    )
    assert apply_text(services, changed) == [
        f"~ pool {POOL}: Policies.PasswordPolicy.MinimumLength 10 → 12",
        f"~ group admins in pool {POOL}: Precedence 1 → 5",
    ]
    assert apply_text(services, changed) == ["= nothing to change"]


def test_user_changes(services: Services) -> None:
    apply_text(services, FILE)
    changed = (
        FILE.replace('custom:tenant": acme', 'custom:tenant": globex')
        .replace("Password: Correct-Horse-1", "Password: Another-Horse-2")
        .replace("Groups: [admins]", "Groups: [readers]")
        .replace("Enabled: false", "Enabled: true")
    )
    assert apply_text(services, changed) == [
        f"~ user alice in pool {POOL}: custom:tenant acme → globex",
        f"~ user alice in pool {POOL}: password set (CONFIRMED)",
        f"+ user alice in group readers (pool {POOL})",
        f"- user alice from group admins (pool {POOL})",
        f"~ user bob in pool {POOL}: enabled false → true",
    ]
    assert password_matches(services, "alice", "Another-Horse-2")
    assert apply_text(services, changed) == ["= nothing to change"]


def test_a_temporary_password_is_not_forced_on_a_user_who_changed_it(services: Services) -> None:
    apply_text(services, FILE)
    services.admin_users.set_password(POOL, "bob", "Bobs-Own-Choice-3", True)
    assert apply_text(services, FILE) == ["= nothing to change"]
    assert password_matches(services, "bob", "Bobs-Own-Choice-3")


def test_pools_and_clients_without_ids_are_found_by_name(services: Services) -> None:
    text = "pools:\n  - PoolName: named\n    clients:\n      - ClientName: app\n"
    (created_pool, created_client) = apply_text(services, text)
    pool_id = created_pool.split()[2]
    assert created_client.startswith("+ client ") and created_client.endswith(f"(app) in pool {pool_id}")
    assert apply_text(services, text) == ["= nothing to change"]
    assert apply_text(
        services, text.replace("ClientName: app", "ClientName: app\n        IdTokenValidity: 2")
    ) == [f"~ client {created_client.split()[2]}: IdTokenValidity (unset) → 2"]


def test_fixed_ids_that_are_taken_elsewhere_are_refused(services: Services) -> None:
    apply_text(services, FILE)
    before = state(services)
    other = (
        "pools:\n  - Id: us-east-1_Other1\n    PoolName: other\n"
        "    clients:\n      - ClientId: web0client0id\n        ClientName: web\n"
    )
    with pytest.raises(ApplyError) as caught:
        apply_text(services, other)
    assert caught.value.problems == (
        f"poolgate.yaml:5: pools[0].clients[0].ClientId: client id web0client0id is taken by pool {POOL}",
    )
    assert state(services) == before


def test_what_cannot_change_on_an_existing_pool_is_refused(services: Services) -> None:
    apply_text(services, FILE)
    before = state(services)
    text = (
        FILE.replace("PoolName: apply", "PoolName: renamed")
        .replace("Mutable: true}", "Mutable: false}")
        .replace(f"ClientSecret: {SECRET}", "ClientSecret: another0secret0another0secret")
    )
    with pytest.raises(ApplyError) as caught:
        apply_text(services, text)
    assert caught.value.problems == (
        f"poolgate.yaml:3: pools[0].PoolName: pool {POOL} is named 'apply', and a pool cannot be renamed",
        (
            f"poolgate.yaml:6: pools[0].Schema: Schema cannot change on an existing pool ({POOL}; "
            "attributes that differ: custom:tenant)"
        ),
        (
            "poolgate.yaml:18: pools[0].clients[1].ClientSecret: client backend0client0id has a different "
            "ClientSecret, and a secret cannot be changed"
        ),
    )
    assert state(services) == before


def test_rule_errors_of_the_core_point_at_the_member_they_name(services: Services) -> None:
    text = (
        FILE.replace(
            "AccessTokenValidity: 60",
            "AccessTokenValidity: 60\n        EnablePropagateAdditionalUserContextData: true",
        )
        .replace(
            "ClientName: backend", "ClientName: backend\n        ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH]"
        )
        .replace("Password: Correct-Horse-1", "Password: short-1")
    )
    with pytest.raises(ApplyError) as caught:
        apply_text(services, text)
    propagate, refresh, password = caught.value.problems
    assert propagate == (
        "poolgate.yaml:15: pools[0].clients[0].EnablePropagateAdditionalUserContextData: "
        "EnablePropagateAdditionalUserContextData can only be activated in an app client with a client "
        "secret."
    )
    # This message of the core names no member, so the client entry is blamed.
    assert refresh == "poolgate.yaml:17: pools[0].clients[1]: REFRESH_TOKEN_AUTH should always be allowed."
    assert password.startswith("poolgate.yaml:28: pools[0].users[0].Password: Password did not conform with")
    assert password.endswith("Password not long enough")
    assert state(services) == {}


def test_a_problem_in_a_later_pool_stops_the_earlier_ones_too(services: Services) -> None:
    text = FILE + "  - PoolName: broken\n    MfaConfiguration: ON\n"
    with pytest.raises(ApplyError) as caught:
        apply_text(services, text)
    (problem,) = caught.value.problems
    assert problem.startswith("poolgate.yaml:31: pools[1]: SMS configuration")
    assert state(services) == {}


def test_groups_named_by_users_must_exist(services: Services) -> None:
    with pytest.raises(ApplyError) as caught:
        apply_text(services, FILE.replace("Groups: [admins]", "Groups: [admins, editors]"))
    assert caught.value.problems == (
        (
            "poolgate.yaml:27: pools[0].users[0].Groups[1]: group 'editors' is neither declared in this pool nor "
            "stored in it"
        ),
    )


def test_dry_run_reports_without_changing(services: Services) -> None:
    assert apply_text(services, FILE, dry_run=True) == CREATED
    assert state(services) == {}
    text = "pools:\n  - PoolName: fresh\n"
    assert apply_text(services, text, dry_run=True) == ["+ pool (new id) (fresh)"]


def test_apply_file_names_the_file(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "pools.yaml"
    path.write_text(FILE)
    assert apply_file(services, path) == CREATED
    path.write_text(FILE.replace("Precedence: 1", "Precedence: one"))
    with pytest.raises(ApplyError) as caught:
        apply_file(services, path)
    assert caught.value.problems == (
        f"{path}:21: pools[0].groups[0].Precedence: expected a whole number, got 'one'",
    )
    with pytest.raises(ApplyError, match="cannot read the file"):
        apply_file(services, tmp_path / "missing.yaml")
