"""The HTTP/1.1 protocol uvicorn runs for Poolgate: h11 plus a deadline for request headers.

uvicorn closes a connection that sits idle between requests after ``timeout_keep_alive``,
but once a byte arrives it waits for the rest of the headers forever, so a few hundred
connections trickling a header byte every few seconds ("slowloris") would each hold a
socket and a file descriptor indefinitely. :class:`GuardedH11Protocol` gives every request
``POOLGATE_HEADER_TIMEOUT_SECONDS`` (default 10) from the connection opening, or from the
previous response, to complete its headers, and closes the connection otherwise. The body
has its own deadline, ``POOLGATE_BODY_TIMEOUT_SECONDS``, enforced where the API endpoint
reads it (``web/api.py``), and h11 already caps the header size at 16 KiB
(``h11_max_incomplete_event_size``).

We chose this over ``limit_concurrency``: a cap on connections turns a slowloris flood into
503s for real clients, whereas a deadline just makes the slow connections go away. Waiting
connections cost the event loop almost nothing in between.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from poolgate.config import settings_from_env


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    # Set by ``poolgate serve`` for one process; worker processes read the environment.
    header_timeout: ClassVar[float | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if GuardedH11Protocol.header_timeout is None:
            GuardedH11Protocol.header_timeout = settings_from_env().header_timeout_seconds
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            # The request line and headers are complete (or the connection is done).
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        timeout = GuardedH11Protocol.header_timeout or 10.0
        self._header_deadline = self.loop.call_later(timeout, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
