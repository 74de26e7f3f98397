"""The AWS JSON 1.1 front door, probed with raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from tests.server import ServerProcess

TARGET = "AWSCognitoIdentityProviderService."
JSON = "application/x-amz-json-1.1"


def post(server: ServerProcess, target: str | None, body: bytes, content_type: str = JSON) -> httpx.Response:
    headers = {"content-type": content_type}
    if target is not None:
        headers["x-amz-target"] = TARGET + target if "." not in target else target
    with server.http() as http:
        return http.post("/", content=body, headers=headers)


def assert_aws_error(resp: httpx.Response, code: str, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = orjson.loads(resp.content)
    assert body["__type"] == code
    assert isinstance(body["message"], str)
    assert resp.headers["x-amzn-errortype"] == f"{code}:"
    assert resp.headers["x-amzn-requestid"]
    assert resp.headers["content-type"].startswith(JSON)
    return body  # type: ignore[no-any-return]


def test_malformed_json(server: ServerProcess) -> None:
    assert_aws_error(post(server, "InitiateAuth", b"{not json"), "SerializationException")


def test_non_object_json(server: ServerProcess) -> None:
    assert_aws_error(post(server, "InitiateAuth", b"[1,2]"), "SerializationException")


def test_wrong_member_type(server: ServerProcess) -> None:
    body = orjson.dumps({"ClientId": 5, "AuthFlow": "USER_SRP_AUTH"})
    assert_aws_error(post(server, "InitiateAuth", body), "SerializationException")


def test_wrong_content_type(server: ServerProcess) -> None:
    assert_aws_error(post(server, "InitiateAuth", b"{}", content_type="text/plain"), "SerializationException")


def test_unknown_target(server: ServerProcess) -> None:
    assert_aws_error(post(server, "NoSuchOperation", b"{}"), "UnknownOperationException")
    assert_aws_error(post(server, "Other.InitiateAuth", b"{}"), "UnknownOperationException")
    assert_aws_error(post(server, None, b"{}"), "UnknownOperationException")


def test_oversized_body(server: ServerProcess) -> None:
    body = b'{"ClientId": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert_aws_error(post(server, "InitiateAuth", body), "RequestEntityTooLargeException", 413)


def test_unsigned_admin_call(server: ServerProcess) -> None:
    body = assert_aws_error(
        post(server, "ListUserPools", b'{"MaxResults": 1}'), "MissingAuthenticationTokenException"
    )
    assert body["message"] == "Missing Authentication Token"


def test_public_operation_ignores_bearer_header(server: ServerProcess) -> None:
    with server.http() as http:
        resp = http.post(
            "/",
            content=orjson.dumps({"AccessToken": "abc"}),
            headers={"content-type": JSON, "x-amz-target": TARGET + "GetUser", "authorization": "Bearer abc"},
        )
    # GetUser is public: whatever it answers, it is not a signature error and not a 5xx.
    assert resp.status_code == 400
    assert orjson.loads(resp.content)["__type"] not in {
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
    }


def test_cors_preflight_and_exposed_headers(server: ServerProcess) -> None:
    with server.http() as http:
        pre = http.options(
            "/",
            headers={
                "origin": "http://localhost:3000",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type,x-amz-target,x-amz-user-agent,cache-control",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "POST" in pre.headers["access-control-allow-methods"]
        assert "x-amz-target" in pre.headers["access-control-allow-headers"].lower()
        resp = http.post(
            "/",
            content=b"{}",
            headers={
                "origin": "http://localhost:3000",
                "content-type": JSON,
                "x-amz-target": TARGET + "InitiateAuth",
            },
        )
    assert resp.headers["access-control-allow-origin"] == "http://localhost:3000"
    exposed = resp.headers["access-control-expose-headers"].lower()
    assert "x-amzn-errortype" in exposed and "x-amzn-requestid" in exposed


def test_health_and_ready(server: ServerProcess) -> None:
    with server.http() as http:
        assert http.get("/health").json()["status"] == "ok"
        ready = http.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["database"] == "reachable"


def test_unimplemented_operation_is_a_4xx(cognito: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as exc:
        cognito.describe_risk_configuration(UserPoolId="us-east-1_abcdefghi")
    err = exc.value.response["Error"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Code"] in {"UnsupportedOperationException", "ResourceNotFoundException"}
    if err["Code"] == "UnsupportedOperationException":
        assert "DescribeRiskConfiguration" in err["Message"]
