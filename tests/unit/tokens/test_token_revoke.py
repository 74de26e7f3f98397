"""RevokeToken and global sign-out (tokens.md §9)."""

from __future__ import annotations

import pytest
from tests.unit.tokens._support import SECRET, World

from poolgate.errors import (
    NotAuthorizedException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)


def test_revoke_stops_the_session_but_not_the_others(world: World) -> None:
    first = world.sign_in()
    refreshed = world.refresh(first.refresh_token or "")
    second = world.sign_in()
    assert first.refresh_token is not None and second.refresh_token is not None
    world.revoke(first.refresh_token)
    for access in (first.access_token, refreshed.access_token):
        with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
            world.verify(access)
    with pytest.raises(NotAuthorizedException, match="^Refresh Token has been revoked$"):
        world.refresh(first.refresh_token)
    # The user's other sign-in is untouched.
    world.verify(second.access_token)
    world.refresh(second.refresh_token)


def test_revoke_is_idempotent_and_unknown_tokens_succeed(world: World) -> None:
    token = world.sign_in().refresh_token
    assert token is not None
    world.revoke(token)
    world.revoke(token)
    world.revoke("garbage")
    world.revoke("eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a.b.c.d")


def test_revoked_session_outlives_its_refresh_token_in_storage(world: World) -> None:
    import hashlib

    client = world.add_client(RefreshTokenValidity=1, TokenValidityUnits={"RefreshToken": "hours"})
    tokens = world.sign_in(client)
    assert tokens.refresh_token is not None
    world.revoke(tokens.refresh_token, client)
    with world.store.transaction() as uow:
        session = uow.token_sessions.get(hashlib.sha256(tokens.refresh_token.encode()).hexdigest())
    assert session is not None and session.revoked_at == world.clock.now()
    # Kept at least as long as any access token minted from it could live.
    assert session.expires_at >= world.clock.now() + 86400


def test_access_and_id_tokens_are_refused_as_unsupported(world: World) -> None:
    tokens = world.sign_in()
    for token in (tokens.access_token, tokens.id_token):
        with pytest.raises(UnsupportedTokenTypeException):
            world.revoke(token)
    world.verify(tokens.access_token)


def test_revocation_disabled_client(world: World) -> None:
    client = world.add_client(EnableTokenRevocation=False)
    token = world.sign_in(client).refresh_token
    assert token is not None
    with pytest.raises(UnsupportedOperationException):
        world.revoke(token, client)
    world.refresh(token, client)


def test_token_of_another_client_is_not_revoked(world: World) -> None:
    other = world.add_client()
    tokens = world.sign_in()
    assert tokens.refresh_token is not None
    with pytest.raises(UnauthorizedException):
        world.revoke(tokens.refresh_token, other)
    world.refresh(tokens.refresh_token)
    world.verify(tokens.access_token)


def test_client_checks(world: World) -> None:
    with world.store.transaction() as uow, pytest.raises(UnauthorizedException):
        world.tokens.revoke(uow, "nosuchclient", "x", client_secret=None)
    client = world.add_client(secret=SECRET)
    token = world.sign_in(client).refresh_token
    assert token is not None
    with pytest.raises(
        UnauthorizedException,
        match=f"^Client {client.client_id} is configured for secret but secret was not received$",
    ):
        world.revoke(token, client)
    with pytest.raises(UnauthorizedException, match="^Invalid client secret.$"):
        world.revoke(token, client, client_secret="wrong")
    world.refresh(token, client, secret_hash=world.secret_hash(client, "alice"))
    world.revoke(token, client, client_secret=SECRET)
    with pytest.raises(NotAuthorizedException, match="^Refresh Token has been revoked$"):
        world.refresh(token, client, secret_hash=world.secret_hash(client, "alice"))


def test_global_sign_out_revokes_every_session_of_the_user_only(world: World) -> None:
    other_client = world.add_client()
    bob = world.add_user("bob")
    mine = [world.sign_in(), world.sign_in(other_client)]
    bobs = world.sign_in(user=bob)
    world.clock.advance(5)
    world.global_sign_out()
    for tokens in mine:
        with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
            world.verify(tokens.access_token)
        with pytest.raises(NotAuthorizedException, match="^Refresh Token has been revoked$"):
            world.get_tokens(tokens.refresh_token or "", world.client if tokens is mine[0] else other_client)
    world.verify(bobs.access_token)
    world.refresh(bobs.refresh_token or "")
    with world.store.transaction() as uow:
        stored = uow.users.get(world.pool.id, world.user.sub)
    assert stored is not None and stored.settings["tokens_revoked_before"] == world.clock.now()
    # A new sign-in after the sign-out works.
    world.clock.advance(1)
    fresh = world.sign_in()
    world.verify(fresh.access_token)
    world.refresh(fresh.refresh_token or "")


def test_global_sign_out_in_the_same_second_as_sign_in(world: World) -> None:
    before = world.sign_in()
    world.global_sign_out()
    with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
        world.verify(before.access_token)
    after = world.sign_in()
    world.verify(after.access_token)


def test_global_sign_out_refuses_tokens_without_origin_jti(world: World) -> None:
    client = world.add_client(EnableTokenRevocation=False)
    tokens = world.sign_in(client)
    world.clock.advance(0.5)
    world.global_sign_out()
    with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
        world.verify(tokens.access_token)
    with pytest.raises(NotAuthorizedException, match="^Refresh Token has been revoked$"):
        world.refresh(tokens.refresh_token or "", client)
    world.clock.advance(1)
    world.verify(world.sign_in(client).access_token)


def test_a_sign_in_authenticated_before_a_sign_out_gets_no_working_tokens(world: World) -> None:
    """Finding 5: a sign-in whose password step came before AdminDisableUser (or a global
    sign-out) and whose last challenge was answered after the user was enabled again gets tokens
    dated after the sign-out; neither its refresh token nor its access token may work."""
    authenticated_at = world.clock.now()
    world.clock.advance(5)
    world.global_sign_out()
    world.clock.advance(5)
    with world.store.transaction() as uow:
        pending = world.tokens.prepare_sign_in(
            uow, world.pool, world.client, world.user, auth_time=authenticated_at
        )
    late = pending.sign()
    with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
        world.verify(late.access_token)
    with pytest.raises(NotAuthorizedException, match="^Refresh Token has been revoked$"):
        world.refresh(late.refresh_token or "")
    world.verify(world.sign_in().access_token)
