"""The composition root: ``create_app(settings)`` builds the ASGI app and its services.

The middleware stack is deliberately empty: the API endpoint adds its own CORS
headers, and everything else is a plain route.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from poolgate import errors, metrics
from poolgate.config import Settings, settings_from_env
from poolgate.security.notify import FEEDBACK_PATH
from poolgate.services import Services, build_services
from poolgate.web.api import ApiEndpoint
from poolgate.web.cors import preflight_headers
from poolgate.web.testing_api import testing_routes

log = logging.getLogger("poolgate")


def create_app(
    settings: Settings, services: Services | None = None, *, on_ready: str | None = None
) -> Starlette:
    """Build the app. ``services`` defaults to a fresh set for ``settings`` (no migration run);
    ``on_ready`` is a line printed once the server accepts requests."""
    services = services or build_services(settings, migrate=False)
    api = ApiEndpoint(services)

    async def preflight(request: Request) -> Response:
        headers = preflight_headers(
            request.headers.get("origin"), request.headers.get("access-control-request-headers")
        )
        return Response(status_code=200, headers=headers)

    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        try:
            await run_in_threadpool(services.store.ping)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "reachable"})

    async def jwks(request: Request) -> Response:
        return await _pool_document(services, request.path_params["pool_id"], "jwks")

    async def openid_configuration(request: Request) -> Response:
        return await _pool_document(services, request.path_params["pool_id"], "discovery")

    async def auth_event_feedback(request: Request) -> Response:
        return await _one_click_feedback(services, request)

    routes = [
        Route("/", api.handle, methods=["POST"]),
        Route("/{pool_id}" + FEEDBACK_PATH, auth_event_feedback, methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/{pool_id}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/", preflight, methods=["OPTIONS"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
    ]
    if settings.testing:
        routes.extend(testing_routes(services))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        purge = asyncio.create_task(_purge_forever(services))
        # What start-up built (the service model, SQLAlchemy's tables, the app) lives as long as
        # the process; frozen, it is out of the way of the collector, whose full passes over
        # those ~100,000 objects took about 20 ms each.
        gc.collect()
        gc.freeze()
        if on_ready:
            print(on_ready, flush=True)
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            services.close()

    return Starlette(routes=routes, lifespan=lifespan)


async def _pool_document(services: Services, pool_id: str, which: str) -> Response:
    """A pool's JWKS or OIDC discovery document; 404 for an unknown pool."""

    def read() -> dict[str, object] | None:
        with services.store.transaction(readonly=True) as uow:
            if uow.pools.get(pool_id) is None:
                return None
            if which == "jwks":
                return services.tokens.jwks(uow, pool_id)
            return services.tokens.discovery(pool_id)

    document = await run_in_threadpool(read)
    if document is None:
        return JSONResponse({"message": f"User pool {pool_id} does not exist."}, status_code=404)
    return JSONResponse(
        document, headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    )


_FEEDBACK_VALUES = {"valid": "Valid", "invalid": "Invalid"}


async def _one_click_feedback(services: Services, request: Request) -> Response:
    """The one-click links of the account-takeover e-mails (``security.notify``): the same work
    as UpdateAuthEventFeedback, with the e-mail's FeedbackToken. Answers a short HTML page."""
    query = request.query_params
    value = _FEEDBACK_VALUES.get(query.get("feedback", "").lower())
    username, event_id, token = query.get("username"), query.get("event_id"), query.get("token")
    if value is None or not username or not event_id or not token:
        return HTMLResponse(_page("This feedback link is incomplete."), status_code=400)

    def record() -> None:
        services.threat.update_feedback(
            request.path_params["pool_id"], username, event_id, value, token=token
        )

    try:
        await run_in_threadpool(record)
    except errors.CognitoError as err:
        return HTMLResponse(
            _page(f"Your feedback could not be recorded: {err.message}"), status_code=err.status
        )
    thanks = (
        "Thank you: the sign-in was marked as yours."
        if value == "Valid"
        else ("Thank you: the sign-in was marked as not yours. Change your password.")
    )
    return HTMLResponse(_page(thanks))


def _page(text: str) -> str:
    return f"<!doctype html><title>Sign-in feedback</title><p>{html.escape(text)}</p>"


async def _purge_forever(services: Services) -> None:
    """Delete expired rows every ``purge_interval_seconds``."""
    interval = services.settings.purge_interval_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await run_in_threadpool(services.store.purge_expired, services.clock.now())
            if removed:
                log.info("purged %d expired rows", removed)
        except Exception:
            log.exception("purging expired rows failed")


def app_from_environment() -> Starlette:
    """App factory for ``--workers N``: each worker reads its settings from POOLGATE_* variables."""
    return create_app(settings_from_env())
