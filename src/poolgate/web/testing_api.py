"""The control API of ``serve --testing``: never mounted otherwise.

- ``GET  /_testing/messages?userPoolId=..&username=..``: codes and messages "sent" to users.
- ``GET  /_testing/clock``: the server's time and the offset from real time.
- ``POST /_testing/clock`` with ``{"advance": seconds}`` or ``{"set": epoch}``: move the clock.
- ``POST /_testing/reset``: delete every pool, client, user and message.

The clock offset is stored in the database, so every process sharing it moves together.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from poolgate.services import Services


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


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

    return [
        Route("/_testing/messages", messages, methods=["GET"]),
        Route("/_testing/clock", clock, methods=["GET", "POST"]),
        Route("/_testing/reset", reset, methods=["POST"]),
    ]
