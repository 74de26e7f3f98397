"""Plain helpers for the delivery tests: a loopback HTTP server, free ports, sample messages.

Fixtures built on these live in ``conftest.py``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

from poolgate.delivery import Message

Reply = tuple[int, str, bytes]  # status, content type, body


@dataclass
class Recorded:
    """One request the fake server received."""

    path: str
    headers: dict[str, str]
    body: bytes


def _ok(_request: Recorded) -> Reply:
    return 200, "text/plain", b"ok"


@dataclass
class FakeHttp:
    """A running loopback server: its URL, what it received, and how it answers."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    reply: Callable[[Recorded], Reply] = _ok


def _handler_for(fake: FakeHttp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            headers = {key.lower(): value for key, value in self.headers.items()}
            recorded = Recorded(self.path, headers, self.rfile.read(length))
            fake.requests.append(recorded)
            status, content_type, body = fake.reply(recorded)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if 300 <= status < 400:
                self.send_header("Location", fake.url + "/elsewhere")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            # The tests assert on what arrived; the access log would only add noise.
            pass

    return Handler


class _QuietServer(HTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that timed out on purpose leaves the handler writing to a closed
        # socket; socketserver would print that traceback to stderr.
        pass


@contextmanager
def serve_http() -> Iterator[FakeHttp]:
    """Run an HTTP server on 127.0.0.1 in a thread; shut it down and close it on exit."""
    fake = FakeHttp(url="")
    server = _QuietServer(("127.0.0.1", 0), _handler_for(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A loopback port that nothing listens on (at the moment of the call)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_message(**changes: object) -> Message:
    """A sign-up code message by e-mail; keyword arguments replace fields."""
    values: dict[str, object] = {
        "user_pool_id": "us-east-1_Example1",
        "username": "alice",
        "channel": "EMAIL",
        "destination": "alice@example.com",
        "purpose": "SIGN_UP",
        "subject": "Your verification code",
        "body": "Your confirmation code is 123456",
        "code": "123456",
        "expires_at": 1_800_086_400.0,
    }
    values.update(changes)
    return Message(**values)  # type: ignore[arg-type]
