"""Every operation of the service model, with a required member missing and with an over-long
string, gets a Cognito 4xx error from the server: zero 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape, StructureShape
from tests.server import ServerProcess, make_client

from poolgate.protocol.model import operation_model, operation_names


def _over_long(shape: StructureShape) -> tuple[str, str] | None:
    """A top-level string member with a maximum length, and a value one longer."""
    for name, member in shape.members.items():
        if member.type_name == "string" and "max" in member.metadata and not member.enum:
            return name, "a" * (member.metadata["max"] + 1)
    return None


def _required_missing(shape: StructureShape) -> dict[str, Any]:
    """No members at all: every required member is missing."""
    return {}


@pytest.fixture(scope="module")
def raw_client(server: ServerProcess) -> Any:
    # Client-side validation off, so the server sees exactly what we send.
    return make_client(server.url, parameter_validation=False)


def _call(client: Any, name: str, params: dict[str, Any]) -> tuple[int, str, str]:
    try:
        resp = client._make_api_call(name, params)
    except ClientError as exc:
        meta = exc.response["ResponseMetadata"]
        return meta["HTTPStatusCode"], exc.response["Error"]["Code"], exc.response["Error"]["Message"]
    return resp["ResponseMetadata"]["HTTPStatusCode"], "", ""


OPERATIONS = operation_names()


@pytest.mark.parametrize("name", OPERATIONS)
def test_missing_required_and_over_long(raw_client: Any, name: str) -> None:
    op: OperationModel | None = operation_model(name)
    assert op is not None
    shape: Shape | None = op.input_shape
    if shape is None or not isinstance(shape, StructureShape):
        pytest.skip(f"{name} has no input members")  # no such operation in the current model
    required = shape.required_members
    if required:
        status, code, message = _call(raw_client, name, _required_missing(shape))
        assert 400 <= status < 500, (name, status, code, message)
        assert code == "InvalidParameterException", (name, code, message)
        assert "Member must not be null" in message
    long = _over_long(shape)
    if long is not None:
        member, value = long
        status, code, message = _call(raw_client, name, {member: value})
        assert 400 <= status < 500, (name, status, code, message)
        assert code == "InvalidParameterException", (name, code, message)
        assert "length less than or equal to" in message
