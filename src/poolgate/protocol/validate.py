"""Validate parsed params against the model's constraints, worded the way AWS words them.

Validators are compiled once per shape into small closures (cached by shape name), so a
request pays only for the comparisons its own values need. Every failure is collected and
reported as one ``InvalidParameterException`` in the AWS "Coral" style of spec/protocol.md
section 6::

    2 validation errors detected: Value at 'password' failed to satisfy constraint: ...; Value ...

How paths and values are printed (from real AWS messages of other Coral services, since
Cognito's own nested cases are not documented):

- A structure member is its name with the first letter lowercased, nested ones dotted.
- Inside a list of structures the element path is ``<list>.<1-based index>.member``, as in
  ``tags.2.member.value`` (IAM) or ``dimensions.1.member.value`` (CloudWatch).
- Scalar list elements are not reported one by one: the list gets one item,
  ``Value '[a, b]' at 'list' failed to satisfy constraint: Member must satisfy constraint:
  [<every constraint of the element shape>]`` (ACM, Lambda). The listing order there is
  max, min, pattern, enum, as in those messages.
- Map keys and scalar map values likewise: ``Map keys must satisfy constraint: [...]`` and
  ``Map value must satisfy constraint: [...]``, keys first. For structured map values we use
  ``<map>.<key>.member`` [decision, by analogy with lists].
- Values print like Java's ``toString``: lists ``[a, b]``, maps ``{k=v}``, blobs as a
  ``java.nio.HeapByteBuffer``. A value inside a sensitive shape is never printed
  (``Value at 'password'``); a missing required member is ``Value null at ...``.

Order: members in model order [decision; AWS's own order looks hash-based]; for one value,
length before pattern before enum, as in the observed Cognito message. String lengths count
code points (Python ``len``), as Smithy's length trait defines them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import regex
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolgate.errors import InvalidParameterException

__all__ = ["compile_pattern", "validate"]

# A check takes a value, its path, and the list that collects error items.
Check = Callable[[Any, str, list[str]], None]
# A rule is a predicate that is true when the value is acceptable, and its wording.
Rule = tuple[Callable[[Any], bool], str]

# Bounds of Java's int and long; an unconstrained side of an integer shape gets these, so a
# huge number is reported as an ordinary range error instead of reaching the core.
_JAVA_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}

# Java's \w, \d and \s are ASCII-only by default; the regex module's are Unicode. Each is
# rewritten as an explicit set, which regex.V1 also allows nested inside another set.
_JAVA_SPACE = r" \t\n\x0B\f\r"
_JAVA_ESCAPES = {
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": f"[{_JAVA_SPACE}]",
    "S": f"[^{_JAVA_SPACE}]",
}
# Java's POSIX classes (\p{Alnum} and friends) are ASCII-only too.
_JAVA_POSIX = {
    "Lower": "[a-z]",
    "Upper": "[A-Z]",
    "ASCII": r"[\x00-\x7F]",
    "Alpha": "[A-Za-z]",
    "Digit": "[0-9]",
    "Alnum": "[A-Za-z0-9]",
    "Punct": r"[!-/:-@\[-`{-~]",
    "Graph": r"[!-~]",
    "Print": r"[ -~]",
    "Blank": r"[ \t]",
    "Cntrl": r"[\x00-\x1F\x7F]",
    "XDigit": "[0-9a-fA-F]",
    "Space": f"[{_JAVA_SPACE}]",
}
# Patterns that real Cognito enforces more strictly than the model text reads. AWS rejects
# 'YOUR_USER_POOL_ID' with "Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"
# (observed: anomalyco/guide#127), although a backtracking engine accepts it; the region
# part of a '<region>_<id>' identifier evidently may not contain '_'. The message still
# quotes the model's pattern; only the matching uses the stricter form.
_STRICTER_MATCH = {
    r"[\w-]+_[0-9a-zA-Z]+": r"[A-Za-z0-9-]+_[0-9a-zA-Z]+",
    r"[\w-]+_[0-9a-f-]+": r"[A-Za-z0-9-]+_[0-9a-f-]+",
}
_POSIX_ESCAPE = regex.compile(r"\\p\{(" + "|".join(_JAVA_POSIX) + r")\}")


def validate(op: OperationModel, params: Mapping[str, Any]) -> None:
    """Check ``params`` (the output of ``parser.parse_body``) against ``op``'s input shape.

    Raises ``InvalidParameterException`` listing every violated constraint.
    """
    shape = op.input_shape
    if shape is None:
        return
    check = _compile(shape, False)
    if check is None:
        return
    errors: list[str] = []
    check(params, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise InvalidParameterException(f"{count} validation {noun} detected: " + "; ".join(errors))


@cache
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile a Java regular expression from the model so that ``fullmatch`` acts like Java's ``matches``."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            posix = _POSIX_ESCAPE.match(pattern, index)
            if posix is not None:
                out.append(_JAVA_POSIX[posix.group(1)])
                index = posix.end()
                continue
            escaped = pattern[index + 1]
            out.append(_JAVA_ESCAPES.get(escaped, char + escaped))
            index += 2
            continue
        out.append(char)
        index += 1
    return regex.compile("".join(out), regex.V1)


# Compiled checks, keyed by (shape name, inside a sensitive shape). None means "nothing to check".
_COMPILED: dict[tuple[str, bool], Check | None] = {}
_IN_PROGRESS: set[tuple[str, bool]] = set()
# Building is serialised so that no thread can see another thread's half-built recursive shape.
_BUILD_LOCK = threading.RLock()


def _compile(shape: Shape, hide: bool) -> Check | None:
    hide = hide or _is_sensitive(shape)
    key = (shape.name, hide)
    if key in _COMPILED:
        return _COMPILED[key]
    with _BUILD_LOCK:
        return _build(shape, key, hide)


def _build(shape: Shape, key: tuple[str, bool], hide: bool) -> Check | None:
    if key in _COMPILED:
        return _COMPILED[key]
    if key in _IN_PROGRESS:
        # A recursive shape: defer the lookup until the check actually runs.
        return lambda value, path, errors: _run(key, value, path, errors)
    _IN_PROGRESS.add(key)
    try:
        if isinstance(shape, StructureShape):
            check = None if shape.is_document_type else _compile_structure(shape, hide)
        elif isinstance(shape, ListShape):
            check = _compile_list(shape, hide)
        elif isinstance(shape, MapShape):
            check = _compile_map(shape, hide)
        else:
            check = _compile_scalar(shape, hide)
    finally:
        _IN_PROGRESS.discard(key)
    _COMPILED[key] = check
    return check


def _run(key: tuple[str, bool], value: Any, path: str, errors: list[str]) -> None:
    check = _COMPILED.get(key)
    if check is not None:
        check(value, path, errors)


def _compile_structure(shape: StructureShape, hide: bool) -> Check | None:
    required = set(shape.required_members)
    members: list[tuple[str, str, bool, Check | None]] = []
    for name, member in shape.members.items():
        check = _compile(member, hide)
        if check is not None or name in required:
            members.append((name, name[:1].lower() + name[1:], name in required, check))
    if not members:
        return None

    def check_structure(value: Any, path: str, errors: list[str]) -> None:
        base = path + "." if path else ""
        for name, segment, is_required, check in members:
            item = value.get(name)
            if item is None:
                if is_required:
                    errors.append(
                        f"Value null at '{base}{segment}' failed to satisfy constraint: Member must not be null"
                    )
            elif check is not None:
                check(item, base + segment, errors)

    return check_structure


def _compile_list(shape: ListShape, hide: bool) -> Check | None:
    own = _size_rules(shape)
    element = shape.member
    if _is_scalar(element):
        element_rules = _scalar_rules(element)
        if not own and not element_rules:
            return None
        summary = _summary("Member must satisfy constraint", element)
        hide_elements = hide or _is_sensitive(element)

        def check_scalars(value: Any, path: str, errors: list[str]) -> None:
            _apply(own, value, path, hide, errors)
            if element_rules and any(not ok(item) for item in value for ok, _ in element_rules):
                errors.append(_item(value, path, hide_elements, summary))

        return check_scalars
    element_check = _compile(element, hide)
    if not own and element_check is None:
        return None

    def check_elements(value: Any, path: str, errors: list[str]) -> None:
        _apply(own, value, path, hide, errors)
        if element_check is not None:
            for index, item in enumerate(value, start=1):
                element_check(item, f"{path}.{index}.member", errors)

    return check_elements


def _compile_map(shape: MapShape, hide: bool) -> Check | None:
    own = _size_rules(shape)
    key_rules = _scalar_rules(shape.key)
    key_summary = _summary("Map keys must satisfy constraint", shape.key)
    target = shape.value
    scalar_values = _is_scalar(target)
    value_rules = _scalar_rules(target) if scalar_values else []
    value_summary = _summary("Map value must satisfy constraint", target) if scalar_values else ""
    value_check = None if scalar_values else _compile(target, hide)
    if not (own or key_rules or value_rules or value_check):
        return None
    # The whole map is printed for a bad key or value, so either side being sensitive hides it.
    hide_entries = hide or _is_sensitive(shape.key) or _is_sensitive(target)

    def check_map(value: Any, path: str, errors: list[str]) -> None:
        _apply(own, value, path, hide, errors)
        if key_rules and any(not ok(key) for key in value for ok, _ in key_rules):
            errors.append(_item(value, path, hide_entries, key_summary))
        if value_rules and any(not ok(item) for item in value.values() for ok, _ in value_rules):
            errors.append(_item(value, path, hide_entries, value_summary))
        if value_check is not None:
            for key, item in value.items():
                value_check(item, f"{path}.{key}.member", errors)

    return check_map


def _compile_scalar(shape: Shape, hide: bool) -> Check | None:
    rules = _scalar_rules(shape)
    if not rules:
        return None

    def check_scalar(value: Any, path: str, errors: list[str]) -> None:
        for ok, text in rules:
            if not ok(value):
                errors.append(_item(value, path, hide, text))

    return check_scalar


def _apply(rules: list[Rule], value: Any, path: str, hide: bool, errors: list[str]) -> None:
    for ok, text in rules:
        if not ok(value):
            errors.append(_item(value, path, hide, text))


def _is_sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive"))


def _is_scalar(shape: Shape) -> bool:
    return not isinstance(shape, (StructureShape, ListShape, MapShape))


def _size_rules(shape: Shape) -> list[Rule]:
    """Length rules of a string, blob, list or map, in reporting order (min, then max)."""
    meta = shape.metadata
    rules: list[Rule] = []
    if "min" in meta:
        rules.append(
            (_length_at_least(meta["min"]), f"Member must have length greater than or equal to {meta['min']}")
        )
    if "max" in meta:
        rules.append(
            (_length_at_most(meta["max"]), f"Member must have length less than or equal to {meta['max']}")
        )
    return rules


def _length_at_least(limit: int) -> Callable[[Any], bool]:
    return lambda value: len(value) >= limit


def _length_at_most(limit: int) -> Callable[[Any], bool]:
    return lambda value: len(value) <= limit


def _value_at_least(limit: float) -> Callable[[Any], bool]:
    return lambda value: bool(value >= limit)


def _value_at_most(limit: float) -> Callable[[Any], bool]:
    return lambda value: bool(value <= limit)


def _full_match(pattern: str) -> Callable[[Any], bool]:
    matcher = compile_pattern(_STRICTER_MATCH.get(pattern, pattern)).fullmatch
    return lambda value: matcher(value) is not None


def _one_of(values: list[str]) -> Callable[[Any], bool]:
    allowed = frozenset(values)
    return lambda value: value in allowed


def _scalar_rules(shape: Shape) -> list[Rule]:
    """The rules of a scalar shape in reporting order: length or range, pattern, enum."""
    kind = shape.type_name
    meta = shape.metadata
    if kind in ("string", "blob"):
        rules = _size_rules(shape)
    elif kind in ("integer", "long", "double", "float"):
        rules = []
        default_low, default_high = _JAVA_BOUNDS.get(kind, (None, None))
        low = meta.get("min", default_low)
        high = meta.get("max", default_high)
        if low is not None:
            rules.append((_value_at_least(low), f"Member must have value greater than or equal to {low}"))
        if high is not None:
            rules.append((_value_at_most(high), f"Member must have value less than or equal to {high}"))
    else:
        return []
    pattern = meta.get("pattern")
    if pattern is not None and kind == "string":
        rules.append((_full_match(pattern), f"Member must satisfy regular expression pattern: {pattern}"))
    enum = meta.get("enum")
    if enum:
        rules.append((_one_of(enum), f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    return rules


def _summary(lead: str, shape: Shape) -> str:
    """``<lead>: [..]`` listing every declared constraint of an element shape, as Coral does."""
    meta = shape.metadata
    word = "value" if shape.type_name in _JAVA_BOUNDS or shape.type_name in ("double", "float") else "length"
    parts: list[str] = []
    if "max" in meta:
        parts.append(f"Member must have {word} less than or equal to {meta['max']}")
    if "min" in meta:
        parts.append(f"Member must have {word} greater than or equal to {meta['min']}")
    if "pattern" in meta:
        parts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if meta.get("enum"):
        parts.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    return f"{lead}: [{', '.join(parts)}]"


def _item(value: Any, path: str, hide: bool, text: str) -> str:
    if hide:
        return f"Value at '{path}' failed to satisfy constraint: {text}"
    return f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: {text}"


def _render(value: Any) -> str:
    """Print a value the way Java's ``toString`` would in a Coral message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}={_render(item)}" for key, item in value.items()) + "}"
    return str(value)
