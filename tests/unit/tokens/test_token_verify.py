"""verify_access_token: every failure with Cognito's message (tokens.md §7), and timing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from tests.unit.tokens._support import POOL_ID, World, issuer, next_key

from poolgate.errors import NotAuthorizedException, UserNotFoundException
from poolgate.tokens import jws

INVALID = "^Invalid Access Token$"


def _pool_key(world: World, use: str) -> tuple[RSAPrivateKey, str]:
    with world.store.transaction() as uow:
        key = next(k for k in uow.signing_keys.list(world.pool.id) if k.use == use and k.retired_at is None)
    private = serialization.load_pem_private_key(key.private_pem, password=None)
    assert isinstance(private, RSAPrivateKey)
    return private, key.kid


def _resigned(world: World, claims: Mapping[str, Any], *, use: str = "access") -> str:
    """``claims`` signed with the pool's real key, as if Poolgate had issued them."""
    private, kid = _pool_key(world, use)
    return jws.sign(claims, private, kid)


def _claims(world: World) -> dict[str, Any]:
    return world.decode(world.sign_in().access_token)


def test_valid_token_gives_the_context(world: World) -> None:
    tokens = world.sign_in()
    context = world.verify(tokens.access_token)
    claims = world.decode(tokens.access_token)
    assert context.user_pool_id == world.pool.id
    assert context.client_id == world.client.client_id
    assert context.sub == world.user.sub
    assert context.username == "alice"
    assert context.jti == claims["jti"] and context.origin_jti == claims["origin_jti"]
    assert dict(context.claims) == claims


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 5000, "eyJhbGciOiJub25lIn0.e30."])
def test_not_a_jwt(world: World, token: str) -> None:
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(token)


def test_tampering_with_any_character_fails(world: World) -> None:
    token = world.sign_in().access_token
    for i in range(len(token)):
        if token[i] == ".":
            continue
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        with pytest.raises(NotAuthorizedException, match=INVALID):
            world.verify(changed)


def test_id_token_is_not_an_access_token(world: World) -> None:
    tokens = world.sign_in()
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(tokens.id_token)
    # Even with token_use switched, the ID-token key does not sign access tokens.
    claims = world.decode(tokens.id_token, audience=world.client.client_id)
    claims["token_use"] = "access"
    claims["scope"] = "aws.cognito.signin.user.admin"
    claims["client_id"] = world.client.client_id
    claims["username"] = "alice"
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(_resigned(world, claims, use="id"))
    # And the access key with token_use "id" is refused too.
    access = _claims(world)
    access["token_use"] = "id"
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(_resigned(world, access))


@pytest.mark.parametrize(
    "iss",
    [
        "https://cognito-idp.us-east-1.amazonaws.com/" + POOL_ID,
        "http://127.0.0.1:9229/us-east-1_Other",
        "http://evil.example/" + POOL_ID,
        "",
        None,
        5,
    ],
)
def test_wrong_issuer(world: World, iss: object) -> None:
    claims = _claims(world)
    claims["iss"] = iss
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(_resigned(world, claims))


def test_token_signed_with_another_pools_key(world: World) -> None:
    other_pool = replace(world.pool, id="us-east-1_OtherPool")
    with world.store.transaction() as uow:
        uow.pools.add(other_pool)
        world.tokens.ensure_keys(uow, other_pool.id)
        other_key = next(k for k in uow.signing_keys.list(other_pool.id) if k.use == "access")
    private = serialization.load_pem_private_key(other_key.private_pem, password=None)
    assert isinstance(private, RSAPrivateKey)
    claims = _claims(world)
    # Our pool's issuer with the other pool's key: the kid is not one of our pool's keys.
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(jws.sign(claims, private, other_key.kid))
    # The other pool's issuer with our user's claims: no such user there.
    claims["iss"] = issuer(other_pool.id)
    with pytest.raises(UserNotFoundException):
        world.verify(jws.sign(claims, private, other_key.kid))
    # Our kid on a token signed by a stranger's key.
    _, kid = _pool_key(world, "access")
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(jws.sign(_claims(world), next_key(), kid))


def test_deleted_keys_no_longer_verify(world: World) -> None:
    token = world.sign_in().access_token
    with world.store.transaction() as uow:
        for key in uow.signing_keys.list(world.pool.id):
            uow.signing_keys.delete(world.pool.id, key.kid)
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(token)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sub", None),
        ("sub", 5),
        ("client_id", None),
        ("username", None),
        ("iat", "now"),
        ("exp", None),
        ("exp", True),
        ("exp", 1.5e12),
        ("origin_jti", 5),
        ("jti", ["x"]),
    ],
)
def test_malformed_claims(world: World, name: str, value: object) -> None:
    claims = _claims(world)
    if value is None:
        del claims[name]
    else:
        claims[name] = value
    with pytest.raises(NotAuthorizedException, match=INVALID):
        world.verify(_resigned(world, claims))


def test_expired(world: World) -> None:
    tokens = world.sign_in()
    world.clock.advance(3599)
    world.verify(tokens.access_token)
    world.clock.advance(1)
    with pytest.raises(NotAuthorizedException, match="^Access Token has expired$"):
        world.verify(tokens.access_token)


def test_revoked(world: World) -> None:
    tokens = world.sign_in()
    world.revoke(tokens.refresh_token or "")
    with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
        world.verify(tokens.access_token)


@pytest.mark.parametrize("scope", ["openid email", "", "aws.cognito.signin.user.admin.extra", 7, None])
def test_missing_scope(world: World, scope: object) -> None:
    claims = _claims(world)
    if scope is None:
        del claims["scope"]
    else:
        claims["scope"] = scope
    with pytest.raises(NotAuthorizedException, match="^Access Token does not have required scopes$"):
        world.verify(_resigned(world, claims))


def test_scope_among_others_is_enough(world: World) -> None:
    claims = _claims(world)
    claims["scope"] = "openid aws.cognito.signin.user.admin profile"
    world.verify(_resigned(world, claims))


def test_user_deleted(world: World) -> None:
    bob = world.add_user("bob")
    tokens = world.sign_in(user=bob)
    world.delete_user(bob)
    with pytest.raises(UserNotFoundException, match=r"^User does not exist\.$"):
        world.verify(tokens.access_token)


def test_user_disabled(world: World) -> None:
    tokens = world.sign_in()
    world.set_enabled(world.user, False)
    with pytest.raises(NotAuthorizedException, match=r"^User is disabled\.$"):
        world.verify(tokens.access_token)
    world.set_enabled(world.user, True)
    world.verify(tokens.access_token)


def test_timing_of_sign_in_and_verify(sql_world: World) -> None:
    world = sql_world
    world.add_group("readers", precedence=1, role="arn:aws:iam::000000000000:role/readers")
    runs = 200
    started = time.perf_counter()
    issued = [world.sign_in() for _ in range(runs)]
    signing = time.perf_counter() - started
    started = time.perf_counter()
    for tokens in issued:
        world.verify(tokens.access_token)
    verifying = time.perf_counter() - started
    print(
        f"\nsign_in: {signing / runs * 1000:.2f} ms per call; "
        f"verify_access_token: {verifying / runs * 1000:.2f} ms per call ({runs} runs, in-memory SQLite)"
    )
