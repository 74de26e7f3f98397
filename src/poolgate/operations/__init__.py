"""Thin handlers: request params -> one service call -> response dict.

Importing this package registers every handler with ``poolgate.protocol.dispatch``.
No business rules live here.
"""

from __future__ import annotations

from poolgate.operations import (  # noqa: F401
    auth,
    clients,
    devices,
    groups,
    mfa,
    pools,
    security,
    self_service,
    tokens,
    users,
)
