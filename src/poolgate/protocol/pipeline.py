"""The request pipeline: one ``RequestContext`` taken through every stage of ``POST /``.

:meth:`Pipeline.invoke` is the whole AWS JSON 1.1 protocol in one function, in the order AWS
checks a request::

    target -> SigV4 -> parse -> validate -> dispatch -> serialize

(the target from ``X-Amz-Target``; SigV4 only for the operations the model marks signed; parse
and validate along the input shape; dispatch through the registry; serialize along the output
shape)

and any failure on the way becomes Cognito's error framing (a ``CognitoError`` its ``__type``
and status, anything else a logged ``InternalErrorException``). The context carries what each
stage found (the operation, the access key, the params, the sign-in flow) and, at the end, the
response; the front door reads it from there (metrics, CORS) rather than being told through
out-parameters.

The front door that serves the pipeline is an :class:`Edge`: it owns the HTTP connection, so
it checks the headers, reads the body, runs the blocking stages off the event loop, gives the
bytes SigV4 signs, and applies its request budgets at the fixed points the pipeline calls it.
The operations are reached only through the :class:`~poolgate.protocol.dispatch.Registry`
handed to the pipeline; this package imports nothing from ``poolgate.operations``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.model import OperationModel

from poolgate import errors
from poolgate.protocol import sigv4
from poolgate.protocol.dispatch import Params, Registry, Result, check_registry
from poolgate.protocol.model import TARGET_PREFIX, is_public, operation_model
from poolgate.protocol.parser import parse_body
from poolgate.protocol.serializer import error_response, serialize_result, success_headers
from poolgate.protocol.validate import validate

__all__ = ["Edge", "Pipeline", "RequestContext"]

# The logger keeps the name the HTTP endpoint used for it, so existing log filters still match.
log = logging.getLogger("poolgate.api")


@dataclass(slots=True, eq=False)
class RequestContext:
    """One request on its way through the pipeline.

    The edge fills the first group when the request arrives; each stage fills its own field;
    :meth:`Pipeline.invoke` leaves the response in ``status``, ``response_headers`` and
    ``payload``, and the outcome in ``result`` (success) or ``error``.
    """

    request_id: str
    headers: Mapping[str, str]
    """The request's headers, looked up by lower-case name."""
    source_ip: str | None
    """The client address (the edge resolves trusted proxies)."""
    user_agent: str | None
    connection: Any = None
    """The edge's own handle on the request (a Starlette ``Request``); only the edge reads it."""

    # Filled by the stages.
    model: OperationModel | None = None
    """The operation's model, once ``X-Amz-Target`` names one."""
    operation: str = ""
    """The operation's name, once its body has been read ("" until then)."""
    body: bytes = b""
    access_key_id: str | None = None
    """The SigV4 signer of an IAM-authorised operation."""
    params: Params | None = None
    flow: str | None = None
    """The validated ``AuthFlow`` or ``ChallengeName`` of a sign-in step, if the request has one."""
    result: Result = None

    # The response.
    status: int = 500
    response_headers: dict[str, str] | None = None
    payload: bytes = b""
    error: errors.CognitoError | None = None
    """The error answered, when the request failed."""


class Edge(Protocol):
    """What the pipeline asks of the front door serving it, in the order it asks."""

    def check_headers(self, ctx: RequestContext) -> None:
        """Refuse a request by its headers alone (declared size, content type)."""

    def read_body(self, ctx: RequestContext) -> Awaitable[bytes]:
        """The request body, once the target is known."""

    def admit(self, ctx: RequestContext) -> None:
        """Apply the budgets that need only the operation and the client address."""

    def run_blocking(self, stage: Callable[[RequestContext], None], ctx: RequestContext) -> Awaitable[None]:
        """Run ``stage(ctx)`` off the event loop (it reads the database and does the crypto)."""

    def signed_request(self, ctx: RequestContext) -> sigv4.SignedRequest:
        """The request as SigV4 signs it: method, raw path and query, every header, the body."""

    def admit_client(self, ctx: RequestContext) -> None:
        """Apply the budgets that need the parsed params (the app client's pool), before validation."""

    def admit_attempt(self, ctx: RequestContext) -> str | None:
        """Refuse a sign-in attempt whose failure budget is spent; the budget's key, or None."""

    def charge_failure(self, key: str | None, error: errors.CognitoError) -> None:
        """Count ``error`` against the budget ``key`` that :meth:`admit_attempt` returned."""


class Pipeline:
    """Takes a :class:`RequestContext` from target to response (module docstring)."""

    def __init__(
        self,
        registry: Registry,
        edge: Edge,
        *,
        region: str,
        dev: bool,
        lookup_secret: Callable[[str], str | None],
    ) -> None:
        check_registry(registry)
        self._registry = registry
        self._edge = edge
        self._region = region
        self._dev = dev
        self._lookup_secret = lookup_secret

    async def invoke(self, ctx: RequestContext) -> RequestContext:
        """Run every stage on ``ctx`` and leave the response in it (never raises)."""
        edge = self._edge
        try:
            edge.check_headers(ctx)
            model = self._target(ctx)
            ctx.body = await edge.read_body(ctx)
            ctx.model = model
            ctx.operation = model.name
            edge.admit(ctx)
            await edge.run_blocking(self._run, ctx)
            ctx.payload = serialize_result(model, ctx.result)
            ctx.response_headers = success_headers(ctx.request_id)
            ctx.status = 200
        except errors.CognitoError as err:
            self._fail(ctx, err)
        except Exception:
            log.exception("unexpected error handling request %s", ctx.request_id)
            self._fail(ctx, errors.InternalErrorException("An internal error occurred."))
        return ctx

    def _run(self, ctx: RequestContext) -> None:
        """The stages after the body is in: SigV4, parse, validate, dispatch (blocking)."""
        model = ctx.model
        assert model is not None
        edge = self._edge
        if not is_public(model):
            ctx.access_key_id = self._authorise(edge.signed_request(ctx))
        params = ctx.params = parse_body(model, ctx.body)
        edge.admit_client(ctx)
        validate(model, params)
        # Only now, validated, may the AuthFlow or ChallengeName become a label value.
        ctx.flow = params.get("AuthFlow") or params.get("ChallengeName")
        handler = self._registry.handler_for(model.name)
        if handler is None:
            raise errors.UnsupportedOperationException(
                f"Poolgate does not implement the {model.name} operation yet."
            )
        key = edge.admit_attempt(ctx)
        try:
            ctx.result = handler(ctx, params)
        except errors.CognitoError as err:
            edge.charge_failure(key, err)
            raise

    @staticmethod
    def _target(ctx: RequestContext) -> OperationModel:
        target = ctx.headers.get("x-amz-target", "")
        prefix, _, name = target.partition(".")
        model = operation_model(name) if prefix == TARGET_PREFIX else None
        if model is None:
            raise errors.UnknownOperationException(f"Unknown operation {target or '(no X-Amz-Target)'}.")
        return model

    def _authorise(self, signed: sigv4.SignedRequest) -> str:
        # The skew window compares with the caller's wall clock, so it reads real time even when
        # the testing API has moved Poolgate's clock.
        now = time.time()
        if self._dev:
            return sigv4.check_well_formed(signed, region=self._region, now=now)
        return sigv4.verify(signed, region=self._region, now=now, lookup_secret=self._lookup_secret)

    @staticmethod
    def _fail(ctx: RequestContext, err: errors.CognitoError) -> None:
        ctx.error = err
        ctx.status, ctx.response_headers, ctx.payload = error_response(err, ctx.request_id)
