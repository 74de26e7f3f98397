"""AuthService with the real TokenService on the SQL store: the tokens a sign-in yields, and
REFRESH_TOKEN_AUTH with SECRET_HASH over the internal username."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from tests.unit.auth._support import PASSWORD, FakeTokens, World, challenge, make_world, secret_hash, tokens

from poolgate.auth.service import AuthService
from poolgate.errors import NotAuthorizedException
from poolgate.pools.service import PoolService
from poolgate.tokens.keys import generate_rsa_key
from poolgate.tokens.model import IssuedTokens
from poolgate.tokens.service import TokenService
from poolgate.users.model import UserStatus

_KEYS = [generate_rsa_key() for _ in range(2)]


def _issuer(pool_id: str) -> str:
    return f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"


@pytest.fixture
def real() -> Iterator[tuple[World, TokenService]]:
    world = make_world(float(int(time.time())))
    keys = iter(_KEYS * 50)
    service = TokenService(world.clock, issuer=_issuer, key_generator=lambda: next(keys))
    world.auth = AuthService(world.store, world.clock, service, world.master_key)
    world.pools = PoolService(
        world.store, world.clock, region="us-east-1", account_id="123456789012", on_create=service.ensure_keys
    )
    world.tokens = FakeTokens()  # not used: the real service issues the tokens
    yield world, service
    world.store.close()


def _claims(world: World, service: TokenService, pool_id: str, token: str, **options: Any) -> dict[str, Any]:
    with world.store.transaction() as uow:
        jwks = service.jwks(uow, pool_id)
    keys = {key["kid"]: key for key in jwks["keys"]}
    key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]])
    claims: dict[str, Any] = jwt.decode(
        token, key=key, algorithms=["RS256"], issuer=_issuer(pool_id), leeway=3600, **options
    )
    return claims


def test_password_sign_in_and_refresh(real: tuple[World, TokenService]) -> None:
    world, service = real
    pool = world.pool(UsernameAttributes=["email"])
    client = world.client(pool, secret=True)
    user = world.user(pool, "ann@example.com")
    world.clock.advance(1)
    signed_in = tokens(
        world.password_auth(client, "ann@example.com", SECRET_HASH=secret_hash(client, "ann@example.com"))
    )
    claims = _claims(world, service, pool.id, signed_in.id_token, audience=client.client_id)
    assert claims["sub"] == user.sub and claims["cognito:username"] == user.sub
    assert claims["auth_time"] == int(world.clock.now())
    assert signed_in.refresh_token is not None
    world.clock.advance(60)
    refresh = {"REFRESH_TOKEN": signed_in.refresh_token, "SECRET_HASH": secret_hash(client, user.sub)}
    refreshed: IssuedTokens = tokens(
        world.auth.initiate_auth(client.client_id, "REFRESH_TOKEN_AUTH", refresh)
    )
    assert refreshed.refresh_token is None
    again = _claims(world, service, pool.id, refreshed.id_token, audience=client.client_id)
    assert again["auth_time"] == claims["auth_time"] and again["origin_jti"] == claims["origin_jti"]
    with pytest.raises(NotAuthorizedException) as exc:
        world.auth.initiate_auth(
            client.client_id,
            "REFRESH_TOKEN_AUTH",
            {**refresh, "SECRET_HASH": secret_hash(client, "ann@example.com")},
        )
    assert exc.value.message == f"SecretHash does not match for the client: {client.client_id}"


def test_new_password_then_tokens(real: tuple[World, TokenService]) -> None:
    world, service = real
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "bert", "Temp0rary!x", status=UserStatus.FORCE_CHANGE_PASSWORD)
    first = challenge(world.password_auth(client, "bert", "Temp0rary!x"))
    password_time = int(world.clock.now())
    world.clock.advance(20)
    done = tokens(
        world.auth.respond_to_auth_challenge(
            client.client_id,
            "NEW_PASSWORD_REQUIRED",
            {"USERNAME": "bert", "NEW_PASSWORD": PASSWORD},
            session=first.session,
        )
    )
    access = _claims(world, service, pool.id, done.access_token)
    assert access["username"] == "bert" and access["sub"] == user.sub
    assert access["auth_time"] == password_time
