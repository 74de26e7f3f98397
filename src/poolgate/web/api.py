"""``POST /``: the AWS JSON 1.1 endpoint of cognito-idp.

Order of checks, as AWS does it: size and content type, the target, the
signature (for IAM-authorised operations), then the body's types and
constraints, then the handler. Every failure is a Cognito error; anything
unexpected is logged with the request id and answered InternalErrorException.

The request budgets of ``ratelimit`` are checked on the way: per client IP before the body
is parsed, per pool once the client id is known, and the failed-sign-in budget just before
the handler (and charged when the handler reports a failed guess). The metrics recorded for
each request take their label values from closed sets only (``_record``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from functools import cache
from typing import Any

from botocore.model import OperationModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolgate import errors, metrics
from poolgate.protocol import sigv4
from poolgate.protocol.dispatch import OperationContext, handler_for
from poolgate.protocol.model import TARGET_PREFIX, is_public, operation_model, operation_names, service_model
from poolgate.protocol.parser import parse_body
from poolgate.protocol.serializer import error_response, serialize_result, success_headers
from poolgate.protocol.validate import validate
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

log = logging.getLogger("poolgate.api")

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
# Content types accepted on POST / [decision]: both AWS JSON versions, and plain JSON for curl users.
ACCEPTED_CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")


class RequestTimeoutException(errors.CognitoError):
    """The request body did not arrive within ``body_timeout_seconds`` (a front-door error, as
    the ones in ``poolgate.errors``; kept here because only this endpoint raises it)."""

    code = "RequestTimeoutException"
    status = 408


class ApiEndpoint:
    """The ASGI-facing handler of ``POST /``."""

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

    def _pool_of_client(self, client_id: str) -> str | None:
        with self.services.store.transaction(readonly=True) as uow:
            client = uow.clients.get(client_id)
        return client.user_pool_id if client is not None else None

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        origin = request.headers.get("origin")
        started = time.perf_counter()
        op_name = metrics.OTHER
        result: Any = None
        # The AuthFlow or ChallengeName of a sign-in request once validated, for the sign-in metric.
        flow: list[str] = []
        try:
            op_name, body = await self._read(request)
            client_ip = self.client_address.resolve(
                request.client.host if request.client else None, request.headers.get("x-forwarded-for")
            )
            if op_name in RATE_LIMITED_OPERATIONS:
                self.per_ip.check(client_ip or "unknown")
            result, op = await run_in_threadpool(
                self._run, request, op_name, body, request_id, client_ip, flow
            )
            payload = serialize_result(op, result)
            headers = success_headers(request_id)
            status, outcome = 200, "ok"
        except errors.CognitoError as err:
            status, headers, payload = error_response(err, request_id)
            outcome = metrics.error_code(err)
        except Exception:
            log.exception("unexpected error handling request %s", request_id)
            status, headers, payload = error_response(
                errors.InternalErrorException("An internal error occurred."), request_id
            )
            outcome = "InternalErrorException"
        _record(op_name, outcome, result, flow[0] if flow else metrics.OTHER, time.perf_counter() - started)
        headers.update(cors_headers(origin))
        return Response(payload, status_code=status, headers=headers)

    async def _read(self, request: Request) -> tuple[str, bytes]:
        limit = self.services.settings.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise errors.RequestEntityTooLargeException(f"Request body is larger than {limit} bytes.")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise errors.SerializationException(
                f"Unsupported Content-Type {content_type or '(none)'!r}; use {JSON_CONTENT_TYPE}."
            )
        target = request.headers.get("x-amz-target", "")
        prefix, _, op_name = target.partition(".")
        if prefix != TARGET_PREFIX or operation_model(op_name) is None:
            raise errors.UnknownOperationException(f"Unknown operation {target or '(no X-Amz-Target)'}.")
        chunks: list[bytes] = []
        size = 0
        # A body trickled in byte by byte would hold this request (and its connection) open
        # forever; the whole body must arrive within body_timeout_seconds.
        try:
            async with asyncio.timeout(self.services.settings.body_timeout_seconds):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise errors.RequestEntityTooLargeException(f"Request body is larger than {limit} bytes.")
                    chunks.append(chunk)
        except TimeoutError:
            raise RequestTimeoutException("The request body did not arrive in time.") from None
        return op_name, b"".join(chunks)

    def _run(
        self, request: Request, op_name: str, body: bytes, request_id: str, client_ip: str | None,
        flow: list[str],
    ) -> tuple[Any, OperationModel]:
        op = operation_model(op_name)
        assert op is not None
        access_key_id = None if is_public(op) else self._authorise(request, body)
        params = parse_body(op, body)
        if op_name in RATE_LIMITED_OPERATIONS and self.per_pool.rate > 0:
            client_id = params.get("ClientId")
            pool_id = self.client_pools.pool_of(client_id) if isinstance(client_id, str) else None
            if pool_id is not None:
                self.per_pool.check(pool_id)
        validate(op, params)
        # Only now, validated, may the AuthFlow or ChallengeName become a label value.
        flow.append(str(params.get("AuthFlow") or params.get("ChallengeName") or metrics.OTHER))
        handler = handler_for(op_name)
        if handler is None:
            raise errors.UnsupportedOperationException(f"Poolgate does not implement the {op_name} operation yet.")
        ctx = OperationContext(
            operation=op_name,
            request_id=request_id,
            services=self.services,
            access_key_id=access_key_id,
            source_ip=client_ip,
            user_agent=request.headers.get("user-agent"),
        )
        guesser = guessing_address(op_name, params, client_ip) if self.failed_sign_ins.enabled else None
        self.failed_sign_ins.check(guesser)
        try:
            return handler(ctx, params), op
        except errors.CognitoError as err:
            self.failed_sign_ins.failed(guesser, err)
            raise

    def _authorise(self, request: Request, body: bytes) -> str:
        signed = sigv4.SignedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=body,
        )
        settings = self.services.settings
        # The skew window compares with the caller's wall clock, so it reads real time even when
        # the testing API has moved Poolgate's clock.
        now = time.time()
        if settings.dev:
            return sigv4.check_well_formed(signed, region=settings.region, now=now)
        return sigv4.verify(signed, region=settings.region, now=now, lookup_secret=self.services.lookup_secret)


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


def _record(operation: str, outcome: str, result: Any, flow: str, seconds: float) -> None:
    """Request metrics, and for the sign-in operations the sign-in step's outcome. Every label
    value is from a closed set (``metrics``): ``outcome`` is ``ok`` or ``metrics.error_code``,
    and ``operation`` and ``flow`` are checked against the model here."""
    operations, flows = _label_sets()
    operation = metrics.closed(operation, operations)
    flow = metrics.closed(flow, flows)
    metrics.REQUESTS.labels(operation, outcome).inc()
    metrics.REQUEST_SECONDS.labels(operation).observe(seconds)
    if operation not in SIGN_IN_OPERATIONS:
        return
    if outcome != "ok":
        step = outcome
    elif isinstance(result, dict) and "AuthenticationResult" in result:
        step = "tokens"
    else:
        step = "challenge"
    metrics.SIGN_INS.labels(flow, step).inc()
