"""The request pipeline without HTTP: a fake front door (Edge) and a registry of one handler.

The HTTP behaviour (status codes, error bodies, budgets) is covered end to end by
tests/conformance/test_wire.py; these tests pin what another front door may rely on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import pytest

from poolgate import errors
from poolgate.protocol import sigv4
from poolgate.protocol.dispatch import Handler, Invocation, Params, Result, check_registry
from poolgate.protocol.pipeline import Pipeline, RequestContext

TARGET = "AWSCognitoIdentityProviderService."


class FakeRegistry:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers

    def names(self) -> Iterable[str]:
        return self.handlers.keys()

    def handler_for(self, name: str) -> Handler | None:
        return self.handlers.get(name)


class FakeEdge:
    """Records the order in which the pipeline calls it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.calls: list[str] = []
        self.charged: list[str] = []

    def check_headers(self, ctx: RequestContext) -> None:
        self.calls.append("check_headers")

    async def read_body(self, ctx: RequestContext) -> bytes:
        self.calls.append("read_body")
        return self.body

    def admit(self, ctx: RequestContext) -> None:
        self.calls.append("admit")

    async def run_blocking(self, stage: Callable[[RequestContext], None], ctx: RequestContext) -> None:
        stage(ctx)

    def signed_request(self, ctx: RequestContext) -> sigv4.SignedRequest:
        self.calls.append("signed_request")
        return sigv4.SignedRequest("POST", "/", "", [], ctx.body)

    def admit_client(self, ctx: RequestContext) -> None:
        self.calls.append("admit_client")

    def admit_attempt(self, ctx: RequestContext) -> str | None:
        self.calls.append("admit_attempt")
        return "192.0.2.1"

    def charge_failure(self, key: str | None, error: errors.CognitoError) -> None:
        self.charged.append(f"{key} {error.code}")


def _get_user(ctx: Invocation, params: Params) -> Result:
    return {"Username": f"{ctx.operation}:{params['AccessToken']}", "UserAttributes": [], "Ignored": 1}


def _run(
    operation: str, params: dict[str, Any], handlers: dict[str, Handler] | None = None
) -> tuple[RequestContext, FakeEdge]:
    edge = FakeEdge(orjson.dumps(params))
    registry = FakeRegistry({"GetUser": _get_user} if handlers is None else handlers)
    pipeline = Pipeline(registry, edge, region="us-east-1", dev=False, lookup_secret=lambda key: None)
    ctx = RequestContext("req-1", {"x-amz-target": TARGET + operation}, "192.0.2.1", None)
    asyncio.run(pipeline.invoke(ctx))
    return ctx, edge


def test_a_request_goes_through_every_stage_in_order() -> None:
    ctx, edge = _run("GetUser", {"AccessToken": "token"})
    assert ctx.status == 200
    assert orjson.loads(ctx.payload) == {"Username": "GetUser:token", "UserAttributes": []}
    assert ctx.response_headers is not None and ctx.response_headers["x-amzn-RequestId"] == "req-1"
    assert ctx.error is None and ctx.operation == "GetUser" and ctx.flow is None
    assert edge.calls == ["check_headers", "read_body", "admit", "admit_client", "admit_attempt"]


def test_an_unknown_target_is_refused_before_the_body_is_read() -> None:
    ctx, edge = _run("NoSuchOperation", {})
    assert ctx.status == 400
    assert isinstance(ctx.error, errors.UnknownOperationException)
    assert ctx.operation == ""
    assert edge.calls == ["check_headers"]


def test_signed_operations_are_checked_before_parsing() -> None:
    ctx, edge = _run("AdminGetUser", {"UserPoolId": "bad"})
    assert isinstance(ctx.error, errors.MissingAuthenticationTokenException)
    assert edge.calls[-1] == "signed_request"


def test_validation_fails_before_dispatch_and_names_the_flow_only_when_valid() -> None:
    ctx, edge = _run("InitiateAuth", {"ClientId": "c", "AuthFlow": "NOT_A_FLOW"})
    assert isinstance(ctx.error, errors.InvalidParameterException)
    assert ctx.flow is None
    assert "admit_attempt" not in edge.calls


def test_an_operation_without_a_handler_is_unsupported() -> None:
    ctx, _ = _run("InitiateAuth", {"ClientId": "c", "AuthFlow": "USER_PASSWORD_AUTH"})
    assert isinstance(ctx.error, errors.UnsupportedOperationException)
    assert ctx.flow == "USER_PASSWORD_AUTH"


def test_a_failed_handler_is_charged_and_mapped() -> None:
    def refuse(ctx: Invocation, params: Params) -> Result:
        raise errors.NotAuthorizedException("Incorrect username or password.")

    ctx, edge = _run("GetUser", {"AccessToken": "token"}, {"GetUser": refuse})
    assert ctx.status == 400
    assert orjson.loads(ctx.payload) == {
        "__type": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
    assert edge.charged == ["192.0.2.1 NotAuthorizedException"]


def test_anything_else_is_an_internal_error() -> None:
    def crash(ctx: Invocation, params: Params) -> Result:
        raise RuntimeError("boom")

    ctx, edge = _run("GetUser", {"AccessToken": "token"}, {"GetUser": crash})
    assert ctx.status == 500
    assert isinstance(ctx.error, errors.InternalErrorException)
    assert edge.charged == []


def test_a_registry_naming_an_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="NoSuchOperation is not an operation"):
        check_registry(FakeRegistry({"NoSuchOperation": _get_user}))
