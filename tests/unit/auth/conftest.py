"""Fixtures of the auth tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.auth._support import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    built = make_world()
    yield built
    built.store.close()
