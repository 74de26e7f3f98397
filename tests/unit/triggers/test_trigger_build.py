"""Lambda settings, the routing built from them, and the serve flag."""

from __future__ import annotations

import os

import pytest

from poolgate.cli import commands
from poolgate.cli.main import build_parser, load_settings
from poolgate.config import ConfigError, Settings, format_function_map, parse_function_map, settings_from_env
from poolgate.triggers.boto_invoker import BotoLambdaInvoker
from poolgate.triggers.build import build_invoker, build_triggers
from poolgate.triggers.inprocess import InProcessInvoker


def test_defaults() -> None:
    settings = settings_from_env({})
    assert settings.lambda_handlers == {}
    assert settings.lambda_endpoints == {}
    assert settings.lambda_timeout_seconds == 5.0
    assert settings.lambda_attempts == 3
    assert settings.lambda_threads == 8


def test_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "POOLGATE_LAMBDA_HANDLERS": "pre=tests.trigger_handlers:echo, post = app.hooks:on_post\n",
            "POOLGATE_LAMBDA_ENDPOINTS": "pre=http://127.0.0.1:3001/,ext=https://lambda.example",
            "POOLGATE_LAMBDA_TIMEOUT_SECONDS": "0.5",
            "POOLGATE_LAMBDA_ATTEMPTS": "1",
            "POOLGATE_LAMBDA_THREADS": "2",
        }
    )
    assert settings.lambda_handlers == {"pre": "tests.trigger_handlers:echo", "post": "app.hooks:on_post"}
    assert settings.lambda_endpoints == {"pre": "http://127.0.0.1:3001", "ext": "https://lambda.example"}
    assert (settings.lambda_timeout_seconds, settings.lambda_attempts, settings.lambda_threads) == (0.5, 1, 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LAMBDA_HANDLERS", "pre"),
        ("LAMBDA_HANDLERS", "pre=module_only"),
        ("LAMBDA_HANDLERS", "pre=a:b:c"),
        ("LAMBDA_HANDLERS", "=a:b"),
        ("LAMBDA_ENDPOINTS", "pre=127.0.0.1:3001"),
        ("LAMBDA_TIMEOUT_SECONDS", "0"),
        ("LAMBDA_TIMEOUT_SECONDS", "soon"),
        ("LAMBDA_ATTEMPTS", "0"),
        ("LAMBDA_ATTEMPTS", "1.5"),
        ("LAMBDA_THREADS", "-1"),
    ],
)
def test_bad_values(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"POOLGATE_{name}"):
        settings_from_env({f"POOLGATE_{name}": value})


def test_map_round_trip() -> None:
    functions = {"a": "m.n:f", "b": "pkg:g"}
    assert parse_function_map(format_function_map(functions), "X", kind="handler") == functions


def test_routing() -> None:
    settings = Settings(
        lambda_handlers={"inproc": "tests.trigger_handlers:echo", "both": "tests.trigger_handlers:echo"},
        lambda_endpoints={
            "both": "http://127.0.0.1:1",
            "http1": "http://127.0.0.1:1",
            "http2": "http://127.0.0.1:1",
            "other": "http://127.0.0.1:2",
        },
    )
    router = build_invoker(settings)
    try:
        assert isinstance(router.route("inproc"), InProcessInvoker)
        assert router.route("inproc:live") is router.route("inproc")
        assert isinstance(router.route("both"), InProcessInvoker)  # handlers win over endpoints
        http1 = router.route("http1")
        assert isinstance(http1, BotoLambdaInvoker) and http1.endpoint_url == "http://127.0.0.1:1"
        assert router.route("http2") is http1  # one client per endpoint
        other = router.route("other")
        assert isinstance(other, BotoLambdaInvoker) and other.endpoint_url == "http://127.0.0.1:2"
        default = router.route("anything-else")
        assert isinstance(default, BotoLambdaInvoker) and default.endpoint_url is None
    finally:
        router.close()


def test_build_triggers_uses_the_settings() -> None:
    runner = build_triggers(Settings(lambda_timeout_seconds=1.5, lambda_attempts=4, region="eu-north-1"))
    try:
        assert (runner.timeout, runner.attempts, runner.region) == (1.5, 4, "eu-north-1")
    finally:
        runner.close()


def test_serve_flag_adds_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOLGATE_LAMBDA_HANDLERS", "a=env.module:a,b=env.module:b")
    args = build_parser().parse_args(
        ["serve", "--lambda-handler", "b=flag.module:b", "--lambda-handler", "c=flag.module:c"]
    )
    settings = load_settings(args)
    assert settings.lambda_handlers == {"a": "env.module:a", "b": "flag.module:b", "c": "flag.module:c"}
    bad = build_parser().parse_args(["serve", "--lambda-handler", "nonsense"])
    with pytest.raises(ConfigError, match="--lambda-handler"):
        load_settings(bad)


def test_workers_get_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("POOLGATE_"):
            monkeypatch.delenv(key)
    settings = Settings(
        lambda_handlers={"a": "m:f"},
        lambda_endpoints={"b": "http://127.0.0.1:9"},
        lambda_timeout_seconds=0.25,
        lambda_attempts=2,
        lambda_threads=3,
    )
    # _export_settings writes os.environ; monkeypatch restores every variable it set.
    for key in (
        "POOLGATE_HOST",
        "POOLGATE_REGION",
        "POOLGATE_DATA",
        "POOLGATE_DATABASE_URL",
        "POOLGATE_PUBLIC_URL",
        "POOLGATE_ACCOUNT_ID",
        "POOLGATE_DEV",
        "POOLGATE_TESTING",
        "POOLGATE_LOG_LEVEL",
        "POOLGATE_MAX_BODY_BYTES",
        "POOLGATE_ISSUER_STYLE",
        "POOLGATE_LAMBDA_HANDLERS",
        "POOLGATE_LAMBDA_ENDPOINTS",
        "POOLGATE_LAMBDA_TIMEOUT_SECONDS",
        "POOLGATE_LAMBDA_ATTEMPTS",
        "POOLGATE_LAMBDA_THREADS",
    ):
        monkeypatch.setenv(key, "")
    commands._export_settings(settings)
    again = settings_from_env()
    assert again.lambda_handlers == {"a": "m:f"}
    assert again.lambda_endpoints == {"b": "http://127.0.0.1:9"}
    assert (again.lambda_timeout_seconds, again.lambda_attempts, again.lambda_threads) == (0.25, 2, 3)
