"""``POST /``: the HTTP front door of cognito-idp's AWS JSON 1.1 endpoint.

The protocol itself (target, SigV4, parse, validate, dispatch, serialize, error mapping) is
``poolgate.protocol.pipeline``; this module builds the request's ``RequestContext``, serves as
the pipeline's ``Edge`` (it checks the declared size and content type, reads the body within
its time limit, runs the blocking stages in the thread pool) and, from the finished context,
records the metrics and adds the CORS headers.

The request budgets of ``ratelimit`` are checked at the points the pipeline calls: per client
IP before the body is parsed, per pool once the client id is known, and the failed-sign-in
budget just before the handler (and charged when the handler reports a failed guess). The
metrics recorded for each request take their label values from closed sets only (``_record``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from functools import cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolgate import errors, metrics
from poolgate.operations.registry import Operations
from poolgate.protocol import sigv4
from poolgate.protocol.model import operation_names, service_model
from poolgate.protocol.pipeline import Pipeline, RequestContext
from poolgate.services import Services
from poolgate.web.client_ip import ClientAddress
from poolgate.web.cors import cors_headers
from poolgate.web.ratelimit import (
    RATE_LIMITED_OPERATIONS,
    ClientPools,
    FailedSignIns,
    RateLimiter,
    guessing_address,
)

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
# Content types accepted on POST / [decision]: both AWS JSON versions, and plain JSON for curl users.
ACCEPTED_CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")


class RequestTimeoutException(errors.CognitoError):
    """The request body did not arrive within ``body_timeout_seconds`` (a front-door error, as
    the ones in ``poolgate.errors``; kept here because only this endpoint raises it)."""

    code = "RequestTimeoutException"
    status = 408


class ApiEndpoint:
    """The ASGI-facing handler of ``POST /``: the :class:`~poolgate.protocol.pipeline.Edge` of
    the protocol pipeline."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.per_ip = RateLimiter(settings.rate_limit_per_ip)
        self.per_pool = RateLimiter(settings.rate_limit_per_pool)
        self.failed_sign_ins = FailedSignIns(
            settings.effective_failed_signin_rate, settings.failed_signin_burst_per_ip
        )
        self.client_pools = ClientPools(self._pool_of_client)
        self.client_address = ClientAddress(settings.trusted_proxies)
        self.pipeline = Pipeline(
            Operations(services),
            self,
            region=settings.region,
            dev=settings.dev,
            lookup_secret=services.lookup_secret,
        )

    def _pool_of_client(self, client_id: str) -> str | None:
        with self.services.store.transaction(readonly=True) as uow:
            client = uow.clients.get(client_id)
        return client.user_pool_id if client is not None else None

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        headers = request.headers
        ctx = RequestContext(
            request_id=str(uuid.uuid4()),
            headers=headers,
            source_ip=self.client_address.resolve(
                request.client.host if request.client else None, headers.get("x-forwarded-for")
            ),
            user_agent=headers.get("user-agent"),
            connection=request,
        )
        await self.pipeline.invoke(ctx)
        _record(ctx, time.perf_counter() - started)
        response_headers = ctx.response_headers or {}
        response_headers.update(cors_headers(headers.get("origin")))
        return Response(ctx.payload, status_code=ctx.status, headers=response_headers)

    # -- the Edge: what the pipeline asks of the HTTP front door ------------------------------

    def check_headers(self, ctx: RequestContext) -> None:
        limit = self.services.settings.max_body_bytes
        length = ctx.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise errors.RequestEntityTooLargeException(f"Request body is larger than {limit} bytes.")
        content_type = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise errors.SerializationException(
                f"Unsupported Content-Type {content_type or '(none)'!r}; use {JSON_CONTENT_TYPE}."
            )

    async def read_body(self, ctx: RequestContext) -> bytes:
        request: Request = ctx.connection
        limit = self.services.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        # A body trickled in byte by byte would hold this request (and its connection) open
        # forever; the whole body must arrive within body_timeout_seconds.
        try:
            async with asyncio.timeout(self.services.settings.body_timeout_seconds):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise errors.RequestEntityTooLargeException(
                            f"Request body is larger than {limit} bytes."
                        )
                    chunks.append(chunk)
        except TimeoutError:
            raise RequestTimeoutException("The request body did not arrive in time.") from None
        return b"".join(chunks)

    def admit(self, ctx: RequestContext) -> None:
        if ctx.operation in RATE_LIMITED_OPERATIONS:
            self.per_ip.check(ctx.source_ip or "unknown")

    async def run_blocking(self, stage: Callable[[RequestContext], None], ctx: RequestContext) -> None:
        await run_in_threadpool(stage, ctx)

    def signed_request(self, ctx: RequestContext) -> sigv4.SignedRequest:
        request: Request = ctx.connection
        return sigv4.SignedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=ctx.body,
        )

    def admit_client(self, ctx: RequestContext) -> None:
        if ctx.operation in RATE_LIMITED_OPERATIONS and self.per_pool.rate > 0:
            assert ctx.params is not None
            client_id = ctx.params.get("ClientId")
            pool_id = self.client_pools.pool_of(client_id) if isinstance(client_id, str) else None
            if pool_id is not None:
                self.per_pool.check(pool_id)

    def admit_attempt(self, ctx: RequestContext) -> str | None:
        if not self.failed_sign_ins.enabled:
            return None
        assert ctx.params is not None
        guesser = guessing_address(ctx.operation, ctx.params, ctx.source_ip)
        self.failed_sign_ins.check(guesser)
        return guesser

    def charge_failure(self, key: str | None, error: errors.CognitoError) -> None:
        self.failed_sign_ins.failed(key, error)


SIGN_IN_OPERATIONS = frozenset(
    {"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge"}
)


@cache
def _label_sets() -> tuple[frozenset[str], frozenset[str]]:
    """The closed sets of the ``operation`` label (the model's operations) and of the ``flow``
    label (its AuthFlowType and ChallengeNameType enums)."""
    model = service_model()
    flows = {*model.shape_for("AuthFlowType").enum, *model.shape_for("ChallengeNameType").enum}
    return frozenset(operation_names()), frozenset(flows)


def _record(ctx: RequestContext, seconds: float) -> None:
    """Request metrics, and for the sign-in operations the sign-in step's outcome, read from
    the finished context. Every label value is from a closed set (``metrics``): ``outcome`` is
    ``ok`` or ``metrics.error_code``, and ``operation`` and ``flow`` are checked against the
    model here."""
    operations, flows = _label_sets()
    operation = metrics.closed(ctx.operation or metrics.OTHER, operations)
    flow = metrics.closed(ctx.flow or metrics.OTHER, flows)
    outcome = "ok" if ctx.error is None else metrics.error_code(ctx.error)
    metrics.REQUESTS.labels(operation, outcome).inc()
    metrics.REQUEST_SECONDS.labels(operation).observe(seconds)
    if operation not in SIGN_IN_OPERATIONS:
        return
    if outcome != "ok":
        step = outcome
    elif isinstance(ctx.result, dict) and "AuthenticationResult" in ctx.result:
        step = "tokens"
    else:
        step = "challenge"
    metrics.SIGN_INS.labels(flow, step).inc()
