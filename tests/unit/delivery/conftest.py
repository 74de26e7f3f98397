"""Fixtures shared by the delivery tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.delivery._support import FakeHttp, serve_http


@pytest.fixture
def fake_http() -> Iterator[FakeHttp]:
    """A loopback HTTP server that records POSTs; see ``_support.serve_http``."""
    with serve_http() as fake:
        yield fake
