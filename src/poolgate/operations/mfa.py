"""MFA operations: SetUserPoolMfaConfig, GetUserPoolMfaConfig, SetUserMFAPreference,
AdminSetUserMFAPreference, AssociateSoftwareToken, VerifySoftwareToken."""

from __future__ import annotations

from poolgate.mfa.service import SUCCESS
from poolgate.operations.registry import OperationContext, Params, Result, operation


@operation("SetUserPoolMfaConfig")
def set_user_pool_mfa_config(ctx: OperationContext, params: Params) -> Result:
    pool_id = params.pop("UserPoolId")
    return ctx.services.mfa.set_pool_config(pool_id, params)


@operation("GetUserPoolMfaConfig")
def get_user_pool_mfa_config(ctx: OperationContext, params: Params) -> Result:
    return ctx.services.mfa.get_pool_config(params["UserPoolId"])


@operation("SetUserMFAPreference")
def set_user_mfa_preference(ctx: OperationContext, params: Params) -> Result:
    ctx.services.mfa.set_preference(params["AccessToken"], params)
    return {}


@operation("AdminSetUserMFAPreference")
def admin_set_user_mfa_preference(ctx: OperationContext, params: Params) -> Result:
    ctx.services.mfa.admin_set_preference(params["UserPoolId"], params["Username"], params)
    return {}


@operation("AssociateSoftwareToken")
def associate_software_token(ctx: OperationContext, params: Params) -> Result:
    secret, session = ctx.services.mfa.associate_software_token(
        access_token=params.get("AccessToken"), session=params.get("Session")
    )
    return {"SecretCode": secret, "Session": session}


@operation("VerifySoftwareToken")
def verify_software_token(ctx: OperationContext, params: Params) -> Result:
    session = ctx.services.mfa.verify_software_token(
        access_token=params.get("AccessToken"),
        session=params.get("Session"),
        code=params["UserCode"],
        device_name=params.get("FriendlyDeviceName"),
    )
    return {"Status": SUCCESS, "Session": session}
