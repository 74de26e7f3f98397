"""REFRESH_TOKEN_AUTH and its synonym REFRESH_TOKEN (auth-flows.md section 4.3).

No challenges, no PreAuthentication or PostAuthentication: the token service checks the
refresh token (client, user, revocation, SECRET_HASH over the internal username, device
binding) and mints new ID and access tokens; it runs PreTokenGeneration
(TokenGeneration_RefreshTokens) itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from poolgate.auth.context import StepContext, required
from poolgate.auth.state import Authenticated, AuthFlow, Outcome


class RefreshTokenAuth:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN)

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        token = required(parameters, "REFRESH_TOKEN")
        tokens = ctx.tokens.refresh(
            ctx.uow,
            ctx.pool,
            ctx.client,
            token,
            secret_hash=parameters.get("SECRET_HASH"),
            device_key=parameters.get("DEVICE_KEY"),
        )
        return Authenticated(tokens)
