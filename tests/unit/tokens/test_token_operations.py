"""The GetTokensFromRefreshToken and RevokeToken handlers, with a stand-in service container."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace

import pytest
from tests.unit.tokens._support import SECRET, World

from poolgate.errors import NotAuthorizedException
from poolgate.operations.registry import OperationContext


def _operations() -> ModuleType:
    # Imported when a test runs, not at collection: importing registers the handlers, and
    # the README test compares the registry with the documented operation list.
    from poolgate.operations import tokens

    return tokens


def _ctx(world: World, name: str) -> OperationContext:
    services = SimpleNamespace(store=world.store, tokens=world.tokens)
    return OperationContext(operation=name, request_id="r", services=services)  # type: ignore[arg-type]


def test_get_tokens_from_refresh_token(world: World) -> None:
    client = world.add_client(secret=SECRET, RefreshTokenRotation={"Feature": "ENABLED"})
    refresh = world.sign_in(client).refresh_token
    result = _operations().get_tokens_from_refresh_token(
        _ctx(world, "GetTokensFromRefreshToken"),
        {"ClientId": client.client_id, "RefreshToken": refresh, "ClientSecret": SECRET},
    )
    assert result is not None
    authentication = result["AuthenticationResult"]
    assert set(authentication) == {"AccessToken", "ExpiresIn", "TokenType", "IdToken", "RefreshToken"}
    world.verify(authentication["AccessToken"])


def test_revoke_token(world: World) -> None:
    tokens = world.sign_in()
    ctx = _ctx(world, "RevokeToken")
    assert (
        _operations().revoke_token(ctx, {"ClientId": world.client.client_id, "Token": tokens.refresh_token})
        == {}
    )
    with pytest.raises(NotAuthorizedException, match="^Access Token has been revoked$"):
        world.verify(tokens.access_token)
