"""Signing keys: kid format, JWKS entries, ensure/rotate/prune, and the key cache."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from tests.unit.tokens._support import World, next_key

from poolgate.errors import ResourceNotFoundException
from poolgate.tokens.keys import (
    RETIRED_KEY_RETENTION,
    LruCache,
    generate_rsa_key,
    key_id,
    new_signing_key,
    public_key_from_jwk,
)


def test_kid_is_base64_sha256_of_der_public_key() -> None:
    key = next_key()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = key_id(key.public_key())
    assert kid == base64.b64encode(hashlib.sha256(der).digest()).decode()
    assert len(kid) == 44 and kid.endswith("=")


def test_generated_keys_are_rsa_2048_with_exponent_65537() -> None:
    key = generate_rsa_key()
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537


def test_jwk_round_trips_through_pyjwt_and_back() -> None:
    key = next_key()
    record = new_signing_key("us-east-1_x", "id", 5.0, key)
    jwk = dict(record.public_jwk)
    assert set(jwk) == {"alg", "e", "kid", "kty", "n", "use"}
    assert jwk["alg"] == "RS256" and jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["e"] == "AQAB"
    assert re.fullmatch(r"[A-Za-z0-9_-]+", jwk["n"])
    assert len(base64.urlsafe_b64decode(jwk["n"] + "==")) == 256
    loaded = RSAAlgorithm.from_jwk(json.dumps(jwk))
    assert loaded.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert public_key_from_jwk(jwk).public_numbers() == key.public_key().public_numbers()
    assert record.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_unknown_use_is_refused() -> None:
    with pytest.raises(ValueError):
        new_signing_key("us-east-1_x", "refresh", 0.0, next_key())


def test_pool_has_an_id_key_and_a_different_access_key(world: World) -> None:
    with world.store.transaction() as uow:
        keys = uow.signing_keys.list(world.pool.id)
    assert sorted(k.use for k in keys) == ["access", "id"]
    assert keys[0].kid != keys[1].kid
    assert all(k.retired_at is None for k in keys)
    jwks = world.jwks()
    assert [k["kid"] for k in jwks["keys"]] == [k.kid for k in keys]


def test_ensure_keys_is_idempotent(world: World) -> None:
    with world.store.transaction() as uow:
        world.tokens.ensure_keys(uow, world.pool.id)
        world.tokens.ensure_keys(uow, world.pool.id)
    assert len(world.jwks()["keys"]) == 2


def test_id_and_access_tokens_use_different_kids(world: World) -> None:
    import jwt

    tokens = world.sign_in()
    id_kid = jwt.get_unverified_header(tokens.id_token)["kid"]
    access_kid = jwt.get_unverified_header(tokens.access_token)["kid"]
    assert id_kid != access_kid
    assert {id_kid, access_kid} == {k["kid"] for k in world.jwks()["keys"]}


def test_rotation_keeps_old_keys_published_and_old_tokens_valid_until_pruned(world: World) -> None:
    old = world.sign_in()
    old_kids = {k["kid"] for k in world.jwks()["keys"]}
    new_kids = world.rotate()
    assert len(new_kids) == 2 and not set(new_kids) & old_kids
    assert {k["kid"] for k in world.jwks()["keys"]} == old_kids | set(new_kids)

    # Old tokens still verify (with PyJWT and with Poolgate); new tokens use the new keys.
    world.decode(old.id_token, audience=world.client.client_id)
    world.verify(old.access_token)
    import jwt

    new = world.sign_in()
    assert jwt.get_unverified_header(new.id_token)["kid"] in new_kids
    assert jwt.get_unverified_header(new.access_token)["kid"] in new_kids

    # A second rotation before the retention has passed deletes nothing.
    world.clock.advance(3600)
    third = world.rotate()
    assert len(world.jwks()["keys"]) == 6

    # After the retention, the next rotation deletes the keys retired the longest ago.
    world.clock.advance(RETIRED_KEY_RETENTION)
    fourth = world.rotate()
    published = {k["kid"] for k in world.jwks()["keys"]}
    assert published == set(new_kids) | set(third) | set(fourth)
    assert not published & old_kids


def test_jwks_of_unknown_pool(world: World) -> None:
    with world.store.transaction() as uow, pytest.raises(ResourceNotFoundException) as err:
        world.tokens.jwks(uow, "us-east-1_Nope")
    assert err.value.message == "User pool us-east-1_Nope does not exist."


def test_keys_are_created_on_first_sign_in_when_missing(world: World) -> None:
    with world.store.transaction() as uow:
        for key in uow.signing_keys.list(world.pool.id):
            uow.signing_keys.delete(world.pool.id, key.kid)
    tokens = world.sign_in()
    assert len(world.jwks()["keys"]) == 2
    world.verify(tokens.access_token)


def test_lru_cache_evicts_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(2)
    loads: list[str] = []

    def loader(name: str, value: int) -> int:
        loads.append(name)
        return value

    assert cache.get_or_load("a", lambda: loader("a", 1)) == 1
    assert cache.get_or_load("b", lambda: loader("b", 2)) == 2
    assert cache.get_or_load("a", lambda: loader("a", 9)) == 1
    cache.get_or_load("c", lambda: loader("c", 3))
    assert len(cache) == 2
    assert cache.get_or_load("a", lambda: loader("a", 9)) == 1
    assert cache.get_or_load("b", lambda: loader("b", 20)) == 20
    assert loads == ["a", "b", "c", "b"]
    with pytest.raises(ValueError):
        LruCache(0)
