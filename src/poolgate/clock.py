"""The one clock every time-dependent rule reads.

Production uses :class:`SystemClock`. Tests and ``serve --testing`` use an
:class:`OffsetClock`, whose offset lives in the database so that every process
sharing the store moves together when a test advances time.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Source of the current time, in seconds since the Unix epoch (UTC)."""

    def now(self) -> float:
        """Return the current time in epoch seconds."""
        ...


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> float:
        return time.time()


class FrozenClock:
    """A clock that only moves when told to; for unit tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = when


class OffsetSource(Protocol):
    """Where an :class:`OffsetClock` reads its offset from (the store, in practice)."""

    def clock_offset(self) -> float: ...


class OffsetClock:
    """Wall clock plus an offset read from a shared source, cached for ``ttl`` seconds.

    Used only with ``serve --testing``: the control API writes the offset to the
    database, and every process reads it from there.
    """

    def __init__(self, source: OffsetSource, ttl: float = 0.0) -> None:
        self._source = source
        self._ttl = ttl
        self._offset = 0.0
        self._read_at = float("-inf")

    def now(self) -> float:
        real = time.time()
        if real - self._read_at > self._ttl:
            self._offset = self._source.clock_offset()
            self._read_at = real
        return real + self._offset
