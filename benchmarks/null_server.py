"""A do-nothing HTTP/1.1 server: reads each request and answers a fixed JSON body.

It stands in for the server under test to show how many requests per second
the load generator itself can drive (``python -m benchmarks.null_server --port N``).
The answer is about as long as a real sign-in result, so the generator reads
and decodes a realistic amount per request.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

# A body the size of an AuthenticationResult with three tokens (about 3.5 KB).
BODY = (
    b'{"AuthenticationResult":{"AccessToken":"'
    + b"a" * 1100
    + b'","IdToken":"'
    + b"i" * 1200
    + b'","RefreshToken":"'
    + b"r" * 480
    + b'","ExpiresIn":3600,"TokenType":"Bearer"},"ChallengeParameters":{}}'
)
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


class NullProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, so no isinstance check here.
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            start = head.find(b"content-length:")
            if start >= 0:
                line_end = head.find(b"\r\n", start)
                length = int(head[start + 15 : line_end if line_end >= 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.transport.write(RESPONSE)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(NullProtocol, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve(args.port))
        else:
            uvloop.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
