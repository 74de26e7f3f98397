"""The contract every AuthFlow class fulfils, and the ``Gate`` it declares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthFlow, Outcome


@dataclass(frozen=True, slots=True)
class Gate:
    """Which operations and app clients allow a flow (auth-flows.md section 2; read by
    ``gating``), declared by the flow class as Authlib's grants declare their grant type.

    - ``initiate`` / ``admin``: InitiateAuth / AdminInitiateAuth accept it;
    - ``allow``: the ``ALLOW_*`` value of ``ExplicitAuthFlows`` that enables it;
    - on a client with only legacy values: ``legacy_always`` enables it whatever the list says,
      unless the list holds one of ``legacy_off``; otherwise ``legacy`` (a legacy value) enables
      it, and None leaves it off;
    - ``not_with_rotation``: off on a client with refresh-token rotation ENABLED.
    """

    initiate: bool
    admin: bool
    allow: str
    legacy_always: bool = False
    legacy: str | None = None
    legacy_off: frozenset[str] = frozenset()
    not_with_rotation: bool = False


class Flow(Protocol):
    """One AuthFlow: check ``AuthParameters`` and run the first step of the sign-in.

    ``flows`` lists the AuthFlow values the class serves (synonyms share a class and its
    ``gate``). The engine checks the operation and the client's ExplicitAuthFlows against
    ``gate``, then calls ``identify``, then checks ``SECRET_HASH`` for the username it returns
    (in that order, so that a missing parameter wins over a wrong secret hash), then calls
    ``start``. Both raise ``CognitoError`` for errors that must leave nothing written; ``start``
    returns ``Rejected`` for those that must commit first.
    """

    flows: ClassVar[tuple[AuthFlow, ...]]
    gate: ClassVar[Gate]

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> str | None:
        """Check the ``AuthParameters`` that come before ``SECRET_HASH`` and return the
        ``USERNAME`` whose ``SECRET_HASH`` the engine checks, or None when the flow's
        credential names the user (a refresh token: the token service checks the hash)."""
        ...

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        """Run the flow's first step with the request's ``AuthParameters`` (``identify``
        has passed, and so has the ``SECRET_HASH`` check)."""
        ...
