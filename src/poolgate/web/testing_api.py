"""The control API of ``serve --testing``: never mounted otherwise.

- ``GET  /_testing/messages?userPoolId=..&username=..``: codes and messages "sent" to users.
- ``GET  /_testing/clock``: the server's time and the offset from real time.
- ``POST /_testing/clock`` with ``{"advance": seconds}`` or ``{"set": epoch}``: move the clock.
- ``POST /_testing/reset``: delete every pool, client, user and message.

The clock offset is stored in the database, so every process sharing it moves together.

A web page must not reach this API: it reads every code and temporary password, moves the clock
(which lifts lockouts) and deletes everything. So, before any route runs (:class:`TestingGuard`):

- ``Host`` must name this server: ``localhost``, an IP address, the address it listens on or the
  host of ``--public-url``. A DNS-rebinding page reaches the port under its own name, which fails.
- An ``Origin``, when sent, must be the server's own or one of ``--testing-allowed-origins``
  (none by default); browsers send one with every cross-site request.
- A POST must say ``Content-Type: application/json``. A browser cannot send that cross-site without
  a CORS preflight, and the preflight (``OPTIONS``) is answered only for the allowed origins.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from poolgate.config import Settings
from poolgate.services import Services

Endpoint = Callable[[Request], Awaitable[Response]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def _origin(scheme: str, host: str, port: int | None) -> str:
    """``scheme://host[:port]`` in lowercase, the default port left out, as browsers write origins."""
    host = host.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalise_origin(value: str) -> str | None:
    """An ``Origin`` (or URL) reduced to ``scheme://host[:port]``; None when it is not one."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return _origin(parts.scheme, parts.hostname, port)


def _host_and_port(value: str) -> tuple[str, int | None] | None:
    """Split a ``Host`` header value; None when it is malformed."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class TestingGuard:
    """Decides whether a request may use the testing API (see the module docstring).

    ``allowed_origins`` are the browser origins named by ``--testing-allowed-origins``; the names
    accepted in ``Host`` are ``localhost``, the listen address and the host of ``public_url``.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, *, host: str, public_url: str | None, allowed_origins: Iterable[str]) -> None:
        names = {"localhost", host.strip("[]").lower()}
        self.own_origins: set[str] = set()
        if public_url:
            parts = urlsplit(public_url)
            if parts.hostname:
                names.add(parts.hostname.lower())
            own = normalise_origin(public_url)
            if own is not None:
                self.own_origins.add(own)
        self.host_names = frozenset(names)
        self.allowed_origins = frozenset(o for o in map(normalise_origin, allowed_origins) if o is not None)

    @classmethod
    def from_settings(cls, settings: Settings) -> TestingGuard:
        return cls(
            host=settings.host,
            public_url=settings.public_url,
            allowed_origins=settings.testing_allowed_origins,
        )

    def refusal(self, request: Request) -> Response | None:
        """The answer refusing ``request``, or None when it may go on."""
        host = _host_and_port(request.headers.get("host", ""))
        if host is None or not (host[0] in self.host_names or _is_ip_address(host[0])):
            return _json(
                {
                    "message": "The testing API answers only requests addressed to this server's own host name "
                    "(localhost, an IP address, --host or --public-url)."
                },
                403,
            )
        origin = request.headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, request):
            return _json(
                {
                    "message": "The testing API refuses requests from other web origins; name a test page's "
                    "origin in --testing-allowed-origins to let it in."
                },
                403,
            )
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return _json({"message": "The testing API accepts only Content-Type: application/json."}, 415)
        return None

    def cors_headers(self, request: Request) -> dict[str, str]:
        """CORS headers for an allowed cross-origin page (none for anything else)."""
        origin = normalise_origin(request.headers.get("origin") or "")
        if origin is None or origin not in self.allowed_origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _origin_allowed(self, value: str, request: Request) -> bool:
        origin = normalise_origin(value)
        if origin is None:
            return False
        if origin in self.own_origins or origin in self.allowed_origins:
            return True
        # The page's origin is the address this request was sent to (Host is checked above).
        host = request.headers.get("host", "").strip().lower()
        scheme = urlsplit(origin).scheme
        return normalise_origin(f"{scheme}://{host}") == origin

    def wrap(self, endpoint: Endpoint) -> Endpoint:
        """``endpoint`` behind the checks, answering CORS preflights for the allowed origins."""

        async def guarded(request: Request) -> Response:
            refused = self.refusal(request)
            if refused is not None:
                return refused
            cors = self.cors_headers(request)
            if request.method == "OPTIONS":
                if not cors:
                    return _json({"message": "No CORS for this origin."}, 403)
                cors.update(
                    {
                        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                        "Access-Control-Allow-Headers": "content-type",
                        "Access-Control-Max-Age": "600",
                    }
                )
                return Response(status_code=204, headers=cors)
            response = await endpoint(request)
            response.headers.update(cors)
            return response

        return guarded


def testing_routes(services: Services) -> list[Route]:
    """The routes of the testing control API."""
    store = services.store

    async def messages(request: Request) -> Response:
        pool_id = request.query_params.get("userPoolId")
        username = request.query_params.get("username")

        def read() -> list[dict[str, Any]]:
            with store.transaction() as uow:
                rows = uow.outbox.list(pool_id, username)
            return [
                {
                    "userPoolId": m.user_pool_id,
                    "username": m.username,
                    "channel": m.channel,
                    "destination": m.destination,
                    "purpose": m.purpose,
                    "message": m.message,
                    "code": m.code,
                    "createdAt": m.created_at,
                }
                for m in rows
            ]

        return _json({"messages": await run_in_threadpool(read)})

    def clock_state() -> dict[str, float]:
        offset = store.clock_offset()
        return {"now": time.time() + offset, "offset": offset}

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = orjson.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise TypeError
                if "advance" in body:
                    advance = float(body["advance"])
                    await run_in_threadpool(lambda: store.set_clock_offset(store.clock_offset() + advance))
                elif "set" in body:
                    target = float(body["set"])
                    await run_in_threadpool(store.set_clock_offset, target - time.time())
                else:
                    raise ValueError
            except (ValueError, TypeError, orjson.JSONDecodeError):
                return _json({"message": 'send {"advance": seconds} or {"set": epoch seconds}'}, 400)
        return _json(await run_in_threadpool(clock_state))

    async def reset(request: Request) -> Response:
        await run_in_threadpool(store.reset)
        return _json({"reset": True})

    guard = TestingGuard.from_settings(services.settings)
    return [
        Route("/_testing/messages", guard.wrap(messages), methods=["GET", "OPTIONS"]),
        Route("/_testing/clock", guard.wrap(clock), methods=["GET", "POST", "OPTIONS"]),
        Route("/_testing/reset", guard.wrap(reset), methods=["POST", "OPTIONS"]),
    ]
