"""User-pool operations: CreateUserPool, DescribeUserPool, UpdateUserPool, DeleteUserPool, ListUserPools."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.pools import defaults


@operation("CreateUserPool")
def create_user_pool(ctx: OperationContext, params: Params) -> Result:
    name = params.pop("PoolName")
    pools = ctx.services.pools
    pool = pools.create_pool(name, params)
    return {"UserPool": defaults.describe_pool(pool, arn=pools.arn(pool.id), estimated_users=0)}


@operation("DescribeUserPool")
def describe_user_pool(ctx: OperationContext, params: Params) -> Result:
    return {"UserPool": ctx.services.pools.describe_pool(params["UserPoolId"])}


@operation("UpdateUserPool")
def update_user_pool(ctx: OperationContext, params: Params) -> Result:
    pool_id = params.pop("UserPoolId")
    ctx.services.pools.update_pool(pool_id, params)
    return {}


@operation("DeleteUserPool")
def delete_user_pool(ctx: OperationContext, params: Params) -> Result:
    ctx.services.pools.delete_pool(params["UserPoolId"])
    return {}


@operation("ListUserPools")
def list_user_pools(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.pools.list_pools(params["MaxResults"], params.get("NextToken"))
    return {
        "UserPools": [defaults.summarize_pool(pool) for pool in page.items],
        "NextToken": page.next_token,
    }
