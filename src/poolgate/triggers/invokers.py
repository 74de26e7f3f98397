"""The seam between the trigger runner and the ways a function can run.

A :class:`LambdaInvoker` sends an event's JSON to a function and gives back the bytes the
function returned. It reports failure only through the typed errors below, which the runner
maps to Cognito's trigger errors:

- :class:`FunctionError`: the function ran and threw (never retried);
- :class:`TransientError`: timeout, throttling, a 5xx or a connection error (retried);
- :class:`UnavailableError`: the call was refused for good (function missing, access denied);
- :class:`ResponseError`: the function returned something that is not JSON.

This module also resolves LambdaConfig ARNs to function names and holds the
:class:`RoutingInvoker` that picks an invoker per function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

# The detail Cognito reports when a function did not answer in time [spec triggers.md §2].
SOCKET_TIMEOUT = "Socket timeout while invoking Lambda function"


class InvokeError(Exception):
    """Base of the invoker errors; ``detail`` is the text Cognito's message carries."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class FunctionError(InvokeError):
    """The function threw; ``detail`` is its ``errorMessage``."""


class TransientError(InvokeError):
    """The attempt failed in a way another attempt may not (timeout, throttling, 5xx, network)."""


# AWS Lambda's limit on a synchronous response; a bigger one fails the invocation.
MAX_RESPONSE_BYTES = 6_291_556
RESPONSE_TOO_LARGE = (
    f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)"
)


class UnavailableError(InvokeError):
    """The Lambda service refused the call for good; ``detail`` is its error code
    (``ResourceNotFoundException``, ``AccessDeniedException``, ...)."""


class ResponseError(InvokeError):
    """The function's result could not be turned into JSON."""


class LambdaInvoker(Protocol):
    """Runs one function synchronously (Lambda's ``RequestResponse``).

    ``function`` is a function name, optionally with a qualifier (``name:alias``), as
    :func:`function_name` gives it. ``payload`` is the event's JSON. The call must return or
    raise within about ``timeout`` seconds. Returns the function's result as bytes (normally
    JSON); raises only the :class:`InvokeError` subclasses.
    """

    def invoke(self, function: str, payload: bytes, timeout: float) -> bytes: ...

    def close(self) -> None:
        """Release clients and threads; the invoker is not used afterwards."""


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """The function a LambdaConfig ARN names."""

    name: str
    qualifier: str | None = None

    @property
    def function(self) -> str:
        """``name`` or ``name:qualifier``, the form Lambda's Invoke accepts as FunctionName."""
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name


def function_ref(arn: str) -> FunctionRef:
    """Resolve ``arn:aws:lambda:<region>:<account>:function:NAME[:qualifier]`` (or any ARN whose
    segments contain ``function``) to the function; an ARN without a ``function`` segment
    resolves to its last segment, and a plain name to itself."""
    parts = arn.split(":")
    if "function" in parts:
        rest = parts[parts.index("function") + 1 :]
        if rest and rest[0]:
            return FunctionRef(rest[0], rest[1] if len(rest) > 1 and rest[1] else None)
    return FunctionRef(parts[-1])


def function_name(arn: str) -> str:
    """``NAME`` or ``NAME:qualifier`` for a LambdaConfig ARN."""
    return function_ref(arn).function


class RoutingInvoker:
    """Sends each function to the invoker configured for it.

    ``routes`` maps a function name (``NAME`` or ``NAME:qualifier``; the qualified form wins)
    to an invoker; every other function goes to ``default``.
    """

    def __init__(self, routes: Mapping[str, LambdaInvoker], default: LambdaInvoker) -> None:
        self._routes = dict(routes)
        self._default = default

    def add_route(self, function: str, invoker: LambdaInvoker) -> None:
        """Send ``function`` to ``invoker`` from now on."""
        self._routes[function] = invoker

    def route(self, function: str) -> LambdaInvoker:
        """The invoker that runs ``function``."""
        if function in self._routes:
            return self._routes[function]
        return self._routes.get(function.split(":", 1)[0], self._default)

    def invoke(self, function: str, payload: bytes, timeout: float) -> bytes:
        return self.route(function).invoke(function, payload, timeout)

    def close(self) -> None:
        seen: set[int] = set()
        for invoker in (*self._routes.values(), self._default):
            if id(invoker) not in seen:
                seen.add(id(invoker))
                invoker.close()
