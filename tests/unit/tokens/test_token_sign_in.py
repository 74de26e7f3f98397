"""Tokens issued at sign-in: every claim of tokens.md §3 and §4, checked with PyJWT."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jwt
import pytest
from tests.unit.tokens._support import World, issuer

from poolgate.tokens.claims import ADMIN_SCOPE
from poolgate.tokens.refresh import JWE_HEADER

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9\-_=.]+")


def test_authentication_result_shape(world: World) -> None:
    tokens = world.sign_in()
    result = tokens.as_result()
    assert set(result) == {"AccessToken", "ExpiresIn", "TokenType", "IdToken", "RefreshToken"}
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    for token in (tokens.id_token, tokens.access_token, tokens.refresh_token):
        assert token is not None and TOKEN_PATTERN.fullmatch(token)


def test_refresh_token_is_jwe_shaped_and_random(world: World) -> None:
    first = world.sign_in().refresh_token
    second = world.sign_in().refresh_token
    assert first is not None and second is not None and first != second
    parts = first.split(".")
    assert len(parts) == 5
    assert jwt.utils.base64url_decode(parts[0]) == b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}'
    assert JWE_HEADER == {"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}
    assert first.startswith("eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.")
    assert len(jwt.utils.base64url_decode(parts[1])) == 256


def test_refresh_token_is_stored_only_as_its_hash(world: World) -> None:
    import hashlib

    tokens = world.sign_in()
    assert tokens.refresh_token is not None
    with world.store.transaction() as uow:
        session = uow.token_sessions.get(hashlib.sha256(tokens.refresh_token.encode()).hexdigest())
    assert session is not None
    assert tokens.refresh_token not in repr(session)


def test_id_token_claims(world: World) -> None:
    now = int(world.clock.now())
    tokens = world.sign_in()
    claims = world.decode(tokens.id_token, audience=world.client.client_id)
    assert claims == {
        "sub": world.user.sub,
        "email": "alice@example.com",
        "email_verified": True,
        "phone_number": "+15555550100",
        "phone_number_verified": False,
        "given_name": "Alice",
        "updated_at": 1700000000,
        "address": {"formatted": "1 Main St, Springfield"},
        "custom:tier": "gold",
        "custom:level": "7",
        "custom:flag": "true",
        "iss": issuer(world.pool.id),
        "cognito:username": "alice",
        "origin_jti": claims["origin_jti"],
        "aud": world.client.client_id,
        "event_id": claims["event_id"],
        "token_use": "id",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": claims["jti"],
    }
    for name in ("origin_jti", "event_id", "jti"):
        assert UUID.fullmatch(claims[name])


def test_access_token_claims(world: World) -> None:
    now = int(world.clock.now())
    tokens = world.sign_in()
    claims = world.decode(tokens.access_token)
    id_claims = world.decode(tokens.id_token, audience=world.client.client_id)
    assert claims == {
        "sub": world.user.sub,
        "iss": issuer(world.pool.id),
        "client_id": world.client.client_id,
        "origin_jti": id_claims["origin_jti"],
        "event_id": id_claims["event_id"],
        "token_use": "access",
        "scope": ADMIN_SCOPE,
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": claims["jti"],
        "username": "alice",
    }
    assert "aud" not in claims
    assert claims["jti"] != id_claims["jti"]


def test_each_sign_in_is_a_new_session(world: World) -> None:
    first = world.decode(world.sign_in().access_token)
    second = world.decode(world.sign_in().access_token)
    assert first["origin_jti"] != second["origin_jti"]
    assert first["event_id"] != second["event_id"]


def test_audience_and_issuer_are_checked_by_pyjwt(world: World) -> None:
    tokens = world.sign_in()
    with pytest.raises(jwt.InvalidAudienceError):
        world.decode(tokens.id_token, audience="someone-else")
    header_kid = jwt.get_unverified_header(tokens.id_token)["kid"]
    jwk = next(k for k in world.jwks()["keys"] if k["kid"] == header_kid)
    key = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(
            tokens.id_token,
            key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            audience=world.client.client_id,
            issuer="https://cognito-idp.us-east-1.amazonaws.com/" + world.pool.id,
        )


def test_device_key_goes_into_the_access_token_only(world: World) -> None:
    device = "us-east-1_" + str(uuid.uuid4())
    tokens = world.sign_in(device_key=device)
    assert world.decode(tokens.access_token)["device_key"] == device
    assert "device_key" not in world.decode(tokens.id_token, audience=world.client.client_id)


@pytest.mark.parametrize(
    ("request_members", "access", "id_", "refresh"),
    [
        ({}, 3600, 3600, 30 * 86400),
        (
            {
                "AccessTokenValidity": 300,
                "IdTokenValidity": 86400,
                "RefreshTokenValidity": 3600,
                "TokenValidityUnits": {
                    "AccessToken": "seconds",
                    "IdToken": "seconds",
                    "RefreshToken": "seconds",
                },
            },
            300,
            86400,
            3600,
        ),
        (
            {
                "AccessTokenValidity": 5,
                "IdTokenValidity": 90,
                "RefreshTokenValidity": 60,
                "TokenValidityUnits": {
                    "AccessToken": "minutes",
                    "IdToken": "minutes",
                    "RefreshToken": "minutes",
                },
            },
            300,
            5400,
            3600,
        ),
        (
            {"AccessTokenValidity": 2, "IdTokenValidity": 24, "RefreshTokenValidity": 48},
            7200,
            86400,
            48 * 86400,
        ),
        (
            {
                "AccessTokenValidity": 1,
                "IdTokenValidity": 1,
                "RefreshTokenValidity": 3650,
                "TokenValidityUnits": {"AccessToken": "days", "IdToken": "days", "RefreshToken": "days"},
            },
            86400,
            86400,
            3650 * 86400,
        ),
        (
            {"RefreshTokenValidity": 2, "TokenValidityUnits": {"RefreshToken": "hours"}},
            3600,
            3600,
            7200,
        ),
    ],
)
def test_lifetimes_in_every_unit(
    sql_world: World, request_members: dict[str, Any], access: int, id_: int, refresh: int
) -> None:
    world = sql_world
    client = world.add_client(**request_members)
    now = int(world.clock.now())
    tokens = world.sign_in(client)
    assert tokens.expires_in == access
    assert world.decode(tokens.access_token)["exp"] == now + access
    assert world.decode(tokens.id_token, audience=client.client_id)["exp"] == now + id_
    assert tokens.refresh_token is not None
    # The refresh token works until its lifetime is over, then it does not.
    world.clock.advance(refresh - 1)
    world.refresh(tokens.refresh_token, client)
    world.clock.advance(1)
    with pytest.raises(Exception, match="Invalid Refresh Token."):
        world.refresh(tokens.refresh_token, client)


def test_read_attributes_limit_the_id_token(world: World) -> None:
    client = world.add_client(ReadAttributes=["email", "email_verified", "custom:tier"])
    claims = world.decode(world.sign_in(client).id_token, audience=client.client_id)
    present = {k for k in claims if not k.startswith("cognito:")} - {
        "sub",
        "iss",
        "aud",
        "origin_jti",
        "event_id",
        "token_use",
        "auth_time",
        "exp",
        "iat",
        "jti",
    }
    assert present == {"email", "email_verified", "custom:tier"}
    # The access token never carries attributes.
    access = world.decode(world.sign_in(client).access_token)
    assert "email" not in access and "custom:tier" not in access


def test_developer_only_attributes_never_appear(world: World) -> None:
    claims = world.decode(world.sign_in().id_token, audience=world.client.client_id)
    assert not any(name.startswith("dev:") for name in claims)
    assert "cognito:mfa_enabled" not in claims


def test_revocation_off_leaves_out_jti_and_origin_jti(world: World) -> None:
    client = world.add_client(EnableTokenRevocation=False)
    tokens = world.sign_in(client)
    for claims in (
        world.decode(tokens.access_token),
        world.decode(tokens.id_token, audience=client.client_id),
    ):
        assert "jti" not in claims and "origin_jti" not in claims
        assert UUID.fullmatch(claims["event_id"])


def test_groups_and_roles(world: World) -> None:
    world.add_group("zeta", precedence=1, role="arn:aws:iam::000000000000:role/zeta")
    world.add_group("alpha", precedence=5, role="arn:aws:iam::000000000000:role/alpha")
    world.add_group("beta")
    world.add_group("aardvark", precedence=5)
    tokens = world.sign_in()
    id_claims = world.decode(tokens.id_token, audience=world.client.client_id)
    access = world.decode(tokens.access_token)
    assert id_claims["cognito:groups"] == ["zeta", "aardvark", "alpha", "beta"]
    assert access["cognito:groups"] == ["zeta", "aardvark", "alpha", "beta"]
    assert id_claims["cognito:roles"] == [
        "arn:aws:iam::000000000000:role/zeta",
        "arn:aws:iam::000000000000:role/alpha",
    ]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::000000000000:role/zeta"
    assert "cognito:roles" not in access and "cognito:preferred_role" not in access


def test_no_group_claims_without_groups(world: World) -> None:
    tokens = world.sign_in()
    for claims in (
        world.decode(tokens.access_token),
        world.decode(tokens.id_token, audience=world.client.client_id),
    ):
        assert not any(k in claims for k in ("cognito:groups", "cognito:roles", "cognito:preferred_role"))


def test_many_groups_are_all_listed(sql_world: World) -> None:
    for i in range(130):
        sql_world.add_group(f"g{i:03d}", precedence=1000 - i)
    claims = sql_world.decode(sql_world.sign_in().access_token)
    assert claims["cognito:groups"] == [f"g{i:03d}" for i in reversed(range(130))]
