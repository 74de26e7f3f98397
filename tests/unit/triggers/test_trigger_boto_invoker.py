"""The boto3 invoker against ``tests.triggers_support.LambdaEndpoint`` (a loopback Lambda Invoke API)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.triggers_support import FunctionFailure, LambdaEndpoint, fail, lambda_arn, respond, sequence
from tests.unit.triggers._support import CALLER, make_pool

from poolgate.config import Settings
from poolgate.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from poolgate.triggers.api import PreSignUpResult
from poolgate.triggers.boto_invoker import BotoLambdaInvoker, error_message
from poolgate.triggers.build import build_triggers
from poolgate.triggers.runner import TriggerRunner

POOL = make_pool(
    {"PreSignUp": lambda_arn("presignup"), "PostConfirmation": lambda_arn("confirmed", account="1")}
)


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # No credentials anywhere, so the invoker falls back to dummy ones, and no real endpoint.
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_LAMBDA",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    caplog.set_level(logging.ERROR, "poolgate.triggers")


@pytest.fixture
def fake() -> Iterator[LambdaEndpoint]:
    with LambdaEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def runner(fake: LambdaEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[TriggerRunner]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", fake.url)
    built = TriggerRunner(BotoLambdaInvoker(region="us-east-1"), timeout=2.0, attempts=3)
    yield built
    built.close()


def sign_up(runner: TriggerRunner, pool: object = POOL) -> PreSignUpResult:
    return runner.pre_sign_up(
        pool,  # type: ignore[arg-type]
        source="SignUp",
        username="alice",
        attributes={"email": "a@example.com"},
        validation_data={"v": "1"},
        client_metadata=None,
        caller=CALLER,
    )


def test_round_trip_through_aws_endpoint_url_lambda(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", respond(autoConfirmUser=True, autoVerifyEmail=True))
    assert sign_up(runner) == PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    [invocation] = fake.invocations("presignup")
    assert invocation.invocation_type == "RequestResponse"
    assert invocation.event["triggerSource"] == "PreSignUp_SignUp"
    assert invocation.event["request"]["validationData"] == {"v": "1"}


def test_qualifier_is_part_of_the_function_name(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    pool = make_pool({"PreSignUp": lambda_arn("presignup") + ":live"})
    sign_up(runner, pool)
    assert fake.invocations("presignup")[0].qualifier == "live"


def test_function_error(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", fail("Email domain not allowed"))
    with pytest.raises(UserLambdaValidationException) as caught:
        sign_up(runner)
    assert caught.value.message == "PreSignUp failed with error Email domain not allowed."
    assert len(fake.invocations("presignup")) == 1


def test_function_error_without_message() -> None:
    assert error_message(b'{"errorType": "KeyError"}') == "KeyError"
    assert error_message(b"Runtime exited") == "Runtime exited"
    assert error_message(b'{"errorMessage": "x", "errorType": "E"}') == "x"


def test_5xx_is_retried(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", sequence("status:503", "status:500", respond(autoConfirmUser=True)))
    assert sign_up(runner).auto_confirm
    assert len(fake.invocations("presignup")) == 3


def test_5xx_every_time(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", "status:500")
    with pytest.raises(UnexpectedLambdaException) as caught:
        sign_up(runner)
    assert caught.value.message == "PreSignUp invocation failed due to error ServiceException."
    assert len(fake.invocations("presignup")) == 3


def test_throttling_is_retried(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", sequence("status:429", respond()))
    sign_up(runner)
    assert len(fake.invocations("presignup")) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(404, "ResourceNotFoundException"), (403, "AccessDeniedException")]
)
def test_refusals_are_not_retried(
    fake: LambdaEndpoint, runner: TriggerRunner, status: int, code: str
) -> None:
    fake.set("presignup", f"status:{status}")
    with pytest.raises(UnexpectedLambdaException) as caught:
        sign_up(runner)
    assert caught.value.message == f"PreSignUp invocation failed due to error {code}."
    assert len(fake.invocations("presignup")) == 1


def test_unparseable_output(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", b"this is not json")
    with pytest.raises(InvalidLambdaResponseException):
        sign_up(runner)


def test_sleep_past_the_deadline(fake: LambdaEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", fake.url)
    fake.set("presignup", sequence("sleep:1", respond(autoConfirmUser=True)))
    runner = TriggerRunner(BotoLambdaInvoker(region="us-east-1"), timeout=0.3, attempts=3)
    try:
        assert sign_up(runner).auto_confirm  # the second attempt answers in time
        fake.set("presignup", "sleep:1")
        fake.clear()
        with pytest.raises(UnexpectedLambdaException) as caught:
            sign_up(runner)
    finally:
        runner.close()
    assert caught.value.message == (
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )
    assert len(fake.invocations("presignup")) == 3


def test_per_function_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    with LambdaEndpoint() as first, LambdaEndpoint() as second:
        first.set("presignup", respond(autoConfirmUser=True))
        # No AWS_ENDPOINT_URL_LAMBDA: only the endpoint map reaches the fakes.
        settings = Settings(lambda_endpoints={"presignup": first.url, "confirmed": second.url})
        runner = build_triggers(settings)
        try:
            assert sign_up(runner).auto_confirm
            from tests.unit.triggers._support import make_user

            runner.post_confirmation(
                POOL, source="ConfirmSignUp", user=make_user(), client_metadata=None, caller=CALLER
            )
        finally:
            runner.close()
        assert [i.function for i in first.invocations()] == ["presignup"]
        assert [i.function for i in second.invocations()] == ["confirmed"]
        assert second.events()[0]["triggerSource"] == "PostConfirmation_ConfirmSignUp"


def test_connection_refused_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runner = build_triggers(
        Settings(lambda_endpoints={"presignup": f"http://127.0.0.1:{port}"}, lambda_attempts=2)
    )
    try:
        with pytest.raises(UnexpectedLambdaException) as caught:
            sign_up(runner)
    finally:
        runner.close()
    assert caught.value.message.startswith(
        "PreSignUp invocation failed due to error Unable to reach Lambda function"
    )


def test_overhead_per_call(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", respond(autoConfirmUser=True))
    sign_up(runner)  # the first call makes the client
    count = 50
    started = time.perf_counter()
    for _ in range(count):
        sign_up(runner)
    per_call = (time.perf_counter() - started) / count
    print(f"\nHTTP (boto3 -> LambdaEndpoint) trigger call: {per_call * 1000:.2f} ms per call")


def test_function_failure_type_is_reported(fake: LambdaEndpoint, runner: TriggerRunner) -> None:
    fake.set("presignup", lambda event: FunctionFailure("bad input", "ValidationError"))
    with pytest.raises(UserLambdaValidationException, match="bad input"):
        sign_up(runner)
