"""How the pipeline reaches the operations: through a :class:`Registry` it is handed.

``protocol`` imports nothing from ``poolgate.operations`` and knows nothing of the services.
The composition root builds the registry (``poolgate.operations.registry.Operations``: every
registered handler bound to the services) and hands it to the pipeline, which asks it for the
handler of the operation named by ``X-Amz-Target``. A model operation with no handler answers
``UnsupportedOperationException`` (a 4xx, so SDKs do not retry it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from poolgate.protocol.model import operation_model

__all__ = ["Handler", "Invocation", "Params", "Registry", "Result", "check_registry"]

Params = dict[str, Any]
"""The request's parsed and validated members (``parser``, ``validate``)."""
Result = Mapping[str, Any] | None
"""What a handler answers, written out along the output shape (``serializer``)."""


class Invocation(Protocol):
    """What a handler is told about the request besides its params (the pipeline's
    ``RequestContext`` is one)."""

    @property
    def operation(self) -> str: ...

    @property
    def request_id(self) -> str: ...

    @property
    def access_key_id(self) -> str | None: ...

    @property
    def source_ip(self) -> str | None: ...

    @property
    def user_agent(self) -> str | None: ...


Handler = Callable[[Invocation, Params], Result]


class Registry(Protocol):
    """The operations the pipeline can dispatch to."""

    def names(self) -> Iterable[str]:
        """Every operation with a handler."""
        ...

    def handler_for(self, name: str) -> Handler | None:
        """The handler of ``name``, or None when Poolgate does not implement it."""
        ...


def check_registry(registry: Registry) -> None:
    """Refuse a registry with a handler for a name that is not an operation of the model."""
    for name in registry.names():
        if operation_model(name) is None:
            raise ValueError(f"{name} is not an operation of the cognito-idp model")
