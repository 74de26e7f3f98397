"""USER_AUTH, choice-based sign-in (auth-flows.md section 4.6): out of scope for now.

The flow is gated like the others (``ALLOW_USER_AUTH``) and then refused with an
InvalidParameterException that says so, rather than a 5xx or a misleading Cognito text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from poolgate.auth import messages
from poolgate.auth.context import StepContext
from poolgate.auth.flows.base import Gate
from poolgate.auth.state import AuthFlow, Outcome
from poolgate.errors import InvalidParameterException


class UserAuth:
    """USER_AUTH."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.USER_AUTH,)
    gate: ClassVar[Gate] = Gate(initiate=True, admin=True, allow="ALLOW_USER_AUTH")

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> None:
        raise InvalidParameterException(messages.USER_AUTH_UNSUPPORTED)

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        raise InvalidParameterException(messages.USER_AUTH_UNSUPPORTED)
