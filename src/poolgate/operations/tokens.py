"""Token operations: GetTokensFromRefreshToken and RevokeToken."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.triggers.api import Caller, sdk_from_user_agent


@operation("GetTokensFromRefreshToken")
def get_tokens_from_refresh_token(ctx: OperationContext, params: Params) -> Result:
    # The service runs its own transactions: PreTokenGeneration may run between them.
    tokens = ctx.services.tokens.tokens_from_refresh_token(
        ctx.services.store,
        params["ClientId"],
        params["RefreshToken"],
        client_secret=params.get("ClientSecret"),
        device_key=params.get("DeviceKey"),
        client_metadata=params.get("ClientMetadata"),
        caller=Caller(params["ClientId"], sdk_from_user_agent(ctx.user_agent)),
    )
    return {"AuthenticationResult": tokens.as_result()}


@operation("RevokeToken")
def revoke_token(ctx: OperationContext, params: Params) -> Result:
    services = ctx.services
    with services.store.transaction() as uow:
        services.tokens.revoke(
            uow, params["ClientId"], params["Token"], client_secret=params.get("ClientSecret")
        )
    return {}
