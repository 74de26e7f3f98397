"""The in-process invoker: the context object, errors, abandoned calls, loading handlers."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests import trigger_handlers
from tests.unit.triggers._support import CALLER, make_pool, make_user

from poolgate.errors import UnexpectedLambdaException, UserLambdaValidationException
from poolgate.triggers.inprocess import InProcessInvoker, LambdaContext, load_handler
from poolgate.triggers.invokers import FunctionError, ResponseError, TransientError, UnavailableError
from poolgate.triggers.runner import TriggerRunner

EVENT = json.dumps(
    {"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {}}, "response": {}}
).encode()


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, "poolgate.triggers")


@pytest.fixture
def contexts() -> list[Any]:
    return []


@pytest.fixture
def invoker(contexts: list[Any]) -> Iterator[InProcessInvoker]:
    def remember(event: dict[str, Any], context: Any) -> dict[str, Any]:
        contexts.append((context, context.get_remaining_time_in_millis()))
        return event

    def unserialisable(event: dict[str, Any], context: Any) -> Any:
        return {"response": {1, 2}}

    built = InProcessInvoker(
        {
            "remember": remember,
            "unserialisable": unserialisable,
            "echo": "tests.trigger_handlers:echo",
            "boom": "tests.trigger_handlers:boom",
            "sleepy": "tests.trigger_handlers:sleepy",
            "autoconfirm": "tests.trigger_handlers:pre_sign_up_auto_confirm",
            "missing": "tests.no_such_module:handler",
        },
        threads=4,
        region="eu-west-2",
        account_id="123456789012",
    )
    yield built
    built.close()


def test_context_object(invoker: InProcessInvoker, contexts: list[Any]) -> None:
    assert json.loads(invoker.invoke("remember:live", EVENT, 2.0)) == json.loads(EVENT)
    context, remaining = contexts[0]
    assert isinstance(context, LambdaContext)
    assert context.function_name == "remember"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-2:123456789012:function:remember:live"
    assert context.memory_limit_in_mb == "128"
    assert len(context.aws_request_id) == 36
    assert context.log_group_name == "/aws/lambda/remember"
    assert "/[$LATEST]" in context.log_stream_name
    assert 0 < remaining <= 2000
    invoker.invoke("remember", EVENT, 2.0)
    assert contexts[1][0].invoked_function_arn.endswith(":function:remember")
    assert contexts[1][0].aws_request_id != context.aws_request_id


def test_handlers_by_module_path(invoker: InProcessInvoker) -> None:
    assert json.loads(invoker.invoke("echo", EVENT, 2.0)) == json.loads(EVENT)
    answer = json.loads(invoker.invoke("autoconfirm", EVENT, 2.0))
    assert answer["response"]["autoConfirmUser"] is True
    assert invoker.handles("echo") and invoker.handles("echo:1") and not invoker.handles("other")


def test_exception_is_a_function_error(invoker: InProcessInvoker) -> None:
    with pytest.raises(FunctionError) as caught:
        invoker.invoke("boom", EVENT, 2.0)
    assert caught.value.detail == "rejected PreSignUp_SignUp"


def test_unserialisable_result(invoker: InProcessInvoker) -> None:
    with pytest.raises(ResponseError):
        invoker.invoke("unserialisable", EVENT, 2.0)


def test_missing_handler_or_module(invoker: InProcessInvoker) -> None:
    for name in ("missing", "nobody"):
        with pytest.raises(UnavailableError) as caught:
            invoker.invoke(name, EVENT, 2.0)
        assert caught.value.detail == "ResourceNotFoundException"


def test_abandoned_call_while_others_complete(invoker: InProcessInvoker) -> None:
    # A sleeper passes its 0.3 s deadline while other calls on the same invoker go on.
    results: dict[str, Any] = {}

    def sleeper() -> None:
        try:
            invoker.invoke("sleepy", EVENT, 0.3)
        except TransientError as exc:
            results["sleepy"] = exc

    thread = threading.Thread(target=sleeper)
    thread.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: invoker.invoke("echo", EVENT, 5.0), range(20)))
    thread.join()
    assert all(json.loads(a) == json.loads(EVENT) for a in answers)
    assert isinstance(results["sleepy"], TransientError)
    assert results["sleepy"].detail == "Socket timeout while invoking Lambda function"
    assert invoker.abandoned == 1


def test_runner_over_the_in_process_invoker(invoker: InProcessInvoker) -> None:
    lambda_config = {
        "PreSignUp": "arn:aws:lambda:eu-west-2:123456789012:function:boom",
        "PostConfirmation": "arn:aws:lambda:eu-west-2:123456789012:function:sleepy",
    }
    runner = TriggerRunner(invoker, timeout=0.3, attempts=2)
    pool = make_pool(lambda_config)
    with pytest.raises(UserLambdaValidationException) as caught:
        runner.pre_sign_up(
            pool,
            source="SignUp",
            username="a",
            attributes={},
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        )
    assert caught.value.message == "PreSignUp failed with error rejected PreSignUp_SignUp."
    with pytest.raises(UnexpectedLambdaException) as timed_out:
        runner.post_confirmation(
            pool, source="ConfirmSignUp", user=make_user(), client_metadata=None, caller=CALLER
        )
    assert timed_out.value.message.endswith(
        "failed due to error Socket timeout while invoking Lambda function."
    )
    assert invoker.abandoned == 2


def test_load_handler() -> None:
    assert load_handler("tests.trigger_handlers:record") is trigger_handlers.record
    with pytest.raises(ValueError):
        load_handler("tests.trigger_handlers")
    with pytest.raises(TypeError):
        load_handler("tests.trigger_handlers:EVENTS_FILE_ENV")


def test_record_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events_file, responses_file = tmp_path / "events.jsonl", tmp_path / "responses.json"
    monkeypatch.setenv(trigger_handlers.EVENTS_FILE_ENV, str(events_file))
    monkeypatch.setenv(trigger_handlers.RESPONSES_FILE_ENV, str(responses_file))
    trigger_handlers.write_responses(
        responses_file,
        {
            "PreSignUp_SignUp": {"autoConfirmUser": True},
            "*": {"__raise__": "not today"},
        },
    )
    invoker = InProcessInvoker({"record": "tests.trigger_handlers:record"})
    try:
        answer = json.loads(invoker.invoke("record", EVENT, 2.0))
        assert answer["response"] == {"autoConfirmUser": True}
        other = json.dumps({"triggerSource": "PreAuthentication_Authentication", "response": {}}).encode()
        with pytest.raises(FunctionError, match="not today"):
            invoker.invoke("record", other, 2.0)
    finally:
        invoker.close()
    recorded = trigger_handlers.read_events(events_file, "record")
    assert [e["triggerSource"] for e in recorded] == ["PreSignUp_SignUp", "PreAuthentication_Authentication"]
    assert trigger_handlers.read_events(events_file, "other") == []


def test_overhead_per_call(invoker: InProcessInvoker) -> None:
    runner = TriggerRunner(invoker)
    pool = make_pool({"PreSignUp": "arn:aws:lambda:eu-west-2:123456789012:function:autoconfirm"})

    def call() -> None:
        runner.pre_sign_up(
            pool,
            source="SignUp",
            username="a",
            attributes={"email": "a@example.com"},
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        )

    call()
    count = 500
    started = time.perf_counter()
    for _ in range(count):
        call()
    per_call = (time.perf_counter() - started) / count
    print(f"\nin-process trigger call: {per_call * 1_000_000:.0f} µs per call")
