"""Turn handler results and Cognito errors into AWS JSON 1.1 responses (spec/protocol.md sections 2-3).

Results are walked along the operation's output shape, so only modelled members reach the
wire: ``None`` values and unknown keys are dropped, timestamps become epoch seconds and
blobs become base64. Errors become ``{"__type", "message"}`` plus the ``x-amzn-ErrorType``
and ``x-amzn-ErrorMessage`` headers that real Cognito sends.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolgate.errors import CognitoError

__all__ = ["CONTENT_TYPE", "error_response", "serialize_result", "success_headers"]

CONTENT_TYPE = "application/x-amz-json-1.1"

# Messages can echo user input of any length (a 128 KiB attribute value, say); the header
# copy is cut to this many characters, the body keeps the whole message [decision].
_HEADER_MESSAGE_LIMIT = 1024


def serialize_result(op: OperationModel, result: Mapping[str, Any] | None) -> bytes:
    """The JSON body for ``op``'s output shape; ``{}`` when the operation has no output.

    Raises ``TypeError`` for values that do not fit the shape (a programming error, which
    the web layer reports as an internal error).
    """
    shape = op.output_shape
    if shape is None or not result:
        return b"{}"
    return orjson.dumps(_out_structure(shape, result))


def success_headers(request_id: str) -> dict[str, str]:
    """Headers of a successful response."""
    return {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}


def error_response(err: CognitoError, request_id: str) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` for ``err``, framed as Cognito frames errors.

    Extra members carried by the error (such as ``reasonCode`` on
    ``InvalidParameterException``) are added to the body next to ``message``.
    """
    payload: dict[str, Any] = {"__type": err.code, "message": err.message}
    for key, value in err.extra.items():
        if key not in payload and value is not None:
            payload[key] = value
    headers = {
        "Content-Type": CONTENT_TYPE,
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": f"{err.code}:",
        "x-amzn-ErrorMessage": _header_safe(err.message),
    }
    return err.status, headers, orjson.dumps(payload)


def _header_safe(text: str) -> str:
    """Replace control characters with spaces and drop what latin-1 cannot encode."""
    cleaned = "".join(
        " " if ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in text[:_HEADER_MESSAGE_LIMIT]
        if ord(char) <= 0xFF
    )
    return cleaned.strip()


def _out(shape: Shape, value: Any) -> Any:
    return _WRITERS.get(shape.type_name, _out_plain)(shape, value)


def _out_structure(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape) and shape.is_document_type:
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{shape.name} needs a mapping, got {type(value).__name__}")
    assert isinstance(shape, StructureShape)
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            out[name] = _out(member, item)
    return out


def _out_list(shape: Shape, value: Any) -> list[Any]:
    assert isinstance(shape, ListShape)
    return [_out(shape.member, item) for item in value if item is not None]


def _out_map(shape: Shape, value: Any) -> dict[str, Any]:
    assert isinstance(shape, MapShape)
    return {str(key): _out(shape.value, item) for key, item in value.items() if item is not None}


def _out_string(shape: Shape, value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if not isinstance(value, str):
        raise TypeError(f"{shape.name} needs a string, got {type(value).__name__}")
    return value


def _out_timestamp(shape: Shape, value: Any) -> float | int:
    if isinstance(value, datetime):
        # A naive datetime is ambiguous; refusing it catches time-zone bugs early.
        if value.tzinfo is None:
            raise TypeError(f"{shape.name} needs an aware datetime, got a naive one")
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{shape.name} needs epoch seconds or a datetime, got {type(value).__name__}")
    return value


def _out_blob(shape: Shape, value: Any) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(bytes(value)).decode("ascii")


def _out_plain(shape: Shape, value: Any) -> Any:
    # Booleans and numbers are written as they are; an int-valued enum is unwrapped.
    return value.value if isinstance(value, enum.Enum) else value


_WRITERS: dict[str, Callable[[Shape, Any], Any]] = {
    "structure": _out_structure,
    "list": _out_list,
    "map": _out_map,
    "string": _out_string,
    "timestamp": _out_timestamp,
    "blob": _out_blob,
}
