"""WebhookSender against a loopback HTTP server: payload, non-2xx answers, redirects, timeouts."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from tests.unit.delivery._support import FakeHttp, Recorded, Reply, free_port, make_message

from poolgate.config import ConfigError
from poolgate.delivery.webhook import WebhookSender
from poolgate.errors import CodeDeliveryFailureException

SMS = {"channel": "SMS", "destination": "+15555550100", "subject": None}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables; loopback tests must not go through one.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _answer(status: int) -> Callable[[Recorded], Reply]:
    def reply(_request: Recorded) -> Reply:
        return status, "text/plain", b"answer"

    return reply


def test_posts_the_message_as_json(fake_http: FakeHttp) -> None:
    WebhookSender(fake_http.url + "/sms?token=abc").send(make_message(**SMS))
    [request] = fake_http.requests
    assert request.path == "/sms?token=abc"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "userPoolId": "us-east-1_Example1",
        "username": "alice",
        "channel": "SMS",
        "destination": "+15555550100",
        "purpose": "SIGN_UP",
        "message": "Your confirmation code is 123456",
        "subject": None,
    }


@pytest.mark.parametrize("status", [200, 202, 204])
def test_any_2xx_is_success(fake_http: FakeHttp, status: int) -> None:
    fake_http.reply = _answer(status)
    WebhookSender(fake_http.url).send(make_message(**SMS))


@pytest.mark.parametrize("status", [500, 404, 302])
def test_non_2xx_is_a_delivery_failure(fake_http: FakeHttp, status: int) -> None:
    fake_http.reply = _answer(status)
    with pytest.raises(CodeDeliveryFailureException, match=f"answered HTTP {status}"):
        WebhookSender(fake_http.url).send(make_message(**SMS))
    # A redirect is not followed, so the message is posted exactly once.
    assert len(fake_http.requests) == 1


def test_unreachable_webhook_is_a_delivery_failure() -> None:
    sender = WebhookSender(f"http://127.0.0.1:{free_port()}/sms")
    with pytest.raises(CodeDeliveryFailureException, match="could not be reached"):
        sender.send(make_message(**SMS))


def test_slow_webhook_times_out(fake_http: FakeHttp) -> None:
    release = threading.Event()

    def slow(_request: Recorded) -> Reply:
        release.wait(5)
        return 200, "text/plain", b"late"

    fake_http.reply = slow
    try:
        with pytest.raises(CodeDeliveryFailureException, match="did not answer in time"):
            WebhookSender(fake_http.url, timeout=0.2).send(make_message(**SMS))
    finally:
        release.set()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/sms", "http://"])
def test_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="POOLGATE_SMS_WEBHOOK_URL"):
        WebhookSender(url)
