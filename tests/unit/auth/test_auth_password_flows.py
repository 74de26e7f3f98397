"""USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and ADMIN_NO_SRP_AUTH through AuthService:
tokens, user states in the order of auth-flows.md section 7, SECRET_HASH, existence hiding."""

from __future__ import annotations

import pytest
from tests.unit.auth._support import PASSWORD, WRONG, World, challenge, secret_hash, tokens

from poolgate.errors import (
    CognitoError,
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    ResourceNotFoundException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from poolgate.users.model import UserStatus


def _fails(world: World, call: object, error: type[CognitoError], message: str) -> None:
    assert callable(call)
    with pytest.raises(error) as exc:
        call()
    assert exc.value.message == message


def test_user_password_auth_issues_tokens_with_the_password_time(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "alice")
    world.clock.advance(10)
    issued = tokens(world.password_auth(client, "alice", DEVICE_KEY="us-east-1_dev"))
    assert issued.id_token == f"id:{user.sub}" and issued.refresh_token
    (sign_in,) = world.tokens.sign_ins
    assert sign_in.auth_time == world.clock.now()
    # The pool does not track devices: the DEVICE_KEY is ignored (tests/unit/devices otherwise).
    assert sign_in.client_id == client.client_id and sign_in.device_key is None


def test_admin_flows_and_the_legacy_name(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "bob")
    for flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        result = world.auth.admin_initiate_auth(
            pool.id, client.client_id, flow, {"USERNAME": "bob", "PASSWORD": PASSWORD}
        )
        assert tokens(result).access_token == f"access:{user.sub}"
    legacy = world.client(pool, ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])
    result = world.auth.admin_initiate_auth(
        pool.id, legacy.client_id, "ADMIN_NO_SRP_AUTH", {"USERNAME": "bob", "PASSWORD": PASSWORD}
    )
    assert isinstance(tokens(result).id_token, str)


def test_admin_call_checks_pool_then_client(world: World) -> None:
    pool, other = world.pool(), world.pool()
    client = world.client(pool)
    params = {"USERNAME": "x", "PASSWORD": PASSWORD}
    with pytest.raises(ResourceNotFoundException) as exc:
        world.auth.admin_initiate_auth(
            "us-east-1_nothere", client.client_id, "ADMIN_USER_PASSWORD_AUTH", params
        )
    assert exc.value.message == "User pool us-east-1_nothere does not exist."
    with pytest.raises(ResourceNotFoundException) as exc:
        world.auth.admin_initiate_auth(other.id, client.client_id, "ADMIN_USER_PASSWORD_AUTH", params)
    assert exc.value.message == f"User pool client {client.client_id} does not exist."
    with pytest.raises(ResourceNotFoundException):
        world.auth.initiate_auth("nosuchclient", "USER_PASSWORD_AUTH", params)


def test_missing_parameters(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    for params, name in (({"PASSWORD": PASSWORD}, "USERNAME"), ({"USERNAME": "a"}, "PASSWORD")):
        _fails(
            world,
            lambda params=params: world.auth.initiate_auth(client.client_id, "USER_PASSWORD_AUTH", params),
            InvalidParameterException,
            f"Missing required parameter {name}",
        )


def test_wrong_password_and_unknown_user(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "dora")
    _fails(
        world,
        lambda: world.password_auth(client, "dora", WRONG),
        NotAuthorizedException,
        "Incorrect username or password.",
    )
    _fails(
        world, lambda: world.password_auth(client, "nobody"), UserNotFoundException, "User does not exist."
    )


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"])
def test_unknown_user_is_hidden_when_the_client_says_so(world: World, flow: str) -> None:
    pool = world.pool()
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    params = {"USERNAME": "nobody", "PASSWORD": PASSWORD}
    with pytest.raises(NotAuthorizedException) as exc:
        if flow == "USER_PASSWORD_AUTH":
            world.auth.initiate_auth(client.client_id, flow, params)
        else:
            world.auth.admin_initiate_auth(pool.id, client.client_id, flow, params)
    assert exc.value.message == "Incorrect username or password."


def test_status_order_legacy(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "erin", status=UserStatus.UNCONFIRMED)
    world.user(pool, "fred", enabled=False, status=UserStatus.UNCONFIRMED)
    world.user(pool, "gus", status=UserStatus.RESET_REQUIRED)
    world.user(pool, "hal", status=UserStatus.EXTERNAL_PROVIDER, password=None)
    # UNCONFIRMED wins even over a wrong password; disabled comes before it.
    _fails(
        world,
        lambda: world.password_auth(client, "erin", WRONG),
        UserNotConfirmedException,
        "User is not confirmed.",
    )
    _fails(
        world, lambda: world.password_auth(client, "fred", WRONG), NotAuthorizedException, "User is disabled."
    )
    _fails(
        world,
        lambda: world.password_auth(client, "gus", WRONG),
        PasswordResetRequiredException,
        "Password reset required for the user",
    )
    _fails(
        world,
        lambda: world.password_auth(client, "hal"),
        NotAuthorizedException,
        "Incorrect username or password.",
    )


def test_disabled_and_reset_wait_for_the_password_when_existence_is_hidden(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    world.user(pool, "ivy", enabled=False)
    world.user(pool, "jon", status=UserStatus.RESET_REQUIRED)
    world.user(pool, "kai", status=UserStatus.UNCONFIRMED)
    for name in ("ivy", "jon"):
        _fails(
            world,
            lambda name=name: world.password_auth(client, name, WRONG),
            NotAuthorizedException,
            "Incorrect username or password.",
        )
    _fails(world, lambda: world.password_auth(client, "ivy"), NotAuthorizedException, "User is disabled.")
    _fails(
        world,
        lambda: world.password_auth(client, "jon"),
        PasswordResetRequiredException,
        "Password reset required for the user",
    )
    _fails(
        world,
        lambda: world.password_auth(client, "kai", WRONG),
        UserNotConfirmedException,
        "User is not confirmed.",
    )


def test_temporary_password_expiry(world: World) -> None:
    pool = world.pool(Policies={"PasswordPolicy": {"MinimumLength": 8, "TemporaryPasswordValidityDays": 2}})
    client = world.client(pool)
    world.user(pool, "lea", status=UserStatus.FORCE_CHANGE_PASSWORD)
    world.clock.advance(2 * 86400)
    assert challenge(world.password_auth(client, "lea")).name == "NEW_PASSWORD_REQUIRED"
    world.clock.advance(1)
    _fails(
        world,
        lambda: world.password_auth(client, "lea"),
        NotAuthorizedException,
        "User account has expired, it must be reset by an administrator.",
    )
    # A wrong password still reads as a wrong password.
    _fails(
        world,
        lambda: world.password_auth(client, "lea", WRONG),
        NotAuthorizedException,
        "Incorrect username or password.",
    )


def test_default_temporary_password_validity_is_seven_days(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "max", status=UserStatus.FORCE_CHANGE_PASSWORD)
    world.clock.advance(7 * 86400)
    assert challenge(world.password_auth(client, "max")).name == "NEW_PASSWORD_REQUIRED"
    world.clock.advance(60)
    _fails(
        world,
        lambda: world.password_auth(client, "max"),
        NotAuthorizedException,
        "User account has expired, it must be reset by an administrator.",
    )


def test_sign_in_by_alias_and_case(world: World) -> None:
    pool = world.pool(AliasAttributes=["email"], UsernameConfiguration={"CaseSensitive": False})
    client = world.client(pool)
    user = world.user(pool, "Nora", email="nora@example.com", email_verified="true")
    world.user(pool, "otto", email="otto@example.com")
    assert tokens(world.password_auth(client, "NORA@example.com")).id_token == f"id:{user.sub}"
    assert tokens(world.password_auth(client, "nora")).id_token == f"id:{user.sub}"
    with pytest.raises(UserNotFoundException):
        world.password_auth(client, "otto@example.com")  # an unverified e-mail is no alias


def test_email_as_username_pool(world: World) -> None:
    pool = world.pool(UsernameAttributes=["email"])
    client = world.client(pool)
    user = world.user(pool, "pia@example.com")
    assert user.username == user.sub
    assert tokens(world.password_auth(client, "pia@example.com")).id_token == f"id:{user.sub}"


def test_secret_hash_is_checked_before_the_user_is_looked_up(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    world.user(pool, "mona")
    cid = client.client_id
    _fails(
        world,
        lambda: world.password_auth(client, "nobody"),
        NotAuthorizedException,
        f"Client {cid} is configured with secret but SECRET_HASH was not received",
    )
    _fails(
        world,
        lambda: world.password_auth(client, "nobody", SECRET_HASH=secret_hash(client, "mona")),
        NotAuthorizedException,
        f"Unable to verify secret hash for client {cid}",
    )
    assert tokens(world.password_auth(client, "mona", SECRET_HASH=secret_hash(client, "mona")))


def test_client_without_secret_ignores_a_hash(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "nils")
    assert tokens(world.password_auth(client, "nils", SECRET_HASH="anything="))


def test_client_metadata_is_accepted(world: World) -> None:
    from poolgate.auth.state import RequestMetadata

    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "olaf")
    metadata = RequestMetadata({"k": "v"}, {"AnalyticsEndpointId": "e"}, {"IpAddress": "192.0.2.1"})
    result = world.auth.initiate_auth(
        client.client_id, "USER_PASSWORD_AUTH", {"USERNAME": "olaf", "PASSWORD": PASSWORD}, metadata=metadata
    )
    assert tokens(result)
