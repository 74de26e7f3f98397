"""Access-token operations and AdminUserGlobalSignOut."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.operations.users import trigger_context
from poolgate.users import views


@operation("GetUser")
def get_user(ctx: OperationContext, params: Params) -> Result:
    user, readable = ctx.services.self_service.get_user(params["AccessToken"])
    return views.get_user(user, readable)


@operation("ChangePassword")
def change_password(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.change_password(
        params["AccessToken"], params.get("PreviousPassword"), params["ProposedPassword"]
    )
    return {}


@operation("UpdateUserAttributes")
def update_user_attributes(ctx: OperationContext, params: Params) -> Result:
    deliveries = ctx.services.self_service.update_attributes(
        params["AccessToken"], params["UserAttributes"], trigger_context(ctx, params)
    )
    return {"CodeDeliveryDetailsList": deliveries}


@operation("GetUserAttributeVerificationCode")
def get_user_attribute_verification_code(ctx: OperationContext, params: Params) -> Result:
    delivery = ctx.services.self_service.get_verification_code(
        params["AccessToken"], params["AttributeName"], trigger_context(ctx, params)
    )
    return {"CodeDeliveryDetails": delivery}


@operation("VerifyUserAttribute")
def verify_user_attribute(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.verify_attribute(params["AccessToken"], params["AttributeName"], params["Code"])
    return {}


@operation("DeleteUserAttributes")
def delete_user_attributes(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.delete_attributes(params["AccessToken"], params["UserAttributeNames"])
    return {}


@operation("DeleteUser")
def delete_user(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.delete_user(params["AccessToken"])
    return {}


@operation("GlobalSignOut")
def global_sign_out(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.global_sign_out(params["AccessToken"])
    return {}


@operation("AdminUserGlobalSignOut")
def admin_user_global_sign_out(ctx: OperationContext, params: Params) -> Result:
    ctx.services.self_service.admin_global_sign_out(params["UserPoolId"], params["Username"])
    return {}
