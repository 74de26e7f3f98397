"""The runner with a scripted invoker: routing by LambdaConfig, attempts, error mapping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from tests.triggers_support import lambda_arn
from tests.unit.triggers._support import (
    CALLER,
    ScriptedInvoker,
    make_group,
    make_pool,
    make_user,
    with_response,
)

from poolgate.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from poolgate.pools.model import UserPool
from poolgate.triggers.api import (
    Caller,
    DefineResult,
    MessageOverride,
    MigrationResult,
    PreSignUpResult,
    TokenOverrides,
    Triggers,
)
from poolgate.triggers.invokers import (
    FunctionError,
    FunctionRef,
    ResponseError,
    TransientError,
    UnavailableError,
    function_name,
    function_ref,
)
from poolgate.triggers.runner import LambdaTarget, TriggerRunner, lambda_target

TIMEOUT = "Socket timeout while invoking Lambda function"


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "poolgate.triggers")


def sign_up(runner: TriggerRunner, source: str = "SignUp") -> PreSignUpResult:
    return runner.pre_sign_up(
        make_pool(),
        source=source,
        username="alice",
        attributes={"email": "a@example.com"},
        validation_data=None,
        client_metadata=None,
        caller=CALLER,
    )


def test_is_a_triggers() -> None:
    runner: Triggers = TriggerRunner(ScriptedInvoker())
    assert runner.configured(make_pool(), "PreSignUp")


def test_function_names_from_arns() -> None:
    assert function_ref("arn:aws:lambda:us-east-1:123456789012:function:pre") == FunctionRef("pre")
    assert function_ref("arn:aws:lambda:us-east-1:123456789012:function:pre:live") == FunctionRef(
        "pre", "live"
    )
    assert function_name("arn:aws:lambda:us-east-1:123456789012:function:pre:7") == "pre:7"
    assert function_name("arn:aws:lambda:us-east-1:123456789012:something") == "something"
    assert function_name("just-a-name") == "just-a-name"


def test_lambda_targets() -> None:
    pool = make_pool({"PreSignUp": lambda_arn("a"), "KMSKeyID": "arn:aws:kms:x", "CustomSMSSender": {}})
    assert lambda_target(pool, "PreSignUp") == LambdaTarget(lambda_arn("a"))
    assert lambda_target(pool, "PostConfirmation") is None
    assert lambda_target(pool, "KMSKeyID") is None
    assert lambda_target(pool, "CustomSMSSender") is None  # out of scope
    assert lambda_target(make_pool({}), "PreSignUp") is None
    assert lambda_target(UserPool("us-east-1_x", "n", 1.0, 1.0, {}), "PreSignUp") is None
    legacy = make_pool({"PreTokenGeneration": lambda_arn("old")})
    assert lambda_target(legacy, "PreTokenGeneration") == LambdaTarget(lambda_arn("old"), "V1_0")
    versioned = make_pool(
        {
            "PreTokenGeneration": lambda_arn("v2"),
            "PreTokenGenerationConfig": {"LambdaArn": lambda_arn("v2"), "LambdaVersion": "V2_0"},
        }
    )
    assert lambda_target(versioned, "PreTokenGeneration") == LambdaTarget(lambda_arn("v2"), "V2_0")


def test_unconfigured_triggers_are_neutral() -> None:
    invoker = ScriptedInvoker()
    runner = TriggerRunner(invoker)
    pool = make_pool({})
    user = make_user()
    assert not runner.configured(pool, "PreSignUp")
    assert (
        runner.pre_sign_up(
            pool,
            source="SignUp",
            username="a",
            attributes={},
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        )
        == PreSignUpResult()
    )
    runner.post_confirmation(pool, source="ConfirmSignUp", user=user, client_metadata=None, caller=CALLER)
    runner.pre_authentication(
        pool, username="a", user=user, validation_data=None, user_not_found=False, caller=CALLER
    )
    assert runner.define_auth_challenge(
        pool, username="a", user=user, session=(), client_metadata=None, user_not_found=False, caller=CALLER
    ) == DefineResult(fail_authentication=True)
    assert (
        runner.pre_token_generation(
            pool,
            source="Authentication",
            user=user,
            groups=(),
            scopes=(),
            client_metadata=None,
            caller=CALLER,
        )
        is None
    )
    assert invoker.calls == []


def test_sends_the_event_to_the_function_and_reads_the_response() -> None:
    invoker = ScriptedInvoker([with_response(autoConfirmUser=True, autoVerifyEmail=True)])
    runner = TriggerRunner(invoker, timeout=2.5)
    assert sign_up(runner) == PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    function, event, timeout = invoker.calls[0]
    assert function == "presignup"
    assert timeout == 2.5
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["region"] == "eu-west-2"


def test_admin_create_user_ignores_the_flags() -> None:
    invoker = ScriptedInvoker([with_response(autoConfirmUser=True, autoVerifyEmail=True)])
    assert sign_up(TriggerRunner(invoker), "AdminCreateUser") == PreSignUpResult()


def test_function_error_is_not_retried() -> None:
    invoker = ScriptedInvoker([FunctionError("Email not verified")])
    with pytest.raises(UserLambdaValidationException) as caught:
        sign_up(TriggerRunner(invoker, attempts=3))
    assert caught.value.message == "PreSignUp failed with error Email not verified."
    assert len(invoker.calls) == 1


def test_transient_errors_are_retried_then_succeed() -> None:
    invoker = ScriptedInvoker(
        [TransientError(TIMEOUT), TransientError("ServiceException"), with_response(autoConfirmUser=True)]
    )
    assert sign_up(TriggerRunner(invoker, attempts=3)).auto_confirm
    assert len(invoker.calls) == 3


@pytest.mark.parametrize("attempts", [1, 2, 3, 5])
def test_attempts_exhausted(attempts: int) -> None:
    invoker = ScriptedInvoker([TransientError(TIMEOUT)])
    with pytest.raises(UnexpectedLambdaException) as caught:
        sign_up(TriggerRunner(invoker, attempts=attempts))
    assert (
        caught.value.message
        == "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )
    assert len(invoker.calls) == attempts


def test_the_last_transient_detail_is_reported() -> None:
    invoker = ScriptedInvoker([TransientError(TIMEOUT), TransientError("TooManyRequestsException")])
    pool = make_pool()
    with pytest.raises(UnexpectedLambdaException) as caught:
        TriggerRunner(invoker, attempts=2).post_authentication(
            pool, user=make_user(), new_device_used=None, client_metadata=None, caller=CALLER
        )
    assert (
        caught.value.message == "PostAuthentication invocation failed due to error TooManyRequestsException."
    )


def test_unavailable_is_not_retried() -> None:
    invoker = ScriptedInvoker([UnavailableError("AccessDeniedException")])
    with pytest.raises(UnexpectedLambdaException) as caught:
        sign_up(TriggerRunner(invoker))
    assert caught.value.message == "PreSignUp invocation failed due to error AccessDeniedException."
    assert len(invoker.calls) == 1


@pytest.mark.parametrize(
    "reply",
    [
        ResponseError("not serialisable"),
        lambda e: b"<html>",
        lambda e: None,
        lambda e: [e],
        with_response(autoConfirmUser="yes"),
    ],
)
def test_invalid_output(reply: Any) -> None:
    invoker = ScriptedInvoker([reply])
    with pytest.raises(InvalidLambdaResponseException) as caught:
        sign_up(TriggerRunner(invoker))
    assert caught.value.message == "Invalid lambda function output : Invalid JSON"
    assert len(invoker.calls) == 1


def test_only_response_is_read() -> None:
    # A function that rewrites the request or the envelope changes nothing.
    def tamper(event: dict[str, Any]) -> dict[str, Any]:
        return {"userName": "mallory", "request": {}, "response": {"answerCorrect": True}}

    runner = TriggerRunner(ScriptedInvoker([tamper]))
    assert (
        runner.verify_auth_challenge(
            make_pool(),
            username="alice",
            user=make_user(),
            private_parameters={"a": "1"},
            answer="1",
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        )
        is True
    )


def test_every_trigger_error_names_its_trigger() -> None:
    pool, user = make_pool(), make_user()
    calls: dict[str, Callable[[TriggerRunner], object]] = {
        "PostConfirmation": lambda r: r.post_confirmation(
            pool, source="ConfirmSignUp", user=user, client_metadata=None, caller=CALLER
        ),
        "PreAuthentication": lambda r: r.pre_authentication(
            pool, username="alice", user=user, validation_data=None, user_not_found=False, caller=CALLER
        ),
        "DefineAuthChallenge": lambda r: r.define_auth_challenge(
            pool,
            username="alice",
            user=user,
            session=(),
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        ),
        "CreateAuthChallenge": lambda r: r.create_auth_challenge(
            pool,
            username="alice",
            user=user,
            challenge_name="CUSTOM_CHALLENGE",
            session=(),
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        ),
        "PreTokenGeneration": lambda r: r.pre_token_generation(
            pool,
            source="Authentication",
            user=user,
            groups=(),
            scopes=(),
            client_metadata=None,
            caller=CALLER,
        ),
        "UserMigration": lambda r: r.user_migration(
            pool,
            source="Authentication",
            username="x",
            password="p",
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        ),
        "CustomMessage": lambda r: r.custom_message(
            pool,
            source="SignUp",
            user=user,
            code_parameter="{####}",
            username_parameter=None,
            client_metadata=None,
            caller=CALLER,
        ),
    }
    for trigger, call in calls.items():
        invoker = ScriptedInvoker([FunctionError("no")])
        with pytest.raises(UserLambdaValidationException) as caught:
            call(TriggerRunner(invoker))
        assert caught.value.message == f"{trigger} failed with error no."
        assert invoker.calls[0][0] == trigger.lower()


def test_pre_token_generation_by_version() -> None:
    user = make_user()
    v1 = make_pool({"PreTokenGeneration": lambda_arn("ptg")})
    v2 = make_pool({"PreTokenGenerationConfig": {"LambdaArn": lambda_arn("ptg"), "LambdaVersion": "V2_0"}})
    invoker = ScriptedInvoker(
        [
            with_response(claimsOverrideDetails={"claimsToAddOrOverride": {"tier": "gold"}}),
            with_response(
                claimsAndScopeOverrideDetails={"accessTokenGeneration": {"scopesToAdd": ["api/x"]}}
            ),
        ]
    )
    runner = TriggerRunner(invoker)
    common: dict[str, Any] = {
        "source": "Authentication",
        "user": user,
        "groups": [make_group("g")],
        "scopes": ["openid"],
        "client_metadata": None,
        "caller": CALLER,
    }
    assert runner.pre_token_generation(v1, **common) == TokenOverrides(id_claims_add={"tier": "gold"})
    assert runner.pre_token_generation(v2, **common) == TokenOverrides(scopes_add=("api/x",))
    assert [e["version"] for _, e, _ in invoker.calls] == ["1", "2"]


def test_user_migration_and_custom_message() -> None:
    invoker = ScriptedInvoker(
        [
            with_response(userAttributes={"email": "a@example.com"}, finalUserStatus="CONFIRMED"),
            lambda e: {"response": None},
            with_response(smsMessage="Code {####}"),
        ]
    )
    runner = TriggerRunner(invoker)
    pool = make_pool()
    migrated = runner.user_migration(
        pool,
        source="Authentication",
        username="a@example.com",
        password="pw",
        validation_data=None,
        client_metadata=None,
        caller=CALLER,
    )
    assert migrated == MigrationResult({"email": "a@example.com"}, "CONFIRMED")
    with pytest.raises(Exception, match="Exception migrating user in app client client123"):
        runner.user_migration(
            pool,
            source="ForgotPassword",
            username="a",
            password=None,
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        )
    assert runner.custom_message(
        pool,
        source="ResendCode",
        user=make_user(),
        code_parameter="{####}",
        username_parameter=None,
        client_metadata=None,
        caller=Caller(),
    ) == MessageOverride(sms_message="Code {####}")


def test_arguments_are_checked_and_close_closes_the_invoker() -> None:
    with pytest.raises(ValueError):
        TriggerRunner(ScriptedInvoker(), attempts=0)
    with pytest.raises(ValueError):
        TriggerRunner(ScriptedInvoker(), timeout=0)
    invoker = ScriptedInvoker()
    TriggerRunner(invoker).close()
    assert invoker.closed
