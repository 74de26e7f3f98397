"""Fixtures of the pools-as-code tests: real services on a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.unit.devx._support import make_services

from poolgate.services import Services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = make_services(tmp_path / "a")
    yield built
    built.close()


@pytest.fixture
def fresh_services(tmp_path: Path) -> Iterator[Callable[[], Services]]:
    """Builds further, independent stores (an export applied elsewhere)."""
    made: list[Services] = []

    def build() -> Services:
        made.append(make_services(tmp_path / f"other{len(made)}"))
        return made[-1]

    yield build
    for item in made:
        item.close()
