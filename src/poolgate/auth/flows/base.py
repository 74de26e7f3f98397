"""The contract every AuthFlow class fulfils."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Protocol

from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthFlow, Outcome


class Flow(Protocol):
    """One AuthFlow: check ``AuthParameters`` and run the first step of the sign-in.

    ``flows`` lists the AuthFlow values the class serves (synonyms share a class). ``start`` is
    called after the engine checked the operation and the client's ExplicitAuthFlows; it raises
    ``CognitoError`` for errors that must leave nothing written and returns ``Rejected`` for
    those that must commit first.
    """

    flows: ClassVar[tuple[AuthFlow, ...]]

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        """Run the flow's first step with the request's ``AuthParameters``."""
        ...
