"""The operation registry: handlers register under their wire name with ``@operation``.

Handlers are plain synchronous functions ``(ctx, params) -> result``; the web layer
runs them off the event loop. An operation of the model with no handler answers
``UnsupportedOperationException`` (a 4xx, so SDKs do not retry it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poolgate.protocol.model import operation_model

if TYPE_CHECKING:
    from poolgate.services import Services

Params = dict[str, Any]
Result = Mapping[str, Any] | None


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

_HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of the operation ``name`` (checked against the model)."""

    def register(fn: Handler) -> Handler:
        if operation_model(name) is None:
            raise ValueError(f"{name} is not an operation of the cognito-idp model")
        if name in _HANDLERS:
            raise ValueError(f"{name} is registered twice")
        _HANDLERS[name] = fn
        return fn

    return register


def handler_for(name: str) -> Handler | None:
    """The registered handler, or None when Poolgate does not implement the operation."""
    _load_handlers()
    return _HANDLERS.get(name)


def implemented_operations() -> list[str]:
    """Sorted names of every operation with a handler."""
    _load_handlers()
    return sorted(_HANDLERS)


def _load_handlers() -> None:
    # Importing the package registers every handler module exactly once.
    import poolgate.operations  # noqa: F401
