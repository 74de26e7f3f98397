"""Turn an AWS JSON 1.1 request body into typed params by walking the operation's input shape.

Everything here is derived from botocore's cognito-idp model: the walker dispatches on
``shape.type_name`` and knows nothing about individual operations. The rules follow
spec/protocol.md sections 1 and 3:

- An empty body means ``{}``; anything else must be one JSON object.
- A JSON ``null`` is treated as absent: null members, list elements and map values are dropped.
- Members that the shape does not declare are ignored, as AWS does.
- A value of the wrong JSON type raises ``SerializationException`` naming the member.
- Timestamps become float epoch seconds; blobs are decoded from base64 to bytes.

Constraint checks (lengths, patterns, enums, required members) are not done here; they are
the job of ``poolgate.protocol.validate``, which runs on the output of :func:`parse_body`.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolgate.errors import SerializationException

__all__ = ["parse_body"]


class _Mismatch(Exception):
    """A value had the wrong JSON type; the path is filled in while the error unwinds.

    Building the path only on failure keeps the success path free of string work.
    """

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected)
        self.expected = expected
        self.found = _json_type(value)
        self.path: list[str] = []

    def describe(self) -> str:
        where = "".join(reversed(self.path)).lstrip(".") or "<root>"
        return f"Expected {self.expected} at '{where}' but found {self.found}."


def parse_body(op: OperationModel, body: bytes) -> dict[str, Any]:
    """Decode ``body`` and convert it to params for ``op``'s input shape.

    Raises ``SerializationException`` when the body is not a JSON object or a member has
    the wrong JSON type (or a blob is not valid base64).
    """
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SerializationException("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise SerializationException(f"The request body must be a JSON object, not {_json_type(data)}.")
    shape = op.input_shape
    if shape is None:
        return {}
    try:
        parsed: dict[str, Any] = _parse_structure(shape, data)
    except _Mismatch as exc:
        raise SerializationException(exc.describe()) from None
    return parsed


def _parse(shape: Shape, value: Any) -> Any:
    """Convert one non-null JSON value according to ``shape``."""
    return _PARSERS[shape.type_name](shape, value)


def _parse_structure(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape) and shape.is_document_type:
        # A document is free-form JSON; it is passed through unchanged.
        return value
    if not isinstance(value, dict):
        raise _Mismatch("an object", value)
    assert isinstance(shape, StructureShape)
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        try:
            out[name] = _parse(member, item)
        except _Mismatch as exc:
            exc.path.append("." + name)
            raise
    return out


def _parse_list(shape: Shape, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Mismatch("an array", value)
    assert isinstance(shape, ListShape)
    member = shape.member
    out: list[Any] = []
    for index, item in enumerate(value):
        if item is None:
            continue
        try:
            out.append(_parse(member, item))
        except _Mismatch as exc:
            exc.path.append(f"[{index}]")
            raise
    return out


def _parse_map(shape: Shape, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Mismatch("an object", value)
    assert isinstance(shape, MapShape)
    # JSON object keys are always strings, so only the values need converting.
    target = shape.value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        try:
            out[key] = _parse(target, item)
        except _Mismatch as exc:
            exc.path.append(f"[{key!r}]")
            raise
    return out


def _parse_string(shape: Shape, value: Any) -> str:
    if not isinstance(value, str):
        raise _Mismatch("a string", value)
    return value


def _parse_boolean(shape: Shape, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Mismatch("a boolean", value)
    return value


def _parse_integer(shape: Shape, value: Any) -> int:
    # Integral floats (5.0, or 1e20 which orjson reads as a float) are accepted as integers,
    # like Jackson does; range limits are then the validator's business.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch("an integer", value)
    if isinstance(value, float):
        if not value.is_integer():
            raise _Mismatch("an integer", value)
        return int(value)
    return value


def _parse_float(shape: Shape, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch("a number", value)
    return float(value)


def _parse_timestamp(shape: Shape, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Mismatch("a timestamp", value)
    if isinstance(value, str):
        seconds = _timestamp_from_text(value)
        if seconds is None:
            raise _Mismatch("a timestamp", value)
        return seconds
    return float(value)


def _timestamp_from_text(text: str) -> float | None:
    """Epoch seconds from a numeric string or an ISO-8601 date-time (naive means UTC)."""
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _parse_blob(shape: Shape, value: Any) -> bytes:
    if not isinstance(value, str):
        raise _Mismatch("a base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Mismatch("a base64 string", value) from None


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_PARSERS: dict[str, Callable[[Shape, Any], Any]] = {
    "structure": _parse_structure,
    "list": _parse_list,
    "map": _parse_map,
    "string": _parse_string,
    "boolean": _parse_boolean,
    "integer": _parse_integer,
    "long": _parse_integer,
    "double": _parse_float,
    "float": _parse_float,
    "timestamp": _parse_timestamp,
    "blob": _parse_blob,
}
