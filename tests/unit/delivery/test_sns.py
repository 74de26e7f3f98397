"""SnsSender against a loopback server speaking the SNS Query protocol, found via AWS_ENDPOINT_URL_SNS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from tests.unit.delivery._support import FakeHttp, Recorded, Reply, free_port, make_message

from poolgate.delivery.sns import SnsSender
from poolgate.errors import CodeDeliveryFailureException

NS = "http://sns.amazonaws.com/doc/2010-03-31/"

PUBLISH_OK = f"""<PublishResponse xmlns="{NS}">
  <PublishResult><MessageId>5b7b4f6a-3a8e-4c0b-9a57-1f0c2f6d9e11</MessageId></PublishResult>
  <ResponseMetadata><RequestId>0f6a1d0e-8d9c-4b7e-bc38-3c1f2f0a4d55</RequestId></ResponseMetadata>
</PublishResponse>""".encode()

INVALID_PARAMETER = f"""<ErrorResponse xmlns="{NS}">
  <Error><Type>Sender</Type><Code>InvalidParameter</Code>
  <Message>Invalid parameter: PhoneNumber Reason: +1555 is not valid to publish to</Message></Error>
  <RequestId>9a3c6c1e-7f1d-4d8e-8f55-2b0f7d6c1a22</RequestId>
</ErrorResponse>""".encode()


def _publish_ok(_request: Recorded) -> Reply:
    return 200, "text/xml", PUBLISH_OK


def _invalid_parameter(_request: Recorded) -> Reply:
    return 400, "text/xml", INVALID_PARAMETER


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Dummy credentials and no shared config, proxies or instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDPOOLGATETEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-for-tests")
    return monkeypatch


@pytest.fixture
def sns(aws_env: pytest.MonkeyPatch, fake_http: FakeHttp) -> Iterator[tuple[SnsSender, FakeHttp]]:
    aws_env.setenv("AWS_ENDPOINT_URL_SNS", fake_http.url)
    fake_http.reply = _publish_ok
    sender = SnsSender(default_region="eu-west-1")
    try:
        yield sender, fake_http
    finally:
        sender.close()


def test_publish_sends_phone_number_message_and_sms_type(sns: tuple[SnsSender, FakeHttp]) -> None:
    sender, server = sns
    sender.send(make_message(channel="SMS", destination="+15555550100", subject=None))
    [request] = server.requests
    form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
    assert form["Action"] == "Publish"
    assert form["PhoneNumber"] == "+15555550100"
    assert form["Message"] == "Your confirmation code is 123456"
    assert form["MessageAttributes.entry.1.Name"] == "AWS.SNS.SMS.SMSType"
    assert form["MessageAttributes.entry.1.Value.DataType"] == "String"
    assert form["MessageAttributes.entry.1.Value.StringValue"] == "Transactional"
    # The request is signed for SNS in the default region, with the environment's key.
    assert "Credential=AKIDPOOLGATETEST/" in request.headers["authorization"]
    assert "/eu-west-1/sns/aws4_request" in request.headers["authorization"]


def test_explicit_region_wins(sns: tuple[SnsSender, FakeHttp]) -> None:
    _, server = sns
    sender = SnsSender("ap-southeast-2", default_region="eu-west-1")
    try:
        sender.send(make_message(channel="SMS", destination="+15555550100"))
    finally:
        sender.close()
    assert "/ap-southeast-2/sns/aws4_request" in server.requests[0].headers["authorization"]


def test_sns_error_is_a_delivery_failure(sns: tuple[SnsSender, FakeHttp]) -> None:
    sender, server = sns
    server.reply = _invalid_parameter
    with pytest.raises(CodeDeliveryFailureException, match="SNS answered InvalidParameter"):
        sender.send(make_message(channel="SMS", destination="+1555"))


def test_unreachable_endpoint_is_a_delivery_failure(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL_SNS", f"http://127.0.0.1:{free_port()}")
    sender = SnsSender()
    try:
        with pytest.raises(CodeDeliveryFailureException, match="SNS could not be reached"):
            sender.send(make_message(channel="SMS", destination="+15555550100"))
    finally:
        sender.close()


def test_missing_credentials_is_a_delivery_failure(aws_env: pytest.MonkeyPatch, fake_http: FakeHttp) -> None:
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    aws_env.setenv("AWS_ENDPOINT_URL_SNS", fake_http.url)
    sender = SnsSender()
    try:
        with pytest.raises(CodeDeliveryFailureException, match="no AWS credentials"):
            sender.send(make_message(channel="SMS", destination="+15555550100"))
    finally:
        sender.close()
    assert fake_http.requests == []


def test_email_messages_are_a_routing_bug() -> None:
    with pytest.raises(ValueError, match="EMAIL"):
        SnsSender().send(make_message())
