"""Reading YAML nodes into typed values, with every problem tied to a line and a field path.

:class:`Reader` walks composed YAML nodes (``yaml.compose``) next to botocore shapes, so a
value is typed by what the model expects rather than by YAML's own guesses: an unquoted
``MfaConfiguration: OFF`` is the string ``"OFF"`` (YAML 1.1 would read a boolean), and
``Username: 123`` the string ``"123"``. Numbers and booleans must be written as such.
Problems are collected in ``problems``; the walk goes on so that one run reports them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import yaml
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolgate.errors import InvalidParameterException
from poolgate.protocol.model import operation_model
from poolgate.protocol.validate import validate

# Stands for a value that was reported as wrong and must not be used.
BAD: Final = object()

# A well-formed pool id put in requests that are validated before their pool exists.
PLACEHOLDER_POOL_ID = "us-east-1_Placeholder"

# The members of a user entry and their kinds (see Reader.typed).
USER_FIELDS: Mapping[str, str] = {
    "Username": "string",
    "Attributes": "string-map",
    "Password": "string",
    "TemporaryPassword": "string",
    "Enabled": "boolean",
    "Groups": "string-list",
    "Sub": "string",
    "Status": "string",
    "PasswordVerifier": "string-map",
}

_TAG = "tag:yaml.org,2002:"
_SCALAR_KINDS = {
    "string": "string",
    "blob": "string",
    "integer": "integer",
    "long": "integer",
    "boolean": "boolean",
    "float": "number",
    "double": "number",
}
_EXPECTED = {
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
    "number": "a number",
}
_CORAL_PATH = re.compile(r" at '([^']*)' failed to satisfy constraint")
_LISTED_LIMIT = 12


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value is: the file, its 1-based line (None for documents built in memory)
    and its field path, such as ``pools[0].clients[1].ExplicitAuthFlows``."""

    source: str
    line: int | None
    path: str

    def __str__(self) -> str:
        place = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{place}: {self.path}" if self.path else place

    def problem(self, message: str) -> str:
        return f"{self}: {message}"


def operation(name: str) -> OperationModel:
    """The model of a cognito-idp operation Poolgate knows."""
    model = operation_model(name)
    if model is None:
        raise LookupError(f"the service model has no operation {name}")
    return model


def input_shape(name: str) -> StructureShape:
    """The input shape of a cognito-idp operation."""
    return operation(name).input_shape


def represent(data: Any) -> yaml.Node:
    """The node tree PyYAML would write for ``data`` (without marks, so without lines)."""
    representer = yaml.representer.SafeRepresenter(default_flow_style=False, sort_keys=False)
    node: yaml.Node = representer.represent_data(data)
    return node


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def coral(path: str, member: str) -> str:
    """The Coral path of a structure member: its name with the first letter lowercased."""
    segment = member[:1].lower() + member[1:]
    return f"{path}.{segment}" if path else segment


class Reader:
    """One reading of one document; ``problems`` collects what was wrong."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def where(self, node: yaml.Node, path: str) -> Where:
        mark = node.start_mark
        return Where(self.source, mark.line + 1 if mark is not None else None, path)

    def fail(self, node: yaml.Node, path: str, message: str) -> object:
        self.problems.append(self.where(node, path).problem(message))
        return BAD

    def unknown(self, node: yaml.Node, path: str, key: str, allowed: Sequence[str]) -> None:
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif len(allowed) <= _LISTED_LIMIT:
            hint = f"; expected one of: {', '.join(allowed)}"
        else:
            hint = ""
        self.fail(node, path, f"unknown field {key!r}{hint}")

    # -- structure ------------------------------------------------------------------------

    def entries(self, node: yaml.Node, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The key and value nodes of a mapping by key; duplicate keys are problems.

        YAML merge keys (``<<: *defaults``) are honoured: keys written in the mapping win
        over merged ones, and of several merged mappings the first wins.
        """
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, f"expected a mapping, got {_kind_of(node)}")
            return None
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value in node.value:
            if key_node.tag == _TAG + "merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    for key, pair in (self.entries(source, path) or {}).items():
                        merged.setdefault(key, pair)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "keys must be plain names")
                continue
            key = key_node.value
            if key in own:
                first = self.where(own[key][0], "")
                self.fail(key_node, join(path, key), f"duplicate key (first at line {first.line})")
                continue
            own[key] = (key_node, value)
        return {**merged, **own}

    def sequence(self, node: yaml.Node, path: str) -> Iterator[tuple[int, yaml.Node]]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, f"expected a list, got {_kind_of(node)}")
            return
        yield from enumerate(node.value)

    def members(
        self,
        node: yaml.Node,
        path: str,
        shape: StructureShape,
        *,
        extra: Sequence[str],
        sink: dict[str, Where],
        hidden: Sequence[str] = (),
    ) -> tuple[dict[str, Any] | None, dict[str, Where], dict[str, tuple[yaml.Node, yaml.Node]]]:
        """Read a mapping whose keys are members of ``shape`` (less ``hidden``) or Poolgate's
        own ``extra`` keys; returns the typed members, where each key's value is, and the
        nodes of the extra keys. Coral paths of the members are recorded in ``sink``."""
        items = self.entries(node, path)
        if items is None:
            return None, {}, {}
        sink[""] = self.where(node, path)
        allowed = [*extra, *(m for m in shape.members if m not in hidden)]
        request: dict[str, Any] = {}
        fields: dict[str, Where] = {}
        others: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, (key_node, value) in items.items():
            fields[key] = self.where(key_node, join(path, key))
            if key in extra:
                others[key] = (key_node, value)
            elif key in shape.members and key not in hidden:
                typed = self.shaped(
                    value, shape.members[key], join(path, key), coral("", key), sink, key_node
                )
                if typed is not BAD:
                    request[key] = typed
            else:
                self.unknown(key_node, join(path, key), key, allowed)
        return request, fields, others

    # -- values -----------------------------------------------------------------------------

    def shaped(
        self,
        node: yaml.Node,
        shape: Shape,
        path: str,
        at: str,
        sink: dict[str, Where],
        label: yaml.Node | None = None,
    ) -> Any:
        """The value of ``node`` typed by the botocore ``shape``; BAD after a problem. Its
        Coral path ``at`` is recorded in ``sink`` at the line of ``label`` (the key node
        naming the value) when there is one."""
        sink[at] = self.where(label if label is not None else node, path)
        if isinstance(shape, StructureShape):
            if shape.is_document_type:
                return self._constructor.construct_object(node, deep=True)
            items = self.entries(node, path)
            if items is None:
                return BAD
            result: dict[str, Any] = {}
            for key, (key_node, value) in items.items():
                member = shape.members.get(key)
                if member is None:
                    self.unknown(key_node, join(path, key), key, list(shape.members))
                    continue
                typed = self.shaped(value, member, join(path, key), coral(at, key), sink, key_node)
                if typed is not BAD:
                    result[key] = typed
            return result
        if isinstance(shape, ListShape):
            elements = [
                self.shaped(item, shape.member, f"{path}[{index}]", f"{at}.{index + 1}.member", sink)
                for index, item in self.sequence(node, path)
            ]
            if not isinstance(node, yaml.SequenceNode) or any(e is BAD for e in elements):
                return BAD
            return elements
        if isinstance(shape, MapShape):
            items = self.entries(node, path)
            if items is None:
                return BAD
            mapped = {
                key: self.shaped(value, shape.value, join(path, key), f"{at}.{key}.member", sink, key_node)
                for key, (key_node, value) in items.items()
            }
            return BAD if any(v is BAD for v in mapped.values()) else mapped
        kind = _SCALAR_KINDS.get(shape.type_name)
        if kind is None:
            return self.fail(node, path, f"values of type {shape.type_name} cannot be given here")
        return self.scalar(node, kind, path)

    def typed(self, node: yaml.Node, kind: str, path: str) -> Any:
        """A value of one of the simple kinds of Poolgate's own keys: a scalar kind,
        ``string-list`` or ``string-map``."""
        if kind == "string-list":
            items = [self.scalar(item, "string", f"{path}[{i}]") for i, item in self.sequence(node, path)]
            ok = isinstance(node, yaml.SequenceNode) and BAD not in items
            return items if ok else BAD
        if kind == "string-map":
            entries = self.entries(node, path)
            if entries is None:
                return BAD
            mapped = {k: self.scalar(v, "string", join(path, k)) for k, (_, v) in entries.items()}
            return BAD if BAD in mapped.values() else mapped
        return self.scalar(node, kind, path)

    def scalar(self, node: yaml.Node, kind: str, path: str) -> Any:
        """A string (the text as written), whole number, number or boolean."""
        if not isinstance(node, yaml.ScalarNode):
            return self.fail(node, path, f"expected {_EXPECTED[kind]}, got {_kind_of(node)}")
        tag = node.tag
        if kind == "string":
            if tag == _TAG + "null" and not node.style:
                return self.fail(node, path, "expected a string, got nothing (null)")
            return node.value
        allowed = {"integer": ("int",), "boolean": ("bool",), "number": ("int", "float")}[kind]
        if tag in tuple(_TAG + name for name in allowed):
            return self._constructor.construct_object(node)
        return self.fail(node, path, f"expected {_EXPECTED[kind]}, got {node.value!r}")

    # -- the model's constraints ----------------------------------------------------------------

    def check_model(
        self, name: str, params: Mapping[str, Any], sink: Mapping[str, Where], fallback: Where
    ) -> None:
        """Run the model validator on ``params`` and report each violation at the node its
        Coral path points to (the nearest recorded ancestor, else ``fallback``)."""
        try:
            validate(operation(name), params)
        except InvalidParameterException as exc:
            _, _, listing = exc.message.partition(" detected: ")
            for item in re.split(r"; (?=Value )", listing or exc.message):
                found = _CORAL_PATH.search(item)
                at = found.group(1) if found else ""
                where = _nearest(sink, at) or fallback
                text = item.replace(f" at '{at}'", "", 1) if found else item
                self.problems.append(where.problem(text))


def _nearest(sink: Mapping[str, Where], at: str) -> Where | None:
    while True:
        if at in sink:
            return sink[at]
        if not at:
            return None
        at = at.rpartition(".")[0]


def _kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _TAG + "null":
        return "nothing (null)"
    return repr(node.value)
