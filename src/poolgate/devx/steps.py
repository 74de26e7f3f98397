"""What planning produces: steps that make one change each, and how changes are worded.

A step's ``lines`` may name a pool id that only exists once an earlier step has run (a pool
declared without a fixed Id), so lines are computed after ``run``; a dry run calls
``lines`` alone and such a pool is named ``(new) <name>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from poolgate.devx.reader import Where

NOTHING_TO_CHANGE = "= nothing to change"

_UNSET = object()


@dataclass(slots=True)
class PoolRef:
    """The pool a step works on; ``id`` is None until a pool without a fixed Id is created."""

    id: str | None
    name: str

    def __str__(self) -> str:
        return self.id if self.id is not None else f"(new) {self.name}"

    def require(self) -> str:
        if self.id is None:
            raise RuntimeError(f"pool {self.name!r} has not been created yet")
        return self.id


@dataclass(frozen=True, slots=True)
class Step:
    """One change: ``run`` makes it, ``lines`` reports it (``+`` added, ``~`` changed)."""

    run: Callable[[], None]
    lines: Callable[[], list[str]]


@dataclass(slots=True)
class Plan:
    """The steps of one apply, in order, and the problems that forbid running them."""

    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, run: Callable[[], None], lines: Callable[[], list[str]]) -> None:
        self.steps.append(Step(run, lines))

    def blame(self, where: Where, fields: Mapping[str, Where], message: str) -> None:
        """Report ``message`` at the first field it names, else at ``where``: the core's
        errors (``ExplicitAuthFlows cannot combine ...``) name members but not lines."""
        members = [name for name in fields if name[:1].isupper()]
        for name in sorted(members, key=len, reverse=True):
            if name in message:
                self.problems.append(fields[name].problem(message))
                return
        self.problems.append(where.problem(message))


def diff(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """One ``Member.Path old → new`` text per leaf that differs; lists compare whole."""
    changes: list[str] = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key, _UNSET), new.get(key, _UNSET)
        if before == after:
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            changes.extend(diff(before, after, path))
        else:
            changes.append(f"{path} {show(before)} → {show(after)}")
    return changes


def show(value: Any) -> str:
    """A value as change lines print it: scalars bare, lists and mappings as JSON."""
    if value is _UNSET or value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value and value.strip() == value else json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
