"""Group operations: Create/Get/Update/Delete/ListGroups and group membership."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.users import views


@operation("CreateGroup")
def create_group(ctx: OperationContext, params: Params) -> Result:
    group = ctx.services.groups.create(params.pop("UserPoolId"), params.pop("GroupName"), params)
    return {"Group": views.group_type(group)}


@operation("GetGroup")
def get_group(ctx: OperationContext, params: Params) -> Result:
    return {"Group": views.group_type(ctx.services.groups.get(params["UserPoolId"], params["GroupName"]))}


@operation("UpdateGroup")
def update_group(ctx: OperationContext, params: Params) -> Result:
    group = ctx.services.groups.update(params.pop("UserPoolId"), params.pop("GroupName"), params)
    return {"Group": views.group_type(group)}


@operation("DeleteGroup")
def delete_group(ctx: OperationContext, params: Params) -> Result:
    ctx.services.groups.delete(params["UserPoolId"], params["GroupName"])
    return {}


@operation("ListGroups")
def list_groups(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.groups.list(params["UserPoolId"], params.get("Limit"), params.get("NextToken"))
    return {"Groups": [views.group_type(g) for g in page.items], "NextToken": page.next_token}


@operation("AdminAddUserToGroup")
def admin_add_user_to_group(ctx: OperationContext, params: Params) -> Result:
    ctx.services.groups.add_user(params["UserPoolId"], params["GroupName"], params["Username"])
    return {}


@operation("AdminRemoveUserFromGroup")
def admin_remove_user_from_group(ctx: OperationContext, params: Params) -> Result:
    ctx.services.groups.remove_user(params["UserPoolId"], params["GroupName"], params["Username"])
    return {}


@operation("AdminListGroupsForUser")
def admin_list_groups_for_user(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.groups.groups_for_user(
        params["UserPoolId"], params["Username"], params.get("Limit"), params.get("NextToken")
    )
    return {"Groups": [views.group_type(g) for g in page.items], "NextToken": page.next_token}


@operation("ListUsersInGroup")
def list_users_in_group(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.groups.users_in_group(
        params["UserPoolId"], params["GroupName"], params.get("Limit"), params.get("NextToken")
    )
    return {"Users": [views.user_type(u) for u in page.items], "NextToken": page.next_token}
