"""Fixtures of the device tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.devices._support import DeviceWorld, make_device_world


@pytest.fixture
def dw() -> Iterator[DeviceWorld]:
    built = make_device_world()
    yield built
    built.tw.world.store.close()
