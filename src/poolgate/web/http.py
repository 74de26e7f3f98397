"""The HTTP/1.1 protocol uvicorn runs for Poolgate: httptools plus a deadline and a size cap
for request headers.

uvicorn closes a connection that sits idle between requests after ``timeout_keep_alive``,
but once a byte arrives it waits for the rest of the headers forever, so a few hundred
connections trickling a header byte every few seconds ("slowloris") would each hold a
socket and a file descriptor indefinitely. :class:`GuardedHttpToolsProtocol` gives every
request ``POOLGATE_HEADER_TIMEOUT_SECONDS`` (default 10) from the connection opening, or from
the previous response, to complete its headers, and closes the connection otherwise. The body
has its own deadline, ``POOLGATE_BODY_TIMEOUT_SECONDS``, enforced where the API endpoint reads
it (``web/api.py``). llhttp, the parser under httptools, sets no limit on the size of the
headers, so the protocol also answers 431 and closes once a request's line and headers pass
:data:`MAX_HEADER_BYTES` (16 KiB, what h11 allows by default).

We chose a deadline over ``limit_concurrency``: a cap on connections turns a slowloris flood
into 503s for real clients, whereas a deadline just makes the slow connections go away.
Waiting connections cost the event loop almost nothing in between.

httptools rather than h11: the C parser costs a fraction of the pure-Python one per request
(benchmarks/README.md, "Profile findings"), and the guard needs only the parser callbacks
both protocols have.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from poolgate.config import settings_from_env

MAX_HEADER_BYTES: Final = 16 * 1024
"""Most bytes a request line plus headers may take before the connection is refused."""

_TOO_LARGE: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large"
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size cap for each request's headers."""

    # Set by ``poolgate serve`` for one process; worker processes read the environment.
    header_timeout: ClassVar[float | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if GuardedHttpToolsProtocol.header_timeout is None:
            GuardedHttpToolsProtocol.header_timeout = settings_from_env().header_timeout_seconds
        self._header_deadline: asyncio.TimerHandle | None = None
        # Bytes of the current request's line and headers seen so far; None once they are complete.
        self._header_bytes: int | None = 0
        self._tail = b""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_bytes is not None:
            before = self._header_bytes
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES and not self._headers_fit(data, before):
                self._disarm_header_deadline()
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
            self._tail = data[-3:]
        super().data_received(data)

    def _headers_fit(self, data: bytes, before: int) -> bool:
        """Whether the headers end within the cap although the bytes received passed it (a
        request's body can arrive in the same read as its headers). ``before`` counts the
        request's bytes received earlier, the last three of them kept in ``_tail`` in case the
        blank line ending the headers is split between two reads."""
        window = self._tail + data
        end = window.find(b"\r\n\r\n")
        return end >= 0 and before - len(self._tail) + end + 4 <= MAX_HEADER_BYTES

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A pipelined request starts in the same read as the previous one ended.
        if self._header_bytes is None:
            self._header_bytes = 0
            self._tail = b""

    def on_headers_complete(self) -> None:
        self._header_bytes = None
        self._disarm_header_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or self.pipeline:
            # A pipelined request (its headers complete) is being started instead.
            return
        if self._header_bytes is None:
            self._await_headers()
        else:
            # The next request's headers began in the same read as the last body.
            self._arm_header_deadline()

    def _await_headers(self) -> None:
        self._header_bytes = 0
        self._tail = b""
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        timeout = GuardedHttpToolsProtocol.header_timeout or 10.0
        self._header_deadline = self.loop.call_later(timeout, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self._header_bytes is not None and not self.transport.is_closing():
            self.transport.close()
