"""The operation registry: handlers register under their wire name with ``@operation``.

Handlers are plain synchronous functions ``(ctx, params) -> result``: ``ctx`` is an
:class:`OperationContext` (the request's facts and the services), ``params`` the request's
members as the protocol layer parsed and validated them. :class:`Operations` binds every
handler to one set of services; it is the registry the composition root hands to the protocol
pipeline (``poolgate.protocol.dispatch.Registry``), which is how the pipeline reaches this
package without importing it. The pipeline also checks every registered name against the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from poolgate.protocol.dispatch import Invocation, Params, Result

__all__ = [
    "Handler",
    "OperationContext",
    "Operations",
    "Params",
    "Result",
    "handler_for",
    "implemented_operations",
    "operation",
]

if TYPE_CHECKING:
    from poolgate.services import Services


@dataclass(frozen=True, slots=True)
class OperationContext:
    """What a handler knows about the request besides its parameters."""

    operation: str
    request_id: str
    services: Services
    access_key_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None


Handler = Callable[[OperationContext, Params], Result]


BoundHandler = Callable[[Invocation, Params], Result]

_HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of the operation ``name``."""

    def register(fn: Handler) -> Handler:
        if name in _HANDLERS:
            raise ValueError(f"{name} is registered twice")
        _HANDLERS[name] = fn
        return fn

    return register


def handler_for(name: str) -> Handler | None:
    """The registered handler, or None when Poolgate does not implement the operation."""
    return _HANDLERS.get(name)


def implemented_operations() -> list[str]:
    """Sorted names of every operation with a handler."""
    return sorted(_HANDLERS)


class Operations:
    """Every registered handler bound to ``services``: the registry the pipeline is handed."""

    def __init__(self, services: Services) -> None:
        self._bound = {name: _bind(fn, services) for name, fn in _HANDLERS.items()}

    def names(self) -> Iterable[str]:
        return self._bound.keys()

    def handler_for(self, name: str) -> BoundHandler | None:
        return self._bound.get(name)


def _bind(handler: Handler, services: Services) -> BoundHandler:
    """``handler`` called with the request's facts turned, once, into an OperationContext."""

    def call(request: Invocation, params: Params) -> Result:
        ctx = OperationContext(
            request.operation,
            request.request_id,
            services,
            request.access_key_id,
            request.source_ip,
            request.user_agent,
        )
        return handler(ctx, params)

    return call
