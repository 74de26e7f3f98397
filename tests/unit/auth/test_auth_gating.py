"""Which flows an operation and an app client accept (auth-flows.md section 2), and the flows
that are refused (CUSTOM_AUTH without its triggers, USER_AUTH for now)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.auth._support import PASSWORD, World

from poolgate.auth.gating import enabled_flows
from poolgate.auth.state import AuthFlow
from poolgate.errors import InvalidParameterException

F = AuthFlow
REFRESH = {F.REFRESH_TOKEN_AUTH, F.REFRESH_TOKEN}


@pytest.mark.parametrize(
    ("explicit", "expected"),
    [
        (None, {F.USER_SRP_AUTH, F.CUSTOM_AUTH} | REFRESH),
        (["ALLOW_REFRESH_TOKEN_AUTH"], REFRESH),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], {F.USER_PASSWORD_AUTH} | REFRESH),
        (
            ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            {F.ADMIN_USER_PASSWORD_AUTH, F.ADMIN_NO_SRP_AUTH} | REFRESH,
        ),
        (["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], {F.USER_AUTH} | REFRESH),
        # Legacy clients: SRP, refresh and custom auth are implicit.
        ([], {F.USER_SRP_AUTH, F.CUSTOM_AUTH} | REFRESH),
        (["USER_PASSWORD_AUTH"], {F.USER_SRP_AUTH, F.CUSTOM_AUTH, F.USER_PASSWORD_AUTH} | REFRESH),
        (
            ["ADMIN_NO_SRP_AUTH"],
            {F.USER_SRP_AUTH, F.CUSTOM_AUTH, F.ADMIN_USER_PASSWORD_AUTH, F.ADMIN_NO_SRP_AUTH} | REFRESH,
        ),
        (["CUSTOM_AUTH_FLOW_ONLY"], {F.CUSTOM_AUTH} | REFRESH),
    ],
)
def test_enabled_flows(explicit: list[str] | None, expected: set[AuthFlow]) -> None:
    config: dict[str, Any] = {} if explicit is None else {"ExplicitAuthFlows": explicit}
    assert enabled_flows(config) == expected


def test_rotation_turns_refresh_token_auth_off() -> None:
    config = {
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        "RefreshTokenRotation": {"Feature": "ENABLED"},
    }
    assert enabled_flows(config) == set()


@pytest.mark.parametrize(
    ("admin", "flow"),
    [(False, "ADMIN_USER_PASSWORD_AUTH"), (False, "ADMIN_NO_SRP_AUTH"), (True, "USER_PASSWORD_AUTH")],
)
def test_flow_of_the_other_operation(world: World, admin: bool, flow: str) -> None:
    pool = world.pool()
    client = world.client(pool)
    params = {"USERNAME": "a", "PASSWORD": PASSWORD}
    with pytest.raises(InvalidParameterException) as exc:
        if admin:
            world.auth.admin_initiate_auth(pool.id, client.client_id, flow, params)
        else:
            world.auth.initiate_auth(client.client_id, flow, params)
    assert exc.value.message == "Initiate Auth method not supported."


@pytest.mark.parametrize(
    ("explicit", "flow", "admin"),
    [
        (["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_PASSWORD_AUTH", False),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_SRP_AUTH", False),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "ADMIN_USER_PASSWORD_AUTH", True),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "ADMIN_NO_SRP_AUTH", True),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "CUSTOM_AUTH", False),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_AUTH", False),
        (["CUSTOM_AUTH_FLOW_ONLY"], "USER_SRP_AUTH", False),
        (["USER_PASSWORD_AUTH"], "ADMIN_NO_SRP_AUTH", True),
    ],
)
def test_flow_not_enabled(world: World, explicit: list[str], flow: str, admin: bool) -> None:
    pool = world.pool()
    client = world.client(pool, ExplicitAuthFlows=explicit)
    params = {"USERNAME": "a", "PASSWORD": PASSWORD, "SRP_A": "abc"}
    with pytest.raises(InvalidParameterException) as exc:
        if admin:
            world.auth.admin_initiate_auth(pool.id, client.client_id, flow, params)
        else:
            world.auth.initiate_auth(client.client_id, flow, params)
    assert exc.value.message == f"{flow} flow not enabled for this client"


def test_legacy_user_password_client_signs_in(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, ExplicitAuthFlows=["USER_PASSWORD_AUTH"])
    world.user(pool, "leo")
    world.password_auth(client, "leo")


def test_custom_auth_without_define_auth_challenge(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    world.user(pool, "cid")
    for admin in (False, True):
        with pytest.raises(InvalidParameterException) as exc:
            if admin:
                world.auth.admin_initiate_auth(pool.id, client.client_id, "CUSTOM_AUTH", {"USERNAME": "cid"})
            else:
                world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cid"})
        assert exc.value.message == "Custom auth lambda trigger is not configured for the user pool."


def test_custom_auth_needs_the_runner_to_know_the_three_triggers(world: World) -> None:
    # LambdaConfig names a function, but this AuthService has no trigger runner (NoTriggers):
    # the triggers are not configured as far as the engine can tell.
    arn = "arn:aws:lambda:us-east-1:123456789012:function:define"
    pool = world.pool(LambdaConfig={"DefineAuthChallenge": arn})
    client = world.client(pool, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cid"})
    assert exc.value.message == "Custom auth lambda trigger is not configured for the user pool."


def test_user_auth_is_out_of_scope(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(
            client.client_id, "USER_AUTH", {"USERNAME": "x", "PREFERRED_CHALLENGE": "PASSWORD"}
        )
    assert exc.value.message == "USER_AUTH (choice-based sign-in) is not supported by this server yet."
