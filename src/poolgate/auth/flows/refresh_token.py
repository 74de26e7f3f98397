"""REFRESH_TOKEN_AUTH and its synonym REFRESH_TOKEN (auth-flows.md section 4.3).

No challenges, no PreAuthentication or PostAuthentication: the token service checks the
refresh token (client, user, revocation, SECRET_HASH over the internal username, device
binding), runs PreTokenGeneration (``TokenGeneration_RefreshTokens``, without the call's
ClientMetadata, which only Respond* calls pass on) between its read and write transactions,
and mints new ID and access tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from poolgate.auth import threat
from poolgate.auth.context import StepContext, required
from poolgate.auth.flows.base import Gate
from poolgate.auth.state import Authenticated, AuthFlow, Outcome


class RefreshTokenAuth:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN)
    gate: ClassVar[Gate] = Gate(
        initiate=True,
        admin=True,
        allow="ALLOW_REFRESH_TOKEN_AUTH",
        legacy_always=True,
        not_with_rotation=True,
    )

    def identify(self, ctx: StepContext, parameters: Mapping[str, str]) -> None:
        """The refresh token names the user; the token service checks its SECRET_HASH."""

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        token = required(parameters, "REFRESH_TOKEN")
        tokens = ctx.tokens.refresh_tokens(
            ctx.store,
            ctx.pool,
            ctx.client,
            token,
            secret_hash=parameters.get("SECRET_HASH"),
            device_key=parameters.get("DEVICE_KEY"),
            caller=ctx.caller,
        )
        threat.after_refresh(ctx, tokens)  # analytics only; no I/O unless the client asks for them
        return Authenticated(tokens)
