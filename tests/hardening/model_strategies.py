"""Hypothesis strategies built from botocore's cognito-idp model: for every member of every
operation, valid values (inside every constraint), boundary values (exactly at min/max) and
invalid values (one past a bound, wrong JSON type, enum outsiders, pattern breakers, nulls).

``request_bodies(operation, known)`` draws whole JSON bodies for an operation; ``known`` maps a
member name to real values (a pool id, a client id, ...) that valid draws sometimes use, so the
requests get past the first lookups.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import botocore.session
from hypothesis import strategies as st

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
MAX_TEXT = 300  # longer strings are drawn only as exact boundary values
_WRONG_TYPES = st.sampled_from([None, True, 0, -1, 1.5, "x", [], {}, ["x"], {"a": "b"}])


@functools.cache
def _regex_strategy(pattern: str, low: int, high: int) -> st.SearchStrategy[str] | None:
    """Strings matching the model's pattern where Python's ``re`` understands it (Java's
    ``\\p{..}`` classes are not), built once per pattern and length range."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return st.from_regex(compiled, fullmatch=True).filter(lambda s: low <= len(s) <= high)


def _valid_string(shape: Any, known: Sequence[str]) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    low, high = meta.get("min", 0), min(meta.get("max", MAX_TEXT), MAX_TEXT)
    pattern = meta.get("pattern")
    options: list[st.SearchStrategy[str]] = []
    if known:
        options.append(st.sampled_from(list(known)))
    regex = _regex_strategy(pattern, low, high) if pattern else None
    if regex is not None:
        options.append(regex)
    options.append(
        st.text("abcXYZ019_-", min_size=max(low, 1 if pattern else low), max_size=max(low, min(high, 40)))
    )
    return st.one_of(options)


def _boundary_string(shape: Any) -> st.SearchStrategy[str]:
    meta = shape.metadata
    values = []
    if "min" in meta:
        values.append("a" * meta["min"])
    if "max" in meta and meta["max"] <= 4096:
        values.append("a" * meta["max"])
    return st.sampled_from(values) if values else st.just("a")


def _invalid_string(shape: Any) -> st.SearchStrategy[Any]:
    meta = shape.metadata
    values: list[Any] = [
        "",
        " ",
        "\u0000",
        "\ud7ff\U0001f600",
        "../../etc/passwd",
        "' OR 1=1 --",
        "%s%n",
        "<script>",
    ]
    if meta.get("min", 0) > 0:
        values.append("a" * (meta["min"] - 1))
    if "max" in meta and meta["max"] < 4096:
        values.append("a" * (meta["max"] + 1))
    if shape.enum:
        values += [shape.enum[0].lower(), shape.enum[0] + " "]
    return st.one_of(st.sampled_from(values), _WRONG_TYPES)


def _number(shape: Any, mode: str) -> st.SearchStrategy[Any]:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    integer = shape.type_name in ("integer", "long")
    if mode == "valid":
        lo = low if low is not None else -10
        hi = high if high is not None else lo + 10**6
        return st.integers(lo, hi) if integer else st.floats(lo, hi, allow_nan=False)
    if mode == "boundary":
        return st.sampled_from([v for v in (low, high) if v is not None] or [0])
    values: list[Any] = [2**63, -(2**63) - 1, 10**30, 1e308, "1", None]
    values += [
        v
        for v in ((low - 1) if low is not None else None, (high + 1) if high is not None else None)
        if v is not None
    ]
    if integer:
        values.append(1.5)
    return st.one_of(st.sampled_from(values), _WRONG_TYPES)


def value_for(
    shape: Any, mode: str, known: Mapping[str, Sequence[str]], name: str, depth: int = 0
) -> st.SearchStrategy[Any]:
    """A strategy for one member. ``mode`` is "valid", "boundary" or "invalid"; nested members
    draw their own mode so that one bad leaf can sit inside an otherwise good structure."""
    t = shape.type_name
    if mode == "invalid" and t not in ("string", "integer", "long", "float", "double"):
        return st.one_of(_WRONG_TYPES, value_for(shape, "valid", known, name, depth))
    if t == "string":
        if mode == "valid":
            return _valid_string(shape, known.get(name, ()))
        return _boundary_string(shape) if mode == "boundary" else _invalid_string(shape)
    if t in ("integer", "long", "float", "double"):
        return _number(shape, mode)
    if t == "boolean":
        return st.booleans()
    if t == "timestamp":
        return st.integers(0, 2**32)
    if t == "blob":
        return st.binary(max_size=20).map(lambda b: b.hex())
    if depth > 4:
        return st.none()
    child_mode = st.sampled_from(["valid", "valid", "valid", "boundary", "invalid"])
    if t == "list":
        low = shape.metadata.get("min", 0)
        high = min(shape.metadata.get("max", 4), 4)
        return st.lists(
            child_mode.flatmap(lambda m: value_for(shape.member, m, known, name, depth + 1)),
            min_size=min(low, high),
            max_size=max(min(low, high), high),
        )
    if t == "map":
        keys = _valid_string(shape.key, ("USERNAME", "PASSWORD", "SRP_A", "SECRET_HASH", "REFRESH_TOKEN"))
        return st.dictionaries(
            keys, child_mode.flatmap(lambda m: value_for(shape.value, m, known, name, depth + 1)), max_size=4
        )
    if t == "structure":
        return structure(shape, known, depth + 1)
    return st.none()


def structure(
    shape: Any, known: Mapping[str, Sequence[str]], depth: int = 0
) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object for ``shape``: required members usually present, optional ones sometimes."""
    members = list(shape.members.items())
    required = set(shape.required_members)
    if not members:
        return st.just({})

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in members:
            present = draw(st.integers(0, 19)) != 0 if name in required else draw(st.booleans())
            if not present:
                continue
            mode = draw(st.sampled_from(["valid"] * 6 + ["boundary", "invalid"]))
            out[name] = draw(value_for(member, mode, known, name, depth))
        return out

    return build()


def request_bodies(
    operation: str, known: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[bytes | dict[str, Any]]:
    """JSON bodies for ``operation`` (dicts), with now and then raw bytes that are not a JSON object."""
    import json

    raw = st.sampled_from(
        [
            b"",
            b"{",
            b"[]",
            b"null",
            b'"x"',
            b'{"a":',
            b"\xff\xfe",
            b"{}" * 3,
            json.dumps({"x": "y" * 10}).encode(),
        ]
    )
    shape = MODEL.operation_model(operation).input_shape
    body = structure(shape, known) if shape is not None else st.just({})
    return st.one_of(body, body, body, body, body, body, body, body, body, body, body, raw)
