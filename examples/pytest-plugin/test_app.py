"""The Flask app tested end to end with the ``poolgate`` fixture — nothing but the fixture is
imported from Poolgate."""

from __future__ import annotations

from typing import Any

import app as flask_app
import boto3
import pytest

PASSWORD = "Passw0rd!Test"


@pytest.fixture
def api(poolgate: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    test_app = poolgate.create_app(
        username="alice", password=PASSWORD, attributes={"email": "alice@example.com"}
    )
    monkeypatch.setenv("USER_POOL_ID", test_app.pool_id)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", test_app.client_id)
    return test_app


def sign_in(client_id: str, username: str = "alice") -> dict[str, Any]:
    # An unmodified boto3 client: no endpoint_url, the fixture's environment points it at Poolgate.
    cognito = boto3.client("cognito-idp")
    result: dict[str, Any] = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def test_token_opens_the_api(api: Any) -> None:
    tokens = sign_in(api.client_id)
    response = flask_app.app.test_client().get(
        "/me", headers={"Authorization": f"Bearer {tokens['AccessToken']}"}
    )
    assert response.status_code == 200
    assert response.json == {"username": "alice", "email": "alice@example.com"}


def test_expired_token_is_refused(api: Any, poolgate: Any) -> None:
    tokens = sign_in(api.client_id)
    poolgate.advance(3601)  # the server's clock: Cognito now says the token has expired
    response = flask_app.app.test_client().get(
        "/me", headers={"Authorization": f"Bearer {tokens['AccessToken']}"}
    )
    assert response.status_code == 401
    assert response.json == {"error": "Access Token has expired"}


def test_sign_up_code_from_the_outbox(poolgate: Any) -> None:
    test_app = poolgate.create_app(AutoVerifiedAttributes=["email"])
    cognito = boto3.client("cognito-idp")
    cognito.sign_up(
        ClientId=test_app.client_id,
        Username="bob",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
    )
    code = poolgate.codes("bob")[-1]
    cognito.confirm_sign_up(ClientId=test_app.client_id, Username="bob", ConfirmationCode=code)
    assert sign_in(test_app.client_id, "bob")["TokenType"] == "Bearer"


def test_trigger_registered_from_the_test(poolgate: Any) -> None:
    seen: list[dict[str, Any]] = []

    def pre_sign_up(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        event["response"]["autoConfirmUser"] = True
        return event

    arn = poolgate.register_trigger("auto-confirm", pre_sign_up)
    test_app = poolgate.create_app(LambdaConfig={"PreSignUp": arn})
    cognito = boto3.client("cognito-idp")
    result = cognito.sign_up(ClientId=test_app.client_id, Username="carol", Password=PASSWORD)
    assert result["UserConfirmed"] is True
    assert seen[0]["triggerSource"] == "PreSignUp_SignUp"
    assert sign_in(test_app.client_id, "carol")["TokenType"] == "Bearer"
