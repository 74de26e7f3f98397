"""GuardedHttpToolsProtocol: a deadline and a size cap for request headers, on a real uvicorn
listening on a local port (the stress suite's slowloris test runs it under load)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from poolgate.web.http import MAX_HEADER_BYTES, GuardedHttpToolsProtocol


async def _echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(GuardedHttpToolsProtocol, "header_timeout", 0.5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_echo_length, http=GuardedHttpToolsProtocol, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, data: bytes, *, wait: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(data)
        chunks = []
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"".join(chunks).count(b"HTTP/1.1") >= data.count(b"HTTP/1.1"):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _request(body: bytes = b"", extra: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def test_ordinary_and_pipelined_requests_are_answered(port: int) -> None:
    answer = _exchange(port, _request(b"abc") + _request(b"defgh"))
    assert answer.count(b"HTTP/1.1 200") == 2
    assert answer.endswith(b"5")


def test_a_large_body_with_small_headers_is_fine(port: int) -> None:
    body = b"x" * (MAX_HEADER_BYTES * 3)
    assert _exchange(port, _request(body)).endswith(str(len(body)).encode())


def test_oversized_headers_are_refused_with_431(port: int) -> None:
    huge = b"X-Padding: " + b"a" * (MAX_HEADER_BYTES + 10) + b"\r\n"
    answer = _exchange(port, _request(b"", huge))
    assert answer.startswith(b"HTTP/1.1 431")


def test_headers_that_do_not_finish_in_time_lose_the_connection(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert conn.recv(1024) == b""  # closed by the server, with nothing sent
        assert time.monotonic() - started < 3


def test_the_deadline_restarts_after_each_response(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for _ in range(3):
            time.sleep(0.3)  # each wait alone is inside the deadline, together they are not
            conn.sendall(_request(b"ab"))
            assert conn.recv(1024).startswith(b"HTTP/1.1 200")


def test_a_large_body_after_a_blank_line_split_between_reads_is_fine(port: int) -> None:
    body = b"y" * (MAX_HEADER_BYTES * 2)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head)
        time.sleep(0.1)  # the server reads the head alone, then the rest in one go
        conn.sendall(b"\n" + body)
        answer = conn.recv(1024)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(str(len(body)).encode())
