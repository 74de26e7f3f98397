"""Token operations: GetTokensFromRefreshToken and RevokeToken."""

from __future__ import annotations

from poolgate.protocol.dispatch import OperationContext, Params, Result, operation


@operation("GetTokensFromRefreshToken")
def get_tokens_from_refresh_token(ctx: OperationContext, params: Params) -> Result:
    services = ctx.services
    with services.store.transaction() as uow:
        tokens = services.tokens.get_tokens_from_refresh_token(
            uow,
            params["ClientId"],
            params["RefreshToken"],
            client_secret=params.get("ClientSecret"),
            device_key=params.get("DeviceKey"),
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
