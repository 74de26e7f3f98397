"""Running trigger functions as Python callables inside the server process.

``POOLGATE_LAMBDA_HANDLERS="presignup=myapp.triggers:pre_sign_up,..."`` names, per function,
a ``package.module:function`` written like a Python Lambda handler: ``handler(event,
context)`` returning the event. Modules are imported on first call.

The event a handler receives went through JSON exactly as on Lambda, so the handler cannot
change Poolgate's own objects, and its result must be JSON-serialisable. ``context`` has the
attributes of the Lambda Python runtime's context object.

Calls run on a bounded thread pool owned by the invoker. A call that misses its deadline is
abandoned: Python cannot stop a thread, so the handler runs on and its result is ignored,
and the caller sees a timeout (a :class:`TransientError`, which the runner retries). Abandoned
calls keep a pool thread busy until they return; ``abandoned`` counts them.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from poolgate.triggers.invokers import (
    MAX_RESPONSE_BYTES,
    RESPONSE_TOO_LARGE,
    SOCKET_TIMEOUT,
    FunctionError,
    ResponseError,
    TransientError,
    UnavailableError,
)

Handler = Callable[[Any, Any], Any]

log = logging.getLogger("poolgate.triggers")


class LambdaContext:
    """What the Lambda Python runtime passes as ``context`` (``identity`` and
    ``client_context`` are always None; ``memory_limit_in_mb`` is a string, as the runtime
    reads it from its environment)."""

    __slots__ = (
        "_deadline",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(
        self, *, function_name: str, qualifier: str | None, region: str, account_id: str, deadline: float
    ):
        arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"{arn}:{qualifier}" if qualifier else arn
        self.memory_limit_in_mb = "128"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        today = datetime.datetime.now(datetime.UTC).strftime("%Y/%m/%d")
        self.log_stream_name = f"{today}/[$LATEST]{uuid.uuid4().hex}"
        self.identity: object = None
        self.client_context: object = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Poolgate stops waiting for this call."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: str) -> Handler:
    """Import ``package.module:function`` (the part after the colon may be dotted)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"a handler must look like package.module:function, not {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{spec} is not callable")
    handler: Handler = target
    return handler


class InProcessInvoker:
    """A :class:`~poolgate.triggers.invokers.LambdaInvoker` for Python handlers.

    ``handlers`` maps function names to ``module:function`` strings or to callables.
    ``threads`` bounds the calls running at once (further calls wait, within their deadline).
    """

    def __init__(
        self,
        handlers: Mapping[str, str | Handler],
        *,
        threads: int = 8,
        region: str = "us-east-1",
        account_id: str = "000000000000",
    ) -> None:
        self._specs = dict(handlers)
        self._loaded: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="poolgate-lambda")
        self.region = region
        self.account_id = account_id
        self.calls = 0
        self.abandoned = 0

    def register(self, name: str, handler: str | Handler) -> None:
        """Add or replace the handler of function ``name`` (for test suites running Poolgate
        in their own process)."""
        with self._lock:
            self._specs[name] = handler
            self._loaded.pop(name, None)

    def handles(self, function: str) -> bool:
        """True if ``function`` (``NAME`` or ``NAME:qualifier``) has a handler here."""
        return function in self._specs or function.split(":", 1)[0] in self._specs

    def _handler(self, function: str) -> Handler:
        key = function if function in self._specs else function.split(":", 1)[0]
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            spec = self._specs.get(key)
            if spec is None:
                raise UnavailableError("ResourceNotFoundException")
            try:
                handler = load_handler(spec) if isinstance(spec, str) else spec
            except Exception:
                log.exception("cannot load the handler of function %s (%s)", key, spec)
                raise UnavailableError("ResourceNotFoundException") from None
            self._loaded[key] = handler
            return handler

    def invoke(self, function: str, payload: bytes, timeout: float) -> bytes:
        handler = self._handler(function)
        name, _, qualifier = function.partition(":")
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise ResponseError(f"the event is not JSON: {exc}") from None
        context = LambdaContext(
            function_name=name,
            qualifier=qualifier or None,
            region=self.region,
            account_id=self.account_id,
            deadline=time.monotonic() + timeout,
        )
        with self._lock:
            self.calls += 1
        future = self._executor.submit(_call, handler, event, context)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            # A call still queued is dropped; one already running is left to finish unseen.
            future.cancel()
            with self._lock:
                self.abandoned += 1
            raise TransientError(SOCKET_TIMEOUT) from None

    def close(self) -> None:
        """Stop taking calls; queued calls are dropped, running ones are not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _call(handler: Handler, event: Any, context: LambdaContext) -> bytes:
    try:
        result = handler(event, context)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of the handler is a function error
        raise FunctionError(str(exc)) from None
    try:
        encoded = json.dumps(result, ensure_ascii=False).encode()
        if len(encoded) > MAX_RESPONSE_BYTES:
            raise UnavailableError(RESPONSE_TOO_LARGE)
        return encoded
    except (TypeError, ValueError) as exc:
        raise ResponseError(f"the handler's result is not JSON-serialisable: {exc}") from None
