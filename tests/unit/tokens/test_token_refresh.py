"""Refreshing: REFRESH_TOKEN_AUTH through ``refresh`` and GetTokensFromRefreshToken with and
without rotation (tokens.md §8, auth-flows.md §4.3-4.4)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.tokens._support import SECRET, World

from poolgate.errors import (
    CognitoError,
    InvalidParameterException,
    NotAuthorizedException,
    RefreshTokenReuseException,
    ResourceNotFoundException,
)

INVALID = "Invalid Refresh Token."


def _raises(error: type[CognitoError], message: str) -> Any:
    return pytest.raises(error, match="^" + re.escape(message) + "$")


def test_refresh_keeps_the_sign_in_and_mints_new_tokens(world: World) -> None:
    first = world.sign_in()
    assert first.refresh_token is not None
    original_access = world.decode(first.access_token)
    original_id = world.decode(first.id_token, audience=world.client.client_id)
    world.clock.advance(600)
    again = world.refresh(first.refresh_token)
    assert again.refresh_token is None
    assert "RefreshToken" not in again.as_result()
    access = world.decode(again.access_token)
    id_claims = world.decode(again.id_token, audience=world.client.client_id)
    for claims, original in ((access, original_access), (id_claims, original_id)):
        assert claims["origin_jti"] == original["origin_jti"]
        assert claims["event_id"] == original["event_id"]
        assert claims["auth_time"] == original["auth_time"]
        assert claims["jti"] != original["jti"]
        assert claims["iat"] == original["iat"] + 600
        assert claims["exp"] == original["exp"] + 600
    world.verify(again.access_token)


def test_refreshed_tokens_see_current_attributes_and_groups(world: World) -> None:
    tokens = world.sign_in()
    assert tokens.refresh_token is not None
    world.add_group("late", precedence=1)
    refreshed = world.refresh(tokens.refresh_token)
    assert world.decode(refreshed.access_token)["cognito:groups"] == ["late"]


def test_unknown_and_garbage_tokens(world: World) -> None:
    for token in ("nope", "a.b.c.d.e", world.sign_in().access_token):
        with _raises(NotAuthorizedException, INVALID):
            world.refresh(token)


def test_token_of_another_client(world: World) -> None:
    other = world.add_client()
    token = world.sign_in(other).refresh_token
    assert token is not None
    with _raises(NotAuthorizedException, INVALID):
        world.refresh(token)
    with _raises(NotAuthorizedException, INVALID):
        world.get_tokens(token)


def test_expired_token(world: World) -> None:
    token = world.sign_in().refresh_token
    assert token is not None
    world.clock.advance(30 * 86400)
    with _raises(NotAuthorizedException, INVALID):
        world.refresh(token)
    with _raises(NotAuthorizedException, INVALID):
        world.get_tokens(token)


def test_revoked_token(world: World) -> None:
    token = world.sign_in().refresh_token
    assert token is not None
    world.revoke(token)
    with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
        world.refresh(token)
    with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
        world.get_tokens(token)


def test_user_deleted_or_disabled(world: World) -> None:
    bob = world.add_user("bob")
    token = world.sign_in(user=bob).refresh_token
    assert token is not None
    world.set_enabled(bob, False)
    with _raises(NotAuthorizedException, "User is disabled."):
        world.refresh(token)
    with _raises(NotAuthorizedException, "User is disabled."):
        world.get_tokens(token)
    world.set_enabled(bob, True)
    world.refresh(token)
    carol = world.add_user("carol")
    token = world.sign_in(user=carol).refresh_token
    assert token is not None
    world.delete_user(carol)
    with _raises(NotAuthorizedException, INVALID):
        world.refresh(token)


def test_secret_hash_uses_the_internal_username(world: World) -> None:
    client = world.add_client(secret=SECRET)
    bob = world.add_user("7d3f-internal-id", {"email": "bob@example.com"})
    token = world.sign_in(client, bob).refresh_token
    assert token is not None
    good = world.secret_hash(client, "7d3f-internal-id")
    world.refresh(token, client, secret_hash=good)
    with _raises(
        NotAuthorizedException,
        f"Client {client.client_id} is configured with secret but SECRET_HASH was not received",
    ):
        world.refresh(token, client)
    with _raises(NotAuthorizedException, f"SecretHash does not match for the client: {client.client_id}"):
        world.refresh(token, client, secret_hash=world.secret_hash(client, "bob@example.com"))
    # The missing-hash error comes before any look-up of the token.
    with _raises(
        NotAuthorizedException,
        f"Client {client.client_id} is configured with secret but SECRET_HASH was not received",
    ):
        world.refresh("garbage", client)


def test_device_bound_token_needs_its_device_key(world: World) -> None:
    device = "us-east-1_0f0f0f0f-1111-2222-3333-444455556666"
    token = world.sign_in(device_key=device).refresh_token
    assert token is not None
    for wrong in (None, "us-east-1_other"):
        with _raises(NotAuthorizedException, INVALID):
            world.refresh(token, device_key=wrong)
    refreshed = world.refresh(token, device_key=device)
    assert world.decode(refreshed.access_token)["device_key"] == device
    assert world.get_tokens(token, device_key=device).access_token


def test_refresh_token_auth_is_refused_on_rotating_clients(world: World) -> None:
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10})
    token = world.sign_in(client).refresh_token
    assert token is not None
    with _raises(InvalidParameterException, "REFRESH_TOKEN_AUTH flow not enabled for this client"):
        world.refresh(token, client)


def test_get_tokens_without_rotation(world: World) -> None:
    token = world.sign_in().refresh_token
    assert token is not None
    first = world.get_tokens(token)
    second = world.get_tokens(token)
    assert first.refresh_token is None and second.refresh_token is None
    assert world.decode(first.access_token)["origin_jti"] == world.decode(second.access_token)["origin_jti"]


def test_get_tokens_client_checks(world: World) -> None:
    with (
        _raises(ResourceNotFoundException, "User pool client nosuchclient does not exist."),
        world.store.transaction() as uow,
    ):
        world.tokens.get_tokens_from_refresh_token(
            uow, "nosuchclient", "x", client_secret=None, device_key=None
        )
    client = world.add_client(secret=SECRET)
    token = world.sign_in(client).refresh_token
    assert token is not None
    with _raises(
        NotAuthorizedException,
        f"Client {client.client_id} is configured for secret but secret was not received",
    ):
        world.get_tokens(token, client)
    with _raises(NotAuthorizedException, "Invalid client secret."):
        world.get_tokens(token, client, client_secret=SECRET + "x")
    assert world.get_tokens(token, client, client_secret=SECRET).access_token
    # A secret sent to a client without one is ignored.
    plain = world.sign_in().refresh_token
    assert plain is not None
    world.get_tokens(plain, client_secret="whatever")


def test_rotation_issues_a_new_token_and_the_old_one_has_a_grace_period(world: World) -> None:
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 30})
    signed_in = world.sign_in(client)
    old = signed_in.refresh_token
    assert old is not None
    origin = world.decode(signed_in.access_token)["origin_jti"]
    auth_time = world.decode(signed_in.access_token)["auth_time"]

    world.clock.advance(100)
    rotated = world.get_tokens(old, client)
    new = rotated.refresh_token
    assert new is not None and new != old
    assert rotated.as_result()["RefreshToken"] == new
    claims = world.decode(rotated.access_token)
    assert claims["origin_jti"] == origin and claims["auth_time"] == auth_time

    # Within the grace period the old token still works (a retry), and gets yet another token.
    world.clock.advance(29)
    retry = world.get_tokens(old, client)
    assert retry.refresh_token not in (None, old, new)

    # Until it ends, the new token works as well.
    newer = world.get_tokens(new, client)
    assert newer.refresh_token is not None
    world.verify(newer.access_token)

    # After it, using the old token is reuse.
    world.clock.advance(1)
    with _raises(RefreshTokenReuseException, "Refresh Token has been reused"):
        world.get_tokens(old, client)


def test_reuse_after_the_grace_period_revokes_the_whole_sign_in(world: World) -> None:
    """Finding 9: a rotated-out token used after its grace period means two parties hold the
    sign-in's tokens; Poolgate revokes all of them, the newest included (AWS does not say)."""
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10})
    old = world.sign_in(client).refresh_token
    other = world.sign_in(client)  # another sign-in of the same user
    assert old is not None and other.refresh_token is not None
    rotated = world.get_tokens(old, client)
    assert rotated.refresh_token is not None
    newest = world.get_tokens(rotated.refresh_token, client)
    assert newest.refresh_token is not None
    world.verify(newest.access_token)

    world.clock.advance(10)
    with _raises(RefreshTokenReuseException, "Refresh Token has been reused"):
        world.get_tokens(old, client)
    for token in (rotated.refresh_token, newest.refresh_token, old):
        with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
            world.get_tokens(token, client)
    for access in (rotated.access_token, newest.access_token):
        with _raises(NotAuthorizedException, "Access Token has been revoked"):
            world.verify(access)
    # The user's other sign-in is a different family and keeps working.
    assert world.get_tokens(other.refresh_token, client).refresh_token is not None
    world.verify(other.access_token)


def test_reuse_of_a_token_replaced_inside_the_grace_period_revokes_the_sign_in(world: World) -> None:
    """The middle token of a chain, replaced twice (a retry in its grace period), is also reuse
    once that period is over; revoking it ends the successors issued to both uses."""
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 5})
    old = world.sign_in(client).refresh_token
    assert old is not None
    first = world.get_tokens(old, client).refresh_token
    retry = world.get_tokens(old, client).refresh_token
    assert first is not None and retry is not None
    world.clock.advance(5)
    with _raises(RefreshTokenReuseException, "Refresh Token has been reused"):
        world.get_tokens(old, client)
    for token in (first, retry):
        with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
            world.get_tokens(token, client)


def test_refresh_token_auth_with_a_rotated_out_token_revokes_the_sign_in(world: World) -> None:
    """A client that rotated tokens and then turned rotation off (so REFRESH_TOKEN_AUTH works
    again): a rotated-out token sent to InitiateAuth is reuse too. InitiateAuth's error list
    has no RefreshTokenReuseException, so the answer is NotAuthorizedException; the sign-in is
    revoked all the same."""
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    old = world.sign_in(client).refresh_token
    assert old is not None
    rotated = world.get_tokens(old, client)
    assert rotated.refresh_token is not None
    config = dict(client.config)
    config["RefreshTokenRotation"] = {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
    client = replace(client, config=config)
    with world.store.transaction() as uow:
        uow.clients.update(client)
    world.refresh(rotated.refresh_token, client)
    with _raises(NotAuthorizedException, "Refresh Token has been reused"):
        world.refresh(old, client)
    with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
        world.refresh(rotated.refresh_token, client)
    with _raises(NotAuthorizedException, "Access Token has been revoked"):
        world.verify(rotated.access_token)


def test_rotation_with_zero_grace_invalidates_immediately(world: World) -> None:
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    old = world.sign_in(client).refresh_token
    assert old is not None
    new = world.get_tokens(old, client).refresh_token
    assert new is not None
    with _raises(RefreshTokenReuseException, "Refresh Token has been reused"):
        world.get_tokens(old, client)


def test_rotation_keeps_the_original_expiry(world: World) -> None:
    """Finding 9: a rotated refresh token gets only the original's remaining lifetime
    [docs: Developer Guide "Refresh tokens", "Refresh token rotation"]. A 60-minute token
    rotated every 50 minutes used to keep renewing past 300 minutes."""
    client = world.add_client(
        RefreshTokenRotation={"Feature": "ENABLED"},
        RefreshTokenValidity=60,
        TokenValidityUnits={"RefreshToken": "minutes"},
    )
    token = world.sign_in(client).refresh_token
    renewed_at: list[int] = []
    for minute in range(50, 301, 50):
        world.clock.advance(50 * 60)
        assert token is not None
        try:
            token = world.get_tokens(token, client).refresh_token
        except NotAuthorizedException as exc:
            assert str(exc) == INVALID
            break
        renewed_at.append(minute)
    assert renewed_at == [50]

    # Every token of the chain expires when the first one does, to the second.
    token = world.sign_in(client).refresh_token
    for _ in range(5):
        world.clock.advance(11 * 60)
        assert token is not None
        token = world.get_tokens(token, client).refresh_token
    assert token is not None
    world.clock.advance(5 * 60 - 1)
    token = world.get_tokens(token, client).refresh_token
    assert token is not None
    world.clock.advance(1)
    with _raises(NotAuthorizedException, INVALID):
        world.get_tokens(token, client)


def test_revoking_any_token_of_a_rotation_chain_revokes_the_chain(world: World) -> None:
    client = world.add_client(RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60})
    signed_in = world.sign_in(client)
    old = signed_in.refresh_token
    assert old is not None
    rotated = world.get_tokens(old, client)
    assert rotated.refresh_token is not None
    world.revoke(old, client)
    with _raises(NotAuthorizedException, "Refresh Token has been revoked"):
        world.get_tokens(rotated.refresh_token, client)
    with _raises(NotAuthorizedException, "Access Token has been revoked"):
        world.verify(rotated.access_token)
