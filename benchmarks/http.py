"""A small HTTP/1.1 client over asyncio streams, for the load generator.

aiohttp spends more client CPU per request than the servers we measure can
afford us to waste on a 2-core machine, so each load worker owns one
keep-alive connection and writes requests as pre-built bytes. Only what the
three servers under test send back is understood: ``Content-Length`` bodies,
``Transfer-Encoding: chunked`` bodies, and bodies ended by closing the
connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


class HttpError(Exception):
    """The connection failed or the response could not be read."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive connection to ``host:port``, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.host_header = f"{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, headers: list[tuple[str, str]] | tuple[()] = (), body: bytes = b""
    ) -> Response:
        """Send one request and read the whole response.

        ``headers`` must not contain ``Host`` or ``Content-Length``; they are
        added here. A request on a reused connection that the server had
        already closed is retried once on a fresh connection.
        """
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}", f"Content-Length: {len(body)}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = self._writer is not None
        try:
            return await self._exchange(data)
        except (ConnectionError, asyncio.IncompleteReadError, HttpError) as exc:
            self.close()
            if not reused:
                raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        try:
            return await self._exchange(data)
        except (ConnectionError, asyncio.IncompleteReadError, HttpError) as exc:
            self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, data: bytes) -> Response:
        if self._writer is None:
            await self._open()
        assert self._reader is not None and self._writer is not None
        self._writer.write(data)
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HttpError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        keep_alive = parts[0] == "HTTP/1.1"
        connection = headers.get("connection", "").lower()
        if connection == "close":
            keep_alive = False
        elif connection == "keep-alive":
            keep_alive = True

        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await reader.read()
            keep_alive = False
        if not keep_alive:
            self.close()
        return Response(status, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
