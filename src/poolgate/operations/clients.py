"""App-client operations: Create/Describe/Update/Delete/ListUserPoolClient(s)."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.pools import defaults

# ListUserPoolClients leaves MaxResults optional; this is the page size when it is omitted.
DEFAULT_CLIENT_PAGE = 60


@operation("CreateUserPoolClient")
def create_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool_id = params.pop("UserPoolId")
    name = params.pop("ClientName")
    generate = bool(params.pop("GenerateSecret", False))
    secret = params.pop("ClientSecret", None)
    client = ctx.services.pools.create_client(pool_id, name, params, generate_secret=generate, secret=secret)
    return {"UserPoolClient": defaults.describe_client(client)}


@operation("DescribeUserPoolClient")
def describe_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    client = ctx.services.pools.get_client(params["UserPoolId"], params["ClientId"])
    return {"UserPoolClient": defaults.describe_client(client)}


@operation("UpdateUserPoolClient")
def update_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool_id = params.pop("UserPoolId")
    client_id = params.pop("ClientId")
    name = params.pop("ClientName", None)
    client = ctx.services.pools.update_client(pool_id, client_id, name, params)
    return {"UserPoolClient": defaults.describe_client(client)}


@operation("DeleteUserPoolClient")
def delete_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    ctx.services.pools.delete_client(params["UserPoolId"], params["ClientId"])
    return {}


@operation("ListUserPoolClients")
def list_user_pool_clients(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.pools.list_clients(
        params["UserPoolId"], params.get("MaxResults", DEFAULT_CLIENT_PAGE), params.get("NextToken")
    )
    return {
        "UserPoolClients": [defaults.summarize_client(client) for client in page.items],
        "NextToken": page.next_token,
    }
