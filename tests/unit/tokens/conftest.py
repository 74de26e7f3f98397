"""Fixtures of the token tests: ``world`` runs on the SQL store and on fake token repos."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.tokens._support import World, make_world


@pytest.fixture(params=["sql", "fake"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    built = make_world(request.param)
    yield built
    built.store.close()


@pytest.fixture
def sql_world() -> Iterator[World]:
    built = make_world("sql")
    yield built
    built.store.close()
