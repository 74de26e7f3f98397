"""The four handlers: request members in, response shape out (auth-flows.md section 1)."""

from __future__ import annotations

from typing import Any

from tests.unit.auth._support import PASSWORD, World

from poolgate.operations import auth as operations
from poolgate.operations.registry import OperationContext, handler_for
from poolgate.users.model import UserStatus

TEMP = "Temp0rary!x"


def _ctx(world: World) -> OperationContext:
    return OperationContext("test", "req-1", services=world)  # type: ignore[arg-type]


def test_handlers_are_registered() -> None:
    for name, fn in (
        ("InitiateAuth", operations.initiate_auth),
        ("AdminInitiateAuth", operations.admin_initiate_auth),
        ("RespondToAuthChallenge", operations.respond_to_auth_challenge),
        ("AdminRespondToAuthChallenge", operations.admin_respond_to_auth_challenge),
    ):
        assert handler_for(name) is fn


def test_tokens_response(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "ana")
    params: dict[str, Any] = {
        "ClientId": client.client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "ana", "PASSWORD": PASSWORD},
        "ClientMetadata": {"k": "v"},
        "UserContextData": {"IpAddress": "192.0.2.1"},
        "AnalyticsMetadata": {"AnalyticsEndpointId": "e"},
    }
    response = operations.initiate_auth(_ctx(world), params)
    assert response is not None
    assert set(response) == {"ChallengeParameters", "AuthenticationResult"}
    assert response["ChallengeParameters"] == {}
    result = response["AuthenticationResult"]
    assert result["IdToken"] == f"id:{user.sub}" and result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600 and "RefreshToken" in result


def test_challenge_response_and_admin_answer(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "bo", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    first = operations.admin_initiate_auth(
        _ctx(world),
        {
            "UserPoolId": pool.id,
            "ClientId": client.client_id,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "bo", "PASSWORD": TEMP},
            "ContextData": {
                "IpAddress": "192.0.2.1",
                "ServerName": "s",
                "ServerPath": "/",
                "HttpHeaders": [],
            },
        },
    )
    assert first is not None
    assert set(first) == {"ChallengeName", "Session", "ChallengeParameters"}
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = operations.admin_respond_to_auth_challenge(
        _ctx(world),
        {
            "UserPoolId": pool.id,
            "ClientId": client.client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": first["Session"],
            "ChallengeResponses": {"USERNAME": "bo", "NEW_PASSWORD": PASSWORD},
        },
    )
    assert done is not None and "AccessToken" in done["AuthenticationResult"]
