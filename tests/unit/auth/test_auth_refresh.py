"""REFRESH_TOKEN_AUTH / REFRESH_TOKEN: handed to the token service with SECRET_HASH and DEVICE_KEY."""

from __future__ import annotations

import pytest
from tests.unit.auth._support import World, secret_hash, tokens

from poolgate.errors import InvalidParameterException, NotAuthorizedException


def test_refresh_on_both_operations(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "hugo")
    refresh = tokens(world.password_auth(client, "hugo")).refresh_token
    assert refresh is not None
    result = world.auth.initiate_auth(client.client_id, "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh})
    assert tokens(result).id_token == f"id:{user.sub}" and tokens(result).refresh_token is None
    result = world.auth.admin_initiate_auth(
        pool.id, client.client_id, "REFRESH_TOKEN", {"REFRESH_TOKEN": refresh, "DEVICE_KEY": "dk"}
    )
    assert tokens(result).access_token == f"access:{user.sub}"
    assert world.tokens.refreshes[-1] == {"token": refresh, "secret_hash": None, "device_key": "dk"}
    assert len(world.tokens.sign_ins) == 1


def test_refresh_errors_come_from_the_token_service(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    with pytest.raises(NotAuthorizedException) as exc:
        world.auth.initiate_auth(client.client_id, "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": "nope"})
    assert exc.value.message == "Invalid Refresh Token."
    with pytest.raises(InvalidParameterException) as exc:  # type: ignore[assignment]
        world.auth.initiate_auth(client.client_id, "REFRESH_TOKEN_AUTH", {})
    assert exc.value.message == "Missing required parameter REFRESH_TOKEN"


def test_secret_hash_goes_to_the_token_service(world: World) -> None:
    pool = world.pool(UsernameAttributes=["email"])
    client = world.client(pool, secret=True)
    user = world.user(pool, "mona@example.com")
    signed_in = world.password_auth(
        client, "mona@example.com", SECRET_HASH=secret_hash(client, "mona@example.com")
    )
    refresh = tokens(signed_in).refresh_token
    assert refresh is not None
    with pytest.raises(NotAuthorizedException) as exc:
        world.auth.initiate_auth(
            client.client_id,
            "REFRESH_TOKEN_AUTH",
            {"REFRESH_TOKEN": refresh, "SECRET_HASH": secret_hash(client, "mona@example.com")},
        )
    assert exc.value.message == f"SecretHash does not match for the client: {client.client_id}"
    result = world.auth.initiate_auth(
        client.client_id,
        "REFRESH_TOKEN_AUTH",
        {"REFRESH_TOKEN": refresh, "SECRET_HASH": secret_hash(client, user.sub)},
    )
    assert tokens(result).id_token == f"id:{user.sub}"


def test_rotation_client_cannot_use_refresh_token_auth(world: World) -> None:
    pool = world.pool()
    client = world.client(
        pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(client.client_id, "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": "x"})
    assert exc.value.message == "REFRESH_TOKEN_AUTH flow not enabled for this client"
