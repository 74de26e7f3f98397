"""Thin handlers: request params -> one service call -> response dict.

Importing this package registers every handler in ``poolgate.operations.registry``, whose
``Operations`` is the registry handed to the protocol pipeline. This package imports nothing
from ``poolgate.protocol`` (nor ``web``); no business rules live here.
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
