"""CUSTOM_AUTH (auth-flows.md section 4.5), until the Lambda triggers exist.

A pool without a DefineAuthChallenge trigger gets Cognito's answer,
InvalidParameterException ``Custom auth lambda trigger is not configured for the user pool.``
(the text public apps match on). A pool that has the triggers is refused honestly with
UnsupportedOperationException until the triggers issue drives the flow through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from poolgate.auth import messages
from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthFlow, Outcome
from poolgate.errors import InvalidParameterException, UnsupportedOperationException


class CustomAuth:
    """CUSTOM_AUTH."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.CUSTOM_AUTH,)

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        lambdas: Mapping[str, object] = ctx.pool.config.get("LambdaConfig") or {}
        if not lambdas.get("DefineAuthChallenge"):
            raise InvalidParameterException(messages.CUSTOM_AUTH_NOT_CONFIGURED)
        # Trigger point: DefineAuthChallenge / CreateAuthChallenge (triggers issue).
        raise UnsupportedOperationException(messages.CUSTOM_AUTH_TRIGGERS_PENDING)
