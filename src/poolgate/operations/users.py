"""User operations: admin user management, ListUsers, sign-up and password recovery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from poolgate.errors import InvalidParameterException
from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.triggers.api import NO_CLIENT, Caller, sdk_from_user_agent
from poolgate.users import views
from poolgate.users.common import TriggerContext


def trigger_context(ctx: OperationContext, params: Params) -> TriggerContext:
    """The request's inputs to its Lambda triggers: the caller (the ``ClientId`` parameter,
    or ``CLIENT_ID_NOT_APPLICABLE``, and the SDK named by the User-Agent), ClientMetadata,
    and ValidationData as a name→value map."""
    validation: Sequence[Mapping[str, str]] | None = params.get("ValidationData")
    return TriggerContext(
        Caller(params.get("ClientId") or NO_CLIENT, sdk_from_user_agent(ctx.user_agent)),
        params.get("ClientMetadata"),
        None if validation is None else {item["Name"]: item.get("Value", "") for item in validation},
        source_ip=ctx.source_ip,
        user_agent=ctx.user_agent,
    )


@operation("AdminCreateUser")
def admin_create_user(ctx: OperationContext, params: Params) -> Result:
    user = ctx.services.admin_users.create(
        params.pop("UserPoolId"), params.pop("Username"), params, trigger_context(ctx, params)
    )
    return {"User": views.user_type(user)}


@operation("AdminGetUser")
def admin_get_user(ctx: OperationContext, params: Params) -> Result:
    return views.admin_get_user(ctx.services.admin_users.get(params["UserPoolId"], params["Username"]))


@operation("AdminDeleteUser")
def admin_delete_user(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.delete(params["UserPoolId"], params["Username"])
    return {}


@operation("AdminEnableUser")
def admin_enable_user(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.set_enabled(params["UserPoolId"], params["Username"], True)
    return {}


@operation("AdminDisableUser")
def admin_disable_user(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.set_enabled(params["UserPoolId"], params["Username"], False)
    return {}


@operation("AdminSetUserPassword")
def admin_set_user_password(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.set_password(
        params["UserPoolId"], params["Username"], params["Password"], bool(params.get("Permanent", False))
    )
    return {}


@operation("AdminUpdateUserAttributes")
def admin_update_user_attributes(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.update_attributes(
        params["UserPoolId"], params["Username"], params["UserAttributes"], trigger_context(ctx, params)
    )
    return {}


@operation("AdminDeleteUserAttributes")
def admin_delete_user_attributes(ctx: OperationContext, params: Params) -> Result:
    ctx.services.admin_users.delete_attributes(
        params["UserPoolId"], params["Username"], params["UserAttributeNames"]
    )
    return {}


@operation("ListUsers")
def list_users(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.admin_users.list(
        params["UserPoolId"],
        filter_text=params.get("Filter"),
        limit=params.get("Limit"),
        token=params.get("PaginationToken"),
    )
    wanted = params.get("AttributesToGet")
    return {
        "Users": [views.user_type(user, wanted) for user in page.items],
        "PaginationToken": page.next_token,
    }


@operation("SignUp")
def sign_up(ctx: OperationContext, params: Params) -> Result:
    password = params.get("Password")
    if password is None:
        # The model leaves Password optional for passwordless (choice-based) pools, which
        # Poolgate does not offer yet [decision].
        raise InvalidParameterException("Password is required: passwordless sign-up is not supported.")
    result = ctx.services.sign_up.sign_up(
        params["ClientId"], params["Username"], password, params, trigger_context(ctx, params)
    )
    return views.sign_up_result(
        result.user.sub,
        confirmed=result.user.status.value == "CONFIRMED",
        delivery=result.delivery,
    )


@operation("ConfirmSignUp")
def confirm_sign_up(ctx: OperationContext, params: Params) -> Result:
    ctx.services.sign_up.confirm(
        params["ClientId"],
        params["Username"],
        params["ConfirmationCode"],
        params,
        trigger_context(ctx, params),
    )
    return {}


@operation("AdminConfirmSignUp")
def admin_confirm_sign_up(ctx: OperationContext, params: Params) -> Result:
    ctx.services.sign_up.admin_confirm(params["UserPoolId"], params["Username"], trigger_context(ctx, params))
    return {}


@operation("ResendConfirmationCode")
def resend_confirmation_code(ctx: OperationContext, params: Params) -> Result:
    delivery = ctx.services.sign_up.resend(
        params["ClientId"], params["Username"], params, trigger_context(ctx, params)
    )
    return {"CodeDeliveryDetails": delivery}


@operation("ForgotPassword")
def forgot_password(ctx: OperationContext, params: Params) -> Result:
    delivery = ctx.services.recovery.forgot_password(
        params["ClientId"], params["Username"], params, trigger_context(ctx, params)
    )
    return {"CodeDeliveryDetails": delivery}


@operation("ConfirmForgotPassword")
def confirm_forgot_password(ctx: OperationContext, params: Params) -> Result:
    ctx.services.recovery.confirm_forgot_password(
        params["ClientId"],
        params["Username"],
        params["ConfirmationCode"],
        params["Password"],
        params,
        trigger_context(ctx, params),
    )
    return {}


@operation("AdminResetUserPassword")
def admin_reset_user_password(ctx: OperationContext, params: Params) -> Result:
    ctx.services.recovery.admin_reset_password(
        params["UserPoolId"], params["Username"], trigger_context(ctx, params)
    )
    return {}
