"""Sample pools, users and groups, and a scripted invoker, for the trigger tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.triggers_support import lambda_arn

from poolgate.pools.model import UserPool
from poolgate.triggers.api import Caller
from poolgate.users.model import Group, User, UserStatus

POOL_ID = "eu-west-2_Trig9ers1"
CALLER = Caller(client_id="client123", sdk="boto3-1.44.8")

ALL_TRIGGERS = (
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "PreTokenGeneration",
    "UserMigration",
    "CustomMessage",
)


def make_pool(lambda_config: Mapping[str, Any] | None = None, **config: Any) -> UserPool:
    """A pool whose LambdaConfig names the function ``<trigger lower-cased>`` for every trigger
    (unless ``lambda_config`` is given)."""
    if lambda_config is None:
        lambda_config = {
            t: lambda_arn(t.lower(), region="eu-west-2", account="123456789012") for t in ALL_TRIGGERS
        }
    return UserPool(POOL_ID, "triggers", 1.0, 1.0, {"LambdaConfig": dict(lambda_config), **config})


def make_user(**attributes: str) -> User:
    values = {
        "sub": "0b6e2c4e-1111-4222-8333-444455556666",
        "email": "alice@example.com",
        "email_verified": "true",
    }
    values.update(attributes)
    return User(
        user_pool_id=POOL_ID,
        username="alice",
        sub=values["sub"],
        status=UserStatus.CONFIRMED,
        enabled=True,
        attributes=values,
        created_at=1.0,
        updated_at=1.0,
    )


def make_group(name: str, precedence: int | None = None, role: str | None = None) -> Group:
    return Group(POOL_ID, name, 1.0, 1.0, precedence=precedence, role_arn=role)


Reply = Callable[[dict[str, Any]], Any] | BaseException


@dataclass
class ScriptedInvoker:
    """A LambdaInvoker that answers from a script: each reply is an exception to raise or a
    function ``event -> result`` (JSON-encoded unless it returns bytes); the last one repeats."""

    replies: list[Reply] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    closed: bool = False

    def invoke(self, function: str, payload: bytes, timeout: float) -> bytes:
        event = json.loads(payload)
        self.calls.append((function, event, timeout))
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1] if self.replies else (lambda e: e)
        if isinstance(reply, BaseException):
            raise reply
        result = reply(event)
        return result if isinstance(result, bytes) else json.dumps(result).encode()

    def close(self) -> None:
        self.closed = True


def with_response(**response: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A reply returning the event with these ``response`` members."""
    return lambda event: {**event, "response": {**(event["response"] or {}), **response}}
