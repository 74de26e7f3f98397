"""Snapshot and output-shape helpers shared by the unit and boto3-level test suites.

``assert_snapshot(value, name)`` compares a response dict with ``tests/snapshots/<name>.json``
after replacing ids, times and secrets with placeholders. A missing snapshot is written
when ``POOLGATE_UPDATE_SNAPSHOTS=1`` is set (which also rewrites existing ones); without
it a missing snapshot fails the test.

``assert_output_shape(value, shape_name)`` walks a botocore output shape of the
cognito-idp model and checks that every key of ``value`` is a member of the shape and
holds the JSON type the shape declares (enums included).
"""

from __future__ import annotations

import datetime
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import Shape, StructureShape

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
UPDATE_ENV = "POOLGATE_UPDATE_SNAPSHOTS"

# Keys whose values differ on every run, and the placeholder written instead.
KEY_PLACEHOLDERS: Mapping[str, str] = {
    "Id": "<pool-id>",
    "UserPoolId": "<pool-id>",
    "Arn": "<pool-arn>",
    "ClientId": "<client-id>",
    "ClientSecret": "<client-secret>",
    "CreationDate": "<time>",
    "LastModifiedDate": "<time>",
}


def normalize(
    value: Any,
    *,
    keys: Mapping[str, str] = KEY_PLACEHOLDERS,
    values: Mapping[str, str] | None = None,
) -> Any:
    """A JSON-ready copy of ``value`` with volatile members replaced by placeholders.

    ``keys`` maps member names to placeholders; ``values`` maps exact strings (an id
    that also appears inside another value) to placeholders, applied as substrings.
    Datetimes (as boto3 returns them) become ISO strings unless their key is replaced.
    """
    replacements = dict(values or {})

    def walk(item: Any, key: str | None) -> Any:
        if key is not None and key in keys:
            return keys[key]
        if isinstance(item, Mapping):
            return {str(k): walk(v, str(k)) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v, None) for v in item]
        if isinstance(item, datetime.datetime):
            return item.isoformat()
        if isinstance(item, str):
            for needle, placeholder in replacements.items():
                item = item.replace(needle, placeholder)
        return item

    return walk(value, None)


def assert_snapshot(value: Mapping[str, Any], name: str, *, values: Mapping[str, str] | None = None) -> None:
    """Compare ``value`` (normalized) with the stored snapshot ``name``; see the module doc."""
    path = SNAPSHOT_DIR / f"{name}.json"
    actual = normalize(value, values=values)
    text = json.dumps(actual, indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"snapshot {path} is missing; run the tests with {UPDATE_ENV}=1 to write it")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"response differs from snapshot {path.name}"


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("cognito-idp")


def output_shape(name: str) -> Shape:
    """The named shape of the cognito-idp model (e.g. ``UserPoolType``)."""
    return _service_model().shape_for(name)


def assert_output_shape(value: Any, shape_name: str) -> None:
    """Assert that ``value`` fits the model shape ``shape_name`` member by member."""
    _check(value, output_shape(shape_name), shape_name)


def _check(value: Any, shape: Shape, path: str) -> None:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        assert isinstance(value, dict), f"{path}: expected an object, got {type(value).__name__}"
        for key, item in value.items():
            assert key in shape.members, f"{path}: {key!r} is not a member of {shape.name}"
            _check(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for index, item in enumerate(value):
            _check(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        for key, item in value.items():
            _check(key, shape.key, f"{path}<key>")
            _check(item, shape.value, f"{path}[{key!r}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        enum = shape.enum
        assert not enum or value in enum, f"{path}: {value!r} is not one of {enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), (
            f"{path}: expected an integer, got {value!r}"
        )
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean, got {value!r}"
    elif kind == "timestamp":
        # JSON carries epoch seconds; boto3 hands back parsed datetimes.
        assert isinstance(value, (int, float, datetime.datetime)) and not isinstance(value, bool), (
            f"{path}: time"
        )
    elif kind in ("float", "double"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected a number"
    else:
        raise AssertionError(f"{path}: shape type {kind} is not handled")
