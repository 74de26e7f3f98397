"""Our responses and errors, read back by botocore's own JSON response parser."""

from __future__ import annotations

import base64
import datetime as dt
import enum
from typing import Any

import orjson
import pytest
from botocore.model import OperationModel
from botocore.parsers import create_parser

from poolgate.errors import (
    CognitoError,
    InternalErrorException,
    InvalidParameterException,
    NotAuthorizedException,
    TooManyRequestsException,
)
from poolgate.protocol.model import operation_model
from poolgate.protocol.serializer import CONTENT_TYPE, error_response, serialize_result, success_headers

REQUEST_ID = "5090ed1c-b098-47e5-8397-e2f3ef4b41d5"
CREATED = dt.datetime(2026, 3, 4, 5, 6, 7, 250000, tzinfo=dt.UTC)


def op(name: str) -> OperationModel:
    model = operation_model(name)
    assert model is not None
    return model


def botocore_reads(
    model: OperationModel, status: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    # HTTP clients hand botocore case-insensitive headers; lowercase keys stand in for that here.
    lowered = {name.lower(): value for name, value in headers.items()}
    response = {"status_code": status, "headers": lowered, "body": body}
    shape = model.output_shape
    assert shape is not None
    parsed: dict[str, Any] = create_parser("json").parse(response, shape)
    return parsed


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAuthorizedException("Incorrect username or password."), 400),
        (TooManyRequestsException("Rate exceeded"), 400),
        (InternalErrorException("Internal server error."), 500),
    ],
)
def test_botocore_reads_our_errors(error: CognitoError, status: int) -> None:
    code, headers, body = error_response(error, REQUEST_ID)
    assert code == status
    parsed = botocore_reads(op("InitiateAuth"), code, headers, body)
    assert parsed["Error"]["Code"] == error.code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status


def test_error_framing_matches_cognito() -> None:
    status, headers, body = error_response(NotAuthorizedException("Invalid Refresh Token."), REQUEST_ID)
    assert status == 400
    assert headers == {
        "Content-Type": CONTENT_TYPE,
        "x-amzn-RequestId": REQUEST_ID,
        "x-amzn-ErrorType": "NotAuthorizedException:",
        "x-amzn-ErrorMessage": "Invalid Refresh Token.",
    }
    assert body == b'{"__type":"NotAuthorizedException","message":"Invalid Refresh Token."}'


def test_extra_members_are_added_to_the_body() -> None:
    error = InvalidParameterException("Bad.", reasonCode="INVALID_PARAMETER")
    _, _, body = error_response(error, REQUEST_ID)
    assert orjson.loads(body) == {
        "__type": "InvalidParameterException",
        "message": "Bad.",
        "reasonCode": "INVALID_PARAMETER",
    }


def test_error_message_header_is_header_safe() -> None:
    error = InvalidParameterException("line one\r\nline\ttwo 日本 café\x7f")
    _, headers, body = error_response(error, REQUEST_ID)
    assert headers["x-amzn-ErrorMessage"] == "line one  line two  café"
    headers["x-amzn-ErrorMessage"].encode("latin-1")
    # The body keeps the message exactly.
    assert orjson.loads(body)["message"] == error.message


def test_long_messages_are_cut_in_the_header_only() -> None:
    error = InvalidParameterException("x" * 5000)
    _, headers, body = error_response(error, REQUEST_ID)
    assert len(headers["x-amzn-ErrorMessage"]) == 1024
    assert len(orjson.loads(body)["message"]) == 5000


# --- results ----------------------------------------------------------------------------


class Status(enum.StrEnum):
    CONFIRMED = "CONFIRMED"


def test_timestamps_come_back_as_datetimes() -> None:
    result = {
        "User": {
            "Username": "alice",
            "Attributes": [{"Name": "email", "Value": "alice@example.com"}],
            "UserCreateDate": CREATED,
            "UserLastModifiedDate": CREATED.timestamp(),
            "Enabled": True,
            "UserStatus": Status.CONFIRMED,
            "MFAOptions": None,
        }
    }
    body = serialize_result(op("AdminCreateUser"), result)
    parsed = botocore_reads(op("AdminCreateUser"), 200, success_headers(REQUEST_ID), body)
    user = parsed["User"]
    assert user["UserCreateDate"] == CREATED
    assert user["UserLastModifiedDate"] == CREATED
    assert user["UserStatus"] == "CONFIRMED"
    assert user["Attributes"] == [{"Name": "email", "Value": "alice@example.com"}]
    assert "MFAOptions" not in user
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_integer_epoch_timestamps() -> None:
    body = serialize_result(op("GetGroup"), {"Group": {"GroupName": "g", "CreationDate": 1700000000}})
    assert orjson.loads(body) == {"Group": {"GroupName": "g", "CreationDate": 1700000000}}


def test_none_and_unknown_keys_are_dropped() -> None:
    result = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": None,
        "ChallengeParameters": {"SALT": "abc", "SRP_B": "def"},
        "InternalState": {"secret": 1},
    }
    body = serialize_result(op("InitiateAuth"), result)
    assert orjson.loads(body) == {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {"SALT": "abc", "SRP_B": "def"},
    }


def test_empty_outputs_are_an_empty_object() -> None:
    assert serialize_result(op("GlobalSignOut"), {}) == b"{}"
    assert serialize_result(op("GlobalSignOut"), None) == b"{}"
    assert serialize_result(op("AdminInitiateAuth"), None) == b"{}"


def test_blobs_are_base64() -> None:
    raw = bytes(range(10))
    result = {
        "ManagedLoginBranding": {
            "ManagedLoginBrandingId": "b1",
            "Assets": [{"Category": "FAVICON_ICO", "ColorMode": "LIGHT", "Extension": "ICO", "Bytes": raw}],
            "LastModifiedDate": CREATED,
        }
    }
    model = op("DescribeManagedLoginBranding")
    body = serialize_result(model, result)
    assert orjson.loads(body)["ManagedLoginBranding"]["Assets"][0]["Bytes"] == base64.b64encode(raw).decode()
    parsed = botocore_reads(model, 200, success_headers(REQUEST_ID), body)
    assert parsed["ManagedLoginBranding"]["Assets"][0]["Bytes"] == raw


def test_document_values_pass_through() -> None:
    settings = {"components": {"pageBackground": {"image": {"enabled": True}}}}
    body = serialize_result(
        op("DescribeManagedLoginBranding"), {"ManagedLoginBranding": {"Settings": settings}}
    )
    assert orjson.loads(body) == {"ManagedLoginBranding": {"Settings": settings}}


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match="aware datetime"):
        serialize_result(op("GetGroup"), {"Group": {"CreationDate": dt.datetime(2026, 1, 1)}})


def test_wrong_value_types_are_refused() -> None:
    with pytest.raises(TypeError):
        serialize_result(op("GetGroup"), {"Group": {"GroupName": 5}})
    with pytest.raises(TypeError):
        serialize_result(op("GetGroup"), {"Group": "g"})


def test_success_headers() -> None:
    assert success_headers(REQUEST_ID) == {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": REQUEST_ID}
